// The administrator's lock release through the management API on the same HTTPS port as the
// sign-on form: `POST /rest/v1/chssouser {"unlock": true, "object": UID}` (docs/sso.md) releases
// a user locked by wrong passwords, writes `Modification succeeded. (Failure count reset)` with
// `unknown` for the authentication server and the client, and the user signs on again.
import { postRest, type RestAnswer } from '../helpers/rest.ts';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  ADMIN_TOKEN,
  Browser,
  authLine,
  csrfOf,
  dnOf,
  makePki,
  repoLine,
  startSso,
  type SsoServer,
  type TestPki,
} from './sso-harness.ts';

let pki: TestPki;
let server: SsoServer;
const FRANK = dnOf('frank');

before(async () => {
  pki = await makePki();
  server = await startSso({
    pki,
    management: true,
    config: { repository: { 'password-max-failure-count': 2 } },
  });
  await server.addUser('frank', { password: 'frank-secret' });
});
after(async () => {
  await server.close();
});

function rest(command: string, body: unknown, token = ADMIN_TOKEN): Promise<RestAnswer> {
  return postRest(server.origin, pki.serverCa.cert, token, command, body);
}

test('a user locked by wrong passwords is unlocked through POST /rest/v1/chssouser', async () => {
  const b = new Browser(server, pki);
  let { csrf } = await b.form();
  for (const password of ['wrong-1', 'wrong-2', 'frank-secret']) {
    const r = await b.post('/sso/signon', { uid: 'frank', password, csrf });
    assert.equal(r.status, 401, password);
    csrf = csrfOf(r.body);
  }
  const locked = await server.user('frank');
  assert.equal(locked.ssoUserStatus, 'locked');
  assert.equal(locked.ssoFailureCount, 2);
  assert.ok(locked.ssoLockTimeStamp instanceof Date);
  const required =
    'Authentication(basicAuth) failed. (Authentication by ID and password is required)';
  assert.deepEqual(await server.takeLogs(), {
    repository: [
      repoLine(FRANK, 'Authentication(basicAuth) failed. (Count up failure count)'),
      repoLine(FRANK, 'Modification succeeded. (Count up failure count)'),
      repoLine(FRANK, 'Authentication(basicAuth) failed. (User was locked)'),
      repoLine(FRANK, 'Modification succeeded. (Locked)'),
      repoLine(FRANK, 'Authentication(basicAuth) failed. (Already locked)'),
    ],
    authentication: [
      authLine('unknown', '127.0.0.1', FRANK, required),
      authLine('unknown', '127.0.0.1', FRANK, required),
      authLine('unknown', '127.0.0.1', FRANK, 'Authentication(basicAuth) failed.'),
    ],
  });

  // Refused without the token, for a missing user, and without -unlock: nothing changes.
  assert.equal((await rest('chssouser', { unlock: true, object: 'frank' }, 'wrong')).status, 401);
  const missing = await rest('chssouser', { unlock: true, object: 'nobody' });
  assert.equal(missing.status, 404, JSON.stringify(missing.json));
  assert.deepEqual((missing.json as { error: { code: string } }).error.code, 'SSO_USER_NOT_FOUND');
  const usage = await rest('chssouser', { object: 'frank' });
  assert.equal(usage.status, 400);
  assert.equal((await server.user('frank')).ssoUserStatus, 'locked');
  assert.deepEqual(await server.takeLogs(), { repository: [], authentication: [] });

  const r = await rest('chssouser', { unlock: true, object: 'frank' });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual((r.json as { output: unknown }).output, {
    kind: 'message',
    lines: [`user frank unlocked (${FRANK})`],
  });
  const unlocked = await server.user('frank');
  assert.equal(unlocked.ssoUserStatus, 'good');
  assert.equal(unlocked.ssoFailureCount, 0);
  assert.equal(unlocked.ssoLockTimeStamp, undefined);
  assert.deepEqual(await server.takeLogs(), {
    repository: [
      `unknown - 127.0.0.1 [T] - "${FRANK}" Modification succeeded. (Failure count reset) |`,
    ],
    authentication: [],
  });

  const ok = await b.post('/sso/signon', { uid: 'frank', password: 'frank-secret', csrf });
  assert.equal(ok.status, 303);
  assert.deepEqual(await server.takeLogs(), {
    repository: [repoLine(FRANK, 'Authentication(basicAuth) succeeded.')],
    authentication: [
      authLine('unknown', '127.0.0.1', FRANK, 'Authentication(basicAuth) succeeded.'),
    ],
  });
  // The system log has the lock and its release by the administrator, once each.
  const system = readFileSync(path.join(server.sso.logDir, 'system.log'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.replace(/^\S+ /, ''));
  assert.deepEqual(system, [
    `WARNING sso01060 User was locked. UserID=(frank) DN=(${FRANK})`,
    `INFO sso09002 User lock was released by the administrator. UserID=(frank) DN=(${FRANK})`,
  ]);
});

test('import-ldif through REST: changing roles writes RoleInfoUpd succeeded., users alone do not', async () => {
  const roles = [
    'dn: ou=roles,dc=sekisho,dc=local',
    'objectClass: organizationalUnit',
    'ou: roles',
    '',
    'dn: cn=staff,ou=roles,dc=sekisho,dc=local',
    'objectClass: ssoRole',
    'cn: staff',
    '',
  ].join('\n');
  const r = await rest('import-ldif', { file: roles });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual(await server.takeLogs(), {
    repository: ['unknown - 127.0.0.1 [T] - "unknown" RoleInfoUpd succeeded. |'],
    authentication: [],
  });
  const user = [
    `dn: ${dnOf('grace')}`,
    'objectClass: inetOrgPerson',
    'objectClass: ssoUser',
    'uid: grace',
    'cn: Grace',
    'sn: Grace',
    'ssoRoleName: staff',
    '',
  ].join('\n');
  assert.equal((await rest('import-ldif', { file: user })).status, 200);
  assert.deepEqual(await server.takeLogs(), { repository: [], authentication: [] });
  const del = 'dn: cn=staff,ou=roles,dc=sekisho,dc=local\nchangetype: delete\n';
  assert.equal((await rest('import-ldif', { file: del })).status, 200);
  assert.deepEqual(await server.takeLogs(), {
    repository: ['unknown - 127.0.0.1 [T] - "unknown" RoleInfoUpd succeeded. |'],
    authentication: [],
  });
  // A failed import changes nothing and writes nothing.
  const bad = await rest('import-ldif', {
    file: 'dn: cn=x,ou=roles,dc=sekisho,dc=local\nobjectClass: ssoRole\n',
  });
  assert.equal(bad.status, 400);
  assert.deepEqual(await server.takeLogs(), { repository: [], authentication: [] });
});

test('ssoupsid: confirmation required; old credentials are stale, not forged; new sign-ons work', async () => {
  await server.addUser('heidi', { password: 'heidi-secret' });
  const HEIDI = dnOf('heidi');
  const b = new Browser(server, pki);
  const { csrf } = await b.form();
  const signedOn = await b.post('/sso/signon', { uid: 'heidi', password: 'heidi-secret', csrf });
  assert.equal(signedOn.status, 303);
  const old = b.jar.get('__Host-sekisho-credential');
  assert.ok(old !== undefined);
  await server.takeLogs();

  const refused = await rest('ssoupsid', {});
  assert.equal(refused.status, 400);
  assert.match(JSON.stringify(refused.json), /Run it again with -yes to confirm/);
  assert.equal((await b.request('/sso/signon')).status, 200, 'still signed on');
  assert.deepEqual(await server.takeLogs(), { repository: [], authentication: [] });

  const done = await rest('ssoupsid', { yes: true });
  assert.equal(done.status, 200, JSON.stringify(done.json));
  assert.match(JSON.stringify(done.json), /service ID regenerated \(generation 2\)/);
  assert.deepEqual(await server.takeLogs(), {
    repository: ['unknown - 127.0.0.1 [T] - "unknown" Service ID update succeeded. |'],
    authentication: [],
  });

  // The old credential no longer signs on: the form again, the cookie cleared, one line.
  const after = await b.request('/sso/signon');
  assert.equal(after.status, 200);
  assert.match(after.body, /name="password"/);
  assert.ok(after.setCookies.some((c) => /^__Host-sekisho-credential=; .*Max-Age=0/.test(c)));
  assert.equal(b.jar.has('__Host-sekisho-credential'), false);
  assert.deepEqual(await server.takeLogs(), {
    repository: [],
    authentication: [
      'unknown - unknown - unknown [T] - "unknown" Authentication(unknown) failed. (Credential of a previous service ID) |'.replace(
        /^unknown/,
        '127.0.0.1',
      ),
    ],
  });
  // A truly forged one is still a bad request.
  const forged = await b.request('/sso/signon', {
    cookieHeader: `__Host-sekisho-credential=${old.slice(0, -4)}AAAA`,
  });
  assert.equal(forged.status, 400);
  await server.takeLogs();

  const again = await b.post('/sso/signon', {
    uid: 'heidi',
    password: 'heidi-secret',
    csrf: csrfOf(after.body),
  });
  assert.equal(again.status, 303);
  assert.notEqual(b.jar.get('__Host-sekisho-credential'), old);
  assert.deepEqual((await server.takeLogs()).repository, [
    repoLine(HEIDI, 'Authentication(basicAuth) succeeded.'),
  ]);
});
