/**
 * The authentication server over HTTPS (`/sso/`): the sign-on form (CSRF-protected, Japanese
 * and English, no JavaScript), HTTP Basic, and TLS client certificates, on the one HTTPS port.
 *
 * - `GET /sso/signon[?return=URL][&lang=ja|en][&basic=1]`: a valid credential cookie redirects
 *   to the return URL (or shows who is signed on); an `Authorization: Basic` header or a trusted
 *   client certificate signs on at once; `basic=1` asks the browser for Basic credentials;
 *   otherwise the form.
 * - `POST /sso/signon` (form: uid, password, csrf, return, lang): password sign-on, with the
 *   client certificate when one was presented.
 * - `POST /sso/signoff` (form: csrf, lang): removes the credential cookie.
 *
 * A return URL must be an `https:` URL of a registered site (`ssoSite`), else the request is
 * refused: no open redirect. Malformed requests get a page saying so, a 4xx status and an
 * `Authentication(unknown) failed. (Invalid request)` line; nothing is stored.
 */
import { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PresentedCertificate } from '../sso/core/certificate-mapping.ts';
import { openCredential, openWithKeyring, type CredentialKeyring } from '../sso/core/credential.ts';
import { issueCsrf, verifyCsrf, type CsrfResult } from '../sso/core/csrf.ts';
import type { AuthenticationServer, SignOnResult } from '../sso/servers/authentication-server.ts';
import { certificateIdentification } from '../sso/servers/repository-server.ts';
import { FormError, parseForm, type FormSpec } from './form.ts';
import type { SessionManager } from '../sso/servers/session-manager.ts';
import {
  PAGE_CSP,
  confirmForcedPage,
  PAGE_TEXTS,
  messagePage,
  signOnPage,
  signedOnPage,
  type PageLang,
  type PageTextId,
} from './sso-pages.ts';

export const CREDENTIAL_COOKIE = '__Host-sekisho-credential';
export const CSRF_COOKIE = '__Host-sekisho-csrf';
/** Longest return URL accepted, characters. */
export const MAX_RETURN_URL = 2048;

const SIGN_ON_FORM = {
  fields: { uid: 256, password: 1024, csrf: 128, return: MAX_RETURN_URL, lang: 8 },
  maxBytes: 8192,
} as const;
const SIGN_OFF_FORM = { fields: { csrf: 128, lang: 8 }, maxBytes: 1024 } as const;
const FORCED_FORM = {
  fields: { csrf: 128, lang: 8, pending: 4096, answer: 3, return: MAX_RETURN_URL },
  maxBytes: 8192,
} as const;

export interface SsoKeys {
  readonly credential: Uint8Array;
  readonly csrf: Uint8Array;
}

export interface SsoAppOptions {
  readonly authentication: AuthenticationServer;
  /** The keys derived from the service ID (rejects when the KEK cannot be read). */
  readonly keys: () => Promise<SsoKeys>;
  /**
   * The keys of the service ID that `ssoupsid` replaced in this process, if any: a credential
   * they open is stale (sign on again), not forged.
   */
  readonly previousKeys?: () => SsoKeys | undefined;
  /**
   * Re-reads the service ID when another process regenerated it; resolves whether it changed
   * (then `keys()` answers the new keys). Called when a credential does not open.
   */
  readonly refreshKeys?: () => Promise<boolean>;
  /**
   * The business server a return URL belongs to: its host name when the URL is an https URL of
   * a registered site, else undefined (the URL is refused).
   */
  readonly registeredSite: (url: string) => Promise<string | undefined>;
  /** `cause-notification`: tell the browser why a sign-on failed. */
  readonly causeNotification: boolean;
  /** Reads a DER client certificate; throws on a malformed one. */
  readonly describeCertificate: (der: Uint8Array) => PresentedCertificate;
  /**
   * Whether a certificate the handshake verified is a user's (issued by a CA of
   * `server.client-ca-file`, not only by the cluster CA); default: any verified one.
   */
  readonly isUserCertificate?: (socket: TLSSocket) => boolean;
  /** Session management, when it is on (hosted by the repository server of this process). */
  readonly sessions?:
    | Pick<SessionManager, 'validate' | 'signOff' | 'confirmForcedSignOn' | 'cancelForcedSignOn'>
    | undefined;
  /** Counts sign-on outcomes (for /metrics). */
  readonly onSignOn?: (method: string, ok: boolean) => void;
  readonly now?: () => Date;
}

/** Cookie values by name; the first occurrence wins, as browsers send the most specific first. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (header === undefined || header.length > 16384) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name !== '' && !out.has(name)) out.set(name, value);
  }
  return out;
}

/**
 * The value of one cookie, as {@link parseCookies} would give it (first occurrence, names and
 * values trimmed), without building the map: the per-request path of the business servers.
 */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined || header.length > 16384) return undefined;
  let from = 0;
  while (from <= header.length) {
    let end = header.indexOf(';', from);
    if (end < 0) end = header.length;
    const eq = header.indexOf('=', from);
    if (eq >= 0 && eq < end && header.slice(from, eq).trim() === name) {
      return header.slice(eq + 1, end).trim();
    }
    from = end + 1;
  }
  return undefined;
}

function cookie(name: string, value: string, maxAgeSeconds?: number): string {
  const age = maxAgeSeconds === undefined ? '' : `; Max-Age=${maxAgeSeconds}`;
  return `${name}=${value}; Path=/; Secure; HttpOnly; SameSite=Lax${age}`;
}

/** Decodes `Authorization: Basic …` strictly; undefined when absent, 'malformed' when bad. */
export function parseBasic(
  header: string | undefined,
): { uid: string; password: string } | 'malformed' | undefined {
  if (header === undefined) return undefined;
  const m = /^Basic ([A-Za-z0-9+/]{1,2800}={0,2})$/i.exec(header);
  if (m === null) return /^Basic\b/i.test(header) ? 'malformed' : undefined;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(m[1]!, 'base64'));
  } catch {
    return 'malformed';
  }
  const colon = text.indexOf(':');
  // eslint-disable-next-line no-control-regex
  if (colon <= 0 || /[\u0000-\u001f\u007f]/.test(text)) return 'malformed';
  const uid = text.slice(0, colon);
  const password = text.slice(colon + 1);
  if (Buffer.byteLength(uid) > 256 || Buffer.byteLength(password) > 1024) return 'malformed';
  return { uid, password };
}

function langOf(req: FastifyRequest, explicit: string | undefined): PageLang {
  if (explicit === 'ja' || explicit === 'en') return explicit;
  return /^\s*ja\b/i.test(req.headers['accept-language'] ?? '') ? 'ja' : 'en';
}

const queryString = (req: FastifyRequest, name: string): string | undefined => {
  const q: unknown = req.query;
  if (typeof q !== 'object' || q === null) return undefined;
  const v: unknown = (q as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : undefined;
};

/** The client certificate the TLS layer verified, or what went wrong with one. */
type PeerCertificate =
  | { readonly kind: 'none' }
  | { readonly kind: 'trusted'; readonly cert: PresentedCertificate }
  | { readonly kind: 'untrusted'; readonly cert: PresentedCertificate | undefined };

export function registerSsoApp(app: FastifyInstance, o: SsoAppOptions): void {
  const now = o.now ?? (() => new Date());
  const keyring: CredentialKeyring = {
    current: async () => (await o.keys()).credential,
    refresh: o.refreshKeys,
    previous: () => o.previousKeys?.()?.credential,
  };

  const peer = (req: FastifyRequest): PeerCertificate => {
    const socket = req.raw.socket;
    if (!(socket instanceof TLSSocket)) return { kind: 'none' };
    const pc = socket.getPeerCertificate(false);
    const raw: unknown = (pc as { raw?: unknown }).raw;
    if (!(raw instanceof Uint8Array) || raw.length === 0) return { kind: 'none' };
    let cert: PresentedCertificate | undefined;
    try {
      cert = o.describeCertificate(raw);
    } catch {
      cert = undefined;
    }
    const user = o.isUserCertificate?.(socket) ?? socket.authorized;
    if (user && cert !== undefined) return { kind: 'trusted', cert };
    return { kind: 'untrusted', cert };
  };

  const base = (req: FastifyRequest) => ({
    client: req.socket.remoteAddress,
    self: req.socket.localAddress,
  });

  const invalidRequest = (
    req: FastifyRequest,
    reply: FastifyReply,
    status: number,
    lang: PageLang,
    text: PageTextId = 'badRequest',
  ): FastifyReply => {
    o.authentication.logLine(
      { client: req.socket.remoteAddress, businessServer: undefined },
      {
        repositoryServer: undefined,
        user: undefined,
        result: { token: 'Authentication(unknown)', outcome: 'failed' },
        supplementary: 'AUTH_INVALID_REQUEST',
      },
    );
    return reply.code(status).type('text/html; charset=utf-8').send(messagePage(lang, text));
  };

  const formPage = async (
    reply: FastifyReply,
    status: number,
    lang: PageLang,
    returnUrl: string | undefined,
    extra: { uid?: string | undefined; message?: string | undefined } = {},
  ): Promise<FastifyReply> => {
    const csrf = issueCsrf((await o.keys()).csrf, now());
    return reply
      .code(status)
      .header('set-cookie', cookie(CSRF_COOKIE, csrf.cookie))
      .type('text/html; charset=utf-8')
      .send(signOnPage({ lang, csrf: csrf.token, returnUrl, ...extra }));
  };

  /**
   * A POSTed form of the sign-on pages: parsed strictly (a malformed one is answered with the
   * error page and an `(Invalid request)` line), its language, the keys and the CSRF verdict.
   */
  const readPost = async (
    req: FastifyRequest,
    reply: FastifyReply,
    spec: FormSpec,
  ): Promise<
    | { ok: true; form: Map<string, string>; lang: PageLang; keys: SsoKeys; csrf: CsrfResult }
    | { ok: false; reply: FastifyReply }
  > => {
    let form: Map<string, string>;
    try {
      form = parseForm(bodyBytes(req.body), spec);
    } catch (e) {
      if (e instanceof FormError)
        return { ok: false, reply: invalidRequest(req, reply, 400, langOf(req, undefined)) };
      throw e;
    }
    const keys = await o.keys();
    const csrf = verifyCsrf(
      keys.csrf,
      parseCookies(req.headers.cookie).get(CSRF_COOKIE),
      form.get('csrf'),
      now(),
    );
    return { ok: true, form, lang: langOf(req, form.get('lang')), keys, csrf };
  };

  /** A second browser of a signed-on user: the forced sign-on question, or a refusal. */
  const alreadySignedOn = async (
    reply: FastifyReply,
    result: Extract<SignOnResult, { ok: false }>,
    lang: PageLang,
    returnUrl: string | undefined,
  ): Promise<FastifyReply> => {
    if (result.confirm === undefined) {
      return reply
        .code(409)
        .type('text/html; charset=utf-8')
        .send(messagePage(lang, 'alreadySignedOn'));
    }
    const csrf = issueCsrf((await o.keys()).csrf, now());
    return reply
      .code(200)
      .header('set-cookie', cookie(CSRF_COOKIE, csrf.cookie))
      .type('text/html; charset=utf-8')
      .send(
        confirmForcedPage({
          lang,
          uid: result.confirm.claims.uid,
          existingClient: result.confirm.existing.client,
          existingSince: result.confirm.existing.createdAt,
          csrf: csrf.token,
          pending: result.confirm.token,
          returnUrl,
        }),
      );
  };

  const succeeded = (
    reply: FastifyReply,
    result: Extract<SignOnResult, { ok: true }>,
    lang: PageLang,
    returnUrl: string | undefined,
  ): FastifyReply => {
    const maxAge =
      result.claims.expiresAt === null
        ? undefined
        : result.claims.expiresAt - result.claims.issuedAt;
    void reply.header('set-cookie', cookie(CREDENTIAL_COOKIE, result.token, maxAge));
    return reply
      .code(303)
      .header('location', returnUrl ?? `/sso/signon?lang=${lang}`)
      .send();
  };

  const failureMessage = (result: Extract<SignOnResult, { ok: false }>, lang: PageLang) => {
    if (!o.causeNotification) return PAGE_TEXTS.invalid[lang];
    if (result.prompt === 'certificate') return PAGE_TEXTS.certificateRequired[lang];
    if (result.cause === 'locked' || result.lockedNow) return PAGE_TEXTS.locked[lang];
    if (result.cause === 'outside_validity_period') return PAGE_TEXTS.outside_validity_period[lang];
    if (result.cause === 'type_mismatch') return PAGE_TEXTS.type_mismatch[lang];
    if (result.cause === 'password_expired') return PAGE_TEXTS.password_expired[lang];
    return PAGE_TEXTS.invalid[lang];
  };

  /** The return URL of a request: undefined (none), or the URL and its business server. */
  const checkReturn = async (
    value: string | undefined,
  ): Promise<{ url: string; site: string } | undefined | 'refused'> => {
    if (value === undefined || value === '') return undefined;
    if (value.length > MAX_RETURN_URL) return 'refused';
    const site = await o.registeredSite(value);
    return site === undefined ? 'refused' : { url: value, site };
  };

  app.register(
    (sso, _opts, done) => {
      sso.addHook('onSend', (_req, reply, payload, next) => {
        reply.header('content-security-policy', PAGE_CSP);
        reply.header('x-frame-options', 'DENY');
        reply.header('referrer-policy', 'no-referrer');
        next(null, payload);
      });
      sso.addContentTypeParser(
        'application/x-www-form-urlencoded',
        { parseAs: 'buffer', bodyLimit: SIGN_ON_FORM.maxBytes },
        (_req, body, next) => {
          next(null, body);
        },
      );
      sso.setErrorHandler((err: { statusCode?: number }, req, reply) => {
        const status =
          err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500
            ? err.statusCode
            : 500;
        if (status === 500) {
          return reply
            .code(503)
            .type('text/html; charset=utf-8')
            .send(messagePage(langOf(req, undefined), 'unavailable'));
        }
        return invalidRequest(req, reply, status, langOf(req, undefined));
      });

      sso.get('/sso/', (_req, reply) => reply.code(303).header('location', '/sso/signon').send());

      sso.get('/sso/signon', async (req, reply) => {
        const lang = langOf(req, queryString(req, 'lang'));
        const ret = await checkReturn(queryString(req, 'return'));
        if (ret === 'refused') return invalidRequest(req, reply, 400, lang, 'badReturn');
        const businessServer = ret?.site;
        // Already signed on?
        const token = parseCookies(req.headers.cookie).get(CREDENTIAL_COOKIE);
        if (token !== undefined) {
          const opened = await openWithKeyring(keyring, token, now());
          let ended = false;
          if (opened.ok && opened.claims.sessionId !== null && o.sessions !== undefined) {
            const v = await o.sessions.validate(
              opened.claims.sessionId,
              opened.claims.uid,
              req.socket.remoteAddress,
              req.socket.localAddress,
            );
            ended = !v.ok;
          }
          if (opened.ok && !ended) {
            if (ret !== undefined) return reply.code(303).header('location', ret.url).send();
            const csrf = issueCsrf((await o.keys()).csrf, now());
            return reply
              .header('set-cookie', cookie(CSRF_COOKIE, csrf.cookie))
              .type('text/html; charset=utf-8')
              .send(signedOnPage(lang, opened.claims.uid, csrf.token));
          }
          void reply.header('set-cookie', cookie(CREDENTIAL_COOKIE, '', 0));
          if (!opened.ok && opened.reason === 'previous_service_id') {
            // Sealed under the service ID that ssoupsid replaced: sign on again.
            o.authentication.logLine(
              { client: req.socket.remoteAddress, businessServer },
              {
                repositoryServer: undefined,
                user: undefined,
                result: { token: 'Authentication(unknown)', outcome: 'failed' },
                supplementary: 'CREDENTIAL_PREVIOUS_SERVICE_ID',
              },
            );
          } else if (!opened.ok && opened.reason !== 'expired') {
            return invalidRequest(req, reply, 400, lang);
          }
        }

        const pc = peer(req);
        if (pc.kind === 'untrusted') {
          o.authentication.logLine(
            { client: req.socket.remoteAddress, businessServer },
            {
              repositoryServer: undefined,
              user: pc.cert === undefined ? undefined : certificateIdentification(pc.cert),
              result: { token: 'Authentication(certAuth)', outcome: 'failed' },
              supplementary: 'PASSWORD_AUTH_REQUIRED',
            },
          );
        }
        const certificate = pc.kind === 'trusted' ? pc.cert : undefined;
        const basic = parseBasic(req.headers.authorization);
        if (basic === 'malformed') return invalidRequest(req, reply, 400, lang);
        if (basic !== undefined || certificate !== undefined) {
          const result = await o.authentication.signOn({
            ...base(req),
            uid: basic?.uid,
            password: basic?.password,
            certificate,
            businessServer,
          });
          o.onSignOn?.(result.ok ? result.claims.method : result.method, result.ok);
          if (result.ok) return succeeded(reply, result, lang, ret?.url);
          if (result.cause === 'already_signed_on')
            return alreadySignedOn(reply, result, lang, ret?.url);
          if (basic !== undefined) {
            void reply.header('www-authenticate', 'Basic realm="Sekisho", charset="UTF-8"');
            return formPage(reply, 401, lang, ret?.url, {
              uid: basic.uid,
              message: failureMessage(result, lang),
            });
          }
          // A certificate alone: no password was typed, so none can be "incorrect".
          return formPage(reply, 200, lang, ret?.url, {
            message:
              result.prompt === 'password'
                ? PAGE_TEXTS.passwordRequired[lang]
                : failureMessage(result, lang),
          });
        }
        if (queryString(req, 'basic') === '1') {
          await o.authentication.signOn({ ...base(req), businessServer });
          return reply
            .code(401)
            .header('www-authenticate', 'Basic realm="Sekisho", charset="UTF-8"')
            .type('text/html; charset=utf-8')
            .send(messagePage(lang, 'passwordRequired'));
        }
        return formPage(reply, 200, lang, ret?.url);
      });

      sso.post('/sso/signon', async (req, reply) => {
        const posted = await readPost(req, reply, SIGN_ON_FORM);
        if (!posted.ok) return posted.reply;
        const { form, lang, csrf } = posted;
        if (csrf !== 'ok') return invalidRequest(req, reply, 403, lang);
        const ret = await checkReturn(form.get('return'));
        if (ret === 'refused') return invalidRequest(req, reply, 400, lang, 'badReturn');
        const uid = form.get('uid') ?? '';
        const password = form.get('password') ?? '';
        const pc = peer(req);
        const presentsPassword = uid !== '' && password !== '';
        const result = await o.authentication.signOn({
          ...base(req),
          uid: presentsPassword ? uid : undefined,
          password: presentsPassword ? password : undefined,
          certificate: pc.kind === 'trusted' ? pc.cert : undefined,
          businessServer: ret?.site,
        });
        o.onSignOn?.(result.ok ? result.claims.method : result.method, result.ok);
        if (result.ok) return succeeded(reply, result, lang, ret?.url);
        if (result.cause === 'already_signed_on')
          return alreadySignedOn(reply, result, lang, ret?.url);
        return formPage(reply, 401, lang, ret?.url, {
          uid,
          message: presentsPassword
            ? failureMessage(result, lang)
            : PAGE_TEXTS.passwordRequired[lang],
        });
      });

      sso.post('/sso/signoff', async (req, reply) => {
        const posted = await readPost(req, reply, SIGN_OFF_FORM);
        if (!posted.ok) return posted.reply;
        const { lang, keys, csrf } = posted;
        if (csrf !== 'ok') return invalidRequest(req, reply, 403, lang);
        const token = parseCookies(req.headers.cookie).get(CREDENTIAL_COOKIE);
        const opened =
          token === undefined ? undefined : openCredential(keys.credential, token, now());
        if (opened?.ok === true && opened.claims.sessionId !== null && o.sessions !== undefined) {
          await o.sessions.signOff(opened.claims.sessionId, {
            client: req.socket.remoteAddress,
            authServer: req.socket.localAddress,
          });
        }
        return reply
          .header('set-cookie', cookie(CREDENTIAL_COOKIE, '', 0))
          .type('text/html; charset=utf-8')
          .send(messagePage(lang, 'signedOff'));
      });

      sso.post('/sso/forced-signon', async (req, reply) => {
        const posted = await readPost(req, reply, FORCED_FORM);
        if (!posted.ok) return posted.reply;
        const { form, lang, keys, csrf } = posted;
        if (csrf !== 'ok' || o.sessions === undefined) return invalidRequest(req, reply, 403, lang);
        const answer = form.get('answer');
        const pending = openCredential(keys.credential, form.get('pending') ?? '', now());
        if (
          !pending.ok ||
          pending.claims.sessionId === null ||
          (answer !== 'yes' && answer !== 'no')
        )
          return invalidRequest(req, reply, 400, lang);
        const ret = await checkReturn(form.get('return'));
        if (ret === 'refused') return invalidRequest(req, reply, 400, lang, 'badReturn');
        const origin = { client: req.socket.remoteAddress, authServer: req.socket.localAddress };
        if (answer === 'no') {
          await o.sessions.cancelForcedSignOn(pending.claims.sessionId, origin);
          return reply.type('text/html; charset=utf-8').send(messagePage(lang, 'forcedCancelled'));
        }
        const done = await o.sessions.confirmForcedSignOn(pending.claims.sessionId, origin);
        if (!done.ok) {
          return reply
            .code(409)
            .type('text/html; charset=utf-8')
            .send(messagePage(lang, 'confirmationExpired'));
        }
        const token = form.get('pending')!;
        const c = pending.claims;
        const maxAge = c.expiresAt === null ? undefined : c.expiresAt - c.issuedAt;
        return reply
          .code(303)
          .header('set-cookie', cookie(CREDENTIAL_COOKIE, token, maxAge))
          .header('location', ret?.url ?? `/sso/signon?lang=${lang}`)
          .send();
      });
      done();
    },
    { prefix: '' },
  );
}

function bodyBytes(body: unknown): Uint8Array {
  if (body instanceof Uint8Array) return body;
  if (body === undefined || body === null) return new Uint8Array(0);
  throw new FormError('unknown_field', 'the body is not a form');
}
