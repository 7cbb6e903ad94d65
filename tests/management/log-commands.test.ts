/**
 * lsaccesslog and lsaccessstats as management commands: through the CLI parser and runner on logs
 * written by the real writer (with rotation, a malformed line and a hostile user ID), through
 * `POST /rest/v1/…` of the real management API after real sign-ons, and as `npx sekisho` in a
 * process of its own (which finds the log directory from the data directory). Every hostile
 * input is a usage error (CLI) or a 400 USAGE (REST), never a crash or a partial answer.
 */
import { postRest, type RestAnswer } from '../helpers/rest.ts';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { UsageError } from '../../src/cli/args.ts';
import {
  ACCESS_LOG_FILES,
  AccessLogWriter,
  LogError,
  formatAccessLine,
  type AccessRecord,
} from '../../src/logs/index.ts';
import { openServices, type OpenServices } from '../../src/main/services.ts';
import { LOG_COMMANDS } from '../../src/management/log-commands.ts';
import { renderOutput, type CommandResult } from '../../src/management/output.ts';
import { argsFromArgv, argsFromJson, runCommand } from '../../src/management/runner.ts';
import {
  ADMIN_TOKEN,
  Browser,
  csrfOf,
  makePki,
  startSso,
  type SsoServer,
} from '../http/sso-harness.ts';
import { runSekisho } from '../helpers/kmip-process.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const T0 = Date.UTC(2025, 3, 1, 0, 0, 0); // 2025-04-01T09:00:00+09:00
const at = (s: number): Date => new Date(T0 + s * 1000);
const HOSTILE = 'mallory" Authorization succeeded. |\nx';

function auth(s: number, uid: string, ok: boolean): AccessRecord {
  return {
    log: 'authentication',
    time: at(s),
    result: { token: 'Authentication(basicAuth)', outcome: ok ? 'succeeded' : 'failed' },
    client: '192.0.2.9',
    businessServer: undefined,
    repositoryServer: '127.0.0.1',
    user: { kind: 'dn', value: `uid=${uid},ou=users,dc=example` },
    sessionManagement: false,
  };
}

function biz(s: number, uid: string, ok: boolean, url: string): AccessRecord {
  return {
    log: 'business',
    time: at(s),
    result: { token: 'Authorization', outcome: ok ? 'succeeded' : 'failed' },
    ...(ok ? {} : { supplementary: 'BUSINESS_ROLE_MISMATCH' as const }),
    client: '192.0.2.9',
    user: { kind: 'uid', value: uid },
    resource: url,
    requestId: `req-${s}`,
    sessionManagement: false,
  };
}

let services: OpenServices;
let logDir: string;

before(async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-logcmd-'));
  dirs.push(dataDir);
  services = openServices(dataDir);
  logDir = path.join(dataDir, 'logs');
  mkdirSync(logDir);
  let clock = T0;
  const writer = (file: string): AccessLogWriter =>
    new AccessLogWriter({
      path: path.join(logDir, file),
      maxBytes: 4096,
      keep: 0,
      now: () => new Date((clock += 1000)),
    });
  const a = writer(ACCESS_LOG_FILES.authentication);
  const b = writer(ACCESS_LOG_FILES.business);
  const line = (r: AccessRecord): string => formatAccessLine(r, { timeZoneOffsetMinutes: 540 });
  // Minute m of 0..59: alice signs on (failing every 4th minute), then reaches /admin/.
  for (let m = 0; m < 60; m++) {
    a.append(line(auth(m * 60, 'alice', m % 4 !== 0)));
    b.append(line(biz(m * 60 + 5, 'alice', m % 3 !== 0, `https://app.example.com/admin/${m}`)));
  }
  b.append(line(biz(3600, HOSTILE, false, 'https://app.example.com/"x"')));
  await Promise.all([a.close(), b.close()]);
  appendFileSync(path.join(logDir, ACCESS_LOG_FILES.authentication), 'garbage\n');
});
after(() => {
  services.close();
});

function cli(name: string, argv: readonly string[]): Promise<CommandResult> {
  const c = LOG_COMMANDS[name]!;
  return runCommand(c, argsFromArgv(c, argv), {
    services: { ...services, accessLogDir: logDir },
    lang: 'en',
  });
}

function rendered(r: CommandResult, argv: readonly string[]): string {
  const i = argv.indexOf('-delim');
  return renderOutput(r.output, {
    delim: i >= 0 ? argv[i + 1] : undefined,
    nohdr: argv.includes('-nohdr'),
  });
}

interface EntryJson {
  readonly id: string;
  readonly time: string;
  readonly log: string;
  readonly result: string;
  readonly user: string | null;
  readonly resource: string | null;
  readonly supplementary: string | null;
}

describe('lsaccesslog', () => {
  it('lists the newest lines as a table with -delim and -nohdr, and pages with -cursor', async () => {
    const argv = ['-limit', '5', '-delim', ',', '-log', 'business'];
    const r = await cli('lsaccesslog', argv);
    const lines = rendered(r, argv).trimEnd().split('\n');
    assert.equal(lines[0], 'time,log,result,supplementary,user,client,session_id,resource,id');
    assert.equal(lines.length, 6);
    // The hostile user ID cannot break the table: its line feed is shown as `?`.
    assert.match(
      lines[1]!,
      /^2025-04-01T10:00:00\+09:00,business,Authorization failed\.,Role mismatch,mallory" Authorization succeeded\. \|\?x,/,
    );
    assert.match(
      lines[2]!,
      /^2025-04-01T09:59:05\+09:00,business,Authorization succeeded\.,,alice,192\.0\.2\.9,,https:\/\/app\.example\.com\/admin\/59,/,
    );
    const more = r.warnings?.find((w) => w.startsWith('more lines: add -cursor '));
    assert.ok(more);
    const cursor = more.slice('more lines: add -cursor '.length);
    const next = await cli('lsaccesslog', [...argv, '-nohdr', '-cursor', cursor]);
    const nextLines = rendered(next, [...argv, '-nohdr'])
      .trimEnd()
      .split('\n');
    assert.equal(nextLines.length, 5);
    assert.match(nextLines[0]!, /^2025-04-01T09:55:05\+09:00,/);
    // The JSON form (REST `data`) carries the original, unescaped user ID.
    const data = r.data as { entries: EntryJson[]; next_cursor: string | null };
    assert.equal(data.entries[0]!.user, HOSTILE);
    assert.equal(data.next_cursor, cursor);
  });

  it('shows one line in detail by its id, with the line as written (escaped)', async () => {
    const r = await cli('lsaccesslog', ['-user', HOSTILE.replace('\n', 'x').slice(0, 7)]);
    assert.equal((r.data as { entries: EntryJson[] }).entries.length, 0);
    const list = await cli('lsaccesslog', ['-result', 'failed', '-log', 'business', '-limit', '1']);
    const id = (list.data as { entries: EntryJson[] }).entries[0]!.id;
    const d = await cli('lsaccesslog', [id]);
    assert.equal(d.output.kind, 'detail');
    const text = rendered(d, []);
    assert.match(
      text,
      /^line .*"mallory\\" Authorization succeeded\. \|\\x0Ax" "https:\/\/app\.example\.com\/\\"x\\"" Authorization failed\. \(Role mismatch\) RequestID="req-3600" \|$/m,
    );
    assert.equal((d.data as { user: string }).user, HOSTILE);
    await assert.rejects(
      cli('lsaccesslog', ['QUJD']),
      (e) => e instanceof LogError && e.code === 'LOG_ENTRY_NOT_FOUND',
    );
  });

  it('filters by time range, user, result and resource; reports the malformed line', async () => {
    const r = await cli('lsaccesslog', [
      '-from',
      '2025-04-01T09:10:00+09:00',
      '-to',
      '2025-04-01T00:20:00Z',
      '-user',
      'alice',
      '-result',
      'failed',
      '-order',
      'oldest',
    ]);
    const entries = (r.data as { entries: EntryJson[] }).entries;
    assert.deepEqual(
      entries.map((e) => `${e.time} ${e.log}`),
      [
        '2025-04-01T09:12:00+09:00 authentication',
        '2025-04-01T09:12:05+09:00 business',
        '2025-04-01T09:15:05+09:00 business',
        '2025-04-01T09:16:00+09:00 authentication',
        '2025-04-01T09:18:05+09:00 business',
      ],
    );
    const res = await cli('lsaccesslog', ['-resource', 'ADMIN/5', '-limit', '1000']);
    assert.equal((res.data as { entries: EntryJson[] }).entries.length, 11); // 5, 50..59
    const all = await cli('lsaccesslog', ['-log', 'authentication', '-limit', '1000']);
    assert.equal((all.data as { malformed: number }).malformed, 1);
    assert.ok(all.warnings?.some((w) => w.startsWith('1 line could not be parsed (the first in ')));
  });

  /** Each is refused before any file is read. */
  const HOSTILE_ARGS: readonly (readonly string[])[] = [
    ['-from', 'yesterday'],
    ['-from', '2025-04-01'], // no time, no offset
    ['-from', '2025-04-01T09:00:00'], // no offset
    ['-from', '2025-13-01T00:00:00Z'],
    ['-from', '2025-02-30T00:00:00Z'],
    ['-from', '2025-04-01T09:00:00+25:00'],
    ['-from', '2025-04-01T10:00:00Z', '-to', '2025-04-01T09:00:00Z'],
    ['-user', 'x'.repeat(1025)],
    ['-user', 'alice\u0000'],
    ['-user', 'alice\nbob'],
    ['-resource', '/admin/\u202e'],
    ['-session', ''],
    ['-user', 'a', '-userprefix', 'b'],
    ['-log', 'audit'],
    ['-log', 'business,business'],
    ['-log', ''],
    ['-result', 'maybe'],
    ['-order', 'random'],
    ['-limit', '0'],
    ['-limit', '1001'],
    ['-limit', '1e3'],
    ['-limit', '-5'],
    ['-delim', '  '],
    ['-cursor', 'x'.repeat(2000)],
    ['ABC', '-user', 'alice'],
    ['not an id!'],
  ];

  it('refuses hostile input with a usage error that names the option', async () => {
    for (const argv of HOSTILE_ARGS) {
      await assert.rejects(
        (async () => cli('lsaccesslog', argv))(),
        (e) =>
          e instanceof UsageError &&
          e.message.includes(argv[0]!.startsWith('-') ? argv[0]! : 'ENTRY_ID'),
        JSON.stringify(argv),
      );
    }
    // A cursor that is not one (or of another query) is a coded error, 400 over REST.
    await assert.rejects(
      cli('lsaccesslog', ['-cursor', 'bm9wZQ']),
      (e) => e instanceof LogError && e.code === 'LOG_CURSOR_INVALID',
    );
  });

  it('the REST body is parsed with the same rules', () => {
    const c = LOG_COMMANDS['lsaccesslog']!;
    assert.throws(() => argsFromJson(c, { limit: true }), UsageError);
    assert.throws(() => argsFromJson(c, { user: ['a'] }), UsageError);
    assert.throws(() => argsFromJson(c, { bogus: 'x' }), UsageError);
    assert.throws(() => argsFromJson(c, { user: 'x'.repeat(300_000) }), UsageError);
    assert.equal(argsFromJson(c, { limit: 5 }).options.get('limit'), '5');
  });
});

describe('lsaccessstats', () => {
  it('counts per bucket, aligned to the offset written, as a table and as JSON', async () => {
    const argv = ['-from', '2025-04-01T09:00:00+09:00', '-to', '2025-04-01T10:00:00+09:00'];
    const r = await cli('lsaccessstats', [...argv, '-bucket', 'hour']);
    const data = r.data as {
      bucket: string;
      buckets: Record<string, string | number>[];
      complete: boolean;
    };
    assert.equal(data.bucket, 'hour');
    assert.equal(data.complete, true);
    assert.deepEqual(data.buckets, [
      {
        start: '2025-04-01T09:00:00+09:00',
        end: '2025-04-01T10:00:00+09:00',
        signon_succeeded: 45,
        signon_failed: 15,
        authorization_succeeded: 40,
        authorization_failed: 20,
      },
    ]);
    const auto = await cli('lsaccessstats', argv);
    const minutes = auto.data as { bucket: string; buckets: unknown[] };
    assert.equal(minutes.bucket, 'minute');
    assert.equal(minutes.buckets.length, 60);
    assert.equal(
      rendered(auto, []).split('\n')[0],
      'start                     signon_succeeded signon_failed authorization_succeeded authorization_failed',
    );
  });

  it('prints an SVG chart in the language asked, with one bar per bucket and series', async () => {
    const r = await cli('lsaccessstats', [
      '-from',
      '2025-04-01T09:00:00+09:00',
      '-to',
      '2025-04-01T09:30:00+09:00',
      '-chart',
      'bar',
      '-lang',
      'ja',
    ]);
    assert.equal(r.output.kind, 'text');
    const svg = (r.data as { svg: string }).svg;
    assert.ok(svg.startsWith('<svg '));
    assert.ok(svg.includes('<title id="sekisho-access-chart-title">サインオン</title>'));
    assert.ok(svg.includes('時刻(分単位, UTC+09:00)'));
    assert.equal([...svg.matchAll(/<rect [^>]*stroke="none"/g)].length, 30 * 3);
  });

  it('refuses hostile input', async () => {
    for (const argv of [
      ['-from', '2025-04-01T10:00:00Z', '-to', '2025-04-01T10:00:00Z'],
      ['-from', 'now'],
      ['-bucket', 'week'],
      ['-chart', 'pie'],
      ['-lang', 'fr', '-chart', 'bar'],
      ['-lang', 'ja'],
      ['-chart', 'bar', '-nohdr'],
    ]) {
      await assert.rejects(cli('lsaccessstats', argv), UsageError, JSON.stringify(argv));
    }
    await assert.rejects(
      cli('lsaccessstats', [
        '-from',
        '2025-01-01T00:00:00Z',
        '-to',
        '2025-04-01T00:00:00Z',
        '-bucket',
        'minute',
      ]),
      (e) => e instanceof LogError && e.code === 'LOG_QUERY_INVALID',
    );
  });
});

describe('through REST after real sign-ons', () => {
  let server: SsoServer;
  let ca: string;
  before(async () => {
    const pki = await makePki();
    ca = pki.serverCa.cert;
    server = await startSso({ pki, management: true });
    await server.addUser('carol', { password: 'carol-secret' });
    const b = new Browser(server, pki);
    let { csrf } = await b.form();
    for (const password of ['wrong', 'carol-secret']) {
      const r = await b.post('/sso/signon', { uid: 'carol', password, csrf });
      if (r.status === 401) csrf = csrfOf(r.body);
    }
    await server.sso.flush();
  });
  after(async () => {
    await server.close();
  });

  function rest(command: string, body: unknown): Promise<RestAnswer> {
    return postRest(server.origin, ca, ADMIN_TOKEN, command, body);
  }

  it('lsaccesslog returns the sign-on lines of both servers as JSON entries', async () => {
    const r = await rest('lsaccesslog', { user: 'carol', order: 'oldest' });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const data = (r.json as { data: { entries: EntryJson[]; next_cursor: string | null } }).data;
    assert.equal(data.next_cursor, null);
    const seen = data.entries.map((e) => `${e.log} ${e.result}`);
    assert.ok(seen.includes('repository Authentication(basicAuth) failed.'), seen.join('\n'));
    assert.ok(seen.includes('authentication Authentication(basicAuth) succeeded.'));
    assert.ok(
      data.entries.every((e) =>
        /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}([+-]\d{2}:\d{2}|Z)$/.test(e.time),
      ),
    );
    const one = await rest('lsaccesslog', { object: data.entries[0]!.id });
    assert.equal(one.status, 200);
    assert.match((one.json as { data: { line: string } }).data.line, /"uid=carol,/);
  });

  it('lsaccessstats counts them; hostile bodies are 400 USAGE', async () => {
    const to = new Date(Date.now() + 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const r = await rest('lsaccessstats', { to, bucket: 'day' });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const buckets = (
      r.json as { data: { buckets: { signon_succeeded: number; signon_failed: number }[] } }
    ).data.buckets;
    assert.equal(
      buckets.reduce((s, b) => s + b.signon_succeeded, 0),
      1,
    );
    assert.equal(
      buckets.reduce((s, b) => s + b.signon_failed, 0),
      1,
    );
    for (const body of [
      { from: '2025-04-01' },
      { user: 'a\nb' },
      { log: 'audit' },
      { limit: '5000' },
      { from: '2025-04-02T00:00:00Z', to: '2025-04-01T00:00:00Z' },
    ]) {
      const bad = await rest('lsaccesslog', body);
      assert.equal(bad.status, 400, JSON.stringify(body));
      assert.equal((bad.json as { error: { code: string } }).error.code, 'USAGE');
    }
    const cursor = await rest('lsaccesslog', { cursor: 'bm9wZQ' });
    assert.equal(cursor.status, 400);
    assert.equal((cursor.json as { error: { code: string } }).error.code, 'LOG_CURSOR_INVALID');
    const missing = await rest('lsaccesslog', { object: 'QUJD' });
    assert.equal(missing.status, 404);
  });
});

describe('npx sekisho lsaccesslog', () => {
  it('reads DATA_DIR/logs of a data directory with no server running', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-logcli-'));
    dirs.push(dataDir);
    const dir = path.join(dataDir, 'logs');
    mkdirSync(dir);
    const w = new AccessLogWriter({ path: path.join(dir, ACCESS_LOG_FILES.authentication) });
    w.append(formatAccessLine(auth(0, 'dave', true), { timeZoneOffsetMinutes: 540 }));
    await w.close();
    const r = await runSekisho(['lsaccesslog', '-delim', '|', '-nohdr', '--data-dir', dataDir], {
      timeoutMs: 60_000,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^2025-04-01T09:00:00\+09:00\|authentication\|Authentication\(basicAuth\) succeeded\.\|\|uid=dave,ou=users,dc=example\|192\.0\.2\.9\|\|\|[A-Za-z0-9_-]+\n$/,
    );
    const bad = await runSekisho(['lsaccesslog', '-from', 'yesterday', '--data-dir', dataDir], {
      timeoutMs: 60_000,
    });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /-from must be an ISO 8601 date and time with an offset/);
  });
});
