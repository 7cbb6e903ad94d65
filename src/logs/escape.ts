/**
 * Escaping of the values that come from outside (user identification, DNs, resource URL,
 * business-server name, request ID, session ID), so that no input can split a line or forge a
 * field:
 *
 * - Inside a double-quoted field: `\` → `\\`, `"` → `\"`; every control character — C0
 *   (U+0000–U+001F), DEL (U+007F), C1 (U+0080–U+009F) — → `\xHH`; the line and paragraph
 *   separators U+2028/U+2029 and the bidirectional controls (U+061C, U+200E, U+200F,
 *   U+202A–U+202E, U+2066–U+2069, which can make a viewer display a line reordered) →
 *   `\uHHHH`. Hex digits are upper case. Anything else, non-ASCII included, is written as is.
 * - In an unquoted field (addresses, host names): every UTF-16 code unit outside
 *   `A–Z a–z 0–9 . _ : % -` → `\xHH` (below U+0100) or `\uHHHH`, so that the field holds no
 *   space, quote, bracket or parenthesis.
 * - Invalid UTF-16 (a lone surrogate) is first replaced by U+FFFD, as a UTF-8 file cannot hold it.
 *
 * {@link unescapeField} reverses both.
 */

const QUOTED_SPECIAL =
  // eslint-disable-next-line no-control-regex
  /["\\\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069]/g;
const QUOTED_TEST =
  // eslint-disable-next-line no-control-regex
  /["\\\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069]/;
const TOKEN_SPECIAL = /[^A-Za-z0-9._:%-]/g;
const TOKEN_TEST = /[^A-Za-z0-9._:%-]/;

const HEX = '0123456789ABCDEF';

/** `\xHH` below U+0100, `\uHHHH` above, for one UTF-16 code unit. */
function hexEscape(c: string): string {
  const u = c.charCodeAt(0);
  if (u < 0x100) return '\\x' + HEX[u >> 4]! + HEX[u & 15]!;
  return '\\u' + u.toString(16).toUpperCase().padStart(4, '0');
}

function quotedReplacer(c: string): string {
  if (c === '"') return '\\"';
  if (c === '\\') return '\\\\';
  return hexEscape(c);
}

/** `s` with lone surrogates replaced by U+FFFD. */
export function wellFormed(s: string): string {
  return s.isWellFormed() ? s : s.toWellFormed();
}

/** The content of a double-quoted field (without the quotes). */
export function escapeQuoted(s: string): string {
  const w = wellFormed(s);
  return QUOTED_TEST.test(w) ? w.replace(QUOTED_SPECIAL, quotedReplacer) : w;
}

/** An unquoted field; `s` must not be empty (the caller writes `unknown` instead). */
export function escapeToken(s: string): string {
  const w = wellFormed(s);
  return TOKEN_TEST.test(w) ? w.replace(TOKEN_SPECIAL, hexEscape) : w;
}

const ESCAPES = /\\(?:x([0-9A-F]{2})|u([0-9A-F]{4})|(["\\]))/g;

/** The original value of an escaped field (quoted content or token). */
export function unescapeField(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(
    ESCAPES,
    (_m, x: string | undefined, u: string | undefined, c: string | undefined) =>
      c ?? String.fromCharCode(Number.parseInt((x ?? u)!, 16)),
  );
}
