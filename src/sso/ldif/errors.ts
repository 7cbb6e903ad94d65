/** Errors of the LDIF library: stable codes (documented in docs/ldif.md), English messages. */

/** Every code the LDIF library throws, with its meaning. Never reuse a retired code. */
export const LDIF_ERROR_CODES = {
  LDIF_SYNTAX: 'the text does not follow the LDIF grammar of RFC 2849',
  LDIF_BAD_BASE64: 'a base64 value is malformed (alphabet, length, padding or unused bits)',
  LDIF_BAD_DN: 'a distinguished name does not follow RFC 4514',
  LDIF_BAD_UTF8: 'the input or a text value is not valid UTF-8',
  LDIF_UNSUPPORTED:
    'a valid LDIF feature that Sekisho does not implement (modrdn, moddn, controls)',
  LDIF_URL_FORBIDDEN:
    'a value given by URL (`attr:< URL`); Sekisho never reads files or the network for LDIF',
  LDIF_LIMIT: 'the input exceeds a size limit (bytes, records, value bytes, attributes per entry)',
} as const;

/** A stable error code of the LDIF library. */
export type LdifErrorCode = keyof typeof LDIF_ERROR_CODES;

/**
 * An LDIF or DN error. `line` is the 1-based physical line where the offending logical line
 * starts and `record` the 1-based number of the record being read (0 for both when the error
 * does not come from LDIF text, e.g. from {@link parseDn} called directly or from the writer,
 * where `record` is the index + 1 of the offending record).
 */
export class LdifError extends Error {
  readonly code: LdifErrorCode;
  readonly line: number;
  readonly record: number;
  /** The message without the `(line N, record R)` suffix. */
  readonly reason: string;
  constructor(code: LdifErrorCode, reason: string, line = 0, record = 0) {
    super(reason + suffix(line, record));
    this.name = 'LdifError';
    this.code = code;
    this.line = line;
    this.record = record;
    this.reason = reason;
  }
}

function suffix(line: number, record: number): string {
  if (line > 0) return ` (line ${line}, record ${record})`;
  if (record > 0) return ` (record ${record})`;
  return '';
}
