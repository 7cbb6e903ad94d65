/**
 * The console, loaded at its first request: its pages, texts and chart code cost an idle
 * `sekisho start` about 8 MB that most starts never use (docs/benchmarks.md, idle RSS).
 *
 * `/console` and everything under `/console/` are taken from the server's app in an `onRequest`
 * hook — before the body is read — and handed, raw request and response, to the console's own
 * Fastify instance (`routing`), built by {@link registerConsoleApp} on the first such request.
 * The console therefore answers exactly as when registered on the server's app: same socket
 * (client address, TLS), same security headers, its own hooks, CSRF and sessions.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { ConsoleOptions } from './app.ts';
import { addSecurityHeaders, MAX_BODY_BYTES } from '../management-api.ts';

/** Whether `url` (path and query) is the console's. */
export function isConsoleUrl(url: string): boolean {
  return url === '/console' || url.startsWith('/console/') || url.startsWith('/console?');
}

export function registerLazyConsole(app: FastifyInstance, o: ConsoleOptions): void {
  let loaded: Promise<FastifyInstance> | undefined;
  const load = (): Promise<FastifyInstance> =>
    (loaded ??= (async () => {
      const { registerConsoleApp } = await import('./app.ts');
      const c = Fastify({ bodyLimit: MAX_BODY_BYTES, logger: false });
      addSecurityHeaders(c);
      registerConsoleApp(c, o);
      await c.ready();
      return c;
    })());
  app.addHook('onRequest', (req, reply, done) => {
    if (!isConsoleUrl(req.url)) {
      done();
      return;
    }
    reply.hijack();
    load().then(
      (c) => {
        c.routing(req.raw, reply.raw);
      },
      (e: unknown) => {
        // Loading failed (a broken installation): said once per request, answered 500.
        loaded = undefined;
        o.onInternalError?.(e, 'loading the console');
        reply.raw.statusCode = 500;
        reply.raw.end();
      },
    );
  });
}
