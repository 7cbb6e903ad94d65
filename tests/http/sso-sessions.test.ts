// Session management as sekisho start wires it, end to end over HTTPS: sign-on creates a
// session whose ID is in the credential and in every line; the business server (forward
// authentication) lets the session through; a second browser gets the forced sign-on question;
// sign-off, forced sign-off (ssosignoff over REST) and a lock end access on the next request.
import { postRest, type RestAnswer } from '../helpers/rest.ts';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parseAccessEntry } from '../../src/sso/core/access-control.ts';
import { ACCESS_LOG_FILES } from '../../src/main/sso.ts';
import {
  ADMIN_TOKEN,
  Browser,
  csrfOf,
  makePki,
  startSso,
  type SsoServer,
  type TestPki,
} from './sso-harness.ts';

let pki: TestPki;
let server: SsoServer;
const SITE = 'dc=app,dc=example,dc=com,ou=sites,dc=sekisho,dc=local';

before(async () => {
  pki = await makePki();
  server = await startSso({
    pki,
    management: true,
    forwardAuth: true,
    config: {
      sessions: { enabled: true, 'forced-sign-on': true },
      // Every check asks session management: the test sees each change at the next request.
      business: { 'session-cache-ms': 0 },
      repository: { 'password-max-failure-count': 2 },
    },
  });
  const entry = (dn: string, attrs: Record<string, string[]>) =>
    server.services.accessControl.add(
      parseAccessEntry({ dn, attributes: new Map(Object.entries(attrs)) }),
    );
  await entry('ou=roles,dc=sekisho,dc=local', {
    objectClass: ['organizationalUnit'],
    ou: ['roles'],
  });
  await entry('cn=staff,ou=roles,dc=sekisho,dc=local', { objectClass: ['ssoRole'], cn: ['staff'] });
  await entry(`cn=/,${SITE}`, { objectClass: ['ssoResource'], cn: ['/'], ssoRoleName: ['staff'] });
  await server.addUser('alice', { password: 'alice-secret', ssoRoleName: ['staff'] });
});
after(async () => {
  await server.close();
});

/** GET /auth/verify as nginx sends it, with the browser's cookies. */
function verify(
  b: Browser,
  s: SsoServer = server,
): Promise<{ status: number; user: string | undefined }> {
  const cookie = [...b.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  return new Promise((resolve, reject) => {
    const req = https.request(
      new URL('/auth/verify', s.origin),
      {
        ca: pki.serverCa.cert,
        agent: false,
        headers: { 'x-original-url': 'https://app.example.com/reports/q1', cookie },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const u = res.headers['x-sekisho-user'];
          resolve({ status: res.statusCode ?? 0, user: typeof u === 'string' ? u : undefined });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function rest(command: string, body: unknown): Promise<RestAnswer> {
  return postRest(server.origin, pki.serverCa.cert, ADMIN_TOKEN, command, body);
}

async function signOn(b: Browser): Promise<Awaited<ReturnType<Browser['post']>>> {
  const { csrf } = await b.form();
  return b.post('/sso/signon', { uid: 'alice', password: 'alice-secret', csrf });
}

/** Session-management log lines so far (timestamps cut). */
async function sessionLog(): Promise<string[]> {
  await server.sso.flush();
  return readFileSync(path.join(server.sso.logDir, ACCESS_LOG_FILES.session), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.replace(/^\[[^\]]+\] /, ''));
}

const sessionIdOf = (b: Browser): string => {
  const opened = b.jar.get('__Host-sekisho-credential');
  assert.ok(opened !== undefined);
  return opened;
};

test('sign-on, forced sign-on, sign-off, ssosignoff and a lock each end access at once', async () => {
  // 1. Browser A signs on: a session, whose ID is in the lines, and the business server lets it in.
  const a = new Browser(server, pki);
  assert.equal((await signOn(a)).status, 303);
  sessionIdOf(a);
  assert.deepEqual(await verify(a), { status: 200, user: 'alice' });
  const [registration] = await sessionLog();
  const m = /^"([A-Za-z0-9_-]{43})" Registration succeeded\. UserID="alice" \|$/.exec(
    registration ?? '',
  );
  assert.ok(m, registration);
  const sessionA = m[1]!;
  const logs = await server.takeLogs();
  assert.match(
    logs.repository[0]!,
    new RegExp(`Authentication\\(basicAuth\\) succeeded\\. SessionID="${sessionA}" \\|$`),
  );
  assert.match(logs.authentication[0]!, new RegExp(`SessionID="${sessionA}" \\|$`));

  // 2. Browser B: the forced sign-on question; "no" leaves A signed on.
  const b = new Browser(server, pki);
  const asked = await signOn(b);
  assert.equal(asked.status, 200);
  assert.match(asked.body, /already|サインオンしています|signed on from/);
  const pending = /name="pending" value="([^"]+)"/.exec(asked.body)?.[1];
  assert.ok(pending);
  const no = await b.post('/sso/forced-signon', {
    csrf: csrfOf(asked.body),
    pending,
    answer: 'no',
    lang: 'en',
  });
  assert.equal(no.status, 200);
  assert.match(no.body, /Sign-on cancelled/);
  assert.equal(b.jar.has('__Host-sekisho-credential'), false);
  assert.deepEqual(await verify(a), { status: 200, user: 'alice' });

  // 3. B again, "yes": B is signed on, A's session is gone at the next request.
  const asked2 = await signOn(b);
  const pending2 = /name="pending" value="([^"]+)"/.exec(asked2.body)?.[1];
  assert.ok(pending2);
  const yes = await b.post('/sso/forced-signon', {
    csrf: csrfOf(asked2.body),
    pending: pending2,
    answer: 'yes',
  });
  assert.equal(yes.status, 303);
  assert.deepEqual(await verify(b), { status: 200, user: 'alice' });
  assert.equal((await verify(a)).status, 401);
  // A replayed confirmation does nothing.
  const replay = await b.post('/sso/forced-signon', {
    csrf: csrfOf(asked2.body),
    pending: pending2,
    answer: 'yes',
  });
  assert.equal(replay.status, 409);

  // 4. B signs off: access ends.
  const page = await b.request('/sso/signon');
  const off = await b.post('/sso/signoff', { csrf: csrfOf(page.body) });
  assert.equal(off.status, 200);
  // The cookie is gone; replaying the old one does not bring the session back.
  assert.equal((await verify(b)).status, 401);

  // 5. A signs on again (no other session now); ssosignoff -u alice ends it.
  assert.equal((await signOn(a)).status, 303);
  assert.equal((await verify(a)).status, 200);
  const forced = await rest('ssosignoff', { u: 'alice' });
  assert.equal(forced.status, 200, JSON.stringify(forced.json));
  assert.match(JSON.stringify(forced.json), /1 session ended/);
  assert.equal((await verify(a)).status, 401);
  assert.equal((await rest('ssosignoff', {})).status, 400);
  // A session ID of the wrong shape is a usage error, not "0 sessions ended".
  const malformed = await rest('ssosignoff', { s: 'not-a-session"; DROP' });
  assert.equal(malformed.status, 400);
  assert.match(JSON.stringify(malformed.json), /-s must be a session ID/);
  assert.equal((await rest('ssosignoff', { s: 'x', u: 'alice' })).status, 400);

  // 6. A signs on again; wrong passwords in another browser lock alice: A loses access.
  assert.equal((await signOn(a)).status, 303);
  assert.equal((await verify(a)).status, 200);
  const c = new Browser(server, pki);
  for (const password of ['x', 'y']) {
    const { csrf } = await c.form();
    assert.equal((await c.post('/sso/signon', { uid: 'alice', password, csrf })).status, 401);
  }
  assert.equal((await verify(a)).status, 401);

  const kinds = (await sessionLog()).map((l) =>
    l.replace(/^"[^"]*" /, '').replace(/ UserID=.*$/, ''),
  );
  assert.deepEqual(kinds, [
    'Registration succeeded.',
    'Registration succeeded.',
    'Deletion(forced-sign-on) succeeded.',
    'Registration succeeded.',
    'Modification succeeded.',
    'Modification failed.',
    'Deletion(sign-off) succeeded.',
    'Registration succeeded.',
    'Deletion(forced-sign-off) succeeded.',
    'Registration succeeded.',
  ]);
});

test('ssoupsid: the business server rejects older credentials at once, saying why', async () => {
  // Alice may still be locked by the test above: release her first.
  assert.equal((await rest('chssouser', { unlock: true, object: 'alice' })).status, 200);
  await rest('ssosignoff', { u: 'alice' });
  const a = new Browser(server, pki);
  assert.equal((await signOn(a)).status, 303);
  assert.equal((await verify(a)).status, 200);
  const done = await rest('ssoupsid', { yes: true });
  assert.equal(done.status, 200, JSON.stringify(done.json));
  assert.equal((await verify(a)).status, 401);
  await server.sso.flush();
  const business = readFileSync(path.join(server.sso.logDir, ACCESS_LOG_FILES.business), 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  assert.match(
    business.at(-1)!,
    / "https:\/\/app\.example\.com\/reports\/q1" Authorization failed\. \(Credential of a previous service ID\) SessionID="unknown" /,
  );
  // A fresh sign-on works under the new service ID (the old session is still alice's: the
  // forced sign-on question comes first).
  const b = new Browser(server, pki);
  await rest('ssosignoff', { u: 'alice' });
  assert.equal((await signOn(b)).status, 303);
  assert.deepEqual(await verify(b), { status: 200, user: 'alice' });
});

test('idle timeout: a session unused for longer than sessions.idle-timeout ends at its next use', async () => {
  await server.addUser('bob', {
    password: 'bob-secret',
    ssoRoleName: ['staff'],
    ssoCredentialTTL: 0, // no re-authentication limit: only idleness ends this session
  });
  const b = new Browser(server, pki);
  const { csrf } = await b.form();
  assert.equal(
    (await b.post('/sso/signon', { uid: 'bob', password: 'bob-secret', csrf })).status,
    303,
  );
  assert.deepEqual(await verify(b), { status: 200, user: 'bob' });
  // 29 minutes later it is still alive (and its idle clock restarts)...
  server.clockOffsetMs += 29 * 60_000;
  assert.deepEqual(await verify(b), { status: 200, user: 'bob' });
  // ...then 31 minutes without a request: the next one is refused and the deletion logged.
  server.clockOffsetMs += 31 * 60_000;
  assert.equal((await verify(b)).status, 401);
  const last = (await sessionLog()).filter((l) => l.includes('UserID="bob"')).at(-1);
  assert.match(
    last ?? '',
    /^"[A-Za-z0-9_-]{43}" Deletion\(idle-timeout\) succeeded\. \(Idle timeout\) UserID="bob" \|$/,
  );
  server.clockOffsetMs = 0;
});

test('with the business cache on, a sign-off or a forced sign-on ends access at once in the same process', async () => {
  // A minute of caching: only the sign-on pages telling the business server can explain a
  // refusal at the next request.
  const cached = await startSso({
    pki,
    forwardAuth: true,
    config: {
      sessions: { enabled: true, 'forced-sign-on': true },
      business: { 'session-cache-ms': 60_000 },
    },
  });
  try {
    const entry = (dn: string, attrs: Record<string, string[]>) =>
      cached.services.accessControl.add(
        parseAccessEntry({ dn, attributes: new Map(Object.entries(attrs)) }),
      );
    await entry('ou=roles,dc=sekisho,dc=local', {
      objectClass: ['organizationalUnit'],
      ou: ['roles'],
    });
    await entry('cn=staff,ou=roles,dc=sekisho,dc=local', {
      objectClass: ['ssoRole'],
      cn: ['staff'],
    });
    await entry(`cn=/,${SITE}`, {
      objectClass: ['ssoResource'],
      cn: ['/'],
      ssoRoleName: ['staff'],
    });
    await cached.addUser('alice', { password: 'alice-secret', ssoRoleName: ['staff'] });
    const signOnAt = async (b: Browser) => {
      const { csrf } = await b.form();
      return b.post('/sso/signon', { uid: 'alice', password: 'alice-secret', csrf });
    };

    // A signs on and is let in (the answer is now cached); B forces A out.
    const a = new Browser(cached, pki);
    assert.equal((await signOnAt(a)).status, 303);
    assert.equal((await verify(a, cached)).status, 200);
    const b = new Browser(cached, pki);
    const asked = await signOnAt(b);
    const pending = /name="pending" value="([^"]+)"/.exec(asked.body)?.[1];
    assert.ok(pending);
    const yes = await b.post('/sso/forced-signon', {
      csrf: csrfOf(asked.body),
      pending,
      answer: 'yes',
    });
    assert.equal(yes.status, 303);
    assert.equal((await verify(a, cached)).status, 401, 'the replaced session, at once');

    // B is let in, then signs off: the old cookie is refused at once.
    assert.equal((await verify(b, cached)).status, 200);
    const kept = new Map(b.jar);
    const page = await b.request('/sso/signon');
    assert.equal((await b.post('/sso/signoff', { csrf: csrfOf(page.body) })).status, 200);
    b.jar.clear();
    for (const [k, v] of kept) b.jar.set(k, v);
    assert.equal((await verify(b, cached)).status, 401, 'the signed-off session, at once');
  } finally {
    await cached.close();
  }
});
