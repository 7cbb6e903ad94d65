/**
 * The administration console at `/console/` (docs/console.md): server-rendered pages over the
 * management commands, which it runs in-process exactly as `POST /rest/v1/COMMAND` does.
 *
 * Every response carries a Content-Security-Policy that allows only this origin's own script
 * and style, `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer` and `Cache-Control:
 * no-store`. Every page but the sign-on page and the static assets needs a console session
 * (./session.ts) of a user who holds the administrator role (role sets expanded), checked
 * again on each request. Every state-changing request is a POST with the session's CSRF token;
 * a POST whose `Origin` is another origin, or whose `Sec-Fetch-Site` is not `same-origin`, is
 * refused before its body is read.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { argsFromJson, classifyFailure, findCommand, runCommand } from '../../management/runner.ts';
import type { ManagementServices } from '../../management/context.ts';
import { outputJson } from '../../management/output.ts';
import type { SsoUser } from '../../sso/core/user.ts';
import type { RepositoryServer } from '../../sso/servers/repository-server.ts';
import { FormError, parseForm, type FormSpec } from '../form.ts';
import { parseCookies } from '../sso-app.ts';
import { CONSOLE_CSS, CONSOLE_JS } from './assets.ts';
import { isAdministrator } from './auth.ts';
import { checkTimeZone, SERVER_TIME_ZONE } from './format.ts';
import { html } from './html.ts';
import { langFromHeader, text, type ConsoleLang, type TextId } from './i18n.ts';
import { layout } from './layout.ts';
import type { CommandOutcome, ConsoleRequest, ConsoleResponse, ConsoleRoute } from './page.ts';
import { passwordRoutes } from './pages/password.ts';
import { signOnPage } from './pages/signon.ts';
import { userRoutes } from './pages/users.ts';
import { sessionRoutes } from './pages/sessions.ts';
import { roleRoutes } from './pages/roles.ts';
import { keyServerRoutes } from './pages/keyservers.ts';
import { eventRoutes } from './pages/events.ts';
import { logRoutes } from './pages/logs.ts';
import { settingsRoutes } from './pages/settings.ts';
import {
  CONSOLE_COOKIE,
  CONSOLE_CSRF_COOKIE,
  ConsoleSessions,
  type ConsoleSession,
} from './session.ts';

export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export const LANG_COOKIE = '__Host-sekisho-console-lang';
export const TZ_COOKIE = '__Host-sekisho-console-tz';

/** Largest console form (an LDIF pasted into the import page), bytes. */
export const MAX_CONSOLE_FORM_BYTES = 1024 * 1024;

const SIGN_ON_FORM: FormSpec = {
  fields: { uid: 256, password: 1024, csrf: 128, lang: 8 },
  maxBytes: 8192,
};
const SIGN_OFF_FORM: FormSpec = { fields: { csrf: 128 }, maxBytes: 1024 };

export interface ConsoleOptions {
  readonly services: ManagementServices;
  /** The repository server's authentication (console sign-on creates no SSO session). */
  readonly repository: Pick<RepositoryServer, 'authenticate'>;
  /** The role that opens the console (`sekisho-admin`). */
  readonly adminRole: string;
  /** Whether the user still has to replace the one-time password of the first start. */
  readonly mustChangePassword: (user: SsoUser) => boolean;
  /** Called with unexpected errors (the operator only sees a fixed message). */
  readonly onInternalError?: (e: unknown, where: string) => void;
  readonly now?: () => Date;
}

function cookie(name: string, value: string, o: { httpOnly?: boolean; maxAge?: number } = {}) {
  return (
    `${name}=${value}; Path=/; Secure; SameSite=Strict` +
    (o.httpOnly === false ? '' : '; HttpOnly') +
    (o.maxAge === undefined ? '' : `; Max-Age=${o.maxAge}`)
  );
}

function queryOf(req: FastifyRequest, name: string): string | undefined {
  const q: unknown = req.query;
  if (typeof q !== 'object' || q === null) return undefined;
  const v: unknown = (q as Record<string, unknown>)[name];
  const first: unknown = Array.isArray(v) ? (v as unknown[])[0] : v;
  return typeof first === 'string' ? first.slice(0, 1024) : undefined;
}

/** Every string value of a repeated query parameter (at most 16, each trimmed to 1024). */
function queryAllOf(req: FastifyRequest, name: string): string[] {
  const q: unknown = req.query;
  if (typeof q !== 'object' || q === null) return [];
  const v: unknown = (q as Record<string, unknown>)[name];
  const all: unknown[] = Array.isArray(v) ? (v as unknown[]) : [v];
  return all
    .filter((x): x is string => typeof x === 'string')
    .slice(0, 16)
    .map((x) => x.slice(0, 1024));
}

/**
 * Whether a state-changing request comes from this origin, as far as the browser says:
 * `Sec-Fetch-Site` must be `same-origin` (or `none`: typed by the user) when present, and an
 * `Origin` other than `null` must be this origin. (Under `Referrer-Policy: no-referrer`,
 * Chromium sends `Origin: null` with same-origin form posts, so `null` decides nothing; the
 * session-bound CSRF token still does.)
 */
export function sameOrigin(req: FastifyRequest): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  if (origin === undefined || origin === 'null') return true;
  const host = req.headers.host;
  return host !== undefined && origin === `https://${host}`;
}

export function registerConsoleApp(app: FastifyInstance, o: ConsoleOptions): ConsoleSessions {
  const sessions = new ConsoleSessions();
  const now = o.now ?? (() => new Date());

  const routes: ConsoleRoute[] = [
    ...passwordRoutes(o),
    ...userRoutes(),
    ...sessionRoutes(),
    ...roleRoutes(),
    ...keyServerRoutes(),
    ...eventRoutes(),
    ...logRoutes(),
    ...settingsRoutes(),
  ];

  const langOf = (req: FastifyRequest, reply: FastifyReply, posted?: string): ConsoleLang => {
    const asked = posted ?? queryOf(req, 'lang');
    if (asked === 'ja' || asked === 'en') {
      void reply.header('set-cookie', cookie(LANG_COOKIE, asked, { maxAge: 31_536_000 }));
      return asked;
    }
    const c = parseCookies(req.headers.cookie).get(LANG_COOKIE);
    if (c === 'ja' || c === 'en') return c;
    return langFromHeader(req.headers['accept-language']);
  };
  const tzOf = (req: FastifyRequest): string => {
    const raw = parseCookies(req.headers.cookie).get(TZ_COOKIE);
    let decoded: string | undefined;
    try {
      decoded = raw === undefined ? undefined : decodeURIComponent(raw);
    } catch {
      decoded = undefined;
    }
    return checkTimeZone(decoded) ?? SERVER_TIME_ZONE;
  };

  const send = (reply: FastifyReply, status: number, body: string): FastifyReply =>
    reply.code(status).type('text/html; charset=utf-8').send(body);

  /** A page for someone without a session (sign-on, refusals). */
  const bare = (
    reply: FastifyReply,
    status: number,
    lang: ConsoleLang,
    url: string,
    title: TextId,
    message: TextId,
  ): FastifyReply =>
    send(
      reply,
      status,
      layout({
        lang,
        url,
        title: text(lang, title),
        body: html`<p role="alert" class="flash error">${text(lang, message)}</p>
          <p><a href="/console/signon">${text(lang, 'signOnTitle')}</a></p>`,
      }),
    );

  const showSignOn = (
    reply: FastifyReply,
    status: number,
    lang: ConsoleLang,
    url: string,
    extra: { uid?: string; message?: TextId; info?: TextId } = {},
  ): FastifyReply => {
    const csrf = sessions.issueSignOnCsrf(now());
    void reply.header('set-cookie', cookie(CONSOLE_CSRF_COOKIE, csrf.cookie));
    return send(
      reply,
      status,
      layout({
        lang,
        url,
        title: text(lang, 'signOnTitle'),
        body: signOnPage(lang, csrf.token, extra),
      }),
    );
  };

  /** The live session of a request whose user is still an administrator, or undefined. */
  const sessionOf = async (
    req: FastifyRequest,
  ): Promise<{ s: ConsoleSession; user: SsoUser } | undefined> => {
    const s = sessions.open(parseCookies(req.headers.cookie).get(CONSOLE_COOKIE), now().getTime());
    if (s === undefined) return undefined;
    const user = await o.services.users.findByUid(s.uid);
    if (
      user === undefined ||
      user.dn.toLowerCase() !== s.dn.toLowerCase() ||
      user.ssoUserStatus !== 'good' ||
      !(await isAdministrator(user, o.services.accessControl, o.adminRole))
    ) {
      sessions.end(s.id);
      return undefined;
    }
    s.mustChange = o.mustChangePassword(user);
    return { s, user };
  };

  app.register(
    (c, _opts, done) => {
      c.addHook('onSend', (_req, reply, payload, next) => {
        reply.header('content-security-policy', CONSOLE_CSP);
        reply.header('x-frame-options', 'DENY');
        reply.header('referrer-policy', 'no-referrer');
        reply.header('cache-control', 'no-store');
        reply.header('x-content-type-options', 'nosniff');
        next(null, payload);
      });
      // Cross-origin POSTs are refused before their body is read.
      c.addHook('onRequest', (req, reply, next) => {
        if (req.method === 'POST' && !sameOrigin(req)) {
          const lang = langFromHeader(req.headers['accept-language']);
          void bare(reply, 403, lang, '/console/', 'refusedTitle', 'crossOrigin');
          return;
        }
        next();
      });
      c.addContentTypeParser(
        'application/x-www-form-urlencoded',
        { parseAs: 'buffer', bodyLimit: MAX_CONSOLE_FORM_BYTES },
        (_req, body, next) => {
          next(null, body);
        },
      );
      c.setErrorHandler((err: { statusCode?: number }, req, reply) => {
        const status =
          err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500
            ? err.statusCode
            : 500;
        if (status === 500) o.onInternalError?.(err, req.url);
        const lang = langFromHeader(req.headers['accept-language']);
        return bare(
          reply,
          status,
          lang,
          '/console/',
          status === 500 ? 'errorTitle' : 'refusedTitle',
          status === 500 ? 'internalError' : 'badRequest',
        );
      });
      c.setNotFoundHandler((req, reply) => {
        const lang = langFromHeader(req.headers['accept-language']);
        return bare(reply, 404, lang, '/console/', 'notFoundTitle', 'notFound');
      });

      c.get('/assets/console.css', (_req, reply) =>
        reply.type('text/css; charset=utf-8').send(CONSOLE_CSS),
      );
      c.get('/assets/console.js', (_req, reply) =>
        reply.type('text/javascript; charset=utf-8').send(CONSOLE_JS),
      );

      c.get('/', async (req, reply) => {
        langOf(req, reply);
        const found = await sessionOf(req);
        return reply
          .code(303)
          .header('location', found === undefined ? '/console/signon' : '/console/users')
          .send();
      });

      c.get('/signon', async (req, reply) => {
        const lang = langOf(req, reply);
        if ((await sessionOf(req)) !== undefined)
          return reply.code(303).header('location', '/console/users').send();
        return showSignOn(reply, 200, lang, req.url, {
          ...(queryOf(req, 'signedoff') === '1' ? { info: 'signedOff' as const } : {}),
          ...(queryOf(req, 'expired') === '1' ? { info: 'sessionExpired' as const } : {}),
        });
      });

      c.post('/signon', async (req, reply) => {
        let form: Map<string, string>;
        try {
          form = parseForm(bodyBytes(req.body), SIGN_ON_FORM);
        } catch (e) {
          if (!(e instanceof FormError)) throw e;
          return bare(
            reply,
            400,
            langFromHeader(req.headers['accept-language']),
            '/console/signon',
            'refusedTitle',
            'badRequest',
          );
        }
        const lang = langOf(req, reply, form.get('lang'));
        const verdict = sessions.verifySignOnCsrf(
          parseCookies(req.headers.cookie).get(CONSOLE_CSRF_COOKIE),
          form.get('csrf'),
          now(),
        );
        if (verdict !== 'ok')
          return showSignOn(reply, 403, lang, '/console/signon', { message: 'csrfFailed' });
        const uid = form.get('uid') ?? '';
        const password = form.get('password') ?? '';
        if (uid === '' || password === '')
          return showSignOn(reply, 401, lang, '/console/signon', { uid, message: 'signOnFailed' });
        const result = await o.repository.authenticate({
          uid,
          password,
          client: req.socket.remoteAddress,
          authServer: req.socket.localAddress,
        });
        const outcome = result.outcome;
        // One message whatever failed: password, lock, validity or the missing role.
        if (
          outcome.outcome !== 'succeeded' ||
          !(await isAdministrator(outcome.user, o.services.accessControl, o.adminRole))
        )
          return showSignOn(reply, 401, lang, '/console/signon', { uid, message: 'signOnFailed' });
        const user = outcome.user;
        const created = sessions.create(
          user.uid,
          user.dn,
          o.mustChangePassword(user),
          now().getTime(),
        );
        return reply
          .code(303)
          .header('set-cookie', [
            cookie(CONSOLE_COOKIE, created.cookie),
            cookie(CONSOLE_CSRF_COOKIE, '', { maxAge: 0 }),
            cookie(LANG_COOKIE, lang, { maxAge: 31_536_000 }),
          ])
          .header('location', created.session.mustChange ? '/console/password' : '/console/users')
          .send();
      });

      c.post('/signoff', async (req, reply) => {
        const found = await sessionOf(req);
        let form: Map<string, string>;
        try {
          form = parseForm(bodyBytes(req.body), SIGN_OFF_FORM);
        } catch (e) {
          if (!(e instanceof FormError)) throw e;
          form = new Map();
        }
        if (found !== undefined) {
          if (!sessions.checkCsrf(found.s, form.get('csrf')))
            return bare(reply, 403, langOf(req, reply), '/console/', 'refusedTitle', 'csrfFailed');
          sessions.end(found.s.id);
        }
        return reply
          .code(303)
          .header('set-cookie', cookie(CONSOLE_COOKIE, '', { maxAge: 0 }))
          .header('location', '/console/signon?signedoff=1')
          .send();
      });

      for (const route of routes) {
        const spec: FormSpec | undefined =
          route.form === undefined
            ? undefined
            : {
                fields: { ...route.form.fields, csrf: 128 },
                maxBytes: route.form.maxBytes,
                ...(route.form.multiline === undefined ? {} : { multiline: route.form.multiline }),
              };
        c.route({
          method: route.method,
          url: `/${route.path}`,
          handler: async (req, reply) => {
            const lang = langOf(req, reply);
            const found = await sessionOf(req);
            if (found === undefined) {
              if (route.method === 'GET')
                return reply.code(303).header('location', '/console/signon?expired=1').send();
              return bare(reply, 403, lang, '/console/', 'refusedTitle', 'sessionExpired');
            }
            const { s } = found;
            if (s.mustChange && route.path !== 'password')
              return reply.code(303).header('location', '/console/password').send();
            let form = new Map<string, string>();
            if (route.method === 'POST') {
              try {
                form = parseForm(bodyBytes(req.body), spec ?? SIGN_OFF_FORM);
              } catch (e) {
                if (!(e instanceof FormError)) throw e;
                return bare(reply, 400, lang, '/console/', 'refusedTitle', 'badRequest');
              }
              if (!sessions.checkCsrf(s, form.get('csrf')))
                return bare(reply, 403, lang, '/console/', 'refusedTitle', 'csrfFailed');
            }
            const t = (id: TextId, params?: Readonly<Record<string, string | number>>): string => {
              let out = text(lang, id);
              for (const [k, v] of Object.entries(params ?? {}))
                out = out.replaceAll(`{${k}}`, String(v));
              return out;
            };
            const run = async (
              name: string,
              params: Readonly<Record<string, string | boolean | undefined>>,
            ): Promise<CommandOutcome> => {
              const command = findCommand(name);
              if (command === undefined) throw new Error(`no command ${name}`);
              const body: Record<string, string | boolean> = {};
              for (const [k, v] of Object.entries(params))
                if (v !== undefined && v !== false) body[k] = v;
              try {
                const args = argsFromJson(command, body);
                const result = await runCommand(command, args, {
                  services: o.services,
                  lang,
                  rest: true,
                  client: req.socket.remoteAddress,
                });
                return { ok: true, result, data: result.data ?? outputJson(result.output) };
              } catch (e) {
                const f = classifyFailure(e);
                if (f.kind === 'usage') return { ok: false, code: 'USAGE', message: f.message };
                if (f.kind === 'domain')
                  return { ok: false, code: f.code, message: `${f.code}: ${f.message}` };
                o.onInternalError?.(e, name);
                return { ok: false, code: 'INTERNAL', message: text(lang, 'internalError') };
              }
            };
            const r: ConsoleRequest = {
              lang,
              tz: tzOf(req),
              session: s,
              client: req.socket.remoteAddress,
              csrf: sessions.csrfToken(s),
              query: (name) => queryOf(req, name),
              queryAll: (name) => queryAllOf(req, name),
              form,
              t,
              run,
            };
            const answer: ConsoleResponse = await route.handle(r);
            switch (answer.kind) {
              case 'redirect':
                s.flash = answer.flash;
                if (answer.prefs !== undefined)
                  void reply.header('set-cookie', [
                    cookie(LANG_COOKIE, answer.prefs.lang, { maxAge: 31_536_000 }),
                    cookie(TZ_COOKIE, encodeURIComponent(answer.prefs.tz), {
                      maxAge: 31_536_000,
                      httpOnly: false,
                    }),
                  ]);
                return reply.code(303).header('location', answer.to).send();
              case 'download':
                return reply
                  .header('content-disposition', `attachment; filename="${answer.filename}"`)
                  .type(answer.type)
                  .send(answer.body);
              case 'page': {
                const flash = s.flash;
                s.flash = undefined;
                return send(
                  reply,
                  answer.status ?? 200,
                  layout({
                    lang,
                    url: req.url,
                    title: answer.title,
                    body: answer.body,
                    section: answer.section,
                    user: { uid: s.uid, csrf: r.csrf, nav: !s.mustChange },
                    flash,
                    tz: r.tz,
                  }),
                );
              }
              default: {
                const never: never = answer;
                return never;
              }
            }
          },
        });
      }
      done();
    },
    { prefix: '/console' },
  );
  return sessions;
}

function bodyBytes(body: unknown): Uint8Array {
  if (body instanceof Uint8Array) return body;
  if (body === undefined || body === null) return new Uint8Array(0);
  throw new FormError('unknown_field', 'the body is not a form');
}
