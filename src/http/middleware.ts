/**
 * The business server inside an application: a Fastify plugin and an Express middleware that
 * ask the {@link Verifier} about every request before the application sees it.
 *
 * - allowed: the request goes on with `request.sekisho = { uid, dn, roles }`;
 * - sign on: `302` to the sign-on page with `return=<original URL>`;
 * - denied, or a site the repository does not know: `403` and a small page;
 * - the verifier failed (e.g. the service ID cannot be read): `503`.
 *
 * The original URL is the public origin (what browsers type, e.g. `https://app.example.com`)
 * and the request target, so that a TLS terminator or port mapping in front of the
 * application does not change which protected resource is checked. Express is typed
 * structurally: nothing here imports it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyPluginCallback, FastifyReply } from 'fastify';
import {
  checkPublicOrigin,
  credentialOf,
  identityIsClean,
  originalUrl,
  refusalPage,
  REFUSAL_HEADERS,
  REFUSALS,
  requestIdOf,
  signOnLocation,
  type Decision,
  type GuardOptions,
  type Refusal,
  type SekishoIdentity,
  type Verifier,
} from './business-guard.ts';

// Module augmentation is how Fastify types a request decorator; it is ambient (erased).
// eslint-disable-next-line no-restricted-syntax
declare module 'fastify' {
  interface FastifyRequest {
    /** Who is asking, set by {@link sekishoFastify}; null where the path is unprotected. */
    sekisho: SekishoIdentity | null;
  }
}

export interface MiddlewareOptions extends GuardOptions {
  /** Told when the verifier fails (the client gets 503). */
  readonly onError?: (error: unknown) => void;
}

/** What a guard does with one request. */
type Outcome =
  | { readonly kind: 'next'; readonly identity: SekishoIdentity | null }
  | { readonly kind: 'redirect'; readonly location: string }
  | { readonly kind: 'refuse'; readonly refusal: Refusal };

function guard(
  verifier: Verifier,
  o: MiddlewareOptions,
): (req: {
  target: string | undefined;
  headers: IncomingMessage['headers'];
  client: string | undefined;
  requestId: string | undefined;
}) => Promise<Outcome> {
  const origin = checkPublicOrigin(o.publicOrigin);
  return async (req) => {
    const url = originalUrl(origin, req.target);
    if (url === undefined) return { kind: 'refuse', refusal: 'badRequest' };
    let d: Decision;
    try {
      d = await verifier.verify({
        token: credentialOf(req.headers),
        url,
        client: req.client,
        requestId: req.requestId,
      });
    } catch (e) {
      o.onError?.(e);
      return { kind: 'refuse', refusal: 'unavailable' };
    }
    switch (d.kind) {
      case 'allow': {
        const identity = { uid: d.uid, dn: d.dn, roles: Object.freeze([...d.roles]) };
        return identityIsClean(identity)
          ? { kind: 'next', identity: Object.freeze(identity) }
          : { kind: 'refuse', refusal: 'forbidden' };
      }
      case 'signon':
        return { kind: 'redirect', location: signOnLocation(o.signOnUrl, url) };
      case 'deny':
        return { kind: 'refuse', refusal: 'forbidden' };
      case 'unprotected':
        return o.passUnprotectedPaths === true && d.reason === 'path'
          ? { kind: 'next', identity: null }
          : { kind: 'refuse', refusal: 'forbidden' };
      default: {
        const never: never = d;
        throw new Error(`unknown decision ${JSON.stringify(never)}`);
      }
    }
  };
}

/**
 * A Fastify plugin (not encapsulated: it guards every route of the instance it is registered
 * on) that checks each request in an `onRequest` hook and sets `request.sekisho`.
 *
 *     app.register(sekishoFastify(businessServer, { publicOrigin, signOnUrl }));
 */
export function sekishoFastify(verifier: Verifier, o: MiddlewareOptions): FastifyPluginCallback {
  const check = guard(verifier, o);
  const send = (reply: FastifyReply, refusal: Refusal): FastifyReply =>
    reply
      .code(REFUSALS[refusal].status)
      .headers(REFUSAL_HEADERS)
      .type('text/html; charset=utf-8')
      .send(refusalPage(refusal));
  const plugin: FastifyPluginCallback = (app, _opts, done) => {
    app.decorateRequest('sekisho', null);
    app.addHook('onRequest', async (request, reply) => {
      const out = await check({
        target: request.url,
        headers: request.headers,
        client: request.ip,
        requestId: request.id,
      });
      switch (out.kind) {
        case 'next':
          request.sekisho = out.identity;
          return;
        case 'redirect':
          return reply.code(302).headers(REFUSAL_HEADERS).header('location', out.location).send();
        case 'refuse':
          return send(reply, out.refusal);
        default: {
          const never: never = out;
          throw new Error(`unknown outcome ${JSON.stringify(never)}`);
        }
      }
    });
    done();
  };
  // What fastify-plugin does: the hook and decorator apply to the parent instance.
  return Object.assign(plugin, {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: 'sekisho',
  });
}

/** The parts of an Express request the middleware reads and sets. */
export interface ExpressLikeRequest extends IncomingMessage {
  /** The URL before any mount point was cut off (Express sets it). */
  originalUrl?: string;
  /** The client address as Express's `trust proxy` setting sees it. */
  readonly ip?: string | undefined;
  sekisho?: SekishoIdentity | null;
}

/** `req.sekisho` of a request the middleware let through (null: an unprotected path). */
export function sekishoOf(req: ExpressLikeRequest): SekishoIdentity | null {
  return req.sekisho ?? null;
}

export type ExpressLikeMiddleware = (
  req: ExpressLikeRequest,
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void;

/**
 * An Express (4 or 5) middleware, or any connect-style `(req, res, next)` one, that checks each
 * request and sets `req.sekisho`.
 *
 *     app.use(sekishoExpress(businessServer, { publicOrigin, signOnUrl }));
 */
export function sekishoExpress(verifier: Verifier, o: MiddlewareOptions): ExpressLikeMiddleware {
  const check = guard(verifier, o);
  return (req, res, next) => {
    check({
      target: req.originalUrl ?? req.url,
      headers: req.headers,
      client: req.ip ?? req.socket.remoteAddress,
      requestId: requestIdOf(req.headers),
    }).then(
      (out) => {
        if (out.kind === 'next') {
          req.sekisho = out.identity;
          next();
          return;
        }
        if (out.kind === 'redirect') {
          res.writeHead(302, { ...REFUSAL_HEADERS, location: out.location, 'content-length': 0 });
          res.end();
          return;
        }
        const body = refusalPage(out.refusal);
        res.writeHead(REFUSALS[out.refusal].status, {
          ...REFUSAL_HEADERS,
          'content-type': 'text/html; charset=utf-8',
          'content-length': Buffer.byteLength(body),
        });
        res.end(body);
      },
      (e: unknown) => {
        next(e);
      },
    );
  };
}
