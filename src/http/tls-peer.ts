/**
 * Who is on the other end of a TLS connection: which CA issued the client certificate the
 * handshake verified. One HTTPS port asks for client certificates of two kinds — users'
 * (certificate sign-on, `server.client-ca-file`) and the cluster's own servers (the cluster CA,
 * for `/repository/`) — and each route accepts only its kind.
 */
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** SHA-256 fingerprints (node's `AA:BB:…` form) of every certificate of a PEM bundle. */
export function bundleFingerprints(pem: string): ReadonlySet<string> {
  return new Set([...pem.matchAll(PEM_BLOCK)].map((m) => new X509Certificate(m[0]).fingerprint256));
}

/** Fingerprints of the verified chain above the peer's certificate (issuer first). */
export function issuerFingerprints(socket: TLSSocket): string[] {
  const out: string[] = [];
  const leaf = socket.getPeerCertificate(true);
  const seen = new Set<string>([leaf.fingerprint256]);
  // `issuerCertificate` is absent in node's type for a certificate without a chain.
  let c: { fingerprint256?: string; issuerCertificate?: unknown } | undefined = (
    leaf as { issuerCertificate?: { fingerprint256?: string; issuerCertificate?: unknown } }
  ).issuerCertificate;
  while (c !== undefined && typeof c.fingerprint256 === 'string' && !seen.has(c.fingerprint256)) {
    out.push(c.fingerprint256);
    seen.add(c.fingerprint256);
    c = c.issuerCertificate as typeof c;
  }
  return out;
}

/** Whether the handshake verified the peer's certificate and one of `cas` is in its chain. */
export function verifiedBy(socket: TLSSocket, cas: ReadonlySet<string>): boolean {
  return socket.authorized && issuerFingerprints(socket).some((f) => cas.has(f));
}
