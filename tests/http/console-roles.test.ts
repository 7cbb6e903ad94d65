// The console's Roles page over lsssorole, lsssoresource and whocanaccess: a user's effective
// roles with the path through role sets, who can reach a URL by the business server's rule
// (the resource, the granting roles, the holders a page at a time), what the business server
// does with URLs no resource covers, and a refused URL as the command's message on a 400 page.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { consoleBrowser, postForm, startConsole, type ConsoleFixture } from './console-fixture.ts';
import { REACH_USERS_PER_PAGE } from '../../src/http/console/pages/roles.ts';

let f: ConsoleFixture;
const HOLDERS = REACH_USERS_PER_PAGE + 3;

before(async () => {
  f = await startConsole();
  const b = await consoleBrowser(f);
  const ldif = [
    'dn: cn=staff,dc=sekisho,dc=local', 'objectClass: ssoRole', 'cn: staff', '',
    'dn: cn=everyone,dc=sekisho,dc=local', 'objectClass: ssoRoleSet', 'cn: everyone', 'ssoRoleName: staff', '',
    'dn: cn=managers,dc=sekisho,dc=local', 'objectClass: ssoRoleSet', 'cn: managers', 'ssoRoleName: everyone', 'ssoRoleName: ghost', '',
    'dn: cn=/reports/,dc=app,dc=example,dc=com,ou=sites,dc=sekisho,dc=local', 'objectClass: ssoResource', 'cn: /reports/', 'ssoRoleName: staff', '',
  ].join('\n'); // prettier-ignore
  const r = await postForm(b, '/console/users/import', '/console/users/import', { ldif });
  assert.equal(r.status, 303);
  await f.server.addUser('gina', { ssoRoleName: ['managers'] });
  for (let i = 0; i < HOLDERS - 1; i++)
    await f.server.addUser(`u${String(i).padStart(3, '0')}`, { ssoRoleName: ['staff'] });
});
after(() => f.close());

const text = (s: string): string =>
  s
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

test('a user\u2019s effective roles with the path through role sets', async () => {
  const b = await consoleBrowser(f);
  const r = await b.request('/console/roles?uid=gina');
  assert.equal(r.status, 200);
  const page = text(r.body);
  assert.match(page, /staff role managers › everyone › staff/);
  assert.match(page, /everyone role set managers › everyone/);
  assert.match(page, /Roles listed on gina: managers/);
  // The role and role-set list: members, effective roles, the unknown member flagged.
  assert.match(page, /managers role set everyone, ghost not registered: ghost/);
  // Sites and resources.
  assert.match(page, /app\.example\.com:443 \/reports\/ staff/);
  assert.equal((await b.request('/console/roles?uid=nobody')).status, 200);
  assert.match(
    (await b.request('/console/roles?uid=nobody')).body,
    /role="alert">SSO_USER_NOT_FOUND/,
  );
});

test('who can reach a URL: the resource, the granting roles, the holders a page at a time', async () => {
  const b = await consoleBrowser(f);
  const url = 'https://app.example.com/reports/q1';
  const r = await b.request(`/console/roles?url=${encodeURIComponent(url)}`);
  assert.equal(r.status, 200);
  const page = text(r.body);
  assert.match(page, /Protected by resource \/reports\/ of app\.example\.com:443; roles: staff/);
  assert.match(page, /Granted through: everyone, managers, staff/);
  assert.match(page, /gina good yes managers › everyone › staff/);
  const first = [...r.body.matchAll(/href="\/console\/user\?uid=([^"]+)"/g)].map((m) => m[1]);
  assert.equal(first.length, REACH_USERS_PER_PAGE);
  const next = /<a href="([^"]+)" rel="next">/.exec(r.body)?.[1]?.replaceAll('&amp;', '&');
  assert.ok(next !== undefined && next.includes('cursor='), 'a next page');
  const r2 = await b.request(next);
  assert.equal(r2.status, 200);
  const second = [...r2.body.matchAll(/href="\/console\/user\?uid=([^"]+)"/g)].map((m) => m[1]);
  assert.equal(second.length, HOLDERS - REACH_USERS_PER_PAGE);
  assert.equal(new Set([...first, ...second]).size, HOLDERS);
  assert.match(r2.body, /First page/);
});

test('URLs the business server does not protect, refuses or cannot read', async () => {
  const b = await consoleBrowser(f);
  const ask = (url: string) => b.request(`/console/roles?url=${encodeURIComponent(url)}`);
  assert.match(
    text((await ask('https://other.example/')).body),
    /other\.example:443 is not a protected site/,
  );
  assert.match(
    text((await ask('https://app.example.com/elsewhere')).body),
    /No protected resource of app\.example\.com:443 covers \/elsewhere/,
  );
  assert.match(
    text((await ask('https://app.example.com/reports/../admin')).body),
    /The business server refuses this URL/,
  );
  const bad = await b.request('/console/roles?url=https%3A%2F%2Fapp.example.com%2F&cursor=bogus');
  assert.equal(bad.status, 400);
  assert.match(bad.body, /role="alert">-cursor is not a cursor of whocanaccess/);
  // Japanese.
  const ja = text((await b.request('/console/roles?lang=ja&uid=gina')).body);
  assert.match(ja, /gina に設定されたロール: managers/);
});
