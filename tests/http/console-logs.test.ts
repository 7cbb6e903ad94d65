// The console's access-log viewer (/console/logs) over the in-process harness: real SSO
// sign-ons write the access logs, and the page filters them (user, result, logs, time range
// read in the operator's zone), pages with the command's cursor, shows one line in detail and
// charts the range; a hostile user ID in the logs stays text in the table, the detail and the
// chart; input the command refuses is its message on a 400 page.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TZ_COOKIE } from '../../src/http/console/app.ts';
import { toIsoInZone, toLocalDateTime } from '../../src/http/console/format.ts';
import { escapeText } from '../../src/http/console/html.ts';
import { Browser, csrfOf } from './sso-harness.ts';
import { consoleBrowser, startConsole, type ConsoleFixture } from './console-fixture.ts';

const EVIL_UID = `<script>alert('uid')</script><svg onload=alert(2)>`;

let f: ConsoleFixture;

async function ssoSignOn(uid: string, password: string): Promise<number> {
  const b = new Browser(f.server, f.pki);
  const form = await b.request('/sso/signon');
  const r = await b.post('/sso/signon', { csrf: csrfOf(form.body), uid, password });
  return r.status;
}

before(async () => {
  f = await startConsole();
  await f.server.addUser('carol', { password: 'carol-password-1' });
  assert.equal(await ssoSignOn('carol', 'carol-password-1'), 303);
  assert.notEqual(await ssoSignOn('carol', 'wrong-password'), 303);
  assert.notEqual(await ssoSignOn('carol', 'wrong-password-2'), 303);
  assert.notEqual(await ssoSignOn(EVIL_UID, 'whatever-password'), 303);
  await f.server.takeLogs(); // flushed to the files the page reads
});
after(() => f.close());

/** The rows of the log table: the text of each cell, tags removed. */
function rowsOf(body: string): string[][] {
  const tbody = /<table class="log-lines">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(body);
  assert.ok(tbody, 'a log table');
  return [...tbody[1]!.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) =>
    [...m[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) =>
      c[1]!
        .replace(/<[^>]*>/g, '')
        .replace(/\s+/g, ' ')
        .trim(),
    ),
  );
}

function nextLink(body: string): string | undefined {
  const m = /<a href="([^"]+)" rel="next">/.exec(body);
  return m?.[1]?.replaceAll('&amp;', '&');
}

test('filters by user and result; pages with the cursor; the chart has bars; one line in detail', async () => {
  const b = await consoleBrowser(f);
  const all = await b.request('/console/logs');
  assert.equal(all.status, 200);
  assert.ok(rowsOf(all.body).length >= 4);

  const failed = await b.request('/console/logs?user=carol&result=failed&log=authentication');
  assert.equal(failed.status, 200);
  const rows = rowsOf(failed.body);
  assert.equal(rows.length, 2, JSON.stringify(rows));
  for (const row of rows) {
    assert.equal(row[1], 'authentication');
    assert.match(row[2]!, /^failed /);
    assert.match(row[3]!, /^(carol|uid=carol,ou=users,dc=sekisho,dc=local)$/);
  }
  // The form shows the filters back: the ticked log, the chosen result.
  assert.match(failed.body, /value="authentication"\s+checked/);
  assert.match(failed.body, /<option value="failed"\s+selected/);

  // The chart of the range: an inline SVG with a bar per bucket and series, 2 failures counted.
  const svg = /<figure class="chart">(<svg[\s\S]*?<\/svg>)<\/figure>/.exec(failed.body)?.[1];
  assert.ok(svg, 'an inline chart');
  assert.ok((svg.match(/<rect /g) ?? []).length > 3);
  assert.match(svg, /failed: [1-9]/);

  // One line a page: the next link carries the filters and the cursor, and pages on.
  const p1 = await b.request('/console/logs?user=carol&result=failed&log=authentication&limit=1');
  const first = rowsOf(p1.body);
  assert.equal(first.length, 1);
  const next = nextLink(p1.body);
  assert.ok(
    next !== undefined && /user=carol.*log=authentication/.test(next) && /cursor=/.test(next),
    next,
  );
  const p2 = await b.request(next);
  assert.equal(p2.status, 200);
  const second = rowsOf(p2.body);
  assert.equal(second.length, 1);
  // Another line (two failures in one second may read alike: their entry IDs differ).
  const ids = (body: string) => [...body.matchAll(/logs\/entry\?id=([^"]+)"/g)].map((m) => m[1]);
  assert.notDeepEqual(ids(p2.body), ids(p1.body));
  assert.match(p2.body, /First page/);
  // Two failed lines: a third page (the cursor cannot know) is empty and ends.
  const third = nextLink(p2.body);
  if (third !== undefined) {
    const p3 = await b.request(third);
    assert.deepEqual(rowsOf(p3.body), [['No line matches.']]);
    assert.equal(nextLink(p3.body), undefined);
  }

  // A line in detail, by its entry ID.
  const detail = /href="(\/console\/logs\/entry\?id=[^"]+)"/.exec(p1.body)?.[1];
  assert.ok(detail);
  const d = await b.request(detail);
  assert.equal(d.status, 200);
  assert.match(d.body, /<dt>line<\/dt>\s*<dd>[^<]*carol/);
  assert.equal((await b.request('/console/logs/entry?id=nosuchentry')).status, 404);
});

test('the time range is read in the operator\u2019s zone', async () => {
  const b = await consoleBrowser(f);
  // UTC+14: read as UTC, the range would start 14 hours later and find nothing.
  const tz = 'Pacific/Kiritimati';
  b.jar.set(TZ_COOKIE, encodeURIComponent(tz));
  const tenMinutesAgo = toLocalDateTime(new Date(Date.now() - 600_000), tz);
  const since = await b.request(`/console/logs?user=carol&from=${tenMinutesAgo}`);
  assert.equal(since.status, 200);
  const carol = rowsOf((await b.request('/console/logs?user=carol')).body).length;
  assert.ok(carol >= 3);
  assert.equal(rowsOf(since.body).length, carol);
  assert.match(since.body, /GMT\+14/);
  const before10 = await b.request(`/console/logs?user=carol&to=${tenMinutesAgo}`);
  assert.deepEqual(rowsOf(before10.body), [['No line matches.']]);
  assert.equal(
    toIsoInZone(new Date('2025-01-31T04:05:06.789Z'), 'Asia/Tokyo'),
    '2025-01-31T13:05:06+09:00',
  );
  assert.equal(
    toIsoInZone(new Date('2025-07-01T12:00:00Z'), 'America/New_York'),
    '2025-07-01T08:00:00-04:00',
  );
});

test('a hostile user ID in the logs stays text: table, filter, detail and chart', async () => {
  const b = await consoleBrowser(f);
  const page = await b.request(`/console/logs?user=${encodeURIComponent(EVIL_UID)}`);
  assert.equal(page.status, 200);
  const rows = rowsOf(page.body);
  assert.ok(rows.length >= 1);
  for (const row of rows) assert.equal(row[3], escapeText(EVIL_UID));
  for (const raw of ['<script>alert', '<svg onload', "'uid')</script>"])
    assert.equal(page.body.includes(raw), false, raw);
  assert.ok(page.body.includes(`value="${escapeText(EVIL_UID)}"`), 'the filter shows it back');
  // The page holds exactly one <svg, the chart's own, and no script in it.
  assert.equal(page.body.split('<svg').length, 2);
  const svg = /<figure class="chart">(<svg[\s\S]*?<\/svg>)<\/figure>/.exec(page.body)?.[1];
  assert.ok(svg);
  assert.doesNotMatch(svg, /<script|onload|onerror|foreignObject|href=/i);
  const detail = /href="(\/console\/logs\/entry\?id=[^"]+)"/.exec(page.body)?.[1];
  assert.ok(detail);
  const d = await b.request(detail);
  assert.equal(d.status, 200);
  assert.equal(d.body.includes('<script>alert'), false);
  assert.equal(d.body.includes('<svg'), false);
  assert.ok(d.body.includes(escapeText(EVIL_UID)));
});

test('input the command refuses is its usage message on a 400 page, with the form', async () => {
  const b = await consoleBrowser(f);
  const cases: [string, RegExp][] = [
    ['from=yesterday', /-from/],
    ['from=2025-02-01T00:00&to=2025-01-01T00:00', /-from is after -to/],
    ['limit=0', /-limit/],
    ['cursor=not-a-cursor', /cursor/i],
  ];
  for (const [q, message] of cases) {
    const r = await b.request(`/console/logs?${q}`);
    assert.equal(r.status, 400, q);
    const alert = /<p class="flash error" role="alert">([^<]*)<\/p>/.exec(r.body)?.[1] ?? '';
    assert.match(alert, message, q);
    assert.match(r.body, /<form method="get" action="\/console\/logs"/);
  }
  // An unknown log kind is not passed on: the page shows all logs.
  assert.equal((await b.request('/console/logs?log=%3Cb%3E')).status, 200);
});

test('in Japanese: the labels and the chart', async () => {
  const b = await consoleBrowser(f);
  const r = await b.request('/console/logs?lang=ja&user=carol');
  assert.equal(r.status, 200);
  assert.match(r.body, /<h1>アクセスログ<\/h1>/);
  assert.match(r.body, /開始日時/);
  assert.match(r.body, /<svg [^>]*lang="ja"/);
  assert.match(r.body, /サインオン/);
});
