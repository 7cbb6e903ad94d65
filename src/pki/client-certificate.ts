/**
 * Reads an X.509 client certificate into the fields that map it to an SSO user
 * (shared/reference/sso-interstage.md §1 "Certificate → user mapping", §7 Q3).
 *
 * node:crypto's X509Certificate (OpenSSL) checks that the whole certificate parses and gives
 * the serial number, validity and fingerprint. Names and subjectAltName are read by the small
 * strict DER reader below: node renders a subject as newline-separated text, and
 * @peculiar/x509's `Name` neither orders RDNs as RFC 4514 does, nor escapes every control
 * character, nor tells a string value from a `#hex` dump. Those are exactly the gaps a hostile
 * subject would use to fake an RDN boundary.
 */
import { X509Certificate, timingSafeEqual } from 'node:crypto';
import { CertificateFormatError } from './errors.ts';

/** Largest input accepted, bytes (PEM text counts as its UTF-8 bytes). */
export const MAX_CERTIFICATE_BYTES = 64 * 1024;

/** Subject attributes a certificate can be mapped by, with their OIDs. */
export const SUBJECT_ATTRIBUTE_OIDS = {
  cn: '2.5.4.3',
  /** PKCS#9 emailAddress. */
  mail: '1.2.840.113549.1.9.1',
  uid: '0.9.2342.19200300.100.1.1',
  serialNumber: '2.5.4.5',
  dnQualifier: '2.5.4.46',
  employeeNumber: '2.16.840.1.113730.3.1.3',
} as const;
export type SubjectAttribute = keyof typeof SUBJECT_ATTRIBUTE_OIDS;

/** What {@link describeCertificate} reads from a certificate. */
export interface CertificateFields {
  /** The certificate, DER (a copy of the input's bytes). */
  readonly der: Uint8Array;
  /**
   * Serial number in upper-case hex without colons, as OpenSSL prints it: the sign-padding
   * zero bytes of the DER INTEGER are dropped, the remaining bytes keep two digits each
   * (`0A1B`, `FF` for 00 FF); zero is `0`; a non-conforming negative serial reads `-05`.
   */
  readonly serialNumber: string;
  /** Issuer as an RFC 4514 string, most specific RDN first: `CN=Test CA,O=Example`. */
  readonly issuerDn: string;
  /** Subject as an RFC 4514 string, most specific RDN first. */
  readonly subjectDn: string;
  /** Values of the mapping attributes in the subject, in certificate (DER) order. */
  readonly subject: Readonly<Record<SubjectAttribute, readonly string[]>>;
  /** subjectAltName rfc822Name values, in certificate order. */
  readonly sanEmails: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** SHA-256 of the DER, upper-case hex without colons. */
  readonly fingerprint256: string;
}

/**
 * Reads a certificate, DER or PEM (a string, or bytes that start with `-----BEGIN`). PEM must
 * be exactly one `CERTIFICATE` block with nothing but whitespace around it.
 *
 * DN strings follow RFC 4514 §2 and match `openssl x509 -nameopt RFC2253,-esc_msb` (which
 * nginx's `$ssl_client_s_dn` resembles) but for C1 controls, escaped here too: RDNs and
 * the values inside a multi-valued RDN in reverse DER order; type names CN, L, ST, O, OU, C,
 * STREET, DC, UID, SN, GN, title, serialNumber, dnQualifier, emailAddress; any other type as
 * its dotted OID with a `#hex` value (the DER of the value), as is a value that is not a
 * string. In string values `, + " \ < > ;` are backslash-escaped, as are a leading `#` or
 * space and a trailing space; control characters (C0, DEL, C1) become `\XX` per UTF-8 byte;
 * other non-ASCII characters are kept as they are.
 *
 * @throws CertificateFormatError (`PKI_CERTIFICATE_MALFORMED`) for input over
 *   {@link MAX_CERTIFICATE_BYTES}, PEM with other text or bad base64, DER that is truncated,
 *   has trailing bytes, non-minimal lengths or an unexpected structure, duplicate extensions,
 *   a mapping attribute or rfc822Name that is not a valid string, or anything OpenSSL refuses.
 */
export function describeCertificate(input: Uint8Array | string): CertificateFields {
  const der = toDer(input);
  const { issuer, subject, extensions } = readCertificate(der);
  let node: X509Certificate;
  try {
    node = new X509Certificate(der);
  } catch (e) {
    throw new CertificateFormatError(`not an X.509 certificate: ${errorText(e)}`, { cause: e });
  }
  const subjectRdns = readName(der, subject, 'subject');
  return {
    der,
    serialNumber: node.serialNumber.toUpperCase(),
    issuerDn: dnString(der, readName(der, issuer, 'issuer')),
    subjectDn: dnString(der, subjectRdns),
    subject: subjectAttributes(der, subjectRdns),
    sanEmails: extensions === undefined ? [] : sanEmails(der, extensions),
    notBefore: node.validFromDate,
    notAfter: node.validToDate,
    fingerprint256: node.fingerprint256.replaceAll(':', '').toUpperCase(),
  };
}

/**
 * Whether two DER certificates are byte-for-byte equal. Equal lengths are compared in constant
 * time; a length difference returns early (a certificate's length is not a secret).
 */
export function sameCertificate(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

// ---- Input: size, PEM ------------------------------------------------------------------------

const PEM_BEGIN = '-----BEGIN CERTIFICATE-----';
const PEM_END = '-----END CERTIFICATE-----';
const PEM_WHITESPACE = /^[ \t\r\n]*$/;

function oversize(bytes: number): CertificateFormatError {
  return new CertificateFormatError(
    `input is ${bytes} bytes, more than the ${MAX_CERTIFICATE_BYTES} allowed`,
  );
}

function toDer(input: Uint8Array | string): Uint8Array {
  if (typeof input === 'string') {
    // A UTF-16 code unit is at least one UTF-8 byte: a long string is oversize either way.
    const bytes = input.length > MAX_CERTIFICATE_BYTES ? input.length : Buffer.byteLength(input);
    if (bytes > MAX_CERTIFICATE_BYTES) throw oversize(bytes);
    return fromPem(input);
  }
  if (input.length > MAX_CERTIFICATE_BYTES) throw oversize(input.length);
  const head = Buffer.from(input.subarray(0, 64)).toString('latin1').trimStart();
  if (head.startsWith('-----BEGIN')) return fromPem(Buffer.from(input).toString('latin1'));
  if (input.length === 0) throw new CertificateFormatError('empty input');
  return new Uint8Array(input);
}

function fromPem(text: string): Uint8Array {
  const begin = text.indexOf(PEM_BEGIN);
  if (begin < 0) throw new CertificateFormatError(`PEM: no "${PEM_BEGIN}" line`);
  const end = text.indexOf(PEM_END, begin);
  if (end < 0) throw new CertificateFormatError(`PEM: no "${PEM_END}" line`);
  if (!PEM_WHITESPACE.test(text.slice(0, begin))) {
    throw new CertificateFormatError('PEM: text before the certificate block');
  }
  if (!PEM_WHITESPACE.test(text.slice(end + PEM_END.length))) {
    throw new CertificateFormatError('PEM: text after the certificate block');
  }
  const body = text.slice(begin + PEM_BEGIN.length, end).replace(/[ \t\r\n]+/g, '');
  if (body.length === 0 || body.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) {
    throw new CertificateFormatError('PEM: the body is not base64');
  }
  const der = Buffer.from(body, 'base64');
  // Non-zero pad bits, which Buffer ignores, would let two texts stand for one certificate.
  if (der.toString('base64') !== body) {
    throw new CertificateFormatError('PEM: the body is not canonical base64');
  }
  return new Uint8Array(der);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// ---- DER reader ------------------------------------------------------------------------------

/** One DER item: tag byte, where it starts, where its contents start and end. */
interface Tlv {
  readonly tag: number;
  readonly start: number;
  readonly body: number;
  readonly end: number;
}

const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  OCTET_STRING: 0x04,
  OID: 0x06,
  SEQUENCE: 0x30,
  SET: 0x31,
  VERSION: 0xa0,
  ISSUER_UID: 0x81,
  SUBJECT_UID: 0x82,
  EXTENSIONS: 0xa3,
  RFC822_NAME: 0x81,
} as const;

function malformed(what: string, offset: number): CertificateFormatError {
  return new CertificateFormatError(what, { offset });
}

/** Reads the item at `at`, which must end by `limit`. Definite, minimal lengths only (DER). */
function readTlv(der: Uint8Array, at: number, limit: number, what: string): Tlv {
  if (at + 2 > limit) throw malformed(`${what}: truncated`, at);
  const tag = der[at]!;
  if ((tag & 0x1f) === 0x1f) throw malformed(`${what}: multi-byte tag`, at);
  let length = der[at + 1]!;
  let body = at + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0) throw malformed(`${what}: indefinite length`, at);
    // Three length bytes reach 16 MiB, far beyond the input limit.
    if (n > 3) throw malformed(`${what}: length of ${n} bytes`, at);
    if (body + n > limit) throw malformed(`${what}: truncated`, at);
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + der[body + i]!;
    if (der[body] === 0 || length < 0x80) throw malformed(`${what}: non-minimal length`, at);
    body += n;
  }
  const end = body + length;
  if (end > limit) throw malformed(`${what}: truncated`, at);
  return { tag, start: at, body, end };
}

function expectTag(t: Tlv | undefined, tag: number, what: string, at: number): Tlv {
  if (t === undefined) throw malformed(`${what}: missing`, at);
  if (t.tag !== tag) {
    throw malformed(`${what}: tag 0x${hex2(t.tag)} where 0x${hex2(tag)} is expected`, t.start);
  }
  return t;
}

/** The items inside a constructed item, which must fill it exactly. */
function children(der: Uint8Array, parent: Tlv, what: string): Tlv[] {
  if ((parent.tag & 0x20) === 0) throw malformed(`${what}: not constructed`, parent.start);
  const out: Tlv[] = [];
  for (let at = parent.body; at < parent.end;) {
    const t = readTlv(der, at, parent.end, what);
    out.push(t);
    at = t.end;
  }
  return out;
}

function contents(der: Uint8Array, t: Tlv): Uint8Array {
  return der.subarray(t.body, t.end);
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0').toUpperCase();
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').toUpperCase();
}

/** Dotted-decimal OID; arcs in minimal base-128 (X.690 §8.19). */
function readOid(der: Uint8Array, t: Tlv, what: string): string {
  const bytes = contents(der, t);
  if (bytes.length === 0) throw malformed(`${what}: empty OID`, t.start);
  const arcs: bigint[] = [];
  let v = 0n;
  let fresh = true;
  for (const b of bytes) {
    if (fresh && b === 0x80) throw malformed(`${what}: non-minimal OID arc`, t.start);
    v = (v << 7n) | BigInt(b & 0x7f);
    fresh = (b & 0x80) === 0;
    if (fresh) {
      arcs.push(v);
      v = 0n;
    }
  }
  if (!fresh) throw malformed(`${what}: OID ends inside an arc`, t.start);
  const first = arcs[0]!;
  const top = first < 40n ? 0n : first < 80n ? 1n : 2n;
  return [top, first - top * 40n, ...arcs.slice(1)].join('.');
}

interface CertificateParts {
  readonly issuer: Tlv;
  readonly subject: Tlv;
  readonly extensions: Tlv | undefined;
}

/** RFC 5280 §4.1: checks the outline and finds the parts read here. */
function readCertificate(der: Uint8Array): CertificateParts {
  const cert = expectTag(
    readTlv(der, 0, der.length, 'certificate'),
    TAG.SEQUENCE,
    'certificate',
    0,
  );
  if (cert.end !== der.length) {
    throw malformed(`${der.length - cert.end} bytes after the certificate`, cert.end);
  }
  const [tbs, sigAlg, sigValue, extra] = children(der, cert, 'certificate');
  expectTag(tbs, TAG.SEQUENCE, 'tbsCertificate', cert.body);
  expectTag(sigAlg, TAG.SEQUENCE, 'signatureAlgorithm', cert.end);
  expectTag(sigValue, 0x03, 'signatureValue', cert.end);
  if (extra !== undefined) throw malformed('certificate: unexpected item', extra.start);
  const items = children(der, tbs!, 'tbsCertificate');
  let i = items[0]?.tag === TAG.VERSION ? 1 : 0;
  const next = (tag: number, what: string): Tlv => expectTag(items[i++], tag, what, tbs!.end);
  const serial = next(TAG.INTEGER, 'serialNumber');
  if (serial.end === serial.body) throw malformed('serialNumber: empty INTEGER', serial.start);
  next(TAG.SEQUENCE, 'signature');
  const issuer = next(TAG.SEQUENCE, 'issuer');
  next(TAG.SEQUENCE, 'validity');
  const subject = next(TAG.SEQUENCE, 'subject');
  next(TAG.SEQUENCE, 'subjectPublicKeyInfo');
  if (items[i]?.tag === TAG.ISSUER_UID) i++;
  if (items[i]?.tag === TAG.SUBJECT_UID) i++;
  const extensions = items[i]?.tag === TAG.EXTENSIONS ? items[i++] : undefined;
  if (i < items.length) throw malformed('tbsCertificate: unexpected item', items[i]!.start);
  return { issuer, subject, extensions };
}

// ---- Names -----------------------------------------------------------------------------------

/** One AttributeTypeAndValue. */
interface Ava {
  readonly oid: string;
  readonly value: Tlv;
}

/** RDNSequence (RFC 5280 §4.1.2.4) in DER order: the least specific RDN first. */
function readName(der: Uint8Array, name: Tlv, what: string): Ava[][] {
  return children(der, name, what).map((set) => {
    expectTag(set, TAG.SET, `${what} RDN`, set.start);
    const avas = children(der, set, `${what} RDN`);
    if (avas.length === 0) throw malformed(`${what}: empty RDN`, set.start);
    return avas.map((seq) => {
      expectTag(seq, TAG.SEQUENCE, `${what} attribute`, seq.start);
      const parts = children(der, seq, `${what} attribute`);
      const [type, value] = parts;
      const oid = readOid(der, expectTag(type, TAG.OID, `${what} attribute type`, seq.end), what);
      if (value === undefined || parts.length !== 2) {
        throw malformed(`${what} attribute ${oid}: one value expected`, seq.start);
      }
      return { oid, value };
    });
  });
}

/** RFC 4514 §3 names, plus the names OpenSSL prints for the other common types. */
const TYPE_NAMES: ReadonlyMap<string, string> = new Map([
  ['2.5.4.3', 'CN'],
  ['2.5.4.7', 'L'],
  ['2.5.4.8', 'ST'],
  ['2.5.4.10', 'O'],
  ['2.5.4.11', 'OU'],
  ['2.5.4.6', 'C'],
  ['2.5.4.9', 'STREET'],
  ['0.9.2342.19200300.100.1.25', 'DC'],
  ['0.9.2342.19200300.100.1.1', 'UID'],
  ['2.5.4.4', 'SN'],
  ['2.5.4.42', 'GN'],
  ['2.5.4.12', 'title'],
  ['2.5.4.5', 'serialNumber'],
  ['2.5.4.46', 'dnQualifier'],
  ['1.2.840.113549.1.9.1', 'emailAddress'],
]);

const STRING_TAGS = {
  0x0c: 'UTF8String',
  0x12: 'NumericString',
  0x13: 'PrintableString',
  0x14: 'TeletexString',
  0x16: 'IA5String',
  0x1a: 'VisibleString',
  0x1c: 'UniversalString',
  0x1e: 'BMPString',
} as const;

function isStringTag(tag: number): tag is keyof typeof STRING_TAGS {
  return Object.hasOwn(STRING_TAGS, tag);
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text of a string value; undefined when the value is not a string type. */
function decodeString(der: Uint8Array, t: Tlv, what: string): string | undefined {
  if (!isStringTag(t.tag)) return undefined;
  const bytes = contents(der, t);
  const kind = STRING_TAGS[t.tag];
  const bad = (why: string): CertificateFormatError =>
    malformed(`${what}: ${kind} ${why}`, t.start);
  switch (t.tag) {
    case 0x0c:
      try {
        return utf8.decode(bytes);
      } catch {
        throw bad('is not valid UTF-8');
      }
    case 0x12:
    case 0x13:
    case 0x14:
    case 0x16:
    case 0x1a:
      // One byte per character, read as Latin-1 as OpenSSL does.
      return Buffer.from(bytes).toString('latin1');
    case 0x1e: {
      if (bytes.length % 2 !== 0) throw bad('has an odd length');
      const units: number[] = [];
      for (let i = 0; i < bytes.length; i += 2) units.push((bytes[i]! << 8) | bytes[i + 1]!);
      const text = String.fromCharCode(...units);
      if (!text.isWellFormed()) throw bad('has an unpaired surrogate');
      return text;
    }
    case 0x1c: {
      if (bytes.length % 4 !== 0) throw bad('length is not a multiple of 4');
      const points: number[] = [];
      for (let i = 0; i < bytes.length; i += 4) {
        const cp = new DataView(bytes.buffer, bytes.byteOffset + i, 4).getUint32(0);
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw bad('is not Unicode');
        points.push(cp);
      }
      return String.fromCodePoint(...points);
    }
    default: {
      const never: never = t.tag;
      return never;
    }
  }
}

const SPECIAL = new Set([',', '+', '"', '\\', '<', '>', ';']);

/** Escapes an attribute value for an RFC 4514 string (§2.4). */
function escapeDnValue(value: string): string {
  let out = '';
  for (const c of value) {
    const cp = c.codePointAt(0)!;
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
      for (const b of Buffer.from(c, 'utf8')) out += `\\${hex2(b)}`;
    } else if (SPECIAL.has(c) || (out === '' && (c === '#' || c === ' '))) {
      out += `\\${c}`;
    } else {
      out += c;
    }
  }
  // A trailing space; a lone space was escaped above as a leading one.
  return value.length > 1 && value.endsWith(' ') ? `${out.slice(0, -1)}\\ ` : out;
}

function avaString(der: Uint8Array, ava: Ava, what: string): string {
  const name = TYPE_NAMES.get(ava.oid);
  const text = name === undefined ? undefined : decodeString(der, ava.value, what);
  if (name === undefined || text === undefined) {
    return `${name ?? ava.oid}=#${hex(der.subarray(ava.value.start, ava.value.end))}`;
  }
  return `${name}=${escapeDnValue(text)}`;
}

function dnString(der: Uint8Array, rdns: readonly (readonly Ava[])[]): string {
  return rdns
    .toReversed()
    .map((rdn) =>
      rdn
        .toReversed()
        .map((ava) => avaString(der, ava, 'name'))
        .join('+'),
    )
    .join(',');
}

function subjectAttributes(
  der: Uint8Array,
  rdns: readonly (readonly Ava[])[],
): Record<SubjectAttribute, readonly string[]> {
  const out: Record<SubjectAttribute, string[]> = {
    cn: [],
    mail: [],
    uid: [],
    serialNumber: [],
    dnQualifier: [],
    employeeNumber: [],
  };
  for (const ava of rdns.flat()) {
    const key = ATTRIBUTE_BY_OID.get(ava.oid);
    if (key === undefined) continue;
    const text = decodeString(der, ava.value, `subject ${key}`);
    if (text === undefined) {
      throw malformed(`subject ${key}: not a string`, ava.value.start);
    }
    out[key].push(text);
  }
  return out;
}

const ATTRIBUTE_BY_OID: ReadonlyMap<string, SubjectAttribute> = new Map(
  (Object.keys(SUBJECT_ATTRIBUTE_OIDS) as SubjectAttribute[]).map((k) => [
    SUBJECT_ATTRIBUTE_OIDS[k],
    k,
  ]),
);

// ---- Extensions ------------------------------------------------------------------------------

const SUBJECT_ALT_NAME = '2.5.29.17';

/** rfc822Name values of subjectAltName (RFC 5280 §4.2.1.6); rejects duplicate extensions. */
function sanEmails(der: Uint8Array, wrapper: Tlv): string[] {
  const [list, extra] = children(der, wrapper, 'extensions');
  expectTag(list, TAG.SEQUENCE, 'extensions', wrapper.start);
  if (extra !== undefined) throw malformed('extensions: unexpected item', extra.start);
  const seen = new Set<string>();
  let san: Tlv | undefined;
  for (const ext of children(der, list!, 'extension')) {
    expectTag(ext, TAG.SEQUENCE, 'extension', ext.start);
    const parts = children(der, ext, 'extension');
    const oid = readOid(der, expectTag(parts[0], TAG.OID, 'extension id', ext.end), 'extension');
    let j = 1;
    if (parts[j]?.tag === TAG.BOOLEAN) j++;
    const value = expectTag(parts[j], TAG.OCTET_STRING, `extension ${oid} value`, ext.end);
    if (j + 1 !== parts.length) throw malformed(`extension ${oid}: unexpected item`, ext.start);
    if (seen.has(oid)) throw malformed(`extension ${oid} appears twice`, ext.start);
    seen.add(oid);
    if (oid === SUBJECT_ALT_NAME) san = value;
  }
  if (san === undefined) return [];
  const names = readTlv(der, san.body, san.end, 'subjectAltName');
  expectTag(names, TAG.SEQUENCE, 'subjectAltName', san.body);
  if (names.end !== san.end) throw malformed('subjectAltName: trailing bytes', names.end);
  const emails: string[] = [];
  for (const name of children(der, names, 'subjectAltName')) {
    if (name.tag !== TAG.RFC822_NAME) continue;
    const bytes = contents(der, name);
    if (bytes.some((b) => b >= 0x80)) {
      throw malformed('subjectAltName: rfc822Name is not ASCII', name.start);
    }
    emails.push(Buffer.from(bytes).toString('latin1'));
  }
  return emails;
}
