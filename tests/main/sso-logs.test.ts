// The access logs as sekisho start wires them: a log that cannot be written never blocks
// sign-on and raises sso09003 in the system log; IPv6 clients are written in RFC 5952 form;
// rotation follows logs.max-size and logs.save-mode of the configuration.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.ts';
import { createHttpsApp } from '../../src/http/management-api.ts';
import { Metrics } from '../../src/http/metrics.ts';
import { registerSsoApp } from '../../src/http/sso-app.ts';
import { parseAccessLine } from '../../src/logs/index.ts';
import { ACCESS_LOG_FILES, openSso, SYSTEM_LOG_FILE } from '../../src/main/sso.ts';
import { openServices } from '../../src/main/services.ts';
import { issueCertificate, makeCa } from '../../src/pki/certificates.ts';
import { createPasswordHasher } from '../../src/sso/core/password.ts';
import { newSsoUser } from '../../src/sso/core/user.ts';

const hasher = createPasswordHasher({
  params: { memoryKiB: 64, passes: 1, parallelism: 1, hashLength: 32, saltLength: 16 },
});
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function rig(configText: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-sso-logs-'));
  dirs.push(dir);
  const services = openServices(dir);
  const stderr: string[] = [];
  const sso = openSso({
    dataDir: dir,
    config: loadConfig({
      text: JSON.stringify({ sessions: { enabled: false }, ...(JSON.parse(configText) as object) }),
    }),
    services,
    metrics: new Metrics(),
    hasher,
    repositoryAddress: () => '::1',
    stderr: (l) => stderr.push(l),
  });
  await services.users.add(
    newSsoUser('uid=alice,ou=users,dc=sekisho,dc=local', 'alice', {
      userPassword: await hasher.hashPassword('right'),
    }),
  );
  const signOn = (password: string) =>
    sso.authentication.signOn({
      uid: 'alice',
      password,
      client: '::ffff:192.0.2.1',
      businessServer: undefined,
      self: '::1',
    });
  const close = async () => {
    await sso.close();
    services.close();
  };
  return { dir, sso, services, stderr, signOn, close };
}

describe('access logs in sekisho start', () => {
  it('a log that cannot be written never blocks sign-on and raises sso09003', async () => {
    const r = await rig('{}');
    // The repository log's path is a directory: every write fails (EISDIR).
    mkdirSync(path.join(r.sso.logDir, ACCESS_LOG_FILES.repository));
    try {
      const ok = await r.signOn('right');
      assert.equal(ok.ok, true);
      const bad = await r.signOn('wrong');
      assert.equal(bad.ok, false);
      await r.sso.flush();
      const system = readFileSync(path.join(r.sso.logDir, SYSTEM_LOG_FILE), 'utf8');
      const lines = system.split('\n').filter((l) => l.includes(' sso09003 '));
      assert.equal(lines.length, 1, system);
      assert.match(
        lines[0]!,
        /ERROR sso09003 The access log could not be written\. File=\(.*repository-access\.log\) Cause=\(/,
      );
      assert.ok(r.stderr.some((l) => l.includes('sso09003')));
      // The other log is unaffected; the user's state was still kept.
      const auth = readFileSync(path.join(r.sso.logDir, ACCESS_LOG_FILES.authentication), 'utf8');
      assert.equal(auth.split('\n').filter((l) => l !== '').length, 2);
      assert.equal((await r.services.users.findByUid('alice'))?.ssoFailureCount, 1);
    } finally {
      await r.close();
    }
  });

  it('rotates at logs.max-size, keeping one saved file in overwrite mode', async () => {
    const r = await rig('{"logs":{"max-size":400,"save-mode":"overwrite"}}');
    try {
      for (let i = 0; i < 6; i++) await r.signOn(i % 2 === 0 ? 'right' : 'wrong');
      await r.sso.flush();
      const names = readdirSync(r.sso.logDir).sort();
      assert.ok(names.includes('repository-access.log.old'), names.join(' '));
      assert.equal(names.filter((n) => n.startsWith('repository-access.log')).length, 2);
      for (const n of names.filter((n) => n.includes('access.log'))) {
        const text = readFileSync(path.join(r.sso.logDir, n), 'utf8');
        assert.ok(Buffer.byteLength(text) <= 400, n);
        for (const l of text.split('\n').filter((x) => x !== '')) assert.ok(parseAccessLine(l), l);
      }
    } finally {
      await r.close();
    }
  });

  it('an IPv6 client over a real [::1] listener is written in RFC 5952 form', async () => {
    const r = await rig('{}');
    const ca = await makeCa('ipv6 test CA');
    const server = await issueCertificate(ca, { commonName: '::1', ips: ['::1'], usage: 'server' });
    const app = createHttpsApp({ cert: server.cert, key: server.key });
    registerSsoApp(app, r.sso.app);
    const origin = await app.listen({ host: '::1', port: 0 });
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = https.request(
          `${origin}/sso/signon`,
          {
            ca: ca.cert,
            agent: false,
            headers: { authorization: 'Basic ' + Buffer.from('alice:right').toString('base64') },
          },
          (res) => {
            res.resume();
            res.on('end', () => {
              resolve(res.statusCode ?? 0);
            });
          },
        );
        req.on('error', reject);
        req.end();
      });
      assert.equal(status, 303);
      await r.sso.flush();
      const repo = readFileSync(path.join(r.sso.logDir, ACCESS_LOG_FILES.repository), 'utf8');
      const auth = readFileSync(path.join(r.sso.logDir, ACCESS_LOG_FILES.authentication), 'utf8');
      assert.match(
        repo,
        /^::1 - ::1 \[[^\]]+\] - "uid=alice,ou=users,dc=sekisho,dc=local" Authentication\(basicAuth\) succeeded\. \|\n$/,
      );
      assert.match(
        auth,
        /^::1 - unknown - ::1 \[[^\]]+\] - "uid=alice,ou=users,dc=sekisho,dc=local" Authentication\(basicAuth\) succeeded\. \|\n$/,
      );
    } finally {
      await app.close();
      await r.close();
    }
  });
});
