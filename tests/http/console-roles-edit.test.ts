// Editing roles, role sets, sites and protected resources through the management commands
// (mkssorole … rmssoresource) over REST and the console's Roles page: each command changes the
// repository where the fixtures keep such entries, role changes write RoleInfoUpd, the business
// server follows a new resource at once (/auth/verify), hostile input is a usage error naming
// the option and changes nothing, and the console's forms need their CSRF token.
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-argument,
   @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment,
   @typescript-eslint/no-unsafe-call -- REST answers are JSON whose shape each
   assertion checks */
import assert from 'node:assert/strict';
import https from 'node:https';
import { after, before, describe, test } from 'node:test';
import { ADMIN_ROLE } from '../../src/main/sso.ts';
import { postRest } from '../helpers/rest.ts';
import {
  ADMIN_TOKEN,
  Browser,
  makePki,
  startSso,
  type SsoServer,
  type TestPki,
} from './sso-harness.ts';
import { consoleBrowser, consoleCsrf, flashOf, ROOT_PASSWORD } from './console-fixture.ts';

let pki: TestPki;
let server: SsoServer;

before(async () => {
  pki = await makePki();
  server = await startSso({
    pki,
    management: true,
    console: true,
    forwardAuth: true,
    config: { sessions: { enabled: true }, business: { 'session-cache-ms': 0 } },
  });
  await server.addUser('root', { password: ROOT_PASSWORD, ssoRoleName: [ADMIN_ROLE] });
  await server.addUser('alice', { password: 'alice-secret', ssoRoleName: ['staff'] });
});
after(() => server.close());

const rest = (command: string, body: unknown): Promise<{ status: number; json: any }> =>
  postRest(server.origin, pki.serverCa.cert, ADMIN_TOKEN, command, body);

const ok = async (command: string, body: unknown): Promise<any> => {
  const r = await rest(command, body);
  assert.equal(r.status, 200, `${command} ${JSON.stringify(body)}: ${JSON.stringify(r.json)}`);
  return r.json;
};

/** Every access-control entry, as DN → kind (what "nothing changed" compares). */
const snapshot = async (): Promise<string[]> =>
  (await server.services.accessControl.list()).map((e) => `${e.kind} ${e.dn} ${JSON.stringify(e)}`);

/** GET /auth/verify as nginx sends it, with the browser's cookies. */
function verify(b: Browser, url: string): Promise<number> {
  const cookie = [...b.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  return new Promise((resolve, reject) => {
    const req = https.request(
      new URL('/auth/verify', server.origin),
      { ca: pki.serverCa.cert, agent: false, headers: { 'x-original-url': url, cookie } },
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
}

describe('the commands over REST', () => {
  test('roles and role sets: created under ou=roles, changed, deleted; RoleInfoUpd written', async () => {
    await server.takeLogs();
    const r = await ok('mkssorole', { object: 'staff' });
    assert.equal(r.data.dn, 'cn=staff,ou=roles,dc=sekisho,dc=local');
    assert.match(r.output.lines.join('\n'), /reloaded: the change applies now/);
    const logs = await server.takeLogs();
    assert.ok(
      logs.repository.some((l) =>
        /^unknown - 127\.0\.0\.1 \[T\] - "unknown" RoleInfoUpd succeeded\. /.test(l),
      ),
      logs.repository.join('\n'),
    );
    assert.ok(logs.repository.some((l) => /ResourceInfo succeeded\./.test(l)));
    const ou = await server.services.accessControl.find('ou=roles,dc=sekisho,dc=local');
    assert.equal(ou?.kind, 'container');
    await ok('mkssorole', { object: 'audit' });
    await ok('mkssoroleset', { object: 'team', members: 'STAFF' });
    const team = await server.services.accessControl.find('cn=team,ou=roles,dc=sekisho,dc=local');
    assert.deepEqual(team?.kind === 'roleSet' && team.ssoRoleName, ['staff']);
    await ok('chssoroleset', { object: 'team', members: 'staff,audit' });
    const changed = await server.services.accessControl.find(
      'cn=team,ou=roles,dc=sekisho,dc=local',
    );
    assert.deepEqual(changed?.kind === 'roleSet' && changed.ssoRoleName, ['staff', 'audit']);
    // Same name in another case: the shared namespace refuses it.
    assert.equal((await rest('mkssorole', { object: 'TEAM' })).json.error.code, 'SSO_ENTRY_EXISTS');
    // audit is named by team: refused; after the change it can go.
    const inUse = await rest('rmssorole', { object: 'audit' });
    assert.equal(inUse.status, 400);
    assert.equal(inUse.json.error.code, 'SSO_ENTRY_IN_USE');
    assert.match(inUse.json.error.message, /role set team/);
    await ok('chssoroleset', { object: 'team', members: 'staff' });
    await server.takeLogs();
    await ok('rmssorole', { object: 'audit' });
    assert.ok((await server.takeLogs()).repository.some((l) => /RoleInfoUpd succeeded\./.test(l)));
    await ok('rmssoroleset', { object: 'team' });
    assert.equal(
      (await rest('rmssoroleset', { object: 'team' })).json.error.code,
      'SSO_ENTRY_NOT_FOUND',
    );
    const unknown = await rest('mkssoroleset', { object: 'x', members: 'ghost' });
    assert.equal(unknown.status, 400);
    assert.match(unknown.json.error.message, /-members names ghost/);
  });

  test('sites and resources; /auth/verify follows a new resource at once', async () => {
    const site = await ok('mkssosite', { object: 'shop.example.com', port: '8443' });
    assert.equal(site.data.dn, 'dc=shop,dc=example,dc=com,ou=8443,ou=sites,dc=sekisho,dc=local');
    assert.equal(
      (await rest('mkssosite', { object: 'SHOP.example.com', port: '8443' })).json.error.code,
      'SSO_ENTRY_EXISTS',
    );
    await ok('mkssosite', { object: 'blog.example.com' });
    const sites = await server.services.accessControl.sites();
    assert.ok(sites.some((s) => s.host === 'blog.example.com' && s.port === 443));

    const b = new Browser(server, pki);
    const { csrf } = await b.form();
    assert.equal(
      (await b.post('/sso/signon', { uid: 'alice', password: 'alice-secret', csrf })).status,
      303,
    );
    const url = 'https://app.example.com/reports/q1';
    assert.equal(await verify(b, url), 403, 'no resource covers /reports/ yet');
    const made = await ok('mkssoresource', {
      object: 'https://app.example.com/reports/',
      roles: 'staff',
    });
    assert.equal(
      made.data.dn,
      'cn=/reports/,dc=app,dc=example,dc=com,ou=sites,dc=sekisho,dc=local',
    );
    assert.equal(await verify(b, url), 200, 'the new resource applies without ssoupdateaccess');
    await ok('mkssorole', { object: 'finance' });
    await ok('chssoresource', { object: 'https://app.example.com/reports/', roles: 'finance' });
    assert.equal(await verify(b, url), 403, 'the changed roles apply at once');
    await ok('mkssoresource', { object: 'https://shop.example.com:8443/', roles: 'staff' });
    const busy = await rest('rmssosite', { object: 'shop.example.com:8443' });
    assert.equal(busy.json.error.code, 'SSO_ENTRY_HAS_CHILDREN');
    assert.match(busy.json.error.message, /still has resources \(\/\)/);
    const roleInUse = await rest('rmssorole', { object: 'finance' });
    assert.match(
      roleInUse.json.error.message,
      /resource https:\/\/app\.example\.com:443\/reports\//,
    );
    await ok('rmssoresource', { object: 'https://shop.example.com:8443/' });
    await ok('rmssosite', { object: 'shop.example.com:8443' });
    await ok('rmssoresource', { object: 'https://app.example.com/reports/' });
    assert.equal(await verify(b, url), 403);
    await ok('rmssorole', { object: 'finance' });
    await ok('rmssosite', { object: 'blog.example.com' });
    assert.equal(
      (await rest('mkssoresource', { object: 'https://nowhere.example/', roles: 'staff' })).json
        .error.code,
      'SSO_ENTRY_NOT_FOUND',
    );
  });

  test('hostile input: a usage error naming the option, nothing changed', async () => {
    const before = await snapshot();
    const cases: [string, Record<string, string>, RegExp][] = [
      ['mkssorole', { object: 'a,b' }, /^NAME takes letters/],
      ['mkssorole', { object: 'a\nb' }, /^NAME takes letters/],
      ['mkssorole', { object: '*' }, /^NAME takes letters/],
      ['mkssorole', { object: 'x)(cn=*' }, /^NAME takes letters/],
      ['mkssorole', { object: '__proto__' }, /^NAME takes letters/],
      ['mkssorole', { object: 'constructor' }, /^NAME takes letters/],
      ['mkssorole', { object: 'a'.repeat(33) }, /^NAME must be 1-32 bytes/],
      ['mkssorole', { object: 'ろ'.repeat(11) }, /^NAME must be 1-32 bytes/],
      ['mkssoroleset', { object: 'set1', members: 'staff,*' }, /-members/],
      ['mkssoroleset', { object: 'set1', members: 'staff,,staff' }, /-members/],
      ['mkssoroleset', { object: 'set1', members: 'staff,STAFF' }, /-members names STAFF twice/],
      ['mkssoroleset', { object: 'set1' }, /members/],
      ['mkssosite', { object: 'evil.example,ou=x' }, /^HOST must be a host name/],
      ['mkssosite', { object: 'a*.example' }, /^HOST must be a host name/],
      ['mkssosite', { object: 'ok.example', port: '0' }, /^-port must be a port number/],
      ['mkssosite', { object: 'ok.example', port: '1e3' }, /^-port must be a port number/],
      ['rmssosite', { object: 'app.example.com:x' }, /^PORT must be a port number/],
      ['mkssoresource', { object: 'http://app.example.com/x/', roles: 'staff' }, /^URL must be https/],
      ['mkssoresource', { object: 'https://app.example.com/a/../b/', roles: 'staff' }, /^URL has a path/],
      ['mkssoresource', { object: 'https://app.example.com/a/%2e%2e/b/', roles: 'staff' }, /^URL has a path/],
      ['mkssoresource', { object: 'https://app.example.com//x/', roles: 'staff' }, /^URL has a path/],
      ['mkssoresource', { object: 'https://app.example.com/x?y=1', roles: 'staff' }, /^URL must be https/],
      ['mkssoresource', { object: 'https://u@app.example.com/x/', roles: 'staff' }, /^URL must be https/],
      ['mkssoresource', { object: 'https://app.example.com/a\\b', roles: 'staff' }, /^URL contains/],
      ['mkssoresource', { object: 'https://app.example.com/(x)*', roles: 'staff' }, /^URL has a path/],
      ['mkssoresource', { object: 'https://app.example.com/x/', roles: 'staff,)(' }, /-roles/],
      ['chssoresource', { object: 'https://app.example.com/\u0000/', roles: 'staff' }, /^URL contains/],
    ]; // prettier-ignore
    for (const [command, body, message] of cases) {
      const r = await rest(command, body);
      assert.equal(r.status, 400, `${command} ${JSON.stringify(body)}: ${JSON.stringify(r.json)}`);
      assert.match(r.json.error.message, message, `${command} ${JSON.stringify(body)}`);
    }
    assert.deepEqual(await snapshot(), before, 'the repository is unchanged');
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });
});

describe('the Roles page forms', () => {
  test('create a role with the CSRF token; refused without it', async () => {
    const b = await consoleBrowser({ server, pki, close: () => server.close() });
    const page = await b.request('/console/roles');
    assert.equal(page.status, 200);
    const refused = await b.post('/console/roles/edit', { op: 'mkrole', name: 'viewer' });
    assert.equal(refused.status, 403);
    assert.equal(
      await server.services.accessControl.find('cn=viewer,ou=roles,dc=sekisho,dc=local'),
      undefined,
    );
    const r = await b.post('/console/roles/edit', {
      csrf: consoleCsrf(page.body),
      op: 'mkrole',
      name: 'viewer',
    });
    assert.equal(r.status, 303, r.body);
    const after = await b.request(String(r.headers.location));
    assert.match(flashOf(after.body) ?? '', /role viewer created/);
    assert.match(after.body, /viewer/);
    assert.equal(
      (await server.services.accessControl.find('cn=viewer,ou=roles,dc=sekisho,dc=local'))?.kind,
      'role',
    );
    // A bad name: the command's message as the flash, nothing changed.
    const bad = await b.post('/console/roles/edit', {
      csrf: consoleCsrf(after.body),
      op: 'mkrole',
      name: 'a,b',
    });
    assert.equal(bad.status, 303);
    const shown = await b.request(String(bad.headers.location));
    assert.match(flashOf(shown.body) ?? '', /NAME takes letters/);
    // Japanese.
    const ja = await b.request('/console/roles?lang=ja');
    assert.equal(ja.status, 200);
    assert.match(ja.body, /ロールを作成/);
  });

  test('the site and resource forms: register, protect, delete (host and port composed)', async () => {
    const b = await consoleBrowser({ server, pki, close: () => server.close() });
    const post = async (fields: Record<string, string>): Promise<string> => {
      const page = await b.request('/console/roles');
      const r = await b.post('/console/roles/edit', { csrf: consoleCsrf(page.body), ...fields });
      assert.equal(r.status, 303, r.body);
      return flashOf((await b.request(String(r.headers.location))).body) ?? '';
    };
    assert.match(
      await post({ op: 'mksite', host: 'wiki.example.com', port: '9443' }),
      /registered/,
    );
    assert.match(
      await post({ op: 'mkres', url: 'https://wiki.example.com:9443/edit/', roles: 'viewer' }),
      /resource \/edit\/ of wiki\.example\.com:9443 created/,
    );
    assert.match(
      await post({ op: 'rmsite', host: 'wiki.example.com', port: '9443' }),
      /still has resources/,
    );
    assert.match(
      await post({ op: 'rmres', url: 'https://wiki.example.com:9443/edit/' }),
      /deleted/,
    );
    assert.match(await post({ op: 'rmsite', host: 'wiki.example.com', port: '9443' }), /deleted/);
    assert.match(await post({ op: 'bogus' }), /not valid/);
  });
});
