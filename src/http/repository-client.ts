/**
 * An authentication server's view of a repository server in another process: HTTPS with the
 * cluster's client certificate to `/repository/v1/authenticate` (src/http/repository-api.ts).
 * The answer is parsed strictly; anything unexpected rejects, and the authentication server
 * treats that as a repository it cannot reach.
 */
import https from 'node:https';
import type { AttemptOutcome, FailureReason, LogResult, Prompt } from '../sso/core/authenticate.ts';
import {
  AUTH_METHOD_TOKENS,
  AUTH_SUPPLEMENTARY_IDS,
  FAILURE_REASONS,
} from '../sso/core/authenticate.ts';
import { newSsoUser } from '../sso/core/user.ts';
import type { RepositoryClient } from '../sso/servers/authentication-server.ts';
import type {
  RepositoryAuthRequest,
  RepositoryAuthResult,
  SessionOutcome,
} from '../sso/servers/repository-server.ts';
import { isSessionId } from '../sso/core/session.ts';
import type { UserIdentification } from '../logs/index.ts';
import { REPOSITORY_API_PREFIX } from './repository-api.ts';

export interface HttpsRepositoryClientOptions {
  /** `https://host:port` of the repository server. */
  readonly origin: string;
  /** PEM: the CA that signed the repository server's certificate. */
  readonly ca: string;
  /** PEM: this authentication server's client certificate and key (cluster CA). */
  readonly cert: string;
  readonly key: string;
  /** Request timeout, ms (default 10,000). */
  readonly timeoutMs?: number;
}

class ResponseError extends Error {
  constructor(message: string) {
    super(`repository server: ${message}`);
    this.name = 'RepositoryResponseError';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function oneOf<T extends string>(table: readonly T[], v: unknown, what: string): T {
  const found = table.find((t) => t === v);
  if (found === undefined) throw new ResponseError(`bad ${what}`);
  return found;
}

function logResult(v: unknown): LogResult {
  if (!isObject(v)) throw new ResponseError('bad log result');
  return {
    method: oneOf(AUTH_METHOD_TOKENS, v['method'], 'method'),
    result: oneOf(['succeeded', 'failed'] as const, v['result'], 'result'),
    supplementary:
      v['supplementary'] === undefined || v['supplementary'] === null
        ? undefined
        : oneOf(AUTH_SUPPLEMENTARY_IDS, v['supplementary'], 'supplementary'),
  };
}

function identification(v: unknown): UserIdentification | undefined {
  if (v === null || v === undefined) return undefined;
  if (!isObject(v)) throw new ResponseError('bad identification');
  const str = (k: string): string => {
    const x = v[k];
    if (typeof x !== 'string') throw new ResponseError('bad identification');
    return x;
  };
  if (v['kind'] === 'dn' || v['kind'] === 'uid') return { kind: v['kind'], value: str('value') };
  if (v['kind'] === 'certificate')
    return {
      kind: 'certificate',
      serial: str('serial'),
      issuerDn: str('issuerDn'),
      subjectDn: str('subjectDn'),
    };
  throw new ResponseError('bad identification');
}

function sessionOutcome(v: unknown): SessionOutcome | undefined {
  if (v === null || v === undefined) return undefined;
  if (!isObject(v)) throw new ResponseError('bad session');
  const id = (x: unknown): string => {
    if (!isSessionId(x)) throw new ResponseError('bad session id');
    return x;
  };
  if (v['kind'] === 'created') return { kind: 'created', sessionId: id(v['sessionId']) };
  if (v['kind'] === 'refused') return { kind: 'refused' };
  if (v['kind'] === 'conflict') {
    const e = v['existing'];
    if (!isObject(e)) throw new ResponseError('bad session');
    const client = e['client'];
    const created = typeof e['createdAt'] === 'string' ? new Date(e['createdAt']) : undefined;
    if (
      (client !== null && typeof client !== 'string') ||
      created === undefined ||
      Number.isNaN(created.getTime())
    )
      throw new ResponseError('bad session');
    return {
      kind: 'conflict',
      pendingId: id(v['pendingId']),
      existing: { client: client ?? undefined, createdAt: created },
    };
  }
  throw new ResponseError('bad session');
}

/** Parses the JSON answer of the repository API. */
export function parseOutcome(v: unknown): RepositoryAuthResult {
  if (!isObject(v)) throw new ResponseError('answer is not an object');
  const repositoryLog =
    v['repositoryLog'] === null || v['repositoryLog'] === undefined
      ? undefined
      : logResult(v['repositoryLog']);
  const released = v['released'] === true;
  const notUnique = v['notUnique'] === true;
  let outcome: AttemptOutcome;
  if (v['outcome'] === 'succeeded') {
    const u = v['user'];
    if (!isObject(u) || typeof u['dn'] !== 'string' || typeof u['uid'] !== 'string')
      throw new ResponseError('bad user');
    const roles = u['ssoRoleName'];
    if (!Array.isArray(roles) || !roles.every((r): r is string => typeof r === 'string'))
      throw new ResponseError('bad roles');
    const ttl = u['ssoCredentialTTL'];
    if (ttl !== null && !(typeof ttl === 'number' && Number.isSafeInteger(ttl) && ttl >= 0))
      throw new ResponseError('bad ssoCredentialTTL');
    if (repositoryLog === undefined) throw new ResponseError('no repository log');
    const method = oneOf(
      ['basicAuth', 'certAuth', 'basicAuthAndCertAuth'] as const,
      v['method'],
      'method',
    );
    outcome = {
      outcome: 'succeeded',
      method,
      user: newSsoUser(u['dn'], u['uid'], {
        ssoRoleName: roles,
        ssoCredentialTTL: ttl ?? undefined,
      }),
      repositoryLog,
      lockout: 'none',
      released,
    };
  } else if (v['outcome'] === 'failed') {
    const prompt: Prompt =
      v['prompt'] === null || v['prompt'] === undefined
        ? undefined
        : oneOf(['password', 'certificate'] as const, v['prompt'], 'prompt');
    const reason: FailureReason = oneOf(FAILURE_REASONS, v['reason'], 'reason');
    outcome = {
      outcome: 'failed',
      reason,
      repositoryLog,
      authenticationLog: logResult(v['authenticationLog']),
      lockout: 'none',
      released,
      prompt,
    };
  } else {
    throw new ResponseError('bad outcome');
  }
  const session = sessionOutcome(v['session']);
  if (session !== undefined && outcome.outcome !== 'succeeded')
    throw new ResponseError('a session for a failed authentication');
  return {
    outcome,
    identification: identification(v['identification']),
    notUnique,
    ...(session === undefined ? {} : { session }),
  };
}

/** The address part of an origin, for the `リポジトリサーバ` field of the authentication log. */
function hostOf(origin: string): string {
  return new URL(origin).hostname.replace(/^\[|\]$/g, '');
}

export class HttpsRepositoryClient implements RepositoryClient {
  readonly address: string;
  readonly #o: HttpsRepositoryClientOptions;
  readonly #agent: https.Agent;

  constructor(options: HttpsRepositoryClientOptions) {
    this.#o = options;
    this.address = hostOf(options.origin);
    this.#agent = new https.Agent({
      keepAlive: true,
      ca: options.ca,
      cert: options.cert,
      key: options.key,
      minVersion: 'TLSv1.2',
    });
  }

  authenticate(req: RepositoryAuthRequest): Promise<RepositoryAuthResult> {
    const body = JSON.stringify({
      ...(req.uid === undefined ? {} : { uid: req.uid }),
      ...(req.password === undefined ? {} : { password: req.password }),
      ...(req.certificate === undefined
        ? {}
        : { certificate: Buffer.from(req.certificate.der).toString('base64') }),
      client: req.client,
      ...(req.sessionId === undefined ? {} : { sessionId: req.sessionId }),
    });
    return new Promise((resolve, reject) => {
      const r = https.request(
        `${this.#o.origin}${REPOSITORY_API_PREFIX}/authenticate`,
        {
          method: 'POST',
          agent: this.#agent,
          headers: { 'content-type': 'application/json' },
          timeout: this.#o.timeoutMs ?? 10_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > 64 * 1024) res.destroy(new ResponseError('answer too large'));
            else chunks.push(c);
          });
          res.on('end', () => {
            try {
              if (res.statusCode !== 200) throw new ResponseError(`HTTP ${String(res.statusCode)}`);
              resolve(parseOutcome(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
            } catch (e) {
              reject(e instanceof Error ? e : new Error(String(e)));
            }
          });
          res.on('error', reject);
        },
      );
      r.on('timeout', () => r.destroy(new ResponseError('timed out')));
      r.on('error', reject);
      r.end(body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
