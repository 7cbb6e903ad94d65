// The sign-on form over real HTTPS: the page and its headers, both languages, escaping of what
// the browser sent, password sign-on with its cookie and redirect, the signed-on state, the
// failure messages with and without cause notification, and the access-log lines of each.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PAGE_CSP } from '../../src/http/sso-pages.ts';
import {
  APP_URL,
  Browser,
  authLine,
  csrfOf,
  dnOf,
  makePki,
  repoLine,
  setCookie,
  startSso,
  type SsoServer,
  type TestPki,
} from './sso-harness.ts';

let pki: TestPki;
let server: SsoServer;
/** The same, with `cause-notification: true`. */
let telling: SsoServer;

const ALICE = dnOf('alice');
const RETURN = `?return=${encodeURIComponent(APP_URL)}`;
const CSRF_COOKIE =
  /^__Host-sekisho-csrf=[A-Za-z0-9_-]{22}; Path=\/; Secure; HttpOnly; SameSite=Lax$/;
const CREDENTIAL_COOKIE =
  /^__Host-sekisho-credential=[A-Za-z0-9_-]{100,}; Path=\/; Secure; HttpOnly; SameSite=Lax; Max-Age=1800$/;
const INCORRECT = '<p class="alert" role="alert">User name or password is incorrect.</p>';
const LOCKED = '<p class="alert" role="alert">This user is locked. Contact your administrator.</p>';

before(async () => {
  pki = await makePki();
  server = await startSso({ pki, config: { repository: { 'password-max-failure-count': 3 } } });
  telling = await startSso({
    pki,
    config: { repository: { 'password-max-failure-count': 3, 'cause-notification': true } },
  });
  for (const s of [server, telling]) {
    await s.addUser('alice', { password: 'alice-secret' });
    await s.addUser('locked', {
      password: 'locked-secret',
      ssoUserStatus: 'locked',
      ssoFailureCount: 3,
      ssoLockTimeStamp: new Date(Date.now() - 60_000),
    });
  }
});
after(async () => {
  await server.close();
  await telling.close();
});

test('GET /sso/signon: the form, a CSRF cookie, security headers, no log line', async () => {
  const b = new Browser(server, pki);
  const { reply, csrf } = await b.form();
  assert.equal(reply.status, 200);
  assert.equal(reply.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(reply.setCookies.length, 1);
  assert.match(reply.setCookies[0]!, CSRF_COOKIE);
  assert.equal(reply.headers['content-security-policy'], PAGE_CSP);
  assert.match(PAGE_CSP, /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]+={0,2}'; /);
  assert.equal(reply.headers['x-frame-options'], 'DENY');
  assert.equal(reply.headers['referrer-policy'], 'no-referrer');
  assert.equal(reply.headers['cache-control'], 'no-store');
  assert.equal(reply.headers['strict-transport-security'], 'max-age=31536000');
  assert.match(reply.body, /^<!doctype html><html lang="en">/);
  assert.match(reply.body, /<form method="post" action="\/sso\/signon">/);
  assert.match(reply.body, /<label>User ID<input name="uid" /);
  assert.match(reply.body, /<label>Password<input name="password" type="password" /);
  assert.equal(csrf.length, 54);
  assert.doesNotMatch(reply.body, /<script|name="return"/);
  assert.deepEqual(await server.takeLogs(), { repository: [], authentication: [] });
});

test('lang=ja and Accept-Language: ja give the Japanese page; lang=en wins over the header', async () => {
  const b = new Browser(server, pki);
  const pages = [
    await b.request('/sso/signon?lang=ja'),
    await b.request('/sso/signon', { headers: { 'accept-language': 'ja' } }),
    await b.request('/sso/signon', { headers: { 'accept-language': 'ja-JP,ja;q=0.9,en;q=0.8' } }),
  ];
  for (const r of pages) {
    assert.equal(r.status, 200);
    assert.match(r.body, /^<!doctype html><html lang="ja">/);
    assert.match(r.body, /<title>Sekisho — サインオン<\/title>/);
    assert.match(r.body, /<label>ユーザID<input name="uid" /);
    assert.match(r.body, /<label>パスワード<input /);
    assert.match(r.body, /<input type="hidden" name="lang" value="ja">/);
    assert.match(r.body, /<a href="\/sso\/signon\?lang=en" hreflang="en">English<\/a>/);
  }
  for (const r of [
    await b.request('/sso/signon?lang=en', { headers: { 'accept-language': 'ja' } }),
    await b.request('/sso/signon', { headers: { 'accept-language': 'en-US,ja;q=0.5' } }),
    await b.request('/sso/signon?lang=%3Cb%3E', { headers: { 'accept-language': 'fr' } }),
  ]) {
    assert.match(r.body, /^<!doctype html><html lang="en">/);
    assert.doesNotMatch(r.body, /<b>/);
  }
});

test('what the browser sent is reflected HTML-escaped, never raw', async () => {
  const b = new Browser(server, pki);
  const hostileReturn = `${APP_URL}?q="><script>alert(1)</script>'&x=<b>`;
  const { reply, csrf } = await b.form(`?return=${encodeURIComponent(hostileReturn)}`);
  assert.equal(reply.status, 200);
  assert.doesNotMatch(reply.body, /<script|<b>|"><script|'&x/);
  assert.ok(
    reply.body.includes(
      '<input type="hidden" name="return" value="https://app.example.com/?q=&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#39;&amp;x=&lt;b&gt;">',
    ),
    reply.body,
  );
  const hostileUid = `"><img src=x onerror=alert(1)>`;
  const r = await b.post('/sso/signon', {
    uid: hostileUid,
    password: 'guess',
    csrf,
    return: hostileReturn,
  });
  assert.equal(r.status, 401);
  assert.doesNotMatch(r.body, /<img|<script|"><img|'&x/);
  assert.match(
    r.body,
    /<input name="uid" autocomplete="username" required maxlength="256" autofocus value="&quot;&gt;&lt;img src=x onerror=alert\(1\)&gt;">/,
  );
  assert.ok(r.body.includes(INCORRECT));
  assert.deepEqual(await server.takeLogs(), {
    repository: [
      repoLine(
        '\\"><img src=x onerror=alert(1)>',
        'Authentication(basicAuth) failed. (Invalid ID or password)',
      ),
    ],
    authentication: [
      authLine(
        'app.example.com',
        '127.0.0.1',
        '\\"><img src=x onerror=alert(1)>',
        'Authentication(basicAuth) failed. (Authentication by ID and password is required)',
      ),
    ],
  });
});

test('the right password: 303 to the return URL with the credential cookie', async () => {
  const b = new Browser(server, pki);
  const { csrf } = await b.form(RETURN);
  const r = await b.post('/sso/signon', {
    uid: 'alice',
    password: 'alice-secret',
    csrf,
    return: APP_URL,
    lang: 'en',
  });
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, APP_URL);
  assert.equal(r.body, '');
  assert.equal(r.setCookies.length, 1);
  assert.match(r.setCookies[0]!, CREDENTIAL_COOKIE);
  assert.equal(server.metrics.signOns.get(['basicAuth', 'succeeded']), 1);
  assert.deepEqual(await server.takeLogs(), {
    repository: [repoLine(ALICE, 'Authentication(basicAuth) succeeded.')],
    authentication: [
      authLine('app.example.com', '127.0.0.1', ALICE, 'Authentication(basicAuth) succeeded.'),
    ],
  });

  // Signed on: straight to a return URL, no new attempt, no line.
  const again = await b.request(`/sso/signon${RETURN}`);
  assert.equal(again.status, 303);
  assert.equal(again.headers.location, APP_URL);
  assert.deepEqual(again.setCookies, []);
  // Without one: the signed-on page names the user and offers to sign off.
  const page = await b.request('/sso/signon');
  assert.equal(page.status, 200);
  assert.ok(page.body.includes('<p>Signed on as <strong>alice</strong>.</p>'), page.body);
  assert.match(page.body, /<form method="post" action="\/sso\/signoff">/);
  const ja = await b.request('/sso/signon?lang=ja');
  assert.ok(ja.body.includes('<p><strong>alice</strong> としてサインオンしています。</p>'));
  assert.deepEqual(await server.takeLogs(), { repository: [], authentication: [] });

  // Sign off: the credential cookie is removed, the form comes back.
  // (Each page sets a new CSRF cookie: the token of the last one goes with the jar's cookie.)
  const off = await b.post('/sso/signoff', { csrf: csrfOf(ja.body), lang: 'en' });
  assert.equal(off.status, 200);
  assert.ok(off.body.includes('You have signed off.'));
  assert.equal(
    setCookie(off, '__Host-sekisho-credential'),
    '__Host-sekisho-credential=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0',
  );
  assert.equal(b.jar.has('__Host-sekisho-credential'), false);
  const form = await b.request(`/sso/signon${RETURN}`);
  assert.equal(form.status, 200);
  assert.match(form.body, /name="password"/);
  assert.deepEqual(await server.takeLogs(), { repository: [], authentication: [] });
});

test('without a return URL the sign-on lands on the signed-on page; TTL 0 is a session cookie', async () => {
  await server.addUser('forever', { password: 'forever-secret', ssoCredentialTTL: 0 });
  const b = new Browser(server, pki);
  const { csrf } = await b.form('?lang=ja');
  const r = await b.post('/sso/signon', {
    uid: 'forever',
    password: 'forever-secret',
    csrf,
    lang: 'ja',
  });
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, '/sso/signon?lang=ja');
  assert.match(
    setCookie(r, '__Host-sekisho-credential')!,
    /^__Host-sekisho-credential=[A-Za-z0-9_-]+; Path=\/; Secure; HttpOnly; SameSite=Lax$/,
  );
  const page = await b.request(r.headers.location);
  assert.ok(page.body.includes('<strong>forever</strong> としてサインオンしています。'));
  assert.deepEqual(await server.takeLogs(), {
    repository: [repoLine(dnOf('forever'), 'Authentication(basicAuth) succeeded.')],
    authentication: [
      authLine('unknown', '127.0.0.1', dnOf('forever'), 'Authentication(basicAuth) succeeded.'),
    ],
  });
});

test('a wrong password: 401, the form again with the one generic message, counted', async () => {
  const b = new Browser(server, pki);
  const { csrf } = await b.form(RETURN);
  const r = await b.post('/sso/signon', {
    uid: 'alice',
    password: 'wrong',
    csrf,
    return: APP_URL,
  });
  assert.equal(r.status, 401);
  assert.ok(r.body.includes(INCORRECT), r.body);
  assert.match(r.body, /name="uid" [^>]*value="alice"/);
  assert.match(r.body, /<input type="hidden" name="return" value="https:\/\/app.example.com\/">/);
  assert.match(setCookie(r, '__Host-sekisho-csrf')!, CSRF_COOKIE);
  assert.equal(setCookie(r, '__Host-sekisho-credential'), undefined);
  assert.equal((await server.user('alice')).ssoFailureCount, 1);
  assert.deepEqual(await server.takeLogs(), {
    repository: [
      repoLine(ALICE, 'Authentication(basicAuth) failed. (Count up failure count)'),
      repoLine(ALICE, 'Modification succeeded. (Count up failure count)'),
    ],
    authentication: [
      authLine(
        'app.example.com',
        '127.0.0.1',
        ALICE,
        'Authentication(basicAuth) failed. (Authentication by ID and password is required)',
      ),
    ],
  });

  // An unknown user and a locked user (right password) read exactly the same.
  const unknown = await b.post('/sso/signon', {
    uid: 'nobody',
    password: 'x',
    csrf: csrfOf(r.body),
  });
  assert.equal(unknown.status, 401);
  assert.ok(unknown.body.includes(INCORRECT));
  const locked = await b.post('/sso/signon', {
    uid: 'locked',
    password: 'locked-secret',
    csrf: csrfOf(unknown.body),
  });
  assert.equal(locked.status, 401);
  assert.ok(locked.body.includes(INCORRECT));
  assert.equal(locked.body.includes('locked.'), false);
  assert.deepEqual(await server.takeLogs(), {
    repository: [
      repoLine('nobody', 'Authentication(basicAuth) failed. (Invalid ID or password)'),
      repoLine(dnOf('locked'), 'Authentication(basicAuth) failed. (Already locked)'),
    ],
    authentication: [
      authLine(
        'unknown',
        '127.0.0.1',
        'nobody',
        'Authentication(basicAuth) failed. (Authentication by ID and password is required)',
      ),
      authLine('unknown', '127.0.0.1', dnOf('locked'), 'Authentication(basicAuth) failed.'),
    ],
  });
  // The right password resets the count.
  const ok = await b.post('/sso/signon', {
    uid: 'alice',
    password: 'alice-secret',
    csrf: csrfOf(locked.body),
  });
  assert.equal(ok.status, 303);
  assert.equal((await server.user('alice')).ssoFailureCount, 0);
  assert.deepEqual((await server.takeLogs()).repository, [
    repoLine(ALICE, 'Authentication(basicAuth) succeeded.'),
    repoLine(ALICE, 'Modification succeeded. (Failure count reset)'),
  ]);
});

test('cause-notification: a locked user is told so, in both languages; others are not', async () => {
  const b = new Browser(telling, pki);
  let { csrf } = await b.form();
  const locked = await b.post('/sso/signon', { uid: 'locked', password: 'locked-secret', csrf });
  assert.equal(locked.status, 401);
  assert.ok(locked.body.includes(LOCKED), locked.body);
  assert.equal(locked.body.includes(INCORRECT), false);
  const ja = await b.post('/sso/signon', {
    uid: 'locked',
    password: 'locked-secret',
    csrf: csrfOf(locked.body),
    lang: 'ja',
  });
  assert.ok(
    ja.body.includes(
      '<p class="alert" role="alert">この利用者はロックされています。管理者に連絡してください。</p>',
    ),
  );
  // An unknown user still reads as a wrong password (no user enumeration).
  const unknown = await b.post('/sso/signon', {
    uid: 'nobody',
    password: 'x',
    csrf: csrfOf(ja.body),
  });
  assert.ok(unknown.body.includes(INCORRECT));
  assert.deepEqual(await telling.takeLogs(), {
    repository: [
      repoLine(dnOf('locked'), 'Authentication(basicAuth) failed. (Already locked)'),
      repoLine(dnOf('locked'), 'Authentication(basicAuth) failed. (Already locked)'),
      repoLine('nobody', 'Authentication(basicAuth) failed. (Invalid ID or password)'),
    ],
    authentication: [
      authLine('unknown', '127.0.0.1', dnOf('locked'), 'Authentication(basicAuth) failed.'),
      authLine('unknown', '127.0.0.1', dnOf('locked'), 'Authentication(basicAuth) failed.'),
      authLine(
        'unknown',
        '127.0.0.1',
        'nobody',
        'Authentication(basicAuth) failed. (Authentication by ID and password is required)',
      ),
    ],
  });

  // Three wrong passwords lock alice: the attempt that locks says so, as does the next.
  csrf = csrfOf(unknown.body);
  for (let i = 1; i <= 3; i++) {
    const r = await b.post('/sso/signon', { uid: 'alice', password: `wrong-${i}`, csrf });
    assert.equal(r.status, 401);
    assert.ok(r.body.includes(i < 3 ? INCORRECT : LOCKED), `attempt ${i}`);
    csrf = csrfOf(r.body);
  }
  const right = await b.post('/sso/signon', { uid: 'alice', password: 'alice-secret', csrf });
  assert.equal(right.status, 401);
  assert.ok(right.body.includes(LOCKED));
  const alice = await telling.user('alice');
  assert.equal(alice.ssoUserStatus, 'locked');
  assert.equal(alice.ssoFailureCount, 3);
  assert.equal(telling.metrics.locks.get(), 1);
  const required =
    'Authentication(basicAuth) failed. (Authentication by ID and password is required)';
  assert.deepEqual(await telling.takeLogs(), {
    repository: [
      repoLine(ALICE, 'Authentication(basicAuth) failed. (Count up failure count)'),
      repoLine(ALICE, 'Modification succeeded. (Count up failure count)'),
      repoLine(ALICE, 'Authentication(basicAuth) failed. (Count up failure count)'),
      repoLine(ALICE, 'Modification succeeded. (Count up failure count)'),
      repoLine(ALICE, 'Authentication(basicAuth) failed. (User was locked)'),
      repoLine(ALICE, 'Modification succeeded. (Locked)'),
      repoLine(ALICE, 'Authentication(basicAuth) failed. (Already locked)'),
    ],
    authentication: [
      authLine('unknown', '127.0.0.1', ALICE, required),
      authLine('unknown', '127.0.0.1', ALICE, required),
      authLine('unknown', '127.0.0.1', ALICE, required),
      authLine('unknown', '127.0.0.1', ALICE, 'Authentication(basicAuth) failed.'),
    ],
  });
});

test('cause-notification: a user outside its validity period is told so', async () => {
  await telling.addUser('retired', {
    password: 'retired-secret',
    ssoNotAfter: new Date('2020-01-01T00:00:00Z'),
  });
  const b = new Browser(telling, pki);
  const { csrf } = await b.form();
  const r = await b.post('/sso/signon', { uid: 'retired', password: 'retired-secret', csrf });
  assert.equal(r.status, 401);
  assert.ok(
    r.body.includes(
      '<p class="alert" role="alert">This user is outside its validity period. Contact your administrator.</p>',
    ),
  );
  assert.deepEqual(await telling.takeLogs(), {
    repository: [
      repoLine(dnOf('retired'), 'Authentication(basicAuth) failed. (Outside validity period)'),
    ],
    authentication: [
      authLine('unknown', '127.0.0.1', dnOf('retired'), 'Authentication(basicAuth) failed.'),
    ],
  });
});
