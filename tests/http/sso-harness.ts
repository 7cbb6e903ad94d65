// The authentication server as `sekisho start` builds it (src/main/start.ts), in process, over
// real HTTPS on 127.0.0.1 and an ephemeral port: the embedded store in a fresh data directory,
// the real repository and authentication servers, their access-log files, a private CA for the
// listener and one for client certificates. A light argon2id keeps sign-ons fast.
//
// `Browser` is an HTTPS client with a cookie jar (optionally presenting a client certificate);
// `takeLogs()` flushes the access logs and returns the lines written since the last call, with
// the timestamp replaced by `[T]` once its format has been checked.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config/index.ts';
import { createHttpsApp, registerManagementApi } from '../../src/http/management-api.ts';
import { Metrics } from '../../src/http/metrics.ts';
import { registerSsoApp } from '../../src/http/sso-app.ts';
import { registerForwardAuth } from '../../src/http/forward-auth.ts';
import { bundleFingerprints, verifiedBy } from '../../src/http/tls-peer.ts';
import {
  ACCESS_LOG_FILES,
  ADMIN_ROLE,
  mustChangePasswordCheck,
  openSso,
  type SsoRoles,
} from '../../src/main/sso.ts';
import { registerLazyConsole } from '../../src/http/console/lazy.ts';
import { openServices, type OpenServices } from '../../src/main/services.ts';
import { openSettings } from '../../src/main/settings.ts';
import {
  issueCertificate,
  makeCa,
  type CertificateAuthority,
  type CertificateRequest,
  type IssuedCertificate,
} from '../../src/pki/certificates.ts';
import { parseAccessEntry } from '../../src/sso/core/access-control.ts';
import { createPasswordHasher, type PasswordHasher } from '../../src/sso/core/password.ts';
import { newSsoUser, type SsoUser } from '../../src/sso/core/user.ts';

export const USER_BASE = 'ou=users,dc=sekisho,dc=local';
export const dnOf = (uid: string): string => `uid=${uid},${USER_BASE}`;
/** The return URL of the registered site `dc=app,dc=example,dc=com` (port 443). */
export const APP_URL = 'https://app.example.com/';
export const ADMIN_TOKEN = 'test-admin-token-0123456789';

/**
 * The CAs of a test: the listener's (also the cluster CA, as in `sekisho start`), the CA of
 * users' certificates, and an untrusted one.
 */
export interface TestPki {
  readonly serverCa: CertificateAuthority;
  readonly server: IssuedCertificate;
  readonly clientCa: CertificateAuthority;
  readonly otherCa: CertificateAuthority;
}

export async function makePki(): Promise<TestPki> {
  const serverCa = await makeCa('sekisho-http-test-server-ca');
  const server = await issueCertificate(serverCa, {
    commonName: '127.0.0.1',
    ips: ['127.0.0.1'],
    usage: 'server',
  });
  return {
    serverCa,
    server,
    clientCa: await makeCa('sekisho-http-test-client-ca'),
    otherCa: await makeCa('sekisho-http-test-untrusted-ca'),
  };
}

/** A client certificate of `ca`. */
export function clientCertificate(
  ca: CertificateAuthority,
  req: Omit<CertificateRequest, 'usage'>,
): Promise<IssuedCertificate> {
  return issueCertificate(ca, { ...req, usage: 'client' });
}

export const LIGHT_HASHER: PasswordHasher = createPasswordHasher({
  params: { memoryKiB: 64, passes: 1, parallelism: 1, hashLength: 32, saltLength: 16 },
});

export interface StartOptions {
  readonly pki: TestPki;
  /** The configuration file's content, JSON (default `{}`). */
  readonly config?: unknown;
  /** Ask clients for certificates of `pki.clientCa`. */
  readonly clientCertificates?: boolean;
  /** Also serve `/rest/v1/` (bearer {@link ADMIN_TOKEN}). */
  readonly management?: boolean;
  /** Also serve the business server's forward authentication, `GET /auth/verify`. */
  readonly forwardAuth?: boolean;
  /** Also serve the administration console, `/console/` (administrator role: ADMIN_ROLE). */
  readonly console?: boolean;
}

export interface LogLines {
  readonly repository: string[];
  readonly authentication: string[];
}

export interface SsoServer {
  readonly origin: string;
  readonly dataDir: string;
  readonly services: OpenServices;
  readonly sso: SsoRoles;
  readonly app: FastifyInstance;
  readonly metrics: Metrics;
  /** Added to the clock of the HTTP layer (credential expiry, CSRF expiry), milliseconds. */
  clockOffsetMs: number;
  /** Adds an SSO user under {@link USER_BASE}; `password` is hashed with the light hasher. */
  addUser(
    uid: string,
    fields?: Partial<Omit<SsoUser, 'dn' | 'uid'>> & { password?: string },
  ): Promise<SsoUser>;
  user(uid: string): Promise<SsoUser>;
  takeLogs(): Promise<LogLines>;
  close(): Promise<void>;
}

const TIMESTAMP = /\[\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4}\]/;

export async function startSso(o: StartOptions): Promise<SsoServer> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-http-'));
  const services = openServices(dataDir);
  // Session management off unless a test turns it on: these tests are about the repository and
  // authentication servers, whose lines then carry no SessionID (tests/http/sso-sessions.test.ts
  // covers sessions).
  const given: object = typeof o.config === 'object' && o.config !== null ? o.config : {};
  const config = loadConfig({ text: JSON.stringify({ sessions: { enabled: false }, ...given }) });
  const metrics = new Metrics();
  const holder: { address?: string; server?: SsoServer } = {};
  const sso = openSso({
    dataDir,
    config,
    services,
    metrics,
    hasher: LIGHT_HASHER,
    now: () => new Date(Date.now() + (holder.server?.clockOffsetMs ?? 0)),
    repositoryAddress: () => holder.address,
    stderr: () => undefined,
  });
  await services.accessControl.add(
    parseAccessEntry({
      dn: 'ou=sites,dc=sekisho,dc=local',
      attributes: new Map([
        ['objectClass', ['top', 'organizationalUnit']],
        ['ou', ['sites']],
      ]),
    }),
  );
  await services.accessControl.add(
    parseAccessEntry({
      dn: 'dc=app,dc=example,dc=com,ou=sites,dc=sekisho,dc=local',
      attributes: new Map([
        ['objectClass', ['top', 'domain', 'ssoSite']],
        ['dc', ['app']],
        ['ssoPortNumber', ['443']],
      ]),
    }),
  );
  // As src/main/start.ts: the listener asks for certificates of the cluster CA (here the one
  // that issued the listener's certificate) and of the user CAs; only the latter sign on.
  const userCas =
    o.clientCertificates === true ? bundleFingerprints(o.pki.clientCa.cert) : undefined;
  const app = createHttpsApp({
    cert: o.pki.server.cert,
    key: o.pki.server.key,
    clientCa:
      o.pki.serverCa.cert + '\n' + (o.clientCertificates === true ? o.pki.clientCa.cert : ''),
  });
  const managementServices = {
    ...services,
    sso: sso.admin,
    accessLogDir: sso.logDir,
    userSearchBase: USER_BASE,
    settings: openSettings({
      file: path.join(dataDir, 'sekisho.json'),
      started: config,
      apply: (c) => {
        sso.applySettings(c);
      },
      systemLog: sso.systemLog,
    }),
  };
  if (o.management === true) {
    registerManagementApi(app, { services: managementServices, adminToken: ADMIN_TOKEN });
  }
  if (o.console === true) {
    // As `sekisho start` serves it: loaded at the first /console request (src/http/console/lazy.ts).
    registerLazyConsole(app, {
      services: managementServices,
      repository: sso.consoleRepository,
      adminRole: ADMIN_ROLE,
      mustChangePassword: mustChangePasswordCheck(dataDir),
      now: () => new Date(Date.now() + (holder.server?.clockOffsetMs ?? 0)),
    });
  }
  const server: SsoServer = {
    origin: '',
    dataDir,
    services,
    sso,
    app,
    metrics,
    clockOffsetMs: 0,
    addUser: async (uid, fields = {}) => {
      const { password, ...rest } = fields;
      const user = newSsoUser(dnOf(uid), uid, {
        cn: [uid],
        sn: [uid],
        ...(password === undefined
          ? {}
          : { userPassword: await LIGHT_HASHER.hashPassword(password) }),
        ...rest,
      });
      await services.users.add(user);
      return user;
    },
    user: async (uid) => {
      const u = await services.users.findByUid(uid);
      assert.ok(u, `user ${uid}`);
      return u;
    },
    takeLogs: async () => {
      await sso.flush();
      const take = (file: string, kind: keyof LogLines): string[] => {
        let text: string;
        try {
          text = readFileSync(path.join(sso.logDir, file), 'utf8');
        } catch {
          text = '';
        }
        const lines = text.split('\n').filter((l) => l !== '');
        const fresh = lines.slice(seen[kind]);
        seen[kind] = lines.length;
        return fresh.map((l) => {
          assert.match(l, TIMESTAMP, l);
          return l.replace(TIMESTAMP, '[T]');
        });
      };
      return {
        repository: take(ACCESS_LOG_FILES.repository, 'repository'),
        authentication: take(ACCESS_LOG_FILES.authentication, 'authentication'),
      };
    },
    close: async () => {
      await app.close();
      await sso.close();
      services.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  const seen = { repository: 0, authentication: 0 };
  holder.server = server;
  if (o.forwardAuth === true) {
    registerForwardAuth(app, {
      business: sso.business,
      signOnUrl: () => `${server.origin}/sso/signon`,
    });
  }
  registerSsoApp(app, {
    ...sso.app,
    isUserCertificate: (socket) => userCas !== undefined && verifiedBy(socket, userCas),
    now: () => new Date(Date.now() + server.clockOffsetMs),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address() as AddressInfo;
  holder.address = address.address;
  return Object.assign(server, { origin: `https://127.0.0.1:${address.port}` });
}

export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The raw Set-Cookie headers of this reply. */
  readonly setCookies: readonly string[];
}

export interface RequestOptions {
  readonly method?: 'GET' | 'POST';
  readonly body?: string | Buffer;
  readonly headers?: Record<string, string>;
  /** Send no cookie, whatever the jar holds. */
  readonly noCookies?: boolean;
  /** Send exactly this Cookie header. */
  readonly cookieHeader?: string;
}

/** An HTTPS client with a cookie jar for one origin; optionally with a client certificate. */
export class Browser {
  readonly jar = new Map<string, string>();
  readonly #server: SsoServer;
  readonly #ca: string;
  readonly #client: IssuedCertificate | undefined;

  constructor(server: SsoServer, pki: TestPki, client?: IssuedCertificate) {
    this.#server = server;
    this.#ca = pki.serverCa.cert;
    this.#client = client;
  }

  request(urlPath: string, o: RequestOptions = {}): Promise<Reply> {
    const cookie =
      o.cookieHeader ??
      (o.noCookies === true || this.jar.size === 0
        ? undefined
        : [...this.jar].map(([k, v]) => `${k}=${v}`).join('; '));
    return new Promise((resolve, reject) => {
      const req = https.request(
        new URL(urlPath, this.#server.origin),
        {
          method: o.method ?? 'GET',
          ca: this.#ca,
          agent: false,
          ...(this.#client === undefined ? {} : { cert: this.#client.cert, key: this.#client.key }),
          headers: { ...(cookie === undefined ? {} : { cookie }), ...o.headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const raw = res.headers['set-cookie'] ?? [];
            for (const c of raw) {
              const [pair] = c.split(';');
              const eq = pair!.indexOf('=');
              const name = pair!.slice(0, eq);
              if (/;\s*Max-Age=0(;|$)/i.test(c)) this.jar.delete(name);
              else this.jar.set(name, pair!.slice(eq + 1));
            }
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString('utf8'),
              setCookies: raw,
            });
          });
        },
      );
      req.on('error', reject);
      req.end(o.body);
    });
  }

  /** POSTs an `application/x-www-form-urlencoded` body (a string is sent as it is). */
  post(
    urlPath: string,
    form: string | Record<string, string>,
    o: RequestOptions = {},
  ): Promise<Reply> {
    const body = typeof form === 'string' ? form : new URLSearchParams(form).toString();
    return this.request(urlPath, {
      ...o,
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...o.headers },
    });
  }

  /** GET /sso/signon and the CSRF token of its form. */
  async form(query = ''): Promise<{ reply: Reply; csrf: string }> {
    const reply = await this.request(`/sso/signon${query}`);
    return { reply, csrf: csrfOf(reply.body) };
  }
}

/** The CSRF token embedded in a form page. */
export function csrfOf(html: string): string {
  const m = /<input type="hidden" name="csrf" value="([A-Za-z0-9_-]+)">/.exec(html);
  assert.ok(m, `no CSRF token in ${html}`);
  return m[1]!;
}

/** The Set-Cookie header of `name` in a reply. */
export function setCookie(reply: Reply, name: string): string | undefined {
  return reply.setCookies.find((c) => c.startsWith(`${name}=`));
}

export const basicHeader = (uid: string, password: string): string =>
  'Basic ' + Buffer.from(`${uid}:${password}`, 'utf8').toString('base64');

/** The lines of a request no form parser or check accepted. */
export const INVALID_REQUEST_LINE =
  '127.0.0.1 - unknown - unknown [T] - "unknown" Authentication(unknown) failed. (Invalid request) |';

/** Authentication-log line. */
export const authLine = (business: string, repo: string, user: string, result: string): string =>
  `127.0.0.1 - ${business} - ${repo} [T] - "${user}" ${result} |`;
/** Repository-log line (authentication server and client both 127.0.0.1). */
export const repoLine = (user: string, result: string): string =>
  `127.0.0.1 - 127.0.0.1 [T] - "${user}" ${result} |`;
