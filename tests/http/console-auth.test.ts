// The console's front door over real HTTPS: security headers on every response, sign-on of an
// administrator only (one generic refusal for wrong passwords, non-administrators and locked
// users), role sets expanded, CSRF on every POST, cross-origin POSTs refused, sign-off, idle
// timeout, and the forced change of the first administrator's one-time password.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { parseAccessEntry } from '../../src/sso/core/access-control.ts';
import { ADMIN_MUST_CHANGE_FILE } from '../../src/main/sso.ts';
import { CONSOLE_CSP } from '../../src/http/console/app.ts';
import { CONSOLE_IDLE_TIMEOUT_MS } from '../../src/http/console/session.ts';
import { Browser, dnOf } from './sso-harness.ts';
import {
  consoleBrowser,
  consoleCsrf,
  flashOf,
  postForm,
  ROOT_PASSWORD,
  startConsole,
  type ConsoleFixture,
} from './console-fixture.ts';

let f: ConsoleFixture;
before(async () => {
  f = await startConsole();
  await f.server.addUser('bob', { password: 'bob-password-1', ssoRoleName: ['staff'] });
});
after(() => f.close());

function assertHeaders(h: Record<string, unknown>): void {
  assert.equal(h['content-security-policy'], CONSOLE_CSP);
  assert.match(CONSOLE_CSP, /frame-ancestors 'none'/);
  assert.equal(h['x-frame-options'], 'DENY');
  assert.equal(h['referrer-policy'], 'no-referrer');
  assert.equal(h['cache-control'], 'no-store');
}

test('every console response carries CSP, X-Frame-Options DENY, no-referrer, no-store', async () => {
  const b = new Browser(f.server, f.pki);
  for (const p of [
    '/console/signon',
    '/console/users',
    '/console/nothing-here',
    '/console/assets/console.css',
  ]) {
    const r = await b.request(p);
    assertHeaders(r.headers);
  }
  const signedOn = await consoleBrowser(f);
  for (const p of [
    '/console/users',
    '/console/sessions',
    '/console/keyservers',
    '/console/events',
    '/console/roles',
    '/console/settings',
    '/console/logs',
  ]) {
    const r = await signedOn.request(p);
    assert.equal(r.status, 200, p);
    assertHeaders(r.headers);
    assert.doesNotMatch(r.body, /<script>|style="|onclick=/, `${p}: no inline script or style`);
  }
});

test('without a session every page sends the browser to the sign-on page; POSTs are refused', async () => {
  const b = new Browser(f.server, f.pki);
  const r = await b.request('/console/users');
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, '/console/signon?expired=1');
  const p = await b.post('/console/user/delete', { csrf: 'x', uid: 'bob' });
  assert.equal(p.status, 403);
  assert.ok(await f.server.services.users.findByUid('bob'));
});

test('sign-on: the cookie is __Host-, Secure, HttpOnly, SameSite=Strict; the sign-on is logged', async () => {
  await f.server.takeLogs();
  const b = new Browser(f.server, f.pki);
  const form = await b.request('/console/signon');
  const r = await b.post('/console/signon', {
    csrf: consoleCsrf(form.body),
    uid: 'root',
    password: ROOT_PASSWORD,
  });
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, '/console/users');
  const c = r.setCookies.find((x) => x.startsWith('__Host-sekisho-console='));
  assert.ok(c);
  assert.match(c, /; Path=\/; Secure; SameSite=Strict; HttpOnly$/);
  const logs = await f.server.takeLogs();
  assert.deepEqual(logs.repository, [
    `127.0.0.1 - 127.0.0.1 [T] - "${dnOf('root')}" Authentication(basicAuth) succeeded. SessionID="unknown" |`,
  ]);
  // No SSO session was created for the console.
  assert.deepEqual(await f.server.sso.admin.sessions?.byUid('root'), []);
});

test('wrong password, unknown user and a non-administrator get the same generic refusal', async () => {
  const attempts: [string, string][] = [
    ['root', 'wrong-password'],
    ['nobody', 'whatever-password'],
    ['bob', 'bob-password-1'],
  ];
  const bodies: string[] = [];
  for (const [uid, password] of attempts) {
    const b = new Browser(f.server, f.pki);
    const form = await b.request('/console/signon');
    const r = await b.post('/console/signon', { csrf: consoleCsrf(form.body), uid, password });
    assert.equal(r.status, 401, uid);
    assert.equal(
      r.setCookies.some((c) => c.startsWith('__Host-sekisho-console=')),
      false,
    );
    bodies.push(flashOf(r.body) ?? '');
  }
  assert.equal(new Set(bodies).size, 1);
  assert.equal(bodies[0], 'Sign-on failed. Check the user ID and the password.');
  await f.server.sso.admin.unlock('root', undefined);
});

test('a role set containing the administrator role opens the console; losing it ends the session', async () => {
  await f.server.services.accessControl.add(
    parseAccessEntry({
      dn: 'cn=operators,dc=sekisho,dc=local',
      attributes: new Map([
        ['objectClass', ['ssoRoleSet']],
        ['cn', ['operators']],
        ['ssoRoleName', ['sekisho-admin']],
      ]),
    }),
  );
  await f.server.addUser('carol', { password: 'carol-password-1', ssoRoleName: ['operators'] });
  const b = await consoleBrowser(f, 'carol', 'carol-password-1');
  assert.equal((await b.request('/console/users')).status, 200);
  await f.server.services.users.modify(dnOf('carol') as never, { ssoRoleName: ['staff'] });
  const r = await b.request('/console/users');
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, '/console/signon?expired=1');
});

test('CSRF: a POST without the token, with a forged one, or with another session\u2019s is refused', async () => {
  const b = await consoleBrowser(f);
  const other = await consoleBrowser(f);
  const otherToken = consoleCsrf((await other.request('/console/users')).body);
  for (const csrf of [undefined, 'forged-token-forged-token-forged-token-abcd', otherToken]) {
    const r = await b.post(
      '/console/user/unlock',
      csrf === undefined ? { uid: 'bob' } : { csrf, uid: 'bob' },
    );
    assert.equal(r.status, 403, String(csrf));
  }
  // The sign-on form needs its double-submit pair too.
  const fresh = new Browser(f.server, f.pki);
  const r = await fresh.post('/console/signon', {
    uid: 'root',
    password: ROOT_PASSWORD,
    csrf: 'x',
  });
  assert.equal(r.status, 403);
});

test('cross-origin POSTs are refused before anything happens (Origin, Sec-Fetch-Site)', async () => {
  const b = await consoleBrowser(f);
  const page = await b.request('/console/users');
  const csrf = consoleCsrf(page.body);
  for (const headers of [
    { origin: 'https://evil.example' },
    { 'sec-fetch-site': 'cross-site' },
    { 'sec-fetch-site': 'same-site' },
  ]) {
    const r = await b.post('/console/settings/prefs', { csrf, lang: 'ja', tz: 'UTC' }, { headers });
    assert.equal(r.status, 403, JSON.stringify(headers));
    assert.equal(flashOf(r.body), 'Requests from other sites are not accepted.');
  }
  const ok = await b.post(
    '/console/settings/prefs',
    { csrf, lang: 'en', tz: 'Asia/Tokyo' },
    {
      headers: { origin: f.server.origin, 'sec-fetch-site': 'same-origin' },
    },
  );
  assert.equal(ok.status, 303);
});

test('sign-off ends the console session; the old cookie no longer opens pages', async () => {
  const b = await consoleBrowser(f);
  const cookie = b.jar.get('__Host-sekisho-console')!;
  const r = await postForm(b, '/console/users', '/console/signoff', {});
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, '/console/signon?signedoff=1');
  const again = await b.request('/console/users', {
    cookieHeader: `__Host-sekisho-console=${cookie}`,
  });
  assert.equal(again.status, 303);
});

test('the console session ends after 15 minutes without a request', async () => {
  const b = await consoleBrowser(f);
  assert.equal((await b.request('/console/users')).status, 200);
  f.server.clockOffsetMs = CONSOLE_IDLE_TIMEOUT_MS + 1000;
  try {
    assert.equal((await b.request('/console/users')).status, 303);
  } finally {
    f.server.clockOffsetMs = 0;
  }
});

test('the one-time password forces a change: only the password page opens until it is changed', async () => {
  const user = await f.server.addUser('admin', {
    password: 'one-time-password',
    ssoRoleName: ['sekisho-admin'],
  });
  const marker = path.join(f.server.dataDir, 'run', ADMIN_MUST_CHANGE_FILE);
  mkdirSync(path.dirname(marker), { recursive: true });
  const sha = createHash('sha256').update(user.userPassword!).digest('hex');
  writeFileSync(marker, JSON.stringify({ dn: user.dn, passwordSha256: sha }));
  const b = new Browser(f.server, f.pki);
  const form = await b.request('/console/signon');
  const r = await b.post('/console/signon', {
    csrf: consoleCsrf(form.body),
    uid: 'admin',
    password: 'one-time-password',
  });
  assert.equal(r.headers.location, '/console/password');
  for (const p of ['/console/users', '/console/keyservers', '/console/settings']) {
    const g = await b.request(p);
    assert.equal(g.status, 303, p);
    assert.equal(g.headers.location, '/console/password');
  }
  const page = await b.request('/console/password');
  assert.doesNotMatch(page.body, /<nav/, 'no navigation during the forced change');
  // Too short, mismatched, wrong current: refused with a message, nothing changed.
  for (const [current, next, confirm, message] of [
    ['one-time-password', 'short', 'short', 'at least 12 characters'],
    [
      'one-time-password',
      'a-long-new-password',
      'another-new-password',
      'The new passwords do not match.',
    ],
    [
      'wrong-password',
      'a-long-new-password',
      'a-long-new-password',
      'The current password is not correct.',
    ],
  ] as const) {
    const p = await postForm(b, '/console/password', '/console/password', {
      current,
      next,
      confirm,
    });
    assert.equal(p.headers.location, '/console/password');
    assert.equal(flashOf((await b.request('/console/password')).body), message);
  }
  await f.server.sso.admin.unlock('admin', undefined);
  const done = await postForm(b, '/console/password', '/console/password', {
    current: 'one-time-password',
    next: 'a-long-new-password',
    confirm: 'a-long-new-password',
  });
  assert.equal(done.headers.location, '/console/users');
  const users = await b.request('/console/users');
  assert.equal(users.status, 200);
  assert.equal(flashOf(users.body), 'The password was changed.');
  assert.equal(existsSync(marker), false, 'the marker is gone once the password changed');
  const stored = (await f.server.user('admin')).userPassword!;
  assert.match(stored, /^\$argon2id\$/);
  assert.notEqual(stored, user.userPassword);
  // The new password signs on; the one-time password no longer does.
  await consoleBrowser(f, 'admin', 'a-long-new-password');
});
