// chssoconfig and the console's Settings form, on the in-process HTTPS harness: the file is
// changed atomically and only at the allow-listed paths, the lockout and session settings
// apply at once (two wrong passwords lock a user after max-failure-count 2, no restart),
// hostile or malformed input changes nothing (file bytes identical), the form needs its CSRF
// token and shows each bad field's error on the page.
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-argument,
   @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-return -- REST
   answers are JSON whose shape each assertion checks */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { postRest } from '../helpers/rest.ts';
import { ADMIN_TOKEN, Browser, csrfOf } from './sso-harness.ts';
import {
  consoleBrowser,
  consoleCsrf,
  flashOf,
  startConsole,
  type ConsoleFixture,
} from './console-fixture.ts';

let f: ConsoleFixture;
let file: string;
before(async () => {
  f = await startConsole();
  file = path.join(f.server.dataDir, 'sekisho.json');
  // An operator's file with settings chssoconfig does not touch, in the operator's order.
  writeFileSync(
    file,
    '{\n  "business": { "session-cache-ms": 0 },\n  "repository": { "cause-notification": true }\n}\n',
    { mode: 0o640 },
  );
});
after(() => f.close());

const rest = (command: string, body: unknown): Promise<{ status: number; json: any }> =>
  postRest(f.server.origin, f.pki.serverCa.cert, ADMIN_TOKEN, command, body);

const inForce = async (): Promise<Record<string, string>> => {
  const r = await rest('lsssoconfig', {});
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json.data;
};

describe('chssoconfig over REST', () => {
  test('changes the file at the given paths only, keeps the rest, says what is live', async () => {
    const r = await rest('chssoconfig', {
      set: 'repository.lock-out-time=15,logs.keep=3,sessions.forced-sign-on=false',
    });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.deepEqual(r.json.data, [
      { path: 'repository.lock-out-time', before: '0', after: '15', effect: 'now' },
      { path: 'logs.keep', before: '10', after: '3', effect: 'next start' },
      { path: 'sessions.forced-sign-on', before: 'true', after: 'false', effect: 'now' },
    ]);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), {
      business: { 'session-cache-ms': 0 },
      repository: { 'cause-notification': true, 'lock-out-time': 15 },
      logs: { keep: 3 },
      sessions: { 'forced-sign-on': false },
    });
    assert.equal(statSync(file).mode & 0o777, 0o640);
    const s = await inForce();
    assert.equal(s['repository.lock-out-time'], '15');
    assert.equal(s['sessions.forced-sign-on'], 'false');
    assert.equal(s['logs.keep'], '10', 'log rotation: in force only at the next start');
    assert.equal(s['logs.keep (next start)'], '3');
    const system = readFileSync(path.join(f.server.sso.logDir, 'system.log'), 'utf8');
    assert.match(
      system,
      /INFO sso09007 The settings were changed\. Settings=\(repository\.lock-out-time=15,logs\.keep=3,sessions\.forced-sign-on=false\) File=\(.*sekisho\.json\) Client=\(127\.0\.0\.1\)/,
    );
  });

  test('hostile and malformed input is refused, naming the path, and changes nothing', async () => {
    const bytes = readFileSync(file);
    const cases: [string, RegExp][] = [
      ['server.listen=0.0.0.0:1', /not a setting chssoconfig changes/],
      ['__proto__.polluted=1', /not a setting chssoconfig changes/],
      ['repository.__proto__=1', /not a setting chssoconfig changes/],
      ['constructor.prototype=1', /not a setting chssoconfig changes/],
      ['repository.lock-out-time=1\n', /repository\.lock-out-time: value has a control character/],
      ['logs.save-mode=over\u202ewrite', /logs\.save-mode: value has a control character/],
      ['repository.lock-out-time=' + '9'.repeat(40), /longer than 32 characters/],
      ['repository.lock-out-time=-1', /repository\.lock-out-time: must be a whole number/],
      ['repository.lock-out-time=1e3', /repository\.lock-out-time: must be a whole number/],
      ['repository.lock-out-time=999999', /repository\.lock-out-time: must be an integer from 0/],
      ['sessions.forced-sign-on=yes', /sessions\.forced-sign-on: must be true or false/],
      ['logs.save-mode=rotate', /logs\.save-mode: must be one of separate, overwrite/],
      ['logs.keep=1,logs.keep=2', /logs\.keep: given twice/],
      ['logs.keep', /logs\.keep: needs =VALUE/],
      ['logs.keep=1,,', /empty PATH=VALUE/],
      // One bad setting among good ones: none is changed.
      ['repository.password-max-failure-count=1,sessions.idle-timeout=99999', /idle-timeout/],
    ];
    for (const [set, message] of cases) {
      const r = await rest('chssoconfig', { set });
      assert.equal(r.status, 400, `${JSON.stringify(set)}: ${JSON.stringify(r.json)}`);
      assert.match(r.json.error.message, message, JSON.stringify(set));
      assert.doesNotMatch(r.json.error.message, /polluted|\n1\n/);
    }
    const big = await rest('chssoconfig', { set: 'x'.repeat(5000) });
    assert.equal(big.status, 400);
    assert.equal((await rest('chssoconfig', {})).status, 400);
    assert.deepEqual(readFileSync(file), bytes, 'the file is byte for byte unchanged');
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.equal((await inForce())['repository.password-max-failure-count'], '5');
    const leftovers = (await import('node:fs'))
      .readdirSync(f.server.dataDir)
      .filter((n) => n.endsWith('.tmp'));
    assert.deepEqual(leftovers, []);
  });

  test('a lockout change applies at once: two wrong passwords lock the user', async () => {
    await f.server.addUser('gina', { password: 'gina-secret-1' });
    const r = await rest('chssoconfig', { set: 'repository.password-max-failure-count=2' });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const b = new Browser(f.server, f.pki);
    let { csrf } = await b.form();
    for (const password of ['wrong-1', 'wrong-2']) {
      const a = await b.post('/sso/signon', { uid: 'gina', password, csrf });
      assert.equal(a.status, 401, password);
      csrf = csrfOf(a.body);
    }
    assert.equal((await f.server.user('gina')).ssoUserStatus, 'locked');
  });
});

describe('the Settings form', () => {
  test('shows the values in force and changes them with the CSRF token', async () => {
    const b = await consoleBrowser(f);
    const page = await b.request('/console/settings');
    assert.equal(page.status, 200);
    assert.match(page.body, /name="repository\.password-max-failure-count"[^>]*value="2"/);
    const csrf = consoleCsrf(page.body.slice(page.body.indexOf('/console/settings/system')));
    const refused = await b.post('/console/settings/system', {
      'sessions.idle-timeout': '45',
    });
    assert.equal(refused.status, 403);
    assert.equal((await inForce())['sessions.idle-timeout'], '30');
    const done = await b.post('/console/settings/system', {
      csrf,
      'sessions.idle-timeout': '45',
    });
    assert.equal(done.status, 303, done.body);
    const after = await b.request('/console/settings');
    assert.match(flashOf(after.body) ?? '', /sessions\.idle-timeout/);
    assert.equal((await inForce())['sessions.idle-timeout'], '45');
  });

  test('a bad value is shown next to its field and changes nothing', async () => {
    const bytes = readFileSync(file);
    const b = await consoleBrowser(f);
    const page = await b.request('/console/settings');
    const csrf = consoleCsrf(page.body.slice(page.body.indexOf('/console/settings/system')));
    const r = await b.post('/console/settings/system', {
      csrf,
      'sessions.max-lifetime': '99999999',
      'logs.keep': 'many',
    });
    assert.equal(r.status, 400);
    assert.match(
      r.body,
      /id="err-sessions\.max-lifetime"[^>]*>[^<]*must be an integer from 0 to 43200/,
    );
    assert.match(r.body, /id="err-logs\.keep"[^>]*>[^<]*must be a whole number/);
    assert.match(r.body, /name="logs\.keep"[^>]*value="many"/);
    assert.deepEqual(readFileSync(file), bytes);
    assert.ok(existsSync(file));
  });
});

describe('chssoconfig on the command line (no server running)', () => {
  test('changes the file for the next start; a bad value is exit status 2 and changes nothing', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const os = await import('node:os');
    const { runSekisho } = await import('../helpers/kmip-process.ts');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-chssoconfig-'));
    try {
      const sk = (...args: string[]) =>
        runSekisho([...args, '--data-dir', dir], { timeoutMs: 60_000 });
      const ok = await sk('chssoconfig', '-set', 'logs.keep=4,repository.lock-out-time=30');
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /logs\.keep\s+10\s+4\s+next start/);
      assert.match(ok.stdout, /repository\.lock-out-time\s+0\s+30\s+next start/);
      const cfg = path.join(dir, 'sekisho.json');
      assert.equal(statSync(cfg).mode & 0o777, 0o600);
      const bytes = readFileSync(cfg);
      const bad = await sk('chssoconfig', '-set', 'logs.keep=4\u0007');
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /logs\.keep: value has a control character/);
      assert.deepEqual(readFileSync(cfg), bytes);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
