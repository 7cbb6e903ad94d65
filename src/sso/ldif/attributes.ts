/** Attribute descriptions (RFC 4512 §2.5), binary attributes, safe strings and strict base64. */

const DESCR = '[A-Za-z][A-Za-z0-9-]*';
const NUMERICOID = '(?:0|[1-9][0-9]*)(?:\\.(?:0|[1-9][0-9]*))+';
const ATTRIBUTE_TYPE_RE = new RegExp(`^(?:${DESCR}|${NUMERICOID})$`);
const ATTRIBUTE_DESCRIPTION_RE = new RegExp(`^(?:${DESCR}|${NUMERICOID})(?:;[A-Za-z0-9-]+)*$`);

/** True for an attribute type of RFC 4512: a `descr` (`[A-Za-z][A-Za-z0-9-]*`) or a numeric OID. */
export function isAttributeType(name: string): boolean {
  return ATTRIBUTE_TYPE_RE.test(name);
}

/** True for an attribute description: an attribute type and options, e.g. `cn;lang-ja`. */
export function isAttributeDescription(name: string): boolean {
  return ATTRIBUTE_DESCRIPTION_RE.test(name);
}

/**
 * Attribute types (lower case) whose values are bytes, not text: base64 values of these stay
 * `Uint8Array` even when they happen to be valid UTF-8.
 */
export const BINARY_ATTRIBUTES: ReadonlySet<string> = new Set([
  'userpassword',
  'usercertificate',
  'cacertificate',
  'crosscertificatepair',
  'certificaterevocationlist',
  'authorityrevocationlist',
  'deltarevocationlist',
  'usersmimecertificate',
  'userpkcs12',
  'jpegphoto',
  'photo',
  'audio',
  'thumbnailphoto',
  'thumbnaillogo',
  'objectguid',
  'objectsid',
]);

/** True when the values of `name` are bytes: a binary type or a `;binary` option. */
export function isBinaryAttribute(name: string): boolean {
  const parts = name.toLowerCase().split(';');
  if (BINARY_ATTRIBUTES.has(parts[0]!)) return true;
  return parts.includes('binary', 1);
}

/**
 * True when `s` may be written as a plain `attr: value`: printable ASCII only (U+0020–U+007E),
 * not starting with space, `:` or `<`, not ending with space. Anything else is written in base64.
 */
export function isSafeString(s: string): boolean {
  if (s.length === 0) return true;
  const first = s.charCodeAt(0);
  if (first === 0x20 || first === 0x3a || first === 0x3c) return false;
  if (s.charCodeAt(s.length - 1) === 0x20) return false;
  return /^[\x20-\x7e]*$/.test(s);
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes UTF-8 strictly (the BOM is kept as U+FEFF); `undefined` when the bytes are invalid. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes canonical base64 (RFC 4648 §4): alphabet, length multiple of 4, padding only at the
 * end and zero unused bits. `undefined` when malformed.
 */
export function decodeBase64Strict(s: string): Uint8Array | undefined {
  if (s.length % 4 !== 0 || !BASE64_RE.test(s)) return undefined;
  const buf = Buffer.from(s, 'base64');
  if (buf.toString('base64') !== s) return undefined; // non-zero unused bits
  return new Uint8Array(buf);
}

/** Encodes bytes or text (as UTF-8) in base64. */
export function encodeBase64(v: string | Uint8Array): string {
  return typeof v === 'string'
    ? Buffer.from(v, 'utf8').toString('base64')
    : Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}
