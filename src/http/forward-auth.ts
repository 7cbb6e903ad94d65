/**
 * Forward authentication for reverse proxies: nginx `auth_request` and Traefik ForwardAuth ask
 * `GET /auth/verify` whether the request they hold may pass, and the business server
 * (src/sso/servers/business-server.ts) decides.
 *
 * The proxy tells us the original URL in exactly one of three forms:
 * - `X-Original-URL: https://app.example.com/admin/x?q` (nginx);
 * - `X-Original-URI: /admin/x?q` with `Host` and `X-Forwarded-Proto` (nginx);
 * - `X-Forwarded-Uri`, `X-Forwarded-Host`, `X-Forwarded-Proto` (and `X-Forwarded-Method`)
 *   (Traefik).
 * A request carrying two forms is refused: a proxy passes on the headers it does not set itself,
 * so the second form may be the client's. The credential is the `__Host-sekisho-credential`
 * cookie of the `Cookie` header the proxy forwards. The browser's address is `X-Real-IP`, else
 * the last `X-Forwarded-For` entry.
 *
 * Answers: `200` with `X-Sekisho-User`, `X-Sekisho-DN`, `X-Sekisho-Roles`; `401` with
 * `Location` and `X-Sekisho-Signon` = the sign-on URL with `?return=<original URL>` (nginx turns
 * it into a redirect with `error_page 401`; to Traefik, which passes the answer to the browser,
 * `302`, or `303` for methods other than GET and HEAD); `403`; `400` for a request that is not from a
 * trusted proxy address or whose forwarded headers are missing, malformed or contradictory;
 * `503` when the decision cannot be made (the credential key, a repository or session
 * management failed).
 */
import { BlockList, isIP } from 'node:net';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { BusinessServer, Decision } from '../sso/servers/business-server.ts';
import { CREDENTIAL_COOKIE, cookieValue } from './sso-app.ts';

/** The path the proxies ask. */
export const FORWARD_AUTH_PATH = '/auth/verify';

/** The identity headers of a `200` answer (lower case, as node writes them). */
export const IDENTITY_HEADERS = {
  user: 'x-sekisho-user',
  dn: 'x-sekisho-dn',
  roles: 'x-sekisho-roles',
} as const;
/** The header of a `401` answer holding the sign-on URL (also in `Location`). */
export const SIGNON_HEADER = 'x-sekisho-signon';

/** The default {@link ForwardAuthOptions.trustedProxies}: the loopback addresses. */
export const DEFAULT_TRUSTED_PROXIES: readonly string[] = ['127.0.0.0/8', '::1'];

export interface ForwardAuthOptions {
  readonly business: BusinessServer;
  /**
   * The authentication server's sign-on page, e.g. `https://sso.example.com/sso/signon`; a
   * function when it is known only once the server listens (port 0).
   */
  readonly signOnUrl: string | (() => string);
  /**
   * Addresses (`192.0.2.7`, `2001:db8::1`) or CIDR blocks (`10.0.0.0/8`) of the proxies whose
   * forwarded headers are believed; requests from anywhere else get `400`. Default
   * {@link DEFAULT_TRUSTED_PROXIES}.
   */
  readonly trustedProxies?: readonly string[];
  /** Told about server-side failures answered with `503` (for the system log). */
  readonly onError?: (error: unknown) => void;
}

/** A set of addresses and CIDR blocks; throws RangeError on an entry that is neither. */
export function proxyList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits, extra] = entry.trim().split('/');
    const family = isIP(address);
    const prefix = bits === undefined ? undefined : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
    const max = family === 6 ? 128 : 32;
    if (family === 0 || extra !== undefined || (prefix !== undefined && !(prefix <= max))) {
      throw new RangeError(`trusted proxy: not an address or CIDR block: ${JSON.stringify(entry)}`);
    }
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, prefix, type);
  }
  return list;
}

/**
 * {@link inList} remembered per address: `BlockList.check` builds a `SocketAddress` per call,
 * and a business server hears from a handful of proxies. At most {@link TRUST_CACHE_SIZE}
 * addresses are kept, the cache emptied when full.
 */
function trustCache(list: BlockList): (address: string | undefined) => boolean {
  const known = new Map<string, boolean>();
  return (address) => {
    if (address === undefined) return false;
    let answer = known.get(address);
    if (answer === undefined) {
      answer = inList(list, address);
      if (known.size >= TRUST_CACHE_SIZE) known.clear();
      known.set(address, answer);
    }
    return answer;
  };
}

/** How many peer addresses {@link trustCache} remembers. */
const TRUST_CACHE_SIZE = 1024;

/** Whether an address (as node reports a peer, IPv4-mapped or not) is in the list. */
function inList(list: BlockList, address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const plain = mapped?.[1] ?? address;
  const family = isIP(plain);
  if (family === 0) return false;
  return list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
}

type Headers = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * The request's headers by lower-case name from node's raw list, a repeated header as an
 * array: node joins repeated `X-…` headers with `, ` and drops repeated `Host` headers, and a
 * repeated forwarded header is ambiguous (which one did the proxy set?).
 */
export function rawHeaderMap(raw: readonly string[]): Record<string, string | string[]> {
  // No prototype: a header named `__proto__` or `constructor` is just a header.
  const out = Object.create(null) as Record<string, string | string[]>;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    const prev = Object.hasOwn(out, name) ? out[name] : undefined;
    out[name] = prev === undefined ? value : [...(typeof prev === 'string' ? [prev] : prev), value];
  }
  return out;
}

/** The request headers {@link registerForwardAuth} reads (lower case). */
const FORWARD_AUTH_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'cookie',
  'x-original-url',
  'x-original-uri',
  'x-forwarded-uri',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-method',
  'x-forwarded-for',
  'x-real-ip',
  'x-request-id',
]);

/**
 * {@link rawHeaderMap} restricted to the headers in `wanted` (lower-case names): the same
 * values and the same arrays for repeated headers, without copying the others.
 */
export function rawHeaderSubset(
  raw: readonly string[],
  wanted: ReadonlySet<string>,
): Record<string, string | string[]> {
  const out = Object.create(null) as Record<string, string | string[]>;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!wanted.has(name)) continue;
    const value = raw[i + 1]!;
    const prev = out[name];
    out[name] = prev === undefined ? value : [...(typeof prev === 'string' ? [prev] : prev), value];
  }
  return out;
}

/** A header sent once; undefined when absent, null when repeated (ambiguous). */
function one(headers: Headers, name: string): string | undefined | null {
  const v = headers[name];
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : null;
}

/** The three ways a proxy reports the original URL. */
export const URL_FORMS = ['nginx-url', 'nginx-uri', 'traefik'] as const;
export type UrlForm = (typeof URL_FORMS)[number];

/**
 * The original URL of a forward-auth request, from exactly one of the three header forms (see
 * the module comment), with the form; or undefined: no form, two forms, a repeated header, a
 * missing host or protocol, a protocol other than `http`/`https`, a URI that is not origin-form
 * (`/…`), or a method that is not a token. Values are not checked further here: the business
 * server refuses what is not a canonical `https` URL.
 */
export function originalUrl(
  headers: Headers,
): { readonly url: string; readonly form: UrlForm } | undefined {
  const url = one(headers, 'x-original-url');
  const uri = one(headers, 'x-original-uri');
  const fwdUri = one(headers, 'x-forwarded-uri');
  const forms =
    (url === undefined ? 0 : 1) + (uri === undefined ? 0 : 1) + (fwdUri === undefined ? 0 : 1);
  if (forms !== 1 || url === null || uri === null || fwdUri === null) return undefined;
  if (typeof url === 'string') return { url, form: 'nginx-url' };

  const proto = one(headers, 'x-forwarded-proto');
  if (proto === undefined || proto === null || !/^https?$/i.test(proto)) return undefined;
  const path = uri ?? fwdUri;
  if (typeof path !== 'string' || !path.startsWith('/')) return undefined;
  let host: string | undefined | null;
  if (uri !== undefined) {
    host = one(headers, 'host');
  } else {
    host = one(headers, 'x-forwarded-host');
    const method = one(headers, 'x-forwarded-method');
    if (method !== undefined && (method === null || !/^[A-Z]{1,16}$/.test(method))) {
      return undefined;
    }
  }
  if (host === undefined || host === null || host === '') return undefined;
  return {
    url: `${proto.toLowerCase()}://${host}${path}`,
    form: uri !== undefined ? 'nginx-uri' : 'traefik',
  };
}

/** The browser's address: `X-Real-IP`, else the last `X-Forwarded-For` entry; IPs only. */
function clientOf(headers: Headers): string | undefined {
  const real = one(headers, 'x-real-ip');
  if (real !== undefined && real !== null && isIP(real.trim()) !== 0) return real.trim();
  const forwarded = headers['x-forwarded-for'];
  const list = typeof forwarded === 'string' ? forwarded : forwarded?.join(',');
  const last = list?.split(',').pop()?.trim();
  return last !== undefined && isIP(last) !== 0 ? last : undefined;
}

/** `X-Request-ID` when it is a plain token (nginx `$request_id` is 32 hex digits). */
function requestIdOf(headers: Headers): string | undefined {
  const v = one(headers, 'x-request-id');
  return v !== undefined && v !== null && /^[A-Za-z0-9._:-]{1,128}$/.test(v) ? v : undefined;
}

/** A value {@link identityHeaderValue} leaves as it is. */
const PLAIN_HEADER_VALUE = /^[\x20-\x24\x26-\x7e]*$/;

/**
 * A header value for an identity: printable ASCII except `%` as it is, everything else
 * percent-encoded as UTF-8 (`田中` → `%E7%94%B0%E4%B8%AD`), so that an ASCII uid passes unchanged
 * and no value can hold CR or LF. (The business server refuses users whose values contain
 * control characters before it comes to this.)
 */
export function identityHeaderValue(value: string): string {
  if (PLAIN_HEADER_VALUE.test(value)) return value;
  let out = '';
  for (const ch of value.toWellFormed()) {
    const n = ch.codePointAt(0)!;
    if (n >= 0x20 && n <= 0x7e && ch !== '%') out += ch;
    else
      for (const b of Buffer.from(ch, 'utf8')) {
        out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
      }
  }
  return out;
}

/** The sign-on URL with `return` set to the original URL (an existing query is kept). */
export function signOnLocation(signOnUrl: string, original: string): string {
  const u = new URL(signOnUrl);
  u.searchParams.set('return', original);
  return u.href;
}

/** Adds `GET /auth/verify` (and `HEAD`) to an app. */
export function registerForwardAuth(app: FastifyInstance, o: ForwardAuthOptions): void {
  const signOnUrl = (): string => {
    const text = typeof o.signOnUrl === 'string' ? o.signOnUrl : o.signOnUrl();
    const signOn = URL.parse(text);
    if (signOn === null || signOn.protocol !== 'https:') {
      throw new RangeError(`signOnUrl must be an https URL: ${JSON.stringify(text)}`);
    }
    return text;
  };
  if (typeof o.signOnUrl === 'string') signOnUrl();
  const isTrusted = trustCache(proxyList(o.trustedProxies ?? DEFAULT_TRUSTED_PROXIES));
  // The roles header of a decision, once per roles array (the business server hands out the
  // same array for a user entry until its cache or the access-control snapshot changes).
  const rolesHeaders = new WeakMap<readonly string[], string>();
  const rolesHeader = (roles: readonly string[]): string => {
    let v = rolesHeaders.get(roles);
    if (v === undefined) {
      v = identityHeaderValue(roles.join(','));
      rolesHeaders.set(roles, v);
    }
    return v;
  };

  const answer = (
    reply: FastifyReply,
    decision: Decision,
    url: string,
    redirect: 302 | 303 | undefined,
  ): FastifyReply => {
    switch (decision.kind) {
      case 'allow':
        return reply
          .code(200)
          .header(IDENTITY_HEADERS.user, identityHeaderValue(decision.uid))
          .header(IDENTITY_HEADERS.dn, identityHeaderValue(decision.dn))
          .header(IDENTITY_HEADERS.roles, rolesHeader(decision.roles))
          .send();
      case 'signon': {
        const location = signOnLocation(signOnUrl(), url);
        return reply
          .code(redirect ?? 401)
          .header('location', location)
          .header(SIGNON_HEADER, location)
          .send();
      }
      case 'deny':
        return reply.code(403).send();
      case 'unprotected':
        return reply.code(decision.reason === 'path' ? 200 : 403).send();
      default: {
        const never: never = decision;
        return never;
      }
    }
  };

  const unavailable = (reply: FastifyReply, error: unknown): FastifyReply => {
    o.onError?.(error);
    return reply.code(503).send();
  };

  // Not an async handler: when the business server decides from memory (the common case), the
  // answer is sent before the handler returns, with no promise in between.
  app.get(FORWARD_AUTH_PATH, (req, reply) => {
    void reply.header('cache-control', 'no-store');
    const headers = rawHeaderSubset(req.raw.rawHeaders, FORWARD_AUTH_HEADERS);
    const requestId = requestIdOf(headers);
    const peer = req.socket.remoteAddress;
    if (!isTrusted(peer)) {
      o.business.logInvalidRequest({ client: peer, requestId });
      void reply.code(400).send();
      return;
    }
    const client = clientOf(headers);
    const original = originalUrl(headers);
    if (original === undefined) {
      o.business.logInvalidRequest({ client, requestId });
      void reply.code(400).send();
      return;
    }
    // From the raw list (node joins repeated Cookie headers with `; `).
    const cookies = headers['cookie'];
    const token = cookieValue(
      typeof cookies === 'string' ? cookies : cookies?.join('; '),
      CREDENTIAL_COOKIE,
    );
    const url = original.url;
    // Traefik hands a non-2xx answer to the browser as it is: redirect it ourselves (303 after
    // a POST, so that the browser follows with GET). nginx turns a 401 into the redirect.
    const method = one(headers, 'x-forwarded-method');
    const redirect =
      original.form !== 'traefik'
        ? undefined
        : method === 'GET' || method === 'HEAD' || method === undefined
          ? 302
          : 303;
    const request = { token, url, client, requestId };
    let now: Decision | undefined;
    try {
      now = o.business.verifyNow(request);
    } catch (error) {
      void unavailable(reply, error);
      return;
    }
    if (now !== undefined) {
      void answer(reply, now, url, redirect);
      return;
    }
    return o.business.verify(request).then(
      (d) => answer(reply, d, url, redirect),
      (error: unknown) => unavailable(reply, error),
    );
  });
}
