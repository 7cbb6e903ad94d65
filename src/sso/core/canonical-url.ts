/**
 * The canonical form of a URL that a business server authorizes (shared/reference/
 * sso-interstage.md §1 "Authorisation", §5.2): the site (host and port) and the decoded path
 * that is matched against the `ssoResource` paths.
 *
 * The rule is to refuse, never to normalize and then allow. A reverse proxy hands the web
 * application the raw request target, and every application server decodes and normalizes it
 * in its own way (Tomcat drops `;…` path parameters, IIS folds `\` to `/` and drops trailing dots,
 * many frameworks resolve `..` after decoding, some decode twice). If we normalized a spelling
 * to `/public/…` while the application read it as `/admin/…`, a user without the `/admin/` roles
 * would reach it. So every spelling that two reasonable servers could read differently is
 * refused: the path is percent-decoded exactly once, and what remains must be a plain path that
 * means the same everywhere.
 */

/** Why {@link canonicalUrl} or {@link canonicalPath} refused a URL. */
export const URL_REFUSALS = [
  /** Longer than {@link MAX_URL_LENGTH} characters. */
  'too_long',
  /** Not `https://` followed by an authority. */
  'scheme',
  /** User information (`user@host`), an empty or malformed host, an IPv6 literal. */
  'host',
  /** A host name ending with `.` (`app.example.com.` is another name for the same host). */
  'host_trailing_dot',
  /** A port that is empty, has a leading zero, or lies outside 1–65535. */
  'port',
  /** A fragment (`#`): browsers never send one, so it is a crafted request. */
  'fragment',
  /** A raw character outside printable ASCII (space, control characters, non-ASCII bytes). */
  'character',
  /** A raw or encoded backslash (`\`, `%5C`), which Windows servers read as `/`. */
  'backslash',
  /** `%` not followed by two hexadecimal digits (`%u002f`, `%2`). */
  'percent',
  /** An encoded slash (`%2F`): one server splits the segment there, another does not. */
  'encoded_slash',
  /** An encoded `%` (`%25`): a server that decodes twice reads another path. */
  'double_encoding',
  /** An encoded control character (`%00`–`%1F`, `%7F`, C1 controls). */
  'control',
  /** Encoded bytes that are not UTF-8 (including overlong forms such as `%C0%AE`). */
  'utf8',
  /** A non-ASCII character that compatibility normalization (NFKC) turns into ASCII (`／`, `．`, `ａ`). */
  'lookalike',
  /** A `.` or `..` segment, raw or encoded (`%2e%2e`). */
  'dot_segment',
  /** A segment ending with `.` or a space, which Windows servers strip (`/admin./`). */
  'trailing_dot',
  /** An empty segment (`//admin/`), which many servers merge with its neighbour. */
  'empty_segment',
  /** A `;` (raw or `%3B`): Java servers strip path parameters (`/admin;x/` → `/admin/`). */
  'path_parameter',
  /** A path that does not start with `/`. */
  'relative',
] as const;
export type UrlRefusal = (typeof URL_REFUSALS)[number];

/** Refusals that concern the path, as opposed to the scheme, host or port. */
export const PATH_REFUSALS: ReadonlySet<UrlRefusal> = new Set<UrlRefusal>([
  'character',
  'backslash',
  'percent',
  'encoded_slash',
  'double_encoding',
  'control',
  'utf8',
  'lookalike',
  'dot_segment',
  'trailing_dot',
  'empty_segment',
  'path_parameter',
  'relative',
]);

/** Longest URL considered, characters (longer ones are refused, not truncated). */
export const MAX_URL_LENGTH = 8192;

export type CanonicalPath =
  | { readonly ok: true; readonly path: string }
  | { readonly ok: false; readonly reason: UrlRefusal };

export type CanonicalUrl =
  | {
      readonly ok: true;
      /** Lower-case ASCII host name or IPv4 address, without a trailing dot. */
      readonly host: string;
      /** The port, 443 when the URL names none. */
      readonly port: number;
      /** The path, percent-decoded once, case preserved (match it case-insensitively). */
      readonly path: string;
    }
  | { readonly ok: false; readonly reason: UrlRefusal };

const refuse = (reason: UrlRefusal): { ok: false; reason: UrlRefusal } => ({ ok: false, reason });
const HEX = /^[0-9A-Fa-f]{2}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Whether a non-ASCII character folds, under NFKC, into something containing ASCII. */
function foldsToAscii(c: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u007f]/.test(c.normalize('NFKC'));
}

/**
 * The path of a request target (the part before `?`), percent-decoded once, or why it is
 * refused (see {@link URL_REFUSALS}). Refused, in the raw text: characters outside printable
 * ASCII, `\`, `#`, a `%` without two hex digits, `%2F`, `%5C`, `%25`, encoded control characters;
 * after decoding: bytes that are not UTF-8, C1 controls, characters NFKC folds into ASCII, `;`,
 * `.`/`..` segments, segments ending with `.` or a space, and empty segments (a trailing `/` is
 * fine). The result keeps its case: resources are matched case-insensitively.
 */
export function canonicalPath(raw: string): CanonicalPath {
  if (raw.length > MAX_URL_LENGTH) return refuse('too_long');
  if (!raw.startsWith('/')) return refuse('relative');
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x5c) return refuse('backslash');
    if (c === 0x23) return refuse('fragment');
    if (c < 0x21 || c > 0x7e) return refuse('character');
    if (c !== 0x25) {
      bytes.push(c);
      continue;
    }
    const hex = raw.slice(i + 1, i + 3);
    if (!HEX.test(hex)) return refuse('percent');
    const b = parseInt(hex, 16);
    if (b === 0x2f) return refuse('encoded_slash');
    if (b === 0x5c) return refuse('backslash');
    if (b === 0x25) return refuse('double_encoding');
    if (b < 0x20 || b === 0x7f) return refuse('control');
    bytes.push(b);
    i += 2;
  }
  let path: string;
  if (bytes.length === raw.length) {
    // Nothing was percent-encoded: printable ASCII as checked above, already decoded.
    path = raw;
  } else {
    try {
      path = utf8.decode(Uint8Array.from(bytes));
    } catch {
      return refuse('utf8');
    }
    for (const ch of path) {
      const n = ch.codePointAt(0)!;
      if (n >= 0x80 && n <= 0x9f) return refuse('control');
      if (n >= 0x80 && foldsToAscii(ch)) return refuse('lookalike');
    }
  }
  if (path.includes(';')) return refuse('path_parameter');
  const segments = path.split('/').slice(1);
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (s === '') {
      if (i === segments.length - 1) continue; // `/` or a trailing slash
      return refuse('empty_segment');
    }
    if (s === '.' || s === '..') return refuse('dot_segment');
    if (s.endsWith('.') || s.endsWith(' ')) return refuse('trailing_dot');
  }
  return { ok: true, path };
}

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/**
 * The site and canonical path of an absolute URL as a proxy reports it
 * (`https://app.example.com/admin/x?q=1`), or why it is refused. Only `https:` (sites are
 * HTTPS, and the credential cookie is `Secure`). The host is compared case-insensitively
 * (returned in lower case); a trailing dot, user information, IPv6 literals and anything but
 * letters, digits, `-`, `_` and `.` are refused. The query is ignored; the path goes through
 * {@link canonicalPath}.
 */
export function canonicalUrl(url: string): CanonicalUrl {
  if (url.length > MAX_URL_LENGTH) return refuse('too_long');
  const m = /^https:\/\/([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/is.exec(url);
  if (m === null) return refuse('scheme');
  const authority = m[1]!;
  const rawPath = m[2]!;
  if (m[4] !== undefined) return refuse('fragment');
  if (/[^\x21-\x7e]/.test(url)) return refuse('character');
  if (url.includes('\\')) return refuse('backslash');
  const hp = /^([^:@[\]]*)(?::([^:@]*))?$/.exec(authority);
  if (hp === null) return refuse('host');
  const host = hp[1]!.toLowerCase();
  if (host.endsWith('.')) return refuse('host_trailing_dot');
  if (host.length === 0 || host.length > 253 || !host.split('.').every((l) => LABEL.test(l))) {
    return refuse('host');
  }
  let port = 443;
  if (hp[2] !== undefined) {
    if (!/^[1-9]\d{0,4}$/.test(hp[2])) return refuse('port');
    port = Number(hp[2]);
    if (port > 65535) return refuse('port');
  }
  const path = canonicalPath(rawPath === '' ? '/' : rawPath);
  if (!path.ok) return path;
  return { ok: true, host, port, path: path.path };
}
