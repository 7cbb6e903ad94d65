/**
 * The management REST API: `POST /rest/v1/COMMAND` with a JSON body of the same parameters
 * as the command line (see docs/rest.md), administrator authentication by bearer token, and
 * `GET /healthz`. The only place that knows HTTP status codes.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { argsFromJson, classifyFailure, findCommand, runCommand } from '../management/runner.ts';
import { MANAGEMENT_COMMANDS } from '../management/commands.ts';
import type { ManagementServices } from '../management/context.ts';
import { outputJson } from '../management/output.ts';

export interface ManagementApiOptions {
  readonly services: ManagementServices;
  /** The administrator token; compared in constant time. */
  readonly adminToken: string;
  readonly tls: { readonly cert: string; readonly key: string };
  /** Called with unexpected errors (the client only sees INTERNAL). */
  readonly onInternalError?: (e: unknown, command: string) => void;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Constant-time comparison of the presented bearer token with the expected one. */
export function tokenMatches(header: string | undefined, expected: string): boolean {
  const m = /^Bearer ([A-Za-z0-9._~+/=-]{1,512})$/.exec(header ?? '');
  // Hash both so the comparison takes the same time whatever the lengths.
  return timingSafeEqual(digest(m?.[1] ?? ''), digest(expected)) && m !== null;
}

/**
 * The HTTPS application every route lives on: TLS 1.2+, 1 MiB bodies, and the headers every
 * response carries. With `clientCa`, clients are asked for a certificate (optional: verified
 * against those CAs and judged by each route; see src/http/sso-app.ts).
 */
export function createHttpsApp(tls: {
  readonly cert: string;
  readonly key: string;
  readonly clientCa?: string | undefined;
}): FastifyInstance {
  const app = Fastify({
    https: {
      cert: tls.cert,
      key: tls.key,
      minVersion: 'TLSv1.2',
      ...(tls.clientCa === undefined
        ? {}
        : { ca: tls.clientCa, requestCert: true, rejectUnauthorized: false }),
    },
    bodyLimit: MAX_BODY_BYTES,
    logger: false,
  });
  addSecurityHeaders(app);
  return app;
}

/** Largest request body of the server's apps, bytes (1 MiB). */
export const MAX_BODY_BYTES = 1024 * 1024;

/** The headers every answer of the server carries: no caching, no sniffing, HSTS. */
export function addSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', (_req, reply, payload, done) => {
    reply.header('cache-control', 'no-store');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('strict-transport-security', 'max-age=31536000');
    done(null, payload);
  });
}

/** The management API alone on its own HTTPS app, with `/healthz` (tests, tools). */
export function buildManagementApi(o: ManagementApiOptions): FastifyInstance {
  const app = createHttpsApp(o.tls);
  app.get('/healthz', () => ({ status: 'ok' }));
  registerManagementApi(app, o);
  return app;
}

/** Adds `/rest/v1/` to an app. */
export function registerManagementApi(
  app: FastifyInstance,
  o: Omit<ManagementApiOptions, 'tls'>,
): void {
  // Authenticate before the body is read: an unauthenticated client cannot make us parse it.
  app.addHook('onRequest', (req, reply, done) => {
    if (!req.url.startsWith('/rest/v1') || tokenMatches(req.headers.authorization, o.adminToken)) {
      done();
      return;
    }
    void reply
      .code(401)
      .header('www-authenticate', 'Bearer realm="sekisho"')
      .send({ error: { code: 'UNAUTHORIZED', message: 'administrator authentication required' } });
  });

  app.get('/rest/v1', () =>
    Object.entries(MANAGEMENT_COMMANDS).map(([name, c]) => ({ command: name, summary: c.summary })),
  );

  const handle = async (
    name: string,
    req: FastifyRequest,
    reply: FastifyReply,
  ): Promise<unknown> => {
    const command = findCommand(name);
    if (!command)
      return reply.code(404).send({
        error: { code: 'UNKNOWN_COMMAND', message: `no command ${JSON.stringify(name)}` },
      });
    const lang = /^ja\b/i.test(req.headers['accept-language'] ?? '') ? 'ja' : 'en';
    try {
      const args = argsFromJson(command, req.body);
      // The CLI renders the text itself and does not need `data` built for it.
      const rest = req.headers['x-sekisho-client'] !== 'cli';
      const result = await runCommand(command, args, {
        services: o.services,
        lang,
        rest,
        client: req.socket.remoteAddress,
      });
      return {
        command: name,
        data: result.data ?? outputJson(result.output),
        output: result.output,
        messages: result.messages ?? [],
        warnings: result.warnings ?? [],
        ...(result.file === undefined ? {} : { file: result.file }),
        failed: result.failed ?? false,
      };
    } catch (e) {
      const f = classifyFailure(e);
      if (f.kind === 'usage')
        return reply.code(400).send({ error: { code: 'USAGE', message: f.message } });
      if (f.kind === 'domain')
        return reply.code(f.status).send({ error: { code: f.code, message: f.message } });
      o.onInternalError?.(e, name);
      return reply.code(500).send({ error: { code: 'INTERNAL', message: 'internal error' } });
    }
  };

  // Commands that carry files (import-ldif) declare a larger body; the others get 1 MiB.
  for (const [name, c] of Object.entries(MANAGEMENT_COMMANDS)) {
    if (c.maxBodyBytes !== undefined) {
      app.post(`/rest/v1/${name}`, { bodyLimit: c.maxBodyBytes }, (req, reply) =>
        handle(name, req, reply),
      );
    }
  }
  app.post<{ Params: { command: string } }>('/rest/v1/:command', (req, reply) =>
    handle(req.params.command, req, reply),
  );

  // Malformed JSON and wrong content types: fastify's own 4xx, with our error shape.
  // (Routes registered in their own plugin context, like /sso/, keep their own handler.)
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const status =
      err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    void reply.code(status).send({
      error:
        status === 500
          ? { code: 'INTERNAL', message: 'internal error' }
          : { code: 'BAD_REQUEST', message: err.message },
    });
  });
}
