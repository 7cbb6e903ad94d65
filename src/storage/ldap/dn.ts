/**
 * Distinguished names for the LDAP adapters: RFC 4514 escaping of attribute values when a DN
 * is composed, and the comparison key the ports use (`dnKey` of src/sso/core/access-control.ts:
 * case-insensitive, padding and escapes normalized).
 *
 * Filter values are never escaped by hand: every search filter is built from ldapts filter
 * objects (`EqualityFilter`, `AndFilter`, …), which carry the value as a BER octet string, so
 * that no character of it can be read as filter syntax (RFC 4515 escaping is a concern of the
 * string form only).
 */
import { dnKey } from '../../sso/core/access-control.ts';

/**
 * Escapes an attribute value for a DN, minimally (RFC 4514 §2.4): `\` before `"`, `+`, `,`,
 * `;`, `<`, `>`, `\`, a leading `#` or space and a trailing space; NUL as `\00`. The result is
 * one RDN value whatever the input: `alice,ou=Admins` becomes `alice\,ou=Admins`.
 */
export function escapeDnValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\0') out += '\\00';
    else if ('"+,;<>\\'.includes(c)) out += `\\${c}`;
    else if ((i === 0 && (c === '#' || c === ' ')) || (i === value.length - 1 && c === ' ')) {
      out += `\\${c}`;
    } else out += c;
  }
  return out;
}

/** `TYPE=VALUE,PARENT` with the value escaped ({@link escapeDnValue}). */
export function childDn(type: string, value: string, parent: string): string {
  if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(type)) throw new RangeError(`not an attribute type: ${type}`);
  return `${type}=${escapeDnValue(value)},${parent}`;
}

/** Whether `dn` is `base` or lies below it (compared by {@link dnKey}). */
export function isAtOrUnder(dn: string, base: string): boolean {
  const d = dnKey(dn);
  const b = dnKey(base);
  if (d === b) return true;
  if (!d.endsWith(`,${b}`)) return false;
  // The `,` must separate RDNs, not be an escaped one: an even run of `\` before it.
  let slashes = 0;
  for (let i = d.length - b.length - 2; i >= 0 && d[i] === '\\'; i--) slashes++;
  return slashes % 2 === 0;
}

/** One `type=value` of an RDN, the value unescaped. */
export interface Ava {
  readonly type: string;
  readonly value: string;
}

/**
 * The first RDN of a DN: its text as written (up to the first unescaped `,`) and its
 * attribute-value assertions with the values unescaped (RFC 4514 `\c` and `\XX` UTF-8 bytes;
 * unescaped spaces around `=`, `+` and the ends are padding).
 */
export function firstRdn(dn: string): { text: string; avas: Ava[] } {
  let end = dn.length;
  for (let i = 0; i < dn.length; i++) {
    if (dn[i] === '\\') i++;
    else if (dn[i] === ',') {
      end = i;
      break;
    }
  }
  const text = dn.slice(0, end).trim();
  const avas: Ava[] = [];
  let start = 0;
  const parts: string[] = [];
  for (let i = 0; i <= text.length; i++) {
    if (text[i] === '\\') i++;
    else if (i === text.length || text[i] === '+') {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new RangeError(`not an RDN: ${JSON.stringify(text)}`);
    avas.push({ type: part.slice(0, eq).trim(), value: unescapeValue(part.slice(eq + 1)) });
  }
  return { text, avas };
}

function unescapeValue(raw: string): string {
  const s = raw.replace(/^ +/, '').replace(/(?<!\\) +$/, '');
  return s.replace(/(?:\\[0-9A-Fa-f]{2})+|\\([^])/g, (m: string, c: string | undefined) =>
    c !== undefined ? c : Buffer.from(m.replaceAll('\\', ''), 'hex').toString('utf8'),
  );
}

/** Splits at unescaped `sep`. */
function splitUnescaped(text: string, sep: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === sep) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/**
 * A DN as a directory returned it, spelt with minimal escaping ({@link escapeDnValue}) and no
 * padding: slapd returns `ou=x' OR 1\3D1 --` for an entry added as `ou=x' OR 1=1 --`; both
 * name one entry, and the repositories hand out the plain spelling. Types keep their case.
 */
export function canonicalDn(dn: string): string {
  if (dn.trim() === '') return dn;
  return splitUnescaped(dn, ',')
    .map((rdn) =>
      splitUnescaped(rdn, '+')
        .map((ava) => {
          const eq = ava.indexOf('=');
          if (eq <= 0) return ava.trim();
          return `${ava.slice(0, eq).trim()}=${escapeDnValue(unescapeValue(ava.slice(eq + 1)))}`;
        })
        .join('+'),
    )
    .join(',');
}
