// What the authentication server refuses, over real HTTPS: forged or missing CSRF tokens,
// return URLs of unregistered sites (no open redirect), malformed forms, and credentials that
// were altered, truncated, sealed by another server or have expired. Every refusal is a 4xx page
// with no Location header, one `Authentication(unknown) failed. (Invalid request)` line (an
// expired credential excepted: it just asks for a new sign-on), and no change to any user.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { deriveKeys, newCredentialId, sealCredential } from '../../src/sso/core/credential.ts';
import {
  APP_URL,
  Browser,
  INVALID_REQUEST_LINE,
  authLine,
  csrfOf,
  dnOf,
  makePki,
  repoLine,
  setCookie,
  startSso,
  type Reply,
  type SsoServer,
  type TestPki,
} from './sso-harness.ts';

let pki: TestPki;
let server: SsoServer;

const CREDENTIAL = '__Host-sekisho-credential';
const CSRF = '__Host-sekisho-csrf';
const BAD_REQUEST = 'The request could not be accepted. Open the sign-on page again.';
const BAD_RETURN = 'The return URL is not a registered site.';
const CLEARED = `${CREDENTIAL}=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0`;
const NOTHING = { repository: [], authentication: [] };

before(async () => {
  pki = await makePki();
  server = await startSso({ pki });
  await server.addUser('alice', { password: 'alice-secret' });
  await server.addUser('bob', { password: 'bob-secret', ssoCredentialTTL: 30 });
});
after(async () => {
  await server.close();
});

/** A refusal page: the status, the text, HTML with the CSP, and no redirect or credential. */
function assertRefused(r: Reply, status: number, text: string, what: string): void {
  assert.equal(r.status, status, `${what}: ${r.body}`);
  assert.ok(r.body.includes(`<p class="alert" role="alert">${text}</p>`), what);
  assert.ok(r.body.includes('<a href="/sso/signon?lang=en">Sign on</a>'), what);
  assert.equal(r.headers['content-type'], 'text/html; charset=utf-8', what);
  assert.match(String(r.headers['content-security-policy']), /^default-src 'none'/, what);
  assert.equal(r.headers.location, undefined, what);
  assert.equal(setCookie(r, CREDENTIAL)?.endsWith('Max-Age=0') ?? true, true, what);
  assert.equal(setCookie(r, CSRF), undefined, what);
}

async function assertUntouched(): Promise<void> {
  for (const uid of ['alice', 'bob']) {
    const u = await server.user(uid);
    assert.equal(u.ssoFailureCount, 0, uid);
    assert.equal(u.ssoUserStatus, 'good', uid);
  }
}

/** Flips one character in the middle of a base64url text. */
const flip = (s: string): string => {
  const i = Math.floor(s.length / 2);
  return s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
};

test('CSRF: a missing, foreign, tampered, malformed or expired token, or no cookie → 403', async () => {
  const b = new Browser(server, pki);
  const first = await b.form();
  const firstCookie = b.jar.get(CSRF)!;
  const { csrf } = await b.form();
  const cookie = b.jar.get(CSRF)!;
  assert.notEqual(firstCookie, cookie);
  const cases: [string, Record<string, string>, string | undefined][] = [
    ['no token', {}, `${CSRF}=${cookie}`],
    ['an empty token', { csrf: '' }, `${CSRF}=${cookie}`],
    ["another cookie's token", { csrf: first.csrf }, `${CSRF}=${cookie}`],
    ['the token with the other cookie', { csrf }, `${CSRF}=${firstCookie}`],
    ['a tampered token', { csrf: flip(csrf) }, `${CSRF}=${cookie}`],
    ['a tampered cookie', { csrf }, `${CSRF}=${flip(cookie)}`],
    ['a truncated token', { csrf: csrf.slice(0, -2) }, `${CSRF}=${cookie}`],
    ['no cookie', { csrf }, undefined],
    ['the token as the cookie', { csrf }, `${CSRF}=${csrf}`],
  ];
  for (const [what, fields, cookieHeader] of cases) {
    // A bypass would sign alice on (right password) or count a failure (wrong one).
    for (const password of ['alice-secret', 'wrong']) {
      const r = await b.post(
        '/sso/signon',
        { uid: 'alice', password, return: APP_URL, ...fields },
        cookieHeader === undefined ? { noCookies: true } : { cookieHeader },
      );
      assertRefused(r, 403, BAD_REQUEST, `${what} (${password})`);
      assert.deepEqual(
        await server.takeLogs(),
        { repository: [], authentication: [INVALID_REQUEST_LINE] },
        what,
      );
    }
  }
  // The same token, 31 minutes later: expired.
  server.clockOffsetMs = 31 * 60_000;
  try {
    const r = await b.post('/sso/signon', { uid: 'alice', password: 'alice-secret', csrf });
    assertRefused(r, 403, BAD_REQUEST, 'expired');
  } finally {
    server.clockOffsetMs = 0;
  }
  // The sign-off form is protected the same way.
  const off = await b.post('/sso/signoff', { csrf: first.csrf });
  assertRefused(off, 403, BAD_REQUEST, 'sign-off');
  assert.deepEqual(await server.takeLogs(), {
    repository: [],
    authentication: [INVALID_REQUEST_LINE, INVALID_REQUEST_LINE],
  });
  await assertUntouched();
  // And the pair that belongs together still works.
  const ok = await b.post('/sso/signon', { uid: 'alice', password: 'alice-secret', csrf });
  assert.equal(ok.status, 303);
  await server.takeLogs();
});

const HOSTILE_RETURNS = [
  'https://evil.example/',
  'http://app.example.com/',
  '//evil.example/',
  'https://app.example.com@evil.example/',
  'https://app.example.com:x@evil.example/',
  'javascript:alert(1)',
  `${APP_URL}${'a'.repeat(3000 - APP_URL.length)}`,
  'https://app.example.com:8443/',
  'https://app.example.com./',
  'https://evil.example\\@app.example.com/',
  'https:\\\\evil.example/',
  'https:/app.example.com/',
  ' https://app.example.com/',
  'https://app.example.com/\nLocation: https://evil.example/',
  'data:text/html,<script>alert(1)</script>',
];

test('hostile return URLs on GET: 400, no redirect, nothing stored, even when signed on', async () => {
  const signedOn = new Browser(server, pki);
  const { csrf } = await signedOn.form();
  assert.equal(
    (await signedOn.post('/sso/signon', { uid: 'alice', password: 'alice-secret', csrf })).status,
    303,
  );
  await server.takeLogs();
  for (const url of HOSTILE_RETURNS) {
    assert.equal(url.length <= 3000, true);
    const q = `/sso/signon?return=${encodeURIComponent(url)}`;
    const fresh = new Browser(server, pki);
    assertRefused(await fresh.request(q), 400, BAD_RETURN, `GET ${url}`);
    assertRefused(await signedOn.request(q), 400, BAD_RETURN, `signed on, ${url}`);
    // A valid Basic header does not get past the check either: no attempt is made.
    const basic = await fresh.request(q, {
      headers: {
        authorization: 'Basic ' + Buffer.from('alice:alice-secret').toString('base64'),
      },
    });
    assertRefused(basic, 400, BAD_RETURN, `Basic, ${url}`);
    assert.deepEqual(await server.takeLogs(), {
      repository: [],
      authentication: [INVALID_REQUEST_LINE, INVALID_REQUEST_LINE, INVALID_REQUEST_LINE],
    });
  }
  await assertUntouched();
  assert.equal(server.metrics.signOns.get(['basicAuth', 'succeeded']), 2);
});

test('hostile return URLs on POST: 400 before any password is checked', async () => {
  const b = new Browser(server, pki);
  let { csrf } = await b.form();
  for (const url of HOSTILE_RETURNS) {
    for (const password of ['alice-secret', 'wrong']) {
      const r = await b.post('/sso/signon', { uid: 'alice', password, csrf, return: url });
      // Longer than the return field's 2,048 bytes, or with a control character: refused by
      // the form parser already.
      // eslint-disable-next-line no-control-regex
      const parser = url.length > 2048 || /[\u0000-\u001f]/.test(url);
      assertRefused(r, 400, parser ? BAD_REQUEST : BAD_RETURN, `POST ${url}`);
      assert.deepEqual(
        await server.takeLogs(),
        { repository: [], authentication: [INVALID_REQUEST_LINE] },
        url,
      );
    }
  }
  await assertUntouched();
  assert.equal(b.jar.has(CREDENTIAL), false);
  // The registered site, in another spelling of its host, is accepted.
  ({ csrf } = await b.form());
  const ok = await b.post('/sso/signon', {
    uid: 'alice',
    password: 'alice-secret',
    csrf,
    return: 'https://APP.example.com:443/path?x=1#f',
  });
  assert.equal(ok.status, 303);
  assert.equal(ok.headers.location, 'https://APP.example.com:443/path?x=1#f');
  assert.deepEqual((await server.takeLogs()).authentication, [
    authLine('app.example.com', '127.0.0.1', dnOf('alice'), 'Authentication(basicAuth) succeeded.'),
  ]);
});

test('malformed forms: 4xx with the page, one Invalid request line, nothing stored', async () => {
  const b = new Browser(server, pki);
  const { csrf } = await b.form();
  const base = `uid=alice&password=alice-secret&csrf=${csrf}&return=${encodeURIComponent(APP_URL)}`;
  const form = 'application/x-www-form-urlencoded';
  const cases: [string, string | Buffer, string | undefined, number][] = [
    ['a body over 8 KiB', `${base}&lang=${'x'.repeat(8192)}`, form, 413],
    ['invalid UTF-8', base.replace('uid=alice', 'uid=%FF'), form, 400],
    [
      'invalid UTF-8, raw',
      Buffer.concat([Buffer.from(base + '&lang='), Buffer.of(0xc3)]),
      form,
      400,
    ],
    ['an overlong UTF-8 sequence', base.replace('uid=alice', 'uid=%C0%AF'), form, 400],
    ['a duplicate uid', `${base}&uid=alice`, form, 400],
    ['a duplicate csrf', `${base}&csrf=${csrf}`, form, 400],
    ['an unknown field', `${base}&admin=1`, form, 400],
    ['an unknown field without value', `${base}&debug`, form, 400],
    ['a bad %-escape', base.replace('alice-secret', 'alice%zzsecret'), form, 400],
    ['a truncated %-escape', `${base}&lang=e%6`, form, 400],
    ['a NUL', base.replace('uid=alice', 'uid=ali%00ce'), form, 400],
    ['a line feed', base.replace('uid=alice', 'uid=alice%0A'), form, 400],
    ['a raw tab', base.replace('uid=alice', 'uid=ali\tce'), form, 400],
    ['DEL', base.replace('uid=alice', 'uid=alice%7F'), form, 400],
    ['a uid over 256 bytes', base.replace('uid=alice', `uid=${'a'.repeat(257)}`), form, 400],
    [
      'a JSON body',
      JSON.stringify({ uid: 'alice', password: 'alice-secret', csrf }),
      'application/json',
      400,
    ],
    ['malformed JSON', '{"uid":', 'application/json', 400],
    ['a text/plain body', base, 'text/plain', 400],
    ['an XML body', '<uid>alice</uid>', 'application/xml', 415],
    ['a multipart body', '--x\r\n\r\n--x--\r\n', 'multipart/form-data; boundary=x', 415],
    ['no content type', base, undefined, 415],
  ];
  for (const [what, body, type, status] of cases) {
    const r = await b.request('/sso/signon', {
      method: 'POST',
      body,
      headers: type === undefined ? {} : { 'content-type': type },
    });
    assertRefused(r, status, BAD_REQUEST, what);
    assert.deepEqual(
      await server.takeLogs(),
      { repository: [], authentication: [INVALID_REQUEST_LINE] },
      what,
    );
  }
  const off = await b.post('/sso/signoff', `csrf=${csrf}&uid=alice`);
  assertRefused(off, 400, BAD_REQUEST, 'sign-off with an unknown field');
  assert.deepEqual((await server.takeLogs()).authentication, [INVALID_REQUEST_LINE]);
  await assertUntouched();
  assert.equal(b.jar.has(CREDENTIAL), false);
  // The same base body is a valid sign-on.
  const ok = await b.post('/sso/signon', base);
  assert.equal(ok.status, 303);
  await server.takeLogs();
});

/** Signs bob on (credential TTL 30 minutes) and returns the browser and its credential. */
async function signOnBob(): Promise<{ b: Browser; token: string }> {
  const b = new Browser(server, pki);
  const { csrf } = await b.form();
  const r = await b.post('/sso/signon', { uid: 'bob', password: 'bob-secret', csrf });
  assert.equal(r.status, 303);
  await server.takeLogs();
  return { b, token: b.jar.get(CREDENTIAL)! };
}

test('altered, truncated and foreign credentials: refused, cookie cleared, Invalid request', async () => {
  const { b, token } = await signOnBob();
  const other = await startSso({ pki });
  let foreign: string;
  try {
    const now = Math.floor(Date.now() / 1000);
    foreign = sealCredential(deriveKeys(await other.sso.serviceId.current()).credential, {
      id: newCredentialId(),
      dn: dnOf('bob'),
      uid: 'bob',
      method: 'basicAuth',
      issuedAt: now,
      expiresAt: now + 1800,
      sessionId: null,
    });
  } finally {
    await other.close();
  }
  const own = deriveKeys(await server.sso.serviceId.current()).credential;
  const now = Math.floor(Date.now() / 1000);
  const future = sealCredential(own, {
    id: newCredentialId(),
    dn: dnOf('bob'),
    uid: 'bob',
    method: 'basicAuth',
    issuedAt: now + 3600,
    expiresAt: now + 5400,
    sessionId: null,
  });
  const cases: [string, string][] = [
    ['a flipped character', flip(token)],
    ['a flipped last character', token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A')],
    ['a truncated credential', token.slice(0, -8)],
    ['a credential cut to 10 characters', token.slice(0, 10)],
    ['another version byte', (token.startsWith('A') ? 'B' : 'A') + token.slice(1)],
    ['padding', token + '='],
    ['not base64url', token.replace(/^./, '%')],
    ['5,000 characters', token + 'A'.repeat(5000 - token.length)],
    ["another server's credential", foreign],
    ['a credential issued an hour from now', future],
  ];
  for (const [what, value] of cases) {
    for (const query of ['', `?return=${encodeURIComponent(APP_URL)}`]) {
      const r = await b.request(`/sso/signon${query}`, {
        cookieHeader: `${CREDENTIAL}=${value}`,
      });
      assertRefused(r, 400, BAD_REQUEST, what);
      assert.equal(setCookie(r, CREDENTIAL), CLEARED, what);
      assert.equal(r.body.includes('Signed on as'), false, what);
      assert.deepEqual(
        await server.takeLogs(),
        { repository: [], authentication: [INVALID_REQUEST_LINE] },
        what,
      );
    }
  }
  // The genuine credential is still good (the browser dropped it when told to).
  assert.equal(b.jar.has(CREDENTIAL), false);
  b.jar.set(CREDENTIAL, token);
  const r = await b.request(`/sso/signon?return=${encodeURIComponent(APP_URL)}`);
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, APP_URL);
  assert.deepEqual(await server.takeLogs(), NOTHING);
});

test('an expired credential: the form again, the cookie cleared, no Invalid request line', async () => {
  const { b, token } = await signOnBob();
  // 29 minutes later it is still good …
  server.clockOffsetMs = 29 * 60_000;
  try {
    assert.equal(
      (await b.request(`/sso/signon?return=${encodeURIComponent(APP_URL)}`)).status,
      303,
    );
    // … 31 minutes later it has expired.
    server.clockOffsetMs = 31 * 60_000;
    const r = await b.request(`/sso/signon?return=${encodeURIComponent(APP_URL)}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.location, undefined);
    assert.equal(setCookie(r, CREDENTIAL), CLEARED);
    assert.match(setCookie(r, CSRF)!, /^__Host-sekisho-csrf=[A-Za-z0-9_-]{22}; /);
    assert.match(r.body, /<input type="hidden" name="return" value="https:\/\/app.example.com\/">/);
    assert.match(r.body, /name="password"/);
    assert.equal(b.jar.has(CREDENTIAL), false);
    // Signing on again (with the clock still ahead) works.
    const again = await b.post('/sso/signon', {
      uid: 'bob',
      password: 'bob-secret',
      csrf: csrfOf(r.body),
      return: APP_URL,
    });
    assert.equal(again.status, 303);
  } finally {
    server.clockOffsetMs = 0;
  }
  assert.notEqual(b.jar.get(CREDENTIAL), token);
  // A credential sealed with the real key that expired an hour ago reads the same.
  const now = Math.floor(Date.now() / 1000);
  const old = sealCredential(deriveKeys(await server.sso.serviceId.current()).credential, {
    id: newCredentialId(),
    dn: dnOf('bob'),
    uid: 'bob',
    method: 'basicAuth',
    issuedAt: now - 7200,
    expiresAt: now - 3600,
    sessionId: null,
  });
  const r = await b.request('/sso/signon', { cookieHeader: `${CREDENTIAL}=${old}` });
  assert.equal(r.status, 200);
  assert.equal(setCookie(r, CREDENTIAL), CLEARED);
  assert.match(r.body, /name="password"/);
  assert.deepEqual(await server.takeLogs(), {
    repository: [repoLine(dnOf('bob'), 'Authentication(basicAuth) succeeded.')],
    authentication: [
      authLine('app.example.com', '127.0.0.1', dnOf('bob'), 'Authentication(basicAuth) succeeded.'),
    ],
  });
});
