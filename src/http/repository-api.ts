/**
 * The repository server's API (`/repository/v1/`), for authentication servers in other
 * processes or machines. Callers authenticate by mutual TLS: a client certificate issued by
 * the cluster CA (in `sekisho start`, DATA/pki/ca.crt). Anything else is refused with 403, a
 * `Bad request Received failed. (Request from incompatible authentication server)` line and
 * the system-log message sso01051; a malformed body gets 400 and
 * `Bad request Received failed. (Invalid request)`. Nothing is stored for either.
 *
 *   POST /repository/v1/authenticate
 *   {"uid": "alice", "password": "…", "certificate": "<DER, base64>", "client": "192.0.2.7"}
 *   → 200 {"outcome": "succeeded", "method": "basicAuth", "user": {…}, "identification": …}
 *
 * The answer carries what the authentication server needs (outcome, methods, supplementary
 * ids, prompt, the user's DN, uid, roles and re-authentication interval), never a password
 * hash. src/http/repository-client.ts is the other end.
 */
import { isIP } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isRepositoryUnavailable } from '../sso/core/errors.ts';
import type { AttemptOutcome } from '../sso/core/authenticate.ts';
import type { PresentedCertificate } from '../sso/core/certificate-mapping.ts';
import type { RepositoryAuthResult, RepositoryServer } from '../sso/servers/repository-server.ts';

export const REPOSITORY_API_PREFIX = '/repository/v1';
/** Largest request body, bytes (a certificate chain fits with room to spare). */
export const MAX_REPOSITORY_REQUEST = 32 * 1024;

export interface RepositoryApiOptions {
  readonly repository: RepositoryServer;
  /** Whether the TLS peer is an authentication server of this cluster. */
  readonly isClusterPeer: (socket: TLSSocket) => boolean;
  readonly describeCertificate: (der: Uint8Array) => PresentedCertificate;
}

/** The JSON of an outcome, as the client parses it back (repository-client.ts). */
export function outcomeJson(result: RepositoryAuthResult): unknown {
  const o: AttemptOutcome = result.outcome;
  const s = result.session;
  const common = {
    identification: result.identification ?? null,
    notUnique: result.notUnique,
    repositoryLog: o.repositoryLog ?? null,
    released: o.released,
    session:
      s === undefined
        ? null
        : s.kind === 'conflict'
          ? {
              kind: 'conflict',
              pendingId: s.pendingId,
              existing: {
                client: s.existing.client ?? null,
                createdAt: s.existing.createdAt.toISOString(),
              },
            }
          : s,
  };
  if (o.outcome === 'succeeded') {
    return {
      ...common,
      outcome: 'succeeded',
      method: o.method,
      user: {
        dn: o.user.dn,
        uid: o.user.uid,
        ssoRoleName: o.user.ssoRoleName,
        ssoCredentialTTL: o.user.ssoCredentialTTL ?? null,
      },
    };
  }
  return {
    ...common,
    outcome: 'failed',
    reason: o.reason,
    authenticationLog: o.authenticationLog,
    prompt: o.prompt ?? null,
  };
}

type Body = {
  uid?: string;
  password?: string;
  certificate?: Uint8Array;
  client: string;
  sessionId?: string;
};

/** Reads the request body strictly; a string saying what is wrong otherwise. */
export function parseAuthenticateBody(body: unknown): Body | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'not an object';
  const allowed = new Set(['uid', 'password', 'certificate', 'client', 'sessionId']);
  for (const k of Object.keys(body)) if (!allowed.has(k)) return `unknown field ${k}`;
  const get = (k: string): unknown => (body as Record<string, unknown>)[k];
  const text = (k: string, max: number): string | undefined | false => {
    const v = get(k);
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v.length === 0 || Buffer.byteLength(v) > max) return false;
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(v)) return false;
    return v;
  };
  const uid = text('uid', 256);
  const password = text('password', 1024);
  const cert = text('certificate', 24 * 1024);
  const client = text('client', 45);
  const sessionId = text('sessionId', 256);
  if (uid === false || password === false || cert === false || sessionId === false)
    return 'a field is not a string within its limit';
  if (client === false || client === undefined || isIP(client) === 0)
    return 'client must be an IP address';
  if ((uid === undefined) !== (password === undefined)) return 'uid and password go together';
  let certificate: Uint8Array | undefined;
  if (cert !== undefined) {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(cert) || cert.length % 4 !== 0)
      return 'certificate is not base64';
    certificate = Buffer.from(cert, 'base64');
  }
  return {
    client,
    ...(uid === undefined ? {} : { uid }),
    ...(password === undefined ? {} : { password }),
    ...(certificate === undefined ? {} : { certificate }),
    ...(sessionId === undefined ? {} : { sessionId }),
  };
}

export function registerRepositoryApi(app: FastifyInstance, o: RepositoryApiOptions): void {
  app.register(
    (api, _opts, done) => {
      const peerAddress = (req: FastifyRequest) => req.socket.remoteAddress;
      api.addHook('onRequest', (req, reply, next) => {
        const socket = req.raw.socket;
        if (socket instanceof TLSSocket && o.isClusterPeer(socket)) {
          next();
          return;
        }
        o.repository.badRequest(
          { authServer: peerAddress(req), client: undefined },
          'REQUEST_FROM_INCOMPATIBLE_SERVER',
        );
        void reply.code(403).send({
          error: { code: 'FORBIDDEN', message: 'a client certificate of this cluster is required' },
        });
      });
      api.setErrorHandler((err: { statusCode?: number }, req, reply) => {
        // The SSO repository (directory) failed: logged by the repository server already.
        if (isRepositoryUnavailable(err)) {
          return reply.code(503).send({
            error: { code: 'REPOSITORY_UNAVAILABLE', message: 'the SSO repository is unavailable' },
          });
        }
        const status =
          err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500
            ? err.statusCode
            : 500;
        if (status < 500) {
          o.repository.badRequest(
            { authServer: peerAddress(req), client: undefined },
            'INVALID_REQUEST',
          );
        }
        return reply.code(status).send({
          error:
            status === 500
              ? { code: 'INTERNAL', message: 'internal error' }
              : { code: 'BAD_REQUEST', message: 'malformed request' },
        });
      });
      api.post(
        `${REPOSITORY_API_PREFIX}/authenticate`,
        { bodyLimit: MAX_REPOSITORY_REQUEST },
        async (req, reply) => {
          const body = parseAuthenticateBody(req.body);
          if (typeof body === 'string') {
            o.repository.badRequest(
              { authServer: peerAddress(req), client: undefined },
              'INVALID_REQUEST',
            );
            return reply.code(400).send({ error: { code: 'BAD_REQUEST', message: body } });
          }
          let certificate: PresentedCertificate | undefined;
          if (body.certificate !== undefined) {
            try {
              certificate = o.describeCertificate(body.certificate);
            } catch {
              o.repository.badRequest(
                { authServer: peerAddress(req), client: body.client },
                'INVALID_REQUEST',
              );
              return reply
                .code(400)
                .send({ error: { code: 'BAD_REQUEST', message: 'certificate is malformed' } });
            }
          }
          const result = await o.repository.authenticate({
            uid: body.uid,
            password: body.password,
            certificate,
            client: body.client,
            authServer: peerAddress(req),
            sessionId: body.sessionId,
          });
          return outcomeJson(result);
        },
      );
      done();
    },
    { prefix: '' },
  );
}
