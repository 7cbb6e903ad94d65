/**
 * Certificates Sekisho makes for itself: a private CA, and server or client certificates
 * it signs (first start, `sekisho start`, and later the system certificate of the
 * key-server manager). Built on @peculiar/x509 over WebCrypto: no OpenSSL binary needed.
 */
// tsyringe, under @peculiar/x509, needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import { createPrivateKey, webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { SUBJECT_ATTRIBUTE_OIDS } from './client-certificate.ts';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto);

export type KeyAlgorithm = 'ecdsa-p256' | 'rsa-2048';

export interface IssuedCertificate {
  /** Certificate, PEM. */
  readonly cert: string;
  /** PKCS#8 private key, PEM. */
  readonly key: string;
}

/** Subject attributes {@link CertificateRequest.subjectAttributes} can add, with their OIDs. */
export const REQUEST_SUBJECT_ATTRIBUTE_OIDS = {
  ...SUBJECT_ATTRIBUTE_OIDS,
  o: '2.5.4.10',
  ou: '2.5.4.11',
} as const;
export type RequestSubjectAttribute = keyof typeof REQUEST_SUBJECT_ATTRIBUTE_OIDS;

export interface CertificateRequest {
  readonly commonName: string;
  /**
   * More subject attributes, each its own RDN, after the CN in RFC 4514 order (most specific
   * first): commonName `Alice` with `[{type: 'ou', value: 'People'}, {type: 'o', value:
   * 'Example'}]` gives `CN=Alice,OU=People,O=Example`. They never replace the CN: a `cn` entry
   * adds a second CN value. `mail` is written as the PKCS#9 emailAddress (IA5String); other
   * values as PrintableString when they fit it, else UTF8String.
   */
  readonly subjectAttributes?: readonly {
    readonly type: RequestSubjectAttribute;
    readonly value: string;
  }[];
  /** DNS names for subjectAltName. */
  readonly dns?: readonly string[];
  /** IP addresses for subjectAltName. */
  readonly ips?: readonly string[];
  /** E-mail addresses for subjectAltName (rfc822Name). */
  readonly emails?: readonly string[];
  /** Extended key usages: server, client or both. */
  readonly usage: 'server' | 'client' | 'server+client';
  /** Validity in days from now (default 825, the CA/B limit browsers once enforced). */
  readonly days?: number;
  /** Start of validity (default: one hour ago, to absorb clock skew). */
  readonly notBefore?: Date;
  readonly algorithm?: KeyAlgorithm;
}

const ALGORITHMS = {
  'ecdsa-p256': {
    gen: { name: 'ECDSA', namedCurve: 'P-256' },
    sign: { name: 'ECDSA', hash: 'SHA-256' },
  },
  'rsa-2048': {
    gen: {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    sign: { name: 'RSASSA-PKCS1-v1_5' },
  },
} as const;

async function keyPair(algorithm: KeyAlgorithm): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALGORITHMS[algorithm].gen, true, ['sign', 'verify']);
}

async function pemKey(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
}

function serial(): string {
  // 16 random bytes, top bit cleared so the DER INTEGER stays positive.
  const b = webcrypto.getRandomValues(new Uint8Array(16));
  b[0] = b[0]! & 0x7f;
  return Buffer.from(b).toString('hex');
}

function validity(days: number, notBefore?: Date): { notBefore: Date; notAfter: Date } {
  const start = notBefore ?? new Date(Date.now() - 3600_000);
  return { notBefore: start, notAfter: new Date(start.getTime() + days * 86400_000) };
}

/** Escapes a value for an RFC 4514 distinguished name. */
export function dnValue(v: string): string {
  return v.replace(/[,+"\\<>;=]/g, (c) => `\\${c}`).replace(/^[ #]|[ ]$/g, (c) => `\\${c}`);
}

export interface CertificateAuthority extends IssuedCertificate {
  readonly keys: CryptoKeyPair;
  readonly certificate: x509.X509Certificate;
  readonly algorithm: KeyAlgorithm;
}

/** A new self-signed CA certificate. */
export async function makeCa(
  commonName: string,
  days = 3650,
  algorithm: KeyAlgorithm = 'ecdsa-p256',
): Promise<CertificateAuthority> {
  const keys = await keyPair(algorithm);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${dnValue(commonName)}`,
    ...validity(days),
    keys,
    signingAlgorithm: ALGORITHMS[algorithm].sign,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    keys,
    certificate,
    algorithm,
    cert: certificate.toString('pem') + '\n',
    key: await pemKey(keys.privateKey),
  };
}

/** Loads a CA from PEM files written by {@link makeCa}. */
export async function loadCa(certPem: string, keyPem: string): Promise<CertificateAuthority> {
  const certificate = new x509.X509Certificate(certPem);
  const nodeCert = new NodeX509(certPem);
  const algorithm: KeyAlgorithm =
    nodeCert.publicKey.asymmetricKeyType === 'ec' ? 'ecdsa-p256' : 'rsa-2048';
  const der = createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der' });
  const privateKey = await webcrypto.subtle.importKey(
    'pkcs8',
    der,
    ALGORITHMS[algorithm].gen,
    true,
    ['sign'],
  );
  const spki = nodeCert.publicKey.export({ type: 'spki', format: 'der' });
  const publicKey = await webcrypto.subtle.importKey(
    'spki',
    spki,
    ALGORITHMS[algorithm].gen,
    true,
    ['verify'],
  );
  return { keys: { privateKey, publicKey }, certificate, algorithm, cert: certPem, key: keyPem };
}

function sans(req: CertificateRequest): x509.Extension[] {
  const names = [
    ...(req.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(req.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
    ...(req.emails ?? []).map((value) => ({ type: 'email' as const, value })),
  ];
  return names.length ? [new x509.SubjectAlternativeNameExtension(names)] : [];
}

/**
 * The subject of a leaf: built from typed values rather than a DN string, because
 * @peculiar/x509's DN-string parser drops values holding a newline. For a CN alone the encoding
 * is the one the string `CN=…` gave (PrintableString when it fits, else UTF8String).
 */
function subjectName(req: CertificateRequest): x509.Name {
  const attributes = [
    { type: 'cn' as const, value: req.commonName },
    ...(req.subjectAttributes ?? []),
  ];
  return new x509.Name(
    attributes.toReversed().map(({ type, value }) => ({
      [REQUEST_SUBJECT_ATTRIBUTE_OIDS[type]]: [
        type === 'mail'
          ? { ia5String: value }
          : x509.Name.isPrintableString(value)
            ? { printableString: value }
            : { utf8String: value },
      ],
    })),
  );
}

function ekus(usage: CertificateRequest['usage']): string[] {
  return [
    ...(usage.includes('server') ? [x509.ExtendedKeyUsage.serverAuth] : []),
    ...(usage.includes('client') ? [x509.ExtendedKeyUsage.clientAuth] : []),
  ];
}

/** digitalSignature, plus keyEncipherment for RSA (static-RSA TLS suites, which KMIP mandates). */
function leafKeyUsage(algorithm: KeyAlgorithm): x509.KeyUsageFlags {
  const flags = x509.KeyUsageFlags;
  // The library's flags are a TS enum meant to be OR-ed; the union is a valid flag set.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment
  return algorithm === 'rsa-2048'
    ? flags.digitalSignature | flags.keyEncipherment
    : flags.digitalSignature;
}

/** Issues a leaf certificate signed by `ca`. */
export async function issueCertificate(
  ca: CertificateAuthority,
  req: CertificateRequest,
): Promise<IssuedCertificate> {
  const algorithm = req.algorithm ?? 'ecdsa-p256';
  const keys = await keyPair(algorithm);
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: subjectName(req),
    issuer: ca.certificate.subject,
    ...validity(req.days ?? 825, req.notBefore),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: ALGORITHMS[ca.algorithm].sign,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(leafKeyUsage(algorithm), true),
      new x509.ExtendedKeyUsageExtension(ekus(req.usage), false),
      ...sans(req),
      await x509.AuthorityKeyIdentifierExtension.create(ca.certificate),
    ],
  });
  return { cert: certificate.toString('pem') + '\n', key: await pemKey(keys.privateKey) };
}

/** A self-signed leaf certificate (no CA): the system certificate of a fresh cluster. */
export async function selfSigned(req: CertificateRequest): Promise<IssuedCertificate> {
  const algorithm = req.algorithm ?? 'ecdsa-p256';
  const keys = await keyPair(algorithm);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: subjectName(req),
    ...validity(req.days ?? 825, req.notBefore),
    keys,
    signingAlgorithm: ALGORITHMS[algorithm].sign,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign,
        true,
      ),
      new x509.ExtendedKeyUsageExtension(ekus(req.usage), false),
      ...sans(req),
    ],
  });
  return { cert: certificate.toString('pem') + '\n', key: await pemKey(keys.privateKey) };
}

/** Days until a PEM certificate expires (negative once expired). */
export function daysLeft(certPem: string, now: Date = new Date()): number {
  const c = new NodeX509(certPem);
  return (new Date(c.validTo).getTime() - now.getTime()) / 86400_000;
}

/** A certificate request (PKCS#10) with a new key, for `chsystemcert -mkrequest`. */
export async function makeCertificateRequest(
  commonName: string,
  algorithm: KeyAlgorithm = 'ecdsa-p256',
): Promise<{ readonly csr: string; readonly key: string }> {
  const keys = await keyPair(algorithm);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${dnValue(commonName)}`,
    keys,
    signingAlgorithm: ALGORITHMS[algorithm].sign,
    extensions: [
      new x509.KeyUsagesExtension(leafKeyUsage(algorithm), true),
      new x509.ExtendedKeyUsageExtension(ekus('server+client'), false),
    ],
  });
  return { csr: csr.toString('pem') + '\n', key: await pemKey(keys.privateKey) };
}

export { certificateMatchesKey } from './key-match.ts';
