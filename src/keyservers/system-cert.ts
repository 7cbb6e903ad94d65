/**
 * The system certificate (lssystemcert / chsystemcert): the cluster's TLS client identity
 * towards key servers, which the key servers must accept (seed 086006 user action 2).
 * A self-signed one exists from first start.
 */
import { X509Certificate } from 'node:crypto';
import { certificateMatchesKey } from '../pki/key-match.ts';
import { checkCertificatePem } from './checks.ts';

// The certificate toolkit (@peculiar/x509 and its dependencies, several MB) is loaded only
// when a certificate is made, not by every process that holds the manager.
const pki = () => import('../pki/certificates.ts');
import { KeyServerError } from './errors.ts';
import type { KeyServerStore, SystemCertificate } from './ports.ts';

export const DEFAULT_SYSTEM_CERT_CN = 'sekisho-cluster';

async function makeSelfSigned(commonName: string): Promise<SystemCertificate> {
  const c = await (
    await pki()
  ).selfSigned({
    commonName,
    usage: 'server+client',
    days: 3650,
    algorithm: 'rsa-2048',
  });
  return { certPem: c.cert, keyPem: c.key };
}

/** The system certificate, made (self-signed, RSA 2048 for the widest KMIP cipher support) at first use. */
export async function ensureSystemCertificate(store: KeyServerStore): Promise<SystemCertificate> {
  const have = store.getSystemCertificate();
  if (have) return have;
  const made = await makeSelfSigned(DEFAULT_SYSTEM_CERT_CN);
  store.putSystemCertificate(made);
  return made;
}

/** `chsystemcert -mkselfsigned`: a new self-signed certificate and key; cancels a pending request. */
export async function renewSelfSigned(
  store: KeyServerStore,
  commonName?: string,
): Promise<SystemCertificate> {
  const made = await makeSelfSigned(commonName ?? DEFAULT_SYSTEM_CERT_CN);
  store.putSystemCertificate(made);
  return made;
}

/** `chsystemcert -mkrequest`: a CSR with a new key; the current certificate stays in use. */
export async function makeRequest(store: KeyServerStore, commonName?: string): Promise<string> {
  const current = await ensureSystemCertificate(store);
  const r = await (
    await pki()
  ).makeCertificateRequest(commonName ?? DEFAULT_SYSTEM_CERT_CN, 'rsa-2048');
  store.putSystemCertificate({ ...current, pendingCsrPem: r.csr, pendingKeyPem: r.key });
  return r.csr;
}

/**
 * `chsystemcert -install -file F`: installs a certificate signed for the outstanding request
 * (or, without one, for the current key). PEM only; the leaf must be valid now.
 */
export function installCertificate(
  store: KeyServerStore,
  pem: string,
  now: Date = new Date(),
): SystemCertificate {
  const current = store.getSystemCertificate();
  let normalized: string;
  try {
    normalized = checkCertificatePem(pem, 'the certificate file', now);
  } catch (e) {
    throw new KeyServerError('SYSTEMCERT_INVALID', (e as Error).message);
  }
  const key = current?.pendingKeyPem ?? current?.keyPem;
  if (!key)
    throw new KeyServerError(
      'SYSTEMCERT_NO_REQUEST',
      'no certificate request is outstanding (chsystemcert -mkrequest)',
    );
  if (!certificateMatchesKey(normalized, key)) {
    throw new KeyServerError(
      'SYSTEMCERT_INVALID',
      current?.pendingKeyPem
        ? 'the certificate does not match the outstanding certificate request'
        : 'the certificate does not match the system key and no request is outstanding',
    );
  }
  const installed: SystemCertificate = { certPem: normalized, keyPem: key };
  store.putSystemCertificate(installed);
  return installed;
}

/** The lssystemcert view. */
export function describeSystemCertificate(c: SystemCertificate): {
  subject: string;
  issuer: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  fingerprint256: string;
  selfSigned: boolean;
  requestOutstanding: boolean;
} {
  const x = new X509Certificate(c.certPem);
  return {
    subject: x.subject.replace(/\n/g, ', '),
    issuer: x.issuer.replace(/\n/g, ', '),
    serial: x.serialNumber,
    notBefore: new Date(x.validFrom).toISOString(),
    notAfter: new Date(x.validTo).toISOString(),
    fingerprint256: x.fingerprint256,
    selfSigned: x.subject === x.issuer,
    requestOutstanding: c.pendingCsrPem !== undefined,
  };
}
