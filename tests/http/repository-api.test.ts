// The repository server's API over real HTTPS with mutual TLS, and the authentication server of
// another "process" using it through HttpsRepositoryClient: the cluster's client certificate is
// required, malformed requests are `Bad request Received failed.` lines and store nothing.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config/index.ts';
import { createHttpsApp } from '../../src/http/management-api.ts';
import { Metrics } from '../../src/http/metrics.ts';
import { registerRepositoryApi } from '../../src/http/repository-api.ts';
import { HttpsRepositoryClient, parseOutcome } from '../../src/http/repository-client.ts';
import { bundleFingerprints, verifiedBy } from '../../src/http/tls-peer.ts';
import { formatAccessLine, parseRepositoryLine, type AccessRecord } from '../../src/logs/index.ts';
import { ACCESS_LOG_FILES, openSso, type SsoRoles } from '../../src/main/sso.ts';
import { openServices, type OpenServices } from '../../src/main/services.ts';
import {
  issueCertificate,
  makeCa,
  type CertificateAuthority,
  type IssuedCertificate,
} from '../../src/pki/certificates.ts';
import { describeCertificate } from '../../src/pki/client-certificate.ts';
import { deriveKeys, openCredential } from '../../src/sso/core/credential.ts';
import { createPasswordHasher } from '../../src/sso/core/password.ts';
import { newSsoUser } from '../../src/sso/core/user.ts';
import { AuthenticationServer } from '../../src/sso/servers/authentication-server.ts';

const hasher = createPasswordHasher({
  params: { memoryKiB: 64, passes: 1, parallelism: 1, hashLength: 32, saltLength: 16 },
});
const DN = 'uid=alice,ou=users,dc=sekisho,dc=local';

let dir: string;
let services: OpenServices;
let sso: SsoRoles;
let app: FastifyInstance;
let origin: string;
let cluster: CertificateAuthority;
let other: CertificateAuthority;
let member: IssuedCertificate;
let stranger: IssuedCertificate;

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-repo-api-'));
  services = openServices(dir);
  sso = openSso({
    dataDir: dir,
    config: loadConfig({
      text: '{"repository":{"password-max-failure-count":3},"sessions":{"enabled":false}}',
    }),
    services,
    metrics: new Metrics(),
    hasher,
    repositoryAddress: () => '127.0.0.1',
    stderr: () => undefined,
  });
  cluster = await makeCa('test cluster CA');
  other = await makeCa('some other CA');
  const server = await issueCertificate(cluster, {
    commonName: '127.0.0.1',
    ips: ['127.0.0.1'],
    usage: 'server',
  });
  member = await issueCertificate(cluster, { commonName: 'auth-server-2', usage: 'client' });
  stranger = await issueCertificate(other, { commonName: 'auth-server-x', usage: 'client' });
  const cas = bundleFingerprints(cluster.cert);
  app = createHttpsApp({ cert: server.cert, key: server.key, clientCa: cluster.cert });
  registerRepositoryApi(app, {
    repository: sso.repository,
    isClusterPeer: (s) => verifiedBy(s, cas),
    describeCertificate,
  });
  origin = await app.listen({ host: '127.0.0.1', port: 0 });
  await services.users.add(
    newSsoUser(DN, 'alice', {
      userPassword: await hasher.hashPassword('right'),
      ssoAuthType: 'basicAuth',
      ssoRoleName: ['staff'],
      ssoCredentialTTL: 60,
    }),
  );
});

after(async () => {
  await app.close();
  await sso.close();
  services.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Lines of the repository access log written so far (after a flush). */
async function repositoryLines(): Promise<string[]> {
  await sso.flush();
  const text = readFileSync(path.join(sso.logDir, ACCESS_LOG_FILES.repository), 'utf8');
  return text.split('\n').filter((l) => l !== '');
}

function post(
  body: string,
  cert: IssuedCertificate | undefined,
  contentType = 'application/json',
): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const r = https.request(
      `${origin}/repository/v1/authenticate`,
      {
        method: 'POST',
        ca: cluster.cert,
        agent: false,
        ...(cert === undefined ? {} : { cert: cert.cert, key: cert.key }),
        headers: { 'content-type': contentType },
      },
      (res) => {
        let t = '';
        res.on('data', (c: Buffer) => (t += c.toString()));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(t) as unknown });
        });
      },
    );
    r.on('error', reject);
    r.end(body);
  });
}

async function failureCount(): Promise<number> {
  return (await services.users.findByUid('alice'))?.ssoFailureCount ?? -1;
}

describe('repository API (/repository/v1/authenticate)', () => {
  it('authenticates for a cluster authentication server; the line names it and the client', async () => {
    const client = new HttpsRepositoryClient({
      origin,
      ca: cluster.cert,
      cert: member.cert,
      key: member.key,
    });
    try {
      const ok = await client.authenticate({
        uid: 'alice',
        password: 'right',
        client: '192.0.2.7',
        authServer: undefined,
      });
      if (ok.outcome.outcome !== 'succeeded') assert.fail(`failed: ${ok.outcome.reason}`);
      assert.equal(ok.outcome.user.dn, DN);
      assert.deepEqual(ok.outcome.user.ssoRoleName, ['staff']);
      assert.equal(ok.outcome.user.ssoCredentialTTL, 60);
      assert.deepEqual(ok.identification, { kind: 'dn', value: DN });
      const bad = await client.authenticate({
        uid: 'alice',
        password: 'wrong',
        client: '2001:db8::7',
        authServer: undefined,
      });
      assert.equal(bad.outcome.outcome, 'failed');
      assert.equal(bad.outcome.repositoryLog?.supplementary, 'COUNT_UP_FAILURE_COUNT');
      assert.equal(await failureCount(), 1);
      const lines = (await repositoryLines()).slice(-3);
      const parsed = lines.map((l) => parseRepositoryLine(l));
      assert.deepEqual(
        parsed.map((p) => [p?.authServer, p?.client, p?.token, p?.outcome]),
        [
          ['127.0.0.1', '192.0.2.7', 'Authentication(basicAuth)', 'succeeded'],
          ['127.0.0.1', '2001:db8::7', 'Authentication(basicAuth)', 'failed'],
          ['127.0.0.1', '2001:db8::7', 'Modification', 'succeeded'],
        ],
      );
    } finally {
      client.close();
    }
  });

  it('an authentication server in another process signs on through it', async () => {
    const client = new HttpsRepositoryClient({
      origin,
      ca: cluster.cert,
      cert: member.cert,
      key: member.key,
    });
    const key = deriveKeys(await sso.serviceId.current()).credential;
    const records: AccessRecord[] = [];
    const remote = new AuthenticationServer({
      repository: client,
      credentialKey: () => Promise.resolve(key),
      defaultCredentialTtlMinutes: 30,
      log: (r) => records.push(r),
    });
    try {
      const r = await remote.signOn({
        uid: 'alice',
        password: 'right',
        client: '192.0.2.9',
        businessServer: 'app.example.com',
        self: undefined,
      });
      assert.ok(r.ok);
      const opened = openCredential(key, r.token, new Date());
      assert.ok(opened.ok);
      assert.equal(opened.claims.uid, 'alice');
      assert.equal(opened.claims.expiresAt! - opened.claims.issuedAt, 60 * 60);
      assert.match(
        formatAccessLine(records[0]!),
        /^192\.0\.2\.9 - app\.example\.com - 127\.0\.0\.1 \[[^\]]+\] - "uid=alice,ou=users,dc=sekisho,dc=local" Authentication\(basicAuth\) succeeded\. \|$/,
      );
      assert.equal(await failureCount(), 0);
    } finally {
      client.close();
    }
  });

  it('refuses a caller without a cluster certificate: 403, Bad request Received, sso01051', async () => {
    for (const cert of [undefined, stranger]) {
      const r = await post(
        JSON.stringify({ uid: 'alice', password: 'wrong', client: '192.0.2.1' }),
        cert,
      );
      assert.equal(r.status, 403);
    }
    const lines = (await repositoryLines()).slice(-2);
    for (const l of lines) {
      assert.match(
        l,
        /^127\.0\.0\.1 - unknown \[[^\]]+\] - "unknown" Bad request Received failed\. \(Request from incompatible authentication server\) \|$/,
      );
      assert.ok(parseRepositoryLine(l));
    }
    const syslog = readFileSync(path.join(sso.logDir, 'system.log'), 'utf8');
    assert.match(
      syslog,
      / ERROR sso01051 Accept of request failed\. Kind=\(Authenticate\) IPAddr=\(127\.0\.0\.1\)\n/,
    );
    assert.equal(await failureCount(), 0, 'nothing was counted');
  });

  it('malformed bodies: 400, Bad request Received (Invalid request), nothing stored', async () => {
    const bodies = [
      '{',
      '[]',
      '"x"',
      JSON.stringify({ uid: 'alice', password: 'wrong' }),
      JSON.stringify({ uid: 'alice', password: 'wrong', client: 'not-an-ip' }),
      JSON.stringify({ uid: 'alice', client: '192.0.2.1' }),
      JSON.stringify({ uid: 'alice', password: 'wrong', client: '192.0.2.1', admin: true }),
      JSON.stringify({ uid: 'a\nb', password: 'wrong', client: '192.0.2.1' }),
      JSON.stringify({ uid: 'alice', password: 7, client: '192.0.2.1' }),
      JSON.stringify({ uid: 'x'.repeat(300), password: 'wrong', client: '192.0.2.1' }),
      JSON.stringify({ certificate: '!!!', client: '192.0.2.1' }),
      JSON.stringify({ certificate: 'AAAA', client: '192.0.2.1' }),
      JSON.stringify({ uid: 'alice', password: 'x'.repeat(40_000), client: '192.0.2.1' }),
    ];
    const before = (await repositoryLines()).length;
    for (const b of bodies) {
      const r = await post(b, member);
      assert.equal(r.status === 400 || r.status === 413, true, `${b.slice(0, 60)} → ${r.status}`);
    }
    const r = await post('uid=alice', member, 'application/x-www-form-urlencoded');
    assert.equal(r.status, 415);
    const lines = (await repositoryLines()).slice(before);
    assert.equal(lines.length, bodies.length + 1);
    for (const l of lines) {
      assert.match(l, / - "unknown" Bad request Received failed\. \(Invalid request\) \|$/);
      assert.ok(parseRepositoryLine(l), l);
    }
    assert.equal(await failureCount(), 0);
  });

  it('the client refuses any answer that is not a well-formed outcome', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        try {
          // Whatever parses is a complete outcome: a success names its user and method.
          const r = parseOutcome(v);
          if (r.outcome.outcome === 'succeeded') {
            assert.equal(typeof r.outcome.user.dn, 'string');
            assert.equal(r.outcome.repositoryLog.method, r.outcome.method);
          } else {
            assert.equal(typeof r.outcome.reason, 'string');
          }
        } catch (e) {
          assert.ok(e instanceof Error);
          assert.match(e.message, /^repository server: /);
        }
      }),
      { numRuns: 3000 },
    );
    assert.throws(() => parseOutcome({ outcome: 'succeeded', method: 'basicAuth' }), /bad user/);
    assert.throws(
      () =>
        parseOutcome({
          outcome: 'failed',
          reason: 'wrong_password',
          authenticationLog: { method: 'basicAuth', result: 'failed', supplementary: 'NOPE' },
        }),
      /bad supplementary/,
    );
  });
});

describe('repository API answers with sessions', () => {
  it('carries the session outcome to the authentication server and back, exactly', async () => {
    const { outcomeJson } = await import('../../src/http/repository-api.ts');
    const { newSessionId } = await import('../../src/sso/core/session.ts');
    const user = newSsoUser(DN, 'alice', { ssoRoleName: ['staff'] });
    const base = {
      outcome: {
        outcome: 'succeeded' as const,
        method: 'basicAuth' as const,
        user,
        repositoryLog: {
          method: 'basicAuth' as const,
          result: 'succeeded' as const,
          supplementary: undefined,
        },
        lockout: 'none' as const,
        released: false,
      },
      identification: { kind: 'dn' as const, value: DN },
      notUnique: false,
    };
    const created = { kind: 'created' as const, sessionId: newSessionId() };
    const conflict = {
      kind: 'conflict' as const,
      pendingId: newSessionId(),
      existing: { client: '192.0.2.1', createdAt: new Date('2026-11-23T01:02:03.000Z') },
    };
    for (const session of [created, conflict, { kind: 'refused' as const }]) {
      const back = parseOutcome(JSON.parse(JSON.stringify(outcomeJson({ ...base, session }))));
      assert.deepEqual(back.session, session);
    }
    // A session id of the wrong shape, or a session for a failed authentication, is refused.
    const wire = JSON.parse(JSON.stringify(outcomeJson({ ...base, session: created }))) as Record<
      string,
      unknown
    >;
    assert.throws(
      () => parseOutcome({ ...wire, session: { kind: 'created', sessionId: 'x' } }),
      /bad session id/,
    );
    assert.throws(
      () =>
        parseOutcome({
          ...wire,
          outcome: 'failed',
          reason: 'wrong_password',
          authenticationLog: { method: 'basicAuth', result: 'failed' },
        }),
      /a session for a failed authentication/,
    );
  });
});
