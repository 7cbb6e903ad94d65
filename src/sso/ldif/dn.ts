/**
 * Distinguished names (RFC 4514): parsing, canonical formatting, normalization for comparison.
 *
 * Accepted beyond the strict grammar (RFC 4514 §3 allows it): unescaped spaces around an
 * attribute type and around a value (`cn=a, ou=b`) are insignificant padding and are dropped;
 * a significant leading or trailing space must be escaped (`\ `).
 */
import { decodeUtf8, isAttributeType } from './attributes.ts';
import { LdifError } from './errors.ts';

/** One `type=value` of an RDN. `value` is a `Uint8Array` for the `#hex` (BER) form. */
export interface DnAttribute {
  readonly type: string;
  readonly value: string | Uint8Array;
}

/** A relative distinguished name: one or more `type=value` joined by `+`. */
export type Rdn = readonly DnAttribute[];

/** A distinguished name, most specific RDN first (as written). The empty DN is `[]`. */
export type Dn = readonly Rdn[];

const HEX_DIGITS = '0123456789ABCDEF';
const ESCAPABLE = new Set([' ', '"', '#', '+', ',', ';', '<', '=', '>', '\\']);
const FORBIDDEN_UNESCAPED = new Set(['"', ';', '<', '>', '\0']);

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

function bad(reason: string, dn: string): LdifError {
  return new LdifError('LDIF_BAD_DN', `malformed DN ${JSON.stringify(truncate(dn))}: ${reason}`);
}

function truncate(s: string): string {
  return s.length > 80 ? s.slice(0, 77) + '...' : s;
}

/**
 * Parses a DN string of RFC 4514. Throws {@link LdifError} `LDIF_BAD_DN` when malformed: missing
 * `=`, bad attribute type, empty RDN, dangling or unknown escape, bad hex, unescaped `" ; < >` or
 * NUL, escaped bytes that are not UTF-8.
 */
export function parseDn(dn: string): Dn {
  if (dn.length === 0) return [];
  const rdns: Rdn[] = [];
  let rdn: DnAttribute[] = [];
  let i = 0;
  const n = dn.length;
  for (;;) {
    while (i < n && dn[i] === ' ') i++;
    const typeStart = i;
    while (i < n && /[A-Za-z0-9.-]/.test(dn[i]!)) i++;
    const type = dn.slice(typeStart, i);
    if (type.length === 0) throw bad(`attribute type expected at offset ${i}`, dn);
    if (!isAttributeType(type)) throw bad(`invalid attribute type ${JSON.stringify(type)}`, dn);
    while (i < n && dn[i] === ' ') i++;
    if (dn[i] !== '=') throw bad(`"=" expected after ${JSON.stringify(type)}`, dn);
    i++;
    while (i < n && dn[i] === ' ') i++;
    let value: string | Uint8Array;
    if (dn[i] === '#') {
      i++;
      const start = i;
      while (i < n && hexValue(dn.charCodeAt(i)) >= 0) i++;
      const hex = dn.slice(start, i);
      if (hex.length === 0 || hex.length % 2 !== 0) throw bad('odd or empty #hex value', dn);
      value = new Uint8Array(Buffer.from(hex, 'hex'));
      while (i < n && dn[i] === ' ') i++;
    } else {
      const parts: string[] = [];
      let pendingBytes: number[] = [];
      let pendingSpaces = 0;
      const flushBytes = (): void => {
        if (pendingBytes.length === 0) return;
        const s = decodeUtf8(Uint8Array.from(pendingBytes));
        if (s === undefined) throw bad('escaped bytes are not UTF-8', dn);
        parts.push(s);
        pendingBytes = [];
      };
      const emit = (s: string): void => {
        flushBytes();
        if (pendingSpaces > 0) parts.push(' '.repeat(pendingSpaces));
        pendingSpaces = 0;
        parts.push(s);
      };
      while (i < n) {
        const c = dn[i]!;
        if (c === ',' || c === '+') break;
        if (c === '\\') {
          const d = dn[i + 1];
          if (d === undefined) throw bad('dangling "\\" at the end', dn);
          const h1 = hexValue(d.charCodeAt(0));
          if (h1 >= 0) {
            const h2 = hexValue(dn.charCodeAt(i + 2));
            if (h2 < 0) throw bad(`bad hex escape at offset ${i}`, dn);
            if (pendingSpaces > 0) {
              flushBytes();
              parts.push(' '.repeat(pendingSpaces));
              pendingSpaces = 0;
            }
            pendingBytes.push(h1 * 16 + h2);
            i += 3;
            continue;
          }
          if (!ESCAPABLE.has(d)) throw bad(`unknown escape "\\${d}" at offset ${i}`, dn);
          emit(d);
          i += 2;
          continue;
        }
        if (c === ' ') {
          pendingSpaces++;
          i++;
          continue;
        }
        if (FORBIDDEN_UNESCAPED.has(c)) {
          throw bad(`unescaped ${JSON.stringify(c)} at offset ${i}`, dn);
        }
        // Take the run of ordinary characters at once (linear, no per-character concatenation).
        let j = i + 1;
        while (j < n && !/[,+\\ ";<>\0]/.test(dn[j]!)) j++;
        emit(dn.slice(i, j));
        i = j;
      }
      flushBytes();
      value = parts.join('');
    }
    rdn.push({ type, value });
    if (i >= n) {
      rdns.push(rdn);
      return rdns;
    }
    const sep = dn[i]!;
    if (sep !== ',' && sep !== '+')
      throw bad(`unexpected ${JSON.stringify(sep)} at offset ${i}`, dn);
    i++;
    if (sep === ',') {
      rdns.push(rdn);
      rdn = [];
    }
    if (i >= n) throw bad(`nothing after the final ${JSON.stringify(sep)}`, dn);
  }
}

/**
 * Escapes a DN attribute value (RFC 4514 §2.4): `\` before `" + , ; < > \`, before a leading
 * `#` or space and a trailing space; control characters (U+0000–U+001F, U+007F) as `\XX`.
 */
export function escapeDnValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    const u = value.charCodeAt(i);
    if (u < 0x20 || u === 0x7f) out += '\\' + HEX_DIGITS[u >> 4]! + HEX_DIGITS[u & 15]!;
    else if ('"+,;<>\\'.includes(c)) out += '\\' + c;
    else if (i === 0 && (c === '#' || c === ' ')) out += '\\' + c;
    else if (i === value.length - 1 && c === ' ') out += '\\ ';
    else out += c;
  }
  return out;
}

function formatValue(v: string | Uint8Array): string {
  if (typeof v === 'string') return escapeDnValue(v);
  return '#' + Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex').toUpperCase();
}

/** Formats a parsed DN in the canonical RFC 4514 form (no padding, `\XX` in upper case). */
export function formatDn(dn: Dn): string {
  return dn.map((rdn) => rdn.map((a) => `${a.type}=${formatValue(a.value)}`).join('+')).join(',');
}

/** Options of {@link normalizeDn} and {@link dnEquals}. */
export interface DnCompareOptions {
  /**
   * Compare string values case-insensitively (the naming attributes of the SSO repository —
   * `cn`, `ou`, `o`, `dc`, `uid` — are all case-insensitive). Default `false`: values exact.
   */
  readonly ignoreValueCase?: boolean;
}

/**
 * The form of a DN for comparisons: parsed and re-formatted canonically, attribute types in
 * lower case (OIDs unchanged), padding dropped, the `type=value` of a multi-valued RDN sorted.
 * Throws `LDIF_BAD_DN` for a malformed DN.
 */
export function normalizeDn(dn: string, options: DnCompareOptions = {}): string {
  const fold = options.ignoreValueCase === true;
  return parseDn(dn)
    .map((rdn) =>
      rdn
        .map((a) => {
          const v = typeof a.value === 'string' && fold ? a.value.toLowerCase() : a.value;
          return `${a.type.toLowerCase()}=${formatValue(v)}`;
        })
        .sort()
        .join('+'),
    )
    .join(',');
}

/** True when two DNs name the same entry (see {@link normalizeDn}). Throws for a malformed DN. */
export function dnEquals(a: string, b: string, options: DnCompareOptions = {}): boolean {
  return normalizeDn(a, options) === normalizeDn(b, options);
}
