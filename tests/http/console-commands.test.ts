// The commands behind the console, over REST (the in-process HTTPS harness) and on the command
// line (a real `sekisho` process on a data directory): mkssouser, chssouser, rmssouser, the
// paged lsssouser, lssession, lsssoconfig — including hostile input: control
// characters (a forged LDIF or log line), markup, oversize values, unknown options.
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-argument,
   @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call,
   @typescript-eslint/no-unsafe-member-access -- REST answers are JSON whose shape each
   assertion checks (deepEqual / match) */
import assert from 'node:assert/strict';
import https from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runSekisho } from '../helpers/kmip-process.ts';
import { ADMIN_TOKEN, Browser, csrfOf, dnOf } from './sso-harness.ts';
import { startConsole, type ConsoleFixture } from './console-fixture.ts';

let f: ConsoleFixture;
before(async () => {
  f = await startConsole();
});
after(() => f.close());

function rest(command: string, body: unknown): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      new URL(`/rest/v1/${command}`, f.server.origin),
      {
        method: 'POST',
        ca: f.pki.serverCa.cert,
        agent: false,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            json: JSON.parse(Buffer.concat(chunks).toString('utf8')),
          });
        });
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('REST', () => {
  test('mkssouser creates a user with every attribute, hashed password, and one Modification line', async () => {
    await f.server.takeLogs();
    const r = await rest('mkssouser', {
      object: 'dave',
      password: 'dave-password-1',
      cn: 'Dave Example',
      sn: 'Example',
      mail: 'dave@example.com',
      employeenumber: 'E-1',
      authtype: 'basicAuth',
      notbefore: '20240101000000Z',
      notafter: '20361231235959+0900',
      credentialttl: '60',
      role: 'staff, auditors,staff',
    });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const u = await f.server.user('dave');
    assert.equal(u.dn, dnOf('dave'));
    assert.deepEqual(u.cn, ['Dave Example']);
    assert.deepEqual(u.mail, ['dave@example.com']);
    assert.equal(u.ssoAuthType, 'basicAuth');
    assert.equal(u.ssoNotAfter?.toISOString(), '2036-12-31T14:59:59.000Z');
    assert.equal(u.ssoCredentialTTL, 60);
    assert.deepEqual(u.ssoRoleName, ['staff', 'auditors']);
    assert.match(u.userPassword ?? '', /^\$argon2id\$/);
    assert.deepEqual((await f.server.takeLogs()).repository, [
      `unknown - 127.0.0.1 [T] - "${dnOf('dave')}" Modification succeeded. SessionID="unknown" |`,
    ]);
    const again = await rest('mkssouser', { object: 'dave' });
    assert.equal(again.status, 409);
    assert.equal(again.json.error.code, 'SSO_USER_EXISTS');
  });

  test('hostile values: control characters, oversize, bad dates, unknown options are refused; nothing is written', async () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['mkssouser', { object: 'eve', cn: 'x\ncn: forged' }, /control character/],
      ['mkssouser', { object: 'eve', mail: 'a\r\nb' }, /control character/],
      ['mkssouser', { object: 'eve\u0000' }, /control character/],
      ['mkssouser', { object: 'e:ve' }, /":"/],
      ['mkssouser', { object: 'eve', cn: 'x'.repeat(257) }, /longer than 256/],
      ['mkssouser', { object: 'eve', password: 'p'.repeat(1025) }, /longer than 1024/],
      ['mkssouser', { object: 'eve', notafter: '20991231000000Z' }, /2000-01-01 and 2037-12-31/],
      [
        'mkssouser',
        { object: 'eve', notbefore: '20300101000000Z', notafter: '20250101000000Z' },
        /end after it begins/,
      ],
      ['mkssouser', { object: 'eve', authtype: 'none' }, /-authtype must be/],
      ['mkssouser', { object: 'eve', role: 'a'.repeat(33) }, /longer than 32 bytes/],
      ['mkssouser', { object: 'eve', credentialttl: '-1' }, /whole number/],
      ['mkssouser', { object: 'eve', userPassword: 'x' }, /unknown parameter/],
      ['chssouser', { object: 'dave' }, /nothing to change/],
      ['lsssouser', { count: '0' }, /-count must be/],
    ];
    for (const [command, body, message] of cases) {
      const r = await rest(command, body);
      assert.equal(r.status, 400, `${command} ${JSON.stringify(body)}: ${JSON.stringify(r.json)}`);
      assert.match(r.json.error.message, message);
    }
    assert.equal(await f.server.services.users.findByUid('eve'), undefined);
  });

  test('markup and quotes are stored verbatim and the DN is escaped (RFC 4514)', async () => {
    const uid = '<script>alert("x")</script>,+';
    const r = await rest('mkssouser', { object: uid, cn: `"'><img src=x onerror=alert(1)>` });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const u = await f.server.user(uid);
    assert.equal(
      u.dn,
      'uid=\\<script\\>alert(\\"x\\")\\</script\\>\\,\\+,ou=users,dc=sekisho,dc=local',
    );
    assert.deepEqual(u.cn, [`"'><img src=x onerror=alert(1)>`]);
  });

  test('chssouser changes and removes attributes; -unlock with it; rmssouser deletes and signs off', async () => {
    let r = await rest('chssouser', {
      object: 'dave',
      mail: '',
      cn: 'Dave E.',
      notafter: '',
      role: 'staff',
    });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    let u = await f.server.user('dave');
    assert.deepEqual(u.mail, []);
    assert.deepEqual(u.cn, ['Dave E.']);
    assert.equal(u.ssoNotAfter, undefined);
    assert.deepEqual(u.ssoRoleName, ['staff']);
    // Lock dave through the SSO sign-on, then unlock with a change in one command.
    for (let i = 0; i < 5; i++) {
      const b = new Browser(f.server, f.pki);
      const form = await b.request('/sso/signon');
      await b.post('/sso/signon', { csrf: csrfOf(form.body), uid: 'dave', password: 'wrong' });
    }
    assert.equal((await f.server.user('dave')).ssoUserStatus, 'locked');
    r = await rest('chssouser', { object: 'dave', unlock: true, sn: 'E' });
    assert.equal(r.status, 200);
    u = await f.server.user('dave');
    assert.equal(u.ssoUserStatus, 'good');
    assert.equal(u.ssoFailureCount, 0);
    // Signed on, then deleted: the session ends with the user.
    const b = new Browser(f.server, f.pki);
    const form = await b.request('/sso/signon');
    assert.equal(
      (
        await b.post('/sso/signon', {
          csrf: csrfOf(form.body),
          uid: 'dave',
          password: 'dave-password-1',
        })
      ).status,
      303,
    );
    const s = await rest('lssession', { u: 'dave' });
    assert.equal(s.json.data.sessions.length, 1);
    assert.equal(s.json.data.sessions[0].uid, 'dave');
    assert.equal(typeof s.json.data.sessions[0].idle_seconds, 'number');
    r = await rest('rmssouser', { object: 'dave' });
    assert.equal(r.status, 200);
    assert.match(r.json.output.lines[0], /1 session\(s\) ended/);
    assert.equal(await f.server.services.users.findByUid('dave'), undefined);
    assert.equal((await rest('lssession', { u: 'dave' })).json.data.sessions.length, 0);
    assert.equal((await rest('rmssouser', { object: 'dave' })).status, 404);
  });

  test('lsssouser pages a large population through the repository cursor, by uid or cn prefix', async () => {
    for (let i = 0; i < 45; i++) {
      await f.server.addUser(`pg${String(i).padStart(2, '0')}`, {
        cn: [i % 3 === 0 ? `Tanaka ${i}` : `Sato ${i}`],
      });
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const r = await rest('lsssouser', {
        prefix: 'pg',
        count: '10',
        ...(cursor === undefined ? {} : { cursor }),
      });
      assert.equal(r.status, 200);
      assert.ok(r.json.data.users.length <= 10);
      seen.push(...r.json.data.users.map((u: { uid: string }) => u.uid));
      cursor = r.json.data.next_cursor ?? undefined;
      pages++;
    } while (cursor !== undefined);
    assert.equal(seen.length, 45);
    assert.equal(new Set(seen).size, 45);
    assert.ok(pages >= 5);
    const byCn = await rest('lsssouser', { prefix: 'tanaka', count: '100' });
    assert.equal(byCn.json.data.users.length, 15);
  });

  test('lsssoconfig: the settings of the running server', async () => {
    const cfg = await rest('lsssoconfig', {});
    assert.equal(cfg.json.data['repository.password-max-failure-count'], '5');
  });
});

describe('command line (no server running: the data directory\u2019s store)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-console-cli-'));
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const sk = (...args: string[]) => runSekisho([...args, '--data-dir', dir], { timeoutMs: 60_000 });

  test('mkssouser, lsssouser, chssouser, rmssouser', async () => {
    let r = await sk(
      'mkssouser',
      '-password',
      'cli-password-1',
      '-cn',
      'Cli User',
      '-role',
      'staff',
      'cli1',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /user cli1 created \(uid=cli1,ou=users,dc=sekisho,dc=local\)/);
    r = await sk('lsssouser', '-prefix', 'cli', '-count', '10', '-delim', ',');
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^cli1,uid=cli1,ou=users,dc=sekisho,dc=local,basicAuthOrCertAuth,good,0,,Cli User,staff$/m,
    );
    r = await sk('chssouser', '-mail', 'cli1@example.com', 'cli1');
    assert.equal(r.code, 0, r.stderr);
    r = await sk('lsssouser', 'cli1');
    assert.match(r.stdout, /^mail +cli1@example\.com$/m);
    r = await sk('chssouser', '-cn', 'bad\u0007value', 'cli1');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /control character/);
    r = await sk('mkssouser', '-nosuch', 'x', 'cli2');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown option -nosuch/);
    r = await sk('rmssouser', 'cli1');
    assert.equal(r.code, 0, r.stderr);
    r = await sk('lsssouser', 'cli1');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /SSO_USER_NOT_FOUND/);
    r = await sk('lssession');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /running sekisho start/);
  });
});
