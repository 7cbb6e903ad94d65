/**
 * What the business server's HTTP faces share (the reverse proxy, the Fastify and Express
 * middleware): the verifier they ask, the credential they read from the request, the identity
 * headers they hand to the application, and the pages of a refusal.
 *
 * {@link Verifier} is structural: `BusinessServer` (src/sso/servers/business-server.ts) has
 * this shape, and so may a test's or another process's verifier.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { identityHeaderValue as encodeIdentity } from './forward-auth.ts';
import { CREDENTIAL_COOKIE, parseCookies } from './sso-app.ts';
import type { Decision, VerifyRequest } from '../sso/servers/business-server.ts';

// The request and the answer are the business server's own (one definition).
export type { Decision, VerifyRequest };

export interface Verifier {
  verify(req: VerifyRequest): Promise<Decision>;
}

/** Who the request is from, as the application sees it (`request.sekisho`). */
export interface SekishoIdentity {
  readonly uid: string;
  readonly dn: string;
  readonly roles: readonly string[];
}

/** The identity headers the reverse proxy sets; every client-sent `X-Sekisho-*` is removed. */
export const IDENTITY_HEADERS = {
  uid: 'X-Sekisho-User',
  dn: 'X-Sekisho-DN',
  roles: 'X-Sekisho-Roles',
} as const;
/** Prefix (lower case) of the headers only Sekisho may set. */
export const SEKISHO_HEADER_PREFIX = 'x-sekisho-';

/** Where a guard sends a browser that must sign on, and how it builds the original URL. */
export interface GuardOptions {
  /** The origin browsers use, e.g. `https://app.example.com` (no path). */
  readonly publicOrigin: string;
  /** The authentication server's sign-on page, e.g. `https://sso.example.com/sso/signon`. */
  readonly signOnUrl: string;
  /**
   * Let a request through without identity when the business server answers that no
   * protected resource covers its path (its `denyUnknownPaths` is off). Default false: 403.
   */
  readonly passUnprotectedPaths?: boolean;
}

/**
 * Checks and normalizes a public origin: an `https:` URL with nothing after the
 * host and port. Returns the origin without a trailing slash.
 * @throws TypeError when it is not one.
 */
export function checkPublicOrigin(origin: string): string {
  let u: URL;
  try {
    u = new URL(origin);
  } catch {
    throw new TypeError(`publicOrigin is not a URL: ${JSON.stringify(origin)}`);
  }
  if (
    // https only: the credential cookie is Secure and the business server refuses any other
    // scheme, so an http origin would only ever deny.
    u.protocol !== 'https:' ||
    u.username !== '' ||
    u.password !== '' ||
    u.search !== '' ||
    u.hash !== '' ||
    u.pathname !== '/'
  ) {
    throw new TypeError(`publicOrigin must be https://host[:port], got ${JSON.stringify(origin)}`);
  }
  return u.origin;
}

/**
 * The original absolute URL of a request target: the public origin and the path and query.
 * Undefined for a target that is not origin-form (`*`, absolute-form, authority-form).
 */
export function originalUrl(publicOrigin: string, target: string | undefined): string | undefined {
  if (target === undefined || !target.startsWith('/') || target.startsWith('//')) return undefined;
  return publicOrigin + target;
}

/** The value of the credential cookie. */
export function credentialOf(headers: IncomingHttpHeaders): string | undefined {
  return parseCookies(headers.cookie).get(CREDENTIAL_COOKIE);
}

/** The sign-on page with the original URL to return to (`?return=` or `&return=`). */
export function signOnLocation(signOnUrl: string, url: string): string {
  const sep = signOnUrl.includes('?') ? '&' : '?';
  return `${signOnUrl}${sep}return=${encodeURIComponent(url)}`;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's `X-Request-Id` when it is a plain token, else a new random one. */
export function requestIdOf(headers: IncomingHttpHeaders): string {
  const v = headers['x-request-id'];
  return typeof v === 'string' && REQUEST_ID.test(v) ? v : randomUUID();
}

// C0 controls, DEL and C1 controls: never in a header, never in a log line.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * One identity value as a header value, encoded as forward authentication does (printable
 * ASCII but `%` as it is, everything else percent-encoded UTF-8: `山田` → `%E5%B1%B1%E7%94%B0`),
 * so an application reads the same headers behind either. Undefined when the value holds a
 * control character (CR, LF, NUL, …): such an identity is refused, not encoded.
 */
export function identityHeaderValue(value: string): string | undefined {
  return CONTROL.test(value) ? undefined : encodeIdentity(value);
}

/** The identity headers of an allowed request, or undefined when a value cannot be sent. */
export function identityHeaders(identity: SekishoIdentity): [string, string][] | undefined {
  const uid = identityHeaderValue(identity.uid);
  const dn = identityHeaderValue(identity.dn);
  if (identity.roles.some((r) => r.includes(','))) return undefined;
  const roles = identityHeaderValue(identity.roles.join(','));
  if (uid === undefined || dn === undefined || roles === undefined) return undefined;
  return [
    [IDENTITY_HEADERS.uid, uid],
    [IDENTITY_HEADERS.dn, dn],
    [IDENTITY_HEADERS.roles, roles],
  ];
}

/** Whether an identity may be handed to an application (no control characters anywhere). */
export function identityIsClean(identity: SekishoIdentity): boolean {
  return identityHeaders(identity) !== undefined;
}

/** The refusals a guard answers with, each a status and a small HTML page. */
export const REFUSALS = {
  forbidden: { status: 403, title: 'Forbidden', text: 'You may not access this page.' },
  badRequest: { status: 400, title: 'Bad request', text: 'The request is not valid.' },
  badGateway: {
    status: 502,
    title: 'Bad gateway',
    text: 'The application behind this server did not answer.',
  },
  unavailable: {
    status: 503,
    title: 'Service unavailable',
    text: 'Access cannot be checked at the moment. Try again later.',
  },
} as const;
export type Refusal = keyof typeof REFUSALS;

/** The small HTML page of a refusal (fixed text: nothing from the request is echoed). */
export function refusalPage(refusal: Refusal): string {
  const r = REFUSALS[refusal];
  return (
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${String(r.status)} ${r.title}</title></head>` +
    `<body><h1>${r.title}</h1><p>${r.text}</p></body></html>\n`
  );
}

/** Headers every refusal and sign-on redirect carries. */
export const REFUSAL_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'",
  'x-content-type-options': 'nosniff',
};
