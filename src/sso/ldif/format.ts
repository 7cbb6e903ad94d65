/**
 * The LDIF writer (RFC 2849): `version: 1`, records separated by a blank line, base64 (`::`)
 * for every value that is not a safe string, lines folded at `wrap` characters.
 */
import { encodeBase64, isAttributeDescription, isSafeString } from './attributes.ts';
import { parseDn } from './dn.ts';
import { LdifError } from './errors.ts';
import { LDIF_MODIFY_OPS, type LdifRecord, type LdifValue } from './types.ts';

/** Options of {@link formatLdif}. */
export interface LdifFormatOptions {
  /** Maximum line length before folding; 0 never folds. Default 76. At least 2 otherwise. */
  readonly wrap?: number;
}

const RESERVED = new Set(['dn', 'changetype', 'control']);
const MODIFY_OPS: ReadonlySet<string> = new Set(LDIF_MODIFY_OPS);

/**
 * Writes records as LDIF. A list of `add` records only is written as content records (no
 * `changetype`); any other list as change records, each with its `changetype`. The output parses
 * back ({@link parseLdif}) to the same records when every `Uint8Array` value is either of a
 * binary attribute ({@link isBinaryAttribute}) or not valid UTF-8, and every string value of a
 * binary attribute is a safe string ({@link isSafeString}).
 *
 * Throws {@link LdifError} for what could not be read back: a malformed or empty DN
 * (`LDIF_BAD_DN`), an invalid or reserved attribute name, an entry without attributes, an
 * `add` modification without values, a lone surrogate (`LDIF_BAD_UTF8`).
 */
export function formatLdif(
  records: readonly LdifRecord[],
  options: LdifFormatOptions = {},
): string {
  const wrap = options.wrap ?? 76;
  if (!Number.isSafeInteger(wrap) || wrap < 0 || wrap === 1) {
    throw new RangeError('wrap must be 0 or an integer >= 2');
  }
  const content = records.every((r) => r.changetype === 'add');
  const out: string[] = ['version: 1\n'];
  records.forEach((r, index) => {
    const no = index + 1;
    const lines: string[] = [];
    const line = (name: string, value: LdifValue): void => {
      lines.push(valueLine(name, value, no));
    };
    checkDn(r.dn, no);
    line('dn', r.dn);
    switch (r.changetype) {
      case 'add':
        if (!content) lines.push('changetype: add');
        if (r.attributes.length === 0)
          fail('LDIF_SYNTAX', 'an entry needs at least one attribute', no);
        for (const a of r.attributes) {
          checkName(a.name, no);
          line(a.name, a.value);
        }
        break;
      case 'delete':
        lines.push('changetype: delete');
        break;
      case 'modify':
        lines.push('changetype: modify');
        for (const c of r.changes) {
          if (!MODIFY_OPS.has(c.op))
            fail('LDIF_SYNTAX', `unknown modify op ${JSON.stringify(c.op)}`, no);
          checkName(c.attribute, no);
          if (MODIFY_OPS.has(c.attribute.toLowerCase())) {
            fail('LDIF_SYNTAX', `attribute ${c.attribute} cannot be modified in LDIF`, no);
          }
          if (c.op === 'add' && c.values.length === 0) {
            fail('LDIF_SYNTAX', `add of ${c.attribute} needs at least one value`, no);
          }
          lines.push(`${c.op}: ${c.attribute}`);
          for (const v of c.values) line(c.attribute, v);
          lines.push('-');
        }
        break;
      default: {
        const never: never = r;
        fail(
          'LDIF_SYNTAX',
          `unknown changetype ${String((never as { changetype: unknown }).changetype)}`,
          no,
        );
      }
    }
    out.push('\n');
    for (const l of lines) out.push(fold(l, wrap), '\n');
  });
  return out.join('');
}

function fail(
  code: 'LDIF_SYNTAX' | 'LDIF_BAD_DN' | 'LDIF_BAD_UTF8',
  reason: string,
  record: number,
): never {
  throw new LdifError(code, reason, 0, record);
}

function checkDn(dn: string, no: number): void {
  if (dn.length === 0) fail('LDIF_BAD_DN', 'empty DN', no);
  if (!dn.isWellFormed()) fail('LDIF_BAD_UTF8', 'lone UTF-16 surrogate in the DN', no);
  try {
    parseDn(dn);
  } catch (e) {
    if (e instanceof LdifError) fail('LDIF_BAD_DN', e.reason, no);
    throw e;
  }
}

function checkName(name: string, no: number): void {
  if (!isAttributeDescription(name))
    fail('LDIF_SYNTAX', `invalid attribute name ${JSON.stringify(name)}`, no);
  if (RESERVED.has(name.toLowerCase())) fail('LDIF_SYNTAX', `reserved attribute name ${name}`, no);
}

function valueLine(name: string, value: LdifValue, no: number): string {
  if (typeof value !== 'string') return `${name}:: ${encodeBase64(value)}`;
  if (!value.isWellFormed())
    fail('LDIF_BAD_UTF8', `lone UTF-16 surrogate in a value of ${name}`, no);
  if (isSafeString(value)) return value.length === 0 ? `${name}:` : `${name}: ${value}`;
  // An unsafe string of a binary attribute reads back as bytes (see formatLdif).
  return `${name}:: ${encodeBase64(value)}`;
}

/** Folds an ASCII line: `wrap` characters, then continuation lines of a space and `wrap - 1`. */
function fold(line: string, wrap: number): string {
  if (wrap === 0 || line.length <= wrap) return line;
  const parts = [line.slice(0, wrap)];
  for (let i = wrap; i < line.length; i += wrap - 1) parts.push(' ' + line.slice(i, i + wrap - 1));
  return parts.join('\n');
}
