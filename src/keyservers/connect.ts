/**
 * How the cluster opens a KMIP connection to a key server: the system certificate as client
 * identity, trust in the key server's own certificate (pinned, -sslcert) and/or the type's CA
 * certificate, the type's credential, and the node's service address as the source address.
 * Validation and the KEK service both connect through here.
 */
import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { KmipClient, type KmipClientOptions } from '../kmip/index.ts';
import type { ClusterNode, KeyServer, KeyServerTypeConfig } from './types.ts';
import type { SystemCertificate } from './ports.ts';

/** Default time limit of each network step, ms. */
export const DEFAULT_KEYSERVER_TIMEOUT_MS = 10_000;

/**
 * The source address for a key server of `family` from `node`: its service address of that
 * family, `undefined` for "let the system choose", or `null` when the node has none.
 */
export function sourceAddress(node: ClusterNode, family: 4 | 6): string | undefined | null {
  const a = family === 4 ? node.ipv4 : node.ipv6;
  if (a === undefined) return null;
  return a === 'any' ? undefined : a;
}

/**
 * The KMIP credential a key-server type sends in every request header: CipherTrust Manager
 * authenticates KMIP clients by user name and password besides their certificate.
 */
export function credentialFor(
  typeConfig: KeyServerTypeConfig,
): { authentication: { username: string; password?: string } } | Record<string, never> {
  if (typeConfig.type !== 'ciphertrustmanager' || typeConfig.username === undefined) return {};
  return {
    authentication: {
      username: typeConfig.username,
      ...(typeConfig.password === undefined ? {} : { password: typeConfig.password }),
    },
  };
}

/** DER bytes of every certificate in PEM text (unparseable blocks are skipped). */
function derOf(pem: string | undefined): Buffer[] {
  const blocks = pem?.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const out: Buffer[] = [];
  for (const b of blocks) {
    try {
      out.push(new X509Certificate(b).raw);
    } catch {
      // Reported by validation's certificates stage; the TLS handshake decides on its own.
    }
  }
  return out;
}

export interface ClientOptionsInput {
  readonly keyServer: Pick<KeyServer, 'ip' | 'port' | 'certPem'>;
  readonly typeConfig: KeyServerTypeConfig;
  readonly systemCert: Pick<SystemCertificate, 'certPem' | 'keyPem'>;
  /** Resolved address to connect to (defaults to keyServer.ip). */
  readonly address?: string;
  readonly localAddress?: string | undefined;
  readonly timeoutMs?: number;
  /** Fixed protocol version (validation negotiates itself); default: negotiate 1.3–1.4. */
  readonly protocolVersion?: { readonly major: number; readonly minor: number };
  /** Told how the server's certificate was accepted: pinned (-sslcert) or by the type's CA. */
  readonly onVerified?: (how: 'pinned' | 'ca') => void;
}

/** The trust anchors of a key server: its pinned certificate and the type's CA, if given. */
export function trustAnchors(
  input: Pick<ClientOptionsInput, 'keyServer' | 'typeConfig'>,
): string[] {
  return [input.keyServer.certPem, input.typeConfig.caCertPem].filter(
    (x): x is string => x !== undefined && x.trim() !== '',
  );
}

/**
 * KMIP client options for a key server. The pinned certificate (-sslcert) is accepted
 * whatever names it carries (key servers' own certificates rarely list their IP address);
 * any other certificate must chain to the type's CA and name the host dialled.
 */
export function clientOptionsFor(input: ClientOptionsInput): KmipClientOptions {
  const ks = input.keyServer;
  const pinned = derOf(ks.certPem);
  const timeout = input.timeoutMs ?? DEFAULT_KEYSERVER_TIMEOUT_MS;
  return {
    host: input.address ?? ks.ip,
    port: ks.port,
    ca: trustAnchors(input),
    cert: input.systemCert.certPem,
    key: input.systemCert.keyPem,
    ...(net.isIP(ks.ip) ? {} : { servername: ks.ip }),
    ...(input.localAddress === undefined ? {} : { localAddress: input.localAddress }),
    checkServerIdentity: (name: string, cert: PeerCertificate): Error | undefined => {
      if (pinned.some((d) => d.equals(cert.raw))) {
        input.onVerified?.('pinned');
        return undefined;
      }
      input.onVerified?.('ca');
      return checkServerIdentity(name, cert);
    },
    connectTimeoutMs: timeout,
    requestTimeoutMs: timeout,
    ...(input.protocolVersion === undefined ? {} : { protocolVersion: input.protocolVersion }),
    minProtocolVersion: { major: 1, minor: 3 },
    maxProtocolVersion: { major: 1, minor: 4 },
    ...credentialFor(input.typeConfig),
  };
}

export function clientFor(input: ClientOptionsInput): KmipClient {
  return new KmipClient(clientOptionsFor(input));
}
