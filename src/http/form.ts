/**
 * A strict parser of `application/x-www-form-urlencoded` bodies (WHATWG URL §5.1 with stricter
 * rules): the sign-on form is the front door, so anything a browser would not send is refused
 * rather than repaired. `URLSearchParams` would replace invalid UTF-8 with U+FFFD and keep the
 * last of duplicated names; here both are errors.
 */

export const FORM_ERRORS = [
  'too_large',
  'too_many_fields',
  'bad_percent',
  'invalid_utf8',
  'duplicate',
  'unknown_field',
  'field_too_long',
  'control_character',
] as const;
export type FormErrorCode = (typeof FORM_ERRORS)[number];

export class FormError extends Error {
  readonly code: FormErrorCode;
  constructor(code: FormErrorCode, message: string) {
    super(message);
    this.name = 'FormError';
    this.code = code;
  }
}

export interface FormSpec {
  /** Accepted field names with their maximum length in UTF-8 bytes. */
  readonly fields: Readonly<Record<string, number>>;
  /** Maximum body size, bytes. */
  readonly maxBytes: number;
  /**
   * Fields that may hold line breaks and tabs (a textarea of LDIF or PEM); every other control
   * character is still refused in them.
   */
  readonly multiline?: readonly string[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Percent-decodes one name or value (`+` is a space) and decodes it as strict UTF-8. */
function decodeComponent(bytes: Uint8Array, start: number, end: number): string {
  const out = new Uint8Array(end - start);
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (c === 0x2b) {
      out[n++] = 0x20;
    } else if (c === 0x25) {
      const h = i + 2 < end ? hexValue(bytes[i + 1]!) : -1;
      const l = i + 2 < end ? hexValue(bytes[i + 2]!) : -1;
      if (h < 0 || l < 0) throw new FormError('bad_percent', `malformed %-escape at byte ${i}`);
      out[n++] = (h << 4) | l;
      i += 2;
    } else {
      out[n++] = c;
    }
  }
  try {
    return utf8.decode(out.subarray(0, n));
  } catch {
    throw new FormError('invalid_utf8', `invalid UTF-8 in the field at byte ${start}`);
  }
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Parses `body` by `spec`: every name must be listed, appear once, and its value fit its limit;
 * no value may hold a control character (a user ID or password never does). Missing fields are
 * absent from the result.
 */
export function parseForm(body: Uint8Array, spec: FormSpec): Map<string, string> {
  if (body.length > spec.maxBytes) {
    throw new FormError('too_large', `the form is larger than ${spec.maxBytes} bytes`);
  }
  const result = new Map<string, string>();
  const limit = Object.keys(spec.fields).length;
  let start = 0;
  let count = 0;
  while (start <= body.length) {
    let end = body.indexOf(0x26, start);
    if (end < 0) end = body.length;
    if (end > start) {
      if (++count > limit) throw new FormError('too_many_fields', 'too many fields');
      let eq = body.indexOf(0x3d, start);
      if (eq < 0 || eq > end) eq = end;
      const name = decodeComponent(body, start, eq);
      const value = eq < end ? decodeComponent(body, eq + 1, end) : '';
      const max = Object.hasOwn(spec.fields, name) ? spec.fields[name] : undefined;
      if (max === undefined) throw new FormError('unknown_field', 'unknown field');
      if (result.has(name)) throw new FormError('duplicate', `field ${name} given twice`);
      if (Buffer.byteLength(value, 'utf8') > max) {
        throw new FormError('field_too_long', `field ${name} is longer than ${max} bytes`);
      }
      const text = spec.multiline?.includes(name) === true ? value.replace(/[\r\n\t]/g, '') : value;
      if (CONTROL.test(text)) {
        throw new FormError('control_character', `field ${name} holds a control character`);
      }
      result.set(name, value);
    }
    start = end + 1;
  }
  return result;
}
