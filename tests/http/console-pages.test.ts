// Every console page renders what the store holds without letting it become markup: a user ID,
// names and role names made of HTML and quotes appear escaped on the users list, the user page,
// the sessions page and the roles page; pages work in both languages; and the texts of both
// languages have the same keys.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TEXTS } from '../../src/http/console/i18n.ts';
import { escapeText, html, trustedHtml } from '../../src/http/console/html.ts';
import {
  formatDateTime,
  parseLocalDateTime,
  toLocalDateTime,
} from '../../src/http/console/format.ts';
import { Browser, csrfOf } from './sso-harness.ts';
import {
  consoleBrowser,
  flashOf,
  postForm,
  startConsole,
  type ConsoleFixture,
} from './console-fixture.ts';

const EVIL_UID = `<script>alert('uid')</script>`;
const EVIL_CN = `"><img src=x onerror=alert(1)> '`;
const EVIL_ROLE = `<b onmouseover=x>r</b>`;

let f: ConsoleFixture;
before(async () => {
  f = await startConsole();
  await f.server.addUser(EVIL_UID, {
    password: 'evil-password-1',
    cn: [EVIL_CN],
    ssoRoleName: [EVIL_ROLE],
  });
  // Signed on through the SSO sign-on: the sessions page lists the hostile user ID.
  const b = new Browser(f.server, f.pki);
  const form = await b.request('/sso/signon');
  const r = await b.post('/sso/signon', {
    csrf: csrfOf(form.body),
    uid: EVIL_UID,
    password: 'evil-password-1',
  });
  assert.equal(r.status, 303);
});
after(() => f.close());

function assertNoRawMarkup(body: string, where: string): void {
  for (const raw of ['<script>alert', '<img src=x', '<b onmouseover', `"><img`]) {
    assert.equal(body.includes(raw), false, `${where} contains ${raw}`);
  }
}

test('hostile attributes are escaped on every page that shows them', async () => {
  const b = await consoleBrowser(f);
  const enc = encodeURIComponent(EVIL_UID);
  const pages = [
    '/console/users',
    `/console/users?q=${encodeURIComponent('<script>')}`,
    `/console/user?uid=${enc}`,
    '/console/sessions',
    `/console/roles?uid=${enc}`,
    `/console/roles?url=${encodeURIComponent('https://app.example.com/<script>')}`,
    '/console/events',
    '/console/logs',
    `/console/logs?user=${enc}`,
    '/console/keyservers',
    '/console/settings',
  ];
  for (const p of pages) {
    const r = await b.request(p);
    assert.equal(r.status, 200, p);
    assertNoRawMarkup(r.body, p);
  }
  const user = await b.request(`/console/user?uid=${enc}`);
  assert.ok(user.body.includes(escapeText(EVIL_CN)), 'the cn is shown, escaped');
  assert.ok(user.body.includes(escapeText(EVIL_UID)));
  const sessions = await b.request('/console/sessions');
  assert.ok(sessions.body.includes(escapeText(EVIL_UID)));
  // A query value is escaped back into the search box.
  const q = await b.request(`/console/users?q=${encodeURIComponent('"><script>')}`);
  assert.ok(q.body.includes('value="&quot;&gt;&lt;script&gt;"'));
});

test('the forms act on hostile user IDs as data: edit, release, sign off, delete', async () => {
  const b = await consoleBrowser(f);
  const page = `/console/user?uid=${encodeURIComponent(EVIL_UID)}`;
  let r = await postForm(b, page, '/console/user/edit', {
    uid: EVIL_UID,
    cn: 'Renamed',
    sn: '',
    mail: '',
    employeenumber: '',
    serialnumber: '',
    dnqualifier: '',
    authtype: 'basicAuth',
    notbefore: '',
    notafter: '2030-01-02T03:04',
    credentialttl: '',
    role: EVIL_ROLE,
    password: '',
  });
  assert.equal(r.status, 303);
  const after1 = await b.request(page);
  assert.equal(flashOf(after1.body), escapeText(`User ${EVIL_UID} changed.`));
  const u = await f.server.user(EVIL_UID);
  assert.deepEqual(u.cn, ['Renamed']);
  assert.ok(u.ssoNotAfter !== undefined);
  r = await postForm(b, page, '/console/sessions/signoff', { uid: EVIL_UID, back: page });
  assert.equal(r.headers.location, page);
  assert.equal(flashOf((await b.request(page)).body), '1 session(s) ended.');
  r = await postForm(b, page, '/console/user/delete', { uid: EVIL_UID });
  assert.equal(r.headers.location, '/console/users');
  assert.equal(await f.server.services.users.findByUid(EVIL_UID), undefined);
});

test('pages in Japanese: ?lang=ja switches and is remembered; the nav and titles are Japanese', async () => {
  const b = await consoleBrowser(f);
  const r = await b.request('/console/users?lang=ja');
  assert.match(r.body, /<html lang="ja">/);
  assert.match(r.body, /アクセスログ/);
  const again = await b.request('/console/keyservers');
  assert.match(again.body, /<html lang="ja">/);
  assert.match(again.body, /鍵サーバの種別/);
  assert.match((await b.request('/console/users?lang=en')).body, /<html lang="en">/);
});

test('ja and en have the same keys and no empty text', () => {
  for (const [key, v] of Object.entries(TEXTS)) {
    assert.deepEqual(Object.keys(v).sort(), ['en', 'ja'], key);
    assert.ok(v.ja.trim() !== '' && v.en.trim() !== '', key);
  }
});

test('html escapes every interpolation; only trustedHtml passes markup', () => {
  const v = `<a href="x" onclick='y'>&\``;
  assert.equal(
    html`<p title="${v}">${v}</p>`.toString(),
    `<p title="${escapeText(v)}">${escapeText(v)}</p>`,
  );
  assert.equal(escapeText(v), '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&#96;');
  assert.equal(html`${[html`<b>${'<'}</b>`, trustedHtml('<i>')]}`.toString(), '<b>&lt;</b><i>');
  assert.equal(html`${undefined}${null}${false}${3}`.toString(), '3');
});

test('dates in the operator\u2019s time zone, and datetime-local values read in it', () => {
  const d = new Date('2025-01-31T04:05:06Z');
  assert.equal(formatDateTime(d, 'Asia/Tokyo', 'ja'), '2025/01/31 13:05:06 JST');
  assert.match(formatDateTime(d, 'America/New_York', 'en'), /^2025-01-30 23:05:06 EST$/);
  assert.equal(formatDateTime('20250131040506Z', 'UTC', 'en'), '2025-01-31 04:05:06 UTC');
  assert.equal(
    parseLocalDateTime('2025-01-31T13:05:06', 'Asia/Tokyo')?.toISOString(),
    '2025-01-31T04:05:06.000Z',
  );
  assert.equal(
    parseLocalDateTime('2025-07-01T12:00', 'Europe/Paris')?.toISOString(),
    '2025-07-01T10:00:00.000Z',
  );
  assert.equal(toLocalDateTime(d, 'Asia/Tokyo'), '2025-01-31T13:05:06');
  assert.equal(parseLocalDateTime('2025-13-01T00:00', 'UTC'), undefined);
});
