/**
 * Certificate → user mapping (shared/reference/sso-interstage.md §1, EG-30, J-DEF, J-AS7): the
 * value of a presented client certificate that `certificate-mapping-attribute` selects, and the
 * `certificate-identification` comparison with the certificates stored in the user's entry.
 *
 * Pure: the certificate arrives already read (src/pki's `describeCertificate` gives this shape;
 * the domain does not import it).
 */
import type { CertMappingAttribute, SsoUser } from './user.ts';

/** The parts of a presented client certificate that authentication uses. */
export interface PresentedCertificate {
  /** Upper-case hex, no colons. */
  readonly serialNumber: string;
  /** RFC 4514 string, most specific RDN first. */
  readonly issuerDn: string;
  /** RFC 4514 string, most specific RDN first. */
  readonly subjectDn: string;
  /** Values of the mapping attributes in the subject (`mail` = PKCS#9 emailAddress). */
  readonly subject: Readonly<Record<CertMappingAttribute, readonly string[]>>;
  /** subjectAltName rfc822Name values. */
  readonly sanEmails: readonly string[];
  /** The certificate, DER. */
  readonly der: Uint8Array;
}

/**
 * The value to look the user up by, or undefined when the certificate gives none.
 *
 * The source (§1): for `mail` the subjectAltName rfc822Name values when there are any, else the
 * subject's emailAddress; for every other attribute the subject (only the subject carries them
 * in the certificates read here). Only the winning source is looked at: SAN e-mails never fall
 * back to the subject's because they are ambiguous.
 *
 * Undefined also when that source holds several distinct values (compared exactly, so
 * `A@x.example` and `a@x.example` are two): picking one would let the certificate's holder
 * choose whose account it opens. A repeated identical value is not ambiguous. An empty value
 * maps to nothing.
 */
export function mappingValue(
  cert: PresentedCertificate,
  attribute: CertMappingAttribute,
): string | undefined {
  const values =
    attribute === 'mail' && cert.sanEmails.length > 0 ? cert.sanEmails : cert.subject[attribute];
  const first = values[0];
  if (first === undefined || first === '') return undefined;
  return values.every((v) => v === first) ? first : undefined;
}

/**
 * Whether the presented certificate is one of the user's stored `userCertificate` values,
 * byte for byte (`certificate-identification` = YES, §1). Each comparison takes a time that
 * depends on the lengths only.
 */
export function matchStoredCertificate(user: SsoUser, cert: PresentedCertificate): boolean {
  return user.userCertificate.some((stored) => sameBytes(stored, cert.der));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
