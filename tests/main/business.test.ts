// `sekisho business` as a process: a prepared data directory with a registered site, the real
// business server behind HTTPS with the data directory's certificate, an upstream application
// of the test; allowed, sign-on redirect, its access-log line, and a clean SIGTERM.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CREDENTIAL_COOKIE } from '../../src/http/sso-app.ts';
import { BUSINESS_LOG_FILE } from '../../src/main/business.ts';
import { openServices } from '../../src/main/services.ts';
import { deriveKeys, newCredentialId, sealCredential } from '../../src/sso/core/credential.ts';
import { sessionPolicy } from '../../src/sso/core/session.ts';
import { SessionManager } from '../../src/sso/servers/session-manager.ts';
import { SqliteSessionStore } from '../../src/storage/sqlite/session-store.ts';
import { runSekisho, SEKISHO_BIN } from '../helpers/kmip-process.ts';
import { addAdminSite } from '../helpers/admin-site.ts';

describe('sekisho business', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-business-'));
  let cookie: string;
  let upstream: http.Server;
  const seen: http.IncomingHttpHeaders[] = [];

  before(async () => {
    const init = await runSekisho(['init', '--data-dir', dir]);
    assert.equal(init.code, 0, init.stderr);
    const services = openServices(dir);
    try {
      await addAdminSite(services.accessControl);
      await services.kek.read();
      const key = deriveKeys(await services.serviceId.current()).credential;
      const admin = await services.users.findByUid('admin');
      assert.ok(admin !== undefined);
      // Session management is on by default: sign on a session, as the authentication server does.
      const sessions = new SessionManager({
        store: new SqliteSessionStore(services.db),
        policy: () =>
          sessionPolicy({ idleTimeoutMinutes: 30, maxLifetimeMinutes: 0, forcedSignOn: false }),
        defaultCredentialTtlMinutes: 30,
        logSession: () => undefined,
        logRepository: () => undefined,
      });
      const created = await sessions.signOn(admin, '127.0.0.1', undefined, 'basicAuth');
      assert.equal(created.kind, 'created');
      const now = Math.floor(Date.now() / 1000);
      cookie = `${CREDENTIAL_COOKIE}=${sealCredential(key, {
        id: newCredentialId(),
        dn: admin.dn,
        uid: 'admin',
        method: 'basicAuth',
        issuedAt: now,
        expiresAt: now + 1800,
        sessionId: created.session.id,
      })}`;
    } finally {
      services.close();
    }
    upstream = http.createServer((req, res) => {
      seen.push(req.headers);
      res.end(`upstream ${req.url ?? ''}`);
    });
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
  });
  after(async () => {
    upstream.closeAllConnections();
    await new Promise((r) => upstream.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('protects the upstream over HTTPS and stops on SIGTERM', async () => {
    const addr = upstream.address();
    assert.ok(typeof addr === 'object' && addr !== null);
    const child = spawn(
      process.execPath,
      [
        '--disable-warning=ExperimentalWarning',
        SEKISHO_BIN,
        'business',
        '--data-dir',
        dir,
        '--listen',
        '127.0.0.1:0',
        '--upstream',
        `http://127.0.0.1:${String(addr.port)}`,
        '--public-origin',
        'https://app.example.com',
      ],
      { env: { ...process.env, NODE_OPTIONS: '' } },
    );
    let out = '';
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = once(child, 'exit');
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /listening\s+(https:\/\/127\.0\.0\.1:\d+)\//.exec(out);
          if (m !== null && out.includes('Stop with Ctrl-C')) resolve(m[1]!);
        });
        child.once('exit', (code) => {
          reject(new Error(`sekisho business exited (${String(code)}): ${err}`));
        });
      });
      const ca = readFileSync(path.join(dir, 'pki', 'ca.crt'), 'utf8');
      const get = (p: string, headers: Record<string, string>) =>
        new Promise<{ status: number; location: string | undefined; body: string }>(
          (resolve, reject) => {
            https
              .get(`${url}${p}`, { ca, agent: false, headers }, (res) => {
                let body = '';
                res.on('data', (c: Buffer) => (body += c.toString()));
                res.on('end', () => {
                  resolve({ status: res.statusCode ?? 0, location: res.headers.location, body });
                });
              })
              .on('error', reject);
          },
        );
      const ok = await get('/reports?y=2026', { cookie });
      assert.equal(ok.status, 200, err);
      assert.equal(ok.body, 'upstream /reports?y=2026');
      assert.equal(seen.at(-1)!['x-sekisho-user'], 'admin');
      assert.equal(seen.at(-1)!['x-sekisho-roles'], 'sekisho-admin');
      const signOn = await get('/reports', {});
      assert.equal(signOn.status, 302);
      assert.equal(
        signOn.location,
        `https://127.0.0.1:8443/sso/signon?return=${encodeURIComponent('https://app.example.com/reports')}`,
      );
    } finally {
      child.kill('SIGTERM');
      const code: unknown = (await exited)[0];
      assert.equal(code, 0, err);
    }
    assert.match(out, /stopped \(SIGTERM\)/);
    const log = readFileSync(path.join(dir, 'logs', BUSINESS_LOG_FILE), 'utf8');
    assert.match(log, /"https:\/\/app\.example\.com\/reports\?y=2026".*Authorization succeeded\./);
    assert.match(log, /Authorization failed\. \(/);
  });
});

describe('sekisho business: bad arguments are usage errors and start nothing', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-business-args-'));
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  it('refuses a non-http upstream, an http public origin, a missing upstream, a bad listen', async () => {
    const init = await runSekisho(['init', '--data-dir', dir]);
    assert.equal(init.code, 0, init.stderr);
    const base = ['business', '--data-dir', dir, '--listen', '127.0.0.1:0'];
    const cases: [string[], RegExp][] = [
      [
        ['--upstream', 'ftp://x', '--public-origin', 'https://app.example.com'],
        /upstream must be http\(s\):\/\/host/,
      ],
      [
        ['--upstream', 'http://127.0.0.1:9', '--public-origin', 'http://app.example.com'],
        /publicOrigin must be https:\/\/host\[:port\]/,
      ],
      [
        ['--upstream', 'http://127.0.0.1:9', '--public-origin', 'https://app.example.com/x'],
        /publicOrigin must be https:\/\/host\[:port\]/,
      ],
      [['--public-origin', 'https://app.example.com'], /option -upstream is required/],
    ];
    for (const [args, message] of cases) {
      const r = await runSekisho([...base, ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });
});
