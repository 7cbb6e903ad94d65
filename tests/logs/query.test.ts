/**
 * queryAccessLogs, readAccessLogEntry and accessStats on real files written by the real writer
 * (AccessLogWriter + formatAccessLine): the four logs merged in time order, rotation in both save
 * modes, paging with cursors across rotations, every filter, malformed lines counted and located,
 * escaped hostile values read back as their originals, hostile cursors, and — by counting the
 * bytes an injected reader returns — that a page of a 200,000-line file reads a few chunks only.
 */
import assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import {
  ACCESS_LOG_FILES,
  AccessLogWriter,
  CHUNK_BYTES,
  FILE_SYSTEM,
  LogError,
  accessStats,
  chooseBucket,
  formatAccessLine,
  queryAccessLogs,
  readAccessLogEntry,
  type AccessLogEntry,
  type AccessRecord,
  type ByteSource,
  type LogKind,
  type QueryOptions,
  type RotationMode,
} from '../../src/logs/index.ts';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'sekisho-query-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

let n = 0;
async function freshDir(): Promise<string> {
  const d = join(root, `d${n++}`);
  await mkdir(d);
  return d;
}

const T0 = Date.UTC(2025, 3, 1, 0, 0, 0); // 2025-04-01T09:00:00+09:00
const at = (seconds: number): Date => new Date(T0 + seconds * 1000);
const SID = 'S'.repeat(43);

/** A record of `log` at `seconds` after T0, about user `uid`. */
function record(
  log: LogKind,
  seconds: number,
  uid: string,
  ok = true,
  resource = '/app/',
): AccessRecord {
  const time = at(seconds);
  const outcome = ok ? 'succeeded' : 'failed';
  switch (log) {
    case 'repository':
      return {
        log,
        time,
        result: { token: 'Authentication(basicAuth)', outcome },
        authServer: '10.0.0.1',
        client: '192.0.2.7',
        user: { kind: 'dn', value: `uid=${uid},ou=users,dc=example` },
        sessionManagement: true,
        sessionId: SID,
        ...(ok ? {} : { supplementary: 'COUNT_UP_FAILURE_COUNT' as const }),
      };
    case 'authentication':
      return {
        log,
        time,
        result: { token: 'Authentication(basicAuth)', outcome },
        client: '192.0.2.7',
        businessServer: 'app.example.com',
        repositoryServer: '10.0.0.1',
        user: { kind: 'uid', value: uid },
        sessionManagement: true,
        sessionId: SID,
      };
    case 'business':
      return {
        log,
        time,
        result: { token: 'Authorization', outcome },
        client: '192.0.2.7',
        user: { kind: 'uid', value: uid },
        resource: `https://app.example.com${resource}`,
        requestId: `r${seconds}`,
        sessionManagement: false,
      };
    case 'session':
      return { log, time, result: { token: 'Registration', outcome }, sessionId: SID, userId: uid };
    default: {
      const never: never = log;
      return never;
    }
  }
}

interface Logs {
  readonly dir: string;
  write(r: AccessRecord): void;
  close(): Promise<void>;
}

/** One real writer per log, as src/main/access-logs.ts opens them. */
function openLogs(dir: string, maxBytes = 0, rotation: RotationMode = 'separate'): Logs {
  let clock = T0;
  const writers = new Map<LogKind, AccessLogWriter>();
  const of = (k: LogKind): AccessLogWriter => {
    let w = writers.get(k);
    if (w === undefined) {
      w = new AccessLogWriter({
        path: join(dir, ACCESS_LOG_FILES[k]),
        maxBytes,
        rotation,
        keep: 0,
        now: () => new Date((clock += 1000)),
      });
      writers.set(k, w);
    }
    return w;
  };
  return {
    dir,
    write: (r) => {
      of(r.log).append(formatAccessLine(r, { timeZoneOffsetMinutes: 540 }));
    },
    close: async () => {
      await Promise.all([...writers.values()].map((w) => w.close()));
    },
  };
}

/** Every entry of a query, page by page. */
async function all(o: QueryOptions): Promise<{ entries: AccessLogEntry[]; pages: number }> {
  const entries: AccessLogEntry[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const p = await queryAccessLogs({ ...o, cursor });
    entries.push(...p.entries);
    cursor = p.nextCursor;
    pages++;
    assert.ok(pages < 10_000);
  } while (cursor !== undefined);
  return { entries, pages };
}

const userOf = (e: AccessLogEntry): string | undefined => (e.log === 'session' ? e.userId : e.user);

const KINDS: readonly LogKind[] = ['repository', 'authentication', 'business', 'session'];

/** 40 records: second i goes to log i % 4, user u<i>. */
async function mixed(dir: string, maxBytes = 0, rotation: RotationMode = 'separate') {
  const logs = openLogs(dir, maxBytes, rotation);
  for (let i = 0; i < 40; i++) logs.write(record(KINDS[i % 4]!, i, `u${i}`, i % 3 !== 0));
  await logs.close();
}

describe('queryAccessLogs', () => {
  it('merges the four logs newest first, and oldest first, with typed fields', async () => {
    const dir = await freshDir();
    await mixed(dir);
    const newest = await queryAccessLogs({ dir });
    assert.equal(newest.entries.length, 40);
    assert.equal(newest.nextCursor, undefined);
    assert.equal(newest.malformed, 0);
    assert.deepEqual(
      newest.entries.map(userOf),
      Array.from({ length: 40 }, (_, i) => `u${39 - i}`).map((u, i) =>
        KINDS[(39 - i) % 4] === 'repository' ? `uid=${u},ou=users,dc=example` : u,
      ),
    );
    const oldest = await queryAccessLogs({ dir, order: 'oldest' });
    assert.deepEqual(
      oldest.entries.map((e) => e.time.getTime()),
      newest.entries.map((e) => e.time.getTime()).reverse(),
    );
    const first = oldest.entries[0]!;
    assert.equal(first.log, 'repository');
    assert.equal(first.result, 'Authentication(basicAuth) failed.');
    assert.equal(first.supplementary, 'Count up failure count');
    assert.equal(first.timestamp, '2025/04/01 09:00:00 +0900');
    assert.equal(first.sessionId, SID);
    assert.equal(first.client, '192.0.2.7');
    const biz = oldest.entries[2]!;
    if (biz.log !== 'business') assert.fail();
    assert.equal(biz.resource, 'https://app.example.com/app/');
    assert.equal(biz.requestId, 'r2');
  });

  it('a missing directory is an empty result', async () => {
    const p = await queryAccessLogs({ dir: join(root, 'nope') });
    assert.deepEqual(p.entries, []);
    assert.equal(p.nextCursor, undefined);
  });

  for (const rotation of ['separate', 'overwrite'] as const) {
    it(`reads the saved copies of ${rotation} mode, in order, page by page`, async () => {
      const dir = await freshDir();
      const logs = openLogs(dir, 2000, rotation);
      for (let i = 0; i < 200; i++) logs.write(record('business', i, `u${i}`));
      await logs.close();
      const files = await readdir(dir);
      assert.ok(files.length >= 2, files.join(' '));
      // overwrite mode keeps one backup: the lines before it are gone.
      const { entries, pages } = await all({ dir, limit: 7 });
      assert.ok(pages > 2);
      const times = entries.map((e) => e.time.getTime());
      assert.deepEqual(
        times,
        [...times].sort((a, b) => b - a),
      );
      assert.equal(new Set(times).size, times.length, 'no duplicates');
      assert.equal(times[0], at(199).getTime());
      if (rotation === 'separate') assert.equal(entries.length, 200);
      else assert.ok(entries.length < 200 && entries.length > 10);
      // Contiguous: from the newest back to the oldest kept, none missing.
      assert.equal(times.at(-1), at(200 - entries.length).getTime());
      const up = await all({ dir, limit: 9, order: 'oldest' });
      assert.deepEqual(
        up.entries.map((e) => e.time.getTime()),
        [...times].reverse(),
      );
    });
  }

  it('a newest-first cursor survives a rotation between pages', async () => {
    const dir = await freshDir();
    let clock = T0;
    const w = new AccessLogWriter({
      path: join(dir, ACCESS_LOG_FILES.business),
      maxBytes: 3000,
      keep: 0,
      now: () => new Date((clock += 1000)),
    });
    const write = (i: number): void => {
      w.append(formatAccessLine(record('business', i, `u${i}`), { timeZoneOffsetMinutes: 540 }));
    };
    for (let i = 0; i < 10; i++) write(i);
    await w.flush();
    const p1 = await queryAccessLogs({ dir, limit: 4 });
    assert.deepEqual(p1.entries.map(userOf), ['u9', 'u8', 'u7', 'u6']);
    // The file of the cursor is renamed by rotations while the reader pauses.
    for (let i = 10; i < 60; i++) write(i);
    await w.close();
    const p2 = await queryAccessLogs({ dir, limit: 4, cursor: p1.nextCursor });
    assert.deepEqual(p2.entries.map(userOf), ['u5', 'u4', 'u3', 'u2']);
  });

  it('counts and locates malformed lines, and goes on', async () => {
    const dir = await freshDir();
    await mixed(dir);
    const file = join(dir, ACCESS_LOG_FILES.authentication);
    await appendFile(file, 'this is not a log line |\n\n');
    const logs = openLogs(dir);
    logs.write(record('authentication', 100, 'late'));
    await logs.close();
    const p = await queryAccessLogs({ dir, filter: { logs: ['authentication'] } });
    assert.equal(p.malformed, 2);
    assert.equal(p.entries.length, 11);
    assert.equal(userOf(p.entries[0]!), 'late');
    assert.equal(p.malformedSamples.length, 2);
    assert.ok(p.malformedSamples.every((s) => s.file === file && s.offset > 0));
  });

  it('returns a hostile user ID as its original value; the line shows it escaped', async () => {
    const dir = await freshDir();
    const hostile = 'eve" Authorization succeeded. |\nforged\\x0A\u202e';
    const logs = openLogs(dir);
    logs.write(record('business', 1, 'alice'));
    logs.write(record('business', 2, hostile, false, '/a"b\r\n/'));
    await logs.close();
    const p = await queryAccessLogs({ dir });
    assert.equal(p.entries.length, 2);
    const e = p.entries[0]!;
    assert.equal(userOf(e), hostile);
    if (e.log !== 'business') assert.fail();
    assert.equal(e.resource, 'https://app.example.com/a"b\r\n/');
    assert.equal(e.outcome, 'failed');
    // The filter compares the original value too.
    const f = await queryAccessLogs({ dir, filter: { user: hostile } });
    assert.deepEqual(
      f.entries.map((x) => x.id),
      [e.id],
    );
    const line = await readAccessLogEntry(dir, e.id);
    assert.ok(line.line.includes('"eve\\" Authorization succeeded. |\\x0Aforged\\\\x0A\\u202E"'));
    assert.ok(!line.line.includes('\n'));
    assert.equal(userOf(line), hostile);
  });

  it('filters by time, log, user (exact, prefix, uid of a DN), result, session and resource', async () => {
    const dir = await freshDir();
    const logs = openLogs(dir);
    for (let i = 0; i < 40; i++) {
      logs.write(
        record(KINDS[i % 4]!, i, i < 20 ? `alice${i % 2}` : 'bob', i % 5 !== 0, `/p${i}/`),
      );
    }
    await logs.close();
    const q = async (filter: QueryOptions['filter']) =>
      (await queryAccessLogs({ dir, filter, order: 'oldest' })).entries;
    const times = (es: readonly AccessLogEntry[]) => es.map((e) => (e.time.getTime() - T0) / 1000);

    assert.deepEqual(times(await q({ from: at(10), to: at(14) })), [10, 11, 12, 13]);
    assert.deepEqual(times(await q({ logs: ['session'], from: at(30) })), [31, 35, 39]);
    // alice1 at odd seconds < 20, including the repository log's DN uid=alice1,…
    assert.deepEqual(times(await q({ user: 'alice1' })), [1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
    assert.equal((await q({ userPrefix: 'alice' })).length, 20);
    assert.equal((await q({ userPrefix: 'uid=ali' })).length, 5);
    assert.deepEqual(times(await q({ user: 'bob', outcome: 'failed' })), [20, 25, 30, 35]);
    assert.deepEqual(times(await q({ resource: '/P3' })), [30, 34, 38]);
    // SessionID is in the repository, authentication and session logs (not business here).
    assert.equal((await q({ sessionId: SID })).length, 30);
    assert.deepEqual(await q({ sessionId: 'x'.repeat(43) }), []);
  });

  it('refuses hostile parameters with coded errors', async () => {
    const dir = await freshDir();
    await mixed(dir);
    const code = (c: string) => (e: unknown) => e instanceof LogError && e.code === c;
    const bad = (o: Partial<QueryOptions>, c: string) =>
      assert.rejects(queryAccessLogs({ dir, ...o }), code(c));
    await bad({ limit: 0 }, 'LOG_QUERY_INVALID');
    await bad({ limit: 1001 }, 'LOG_QUERY_INVALID');
    await bad({ limit: 1.5 }, 'LOG_QUERY_INVALID');
    await bad({ filter: { from: at(10), to: at(5) } }, 'LOG_QUERY_INVALID');
    await bad({ filter: { from: new Date(NaN) } }, 'LOG_QUERY_INVALID');
    await bad({ filter: { logs: ['audit' as LogKind] } }, 'LOG_QUERY_INVALID');
    await bad({ filter: { user: 'x'.repeat(1025) } }, 'LOG_QUERY_INVALID');
    await bad({ cursor: 'garbage!' }, 'LOG_CURSOR_INVALID');
    await bad({ cursor: 'e30' }, 'LOG_CURSOR_INVALID'); // {}
    await bad({ cursor: 'A'.repeat(5000) }, 'LOG_CURSOR_INVALID');
    const forged = Buffer.from(JSON.stringify({ v: 1, q: 'x', p: { business: '1:2@3' } })).toString(
      'base64url',
    );
    await bad({ cursor: forged }, 'LOG_CURSOR_INVALID');
    // A cursor of another query (other filter or order) is refused, not misapplied.
    const p = await queryAccessLogs({ dir, limit: 5 });
    await bad({ cursor: p.nextCursor, order: 'oldest' }, 'LOG_CURSOR_INVALID');
    await bad({ cursor: p.nextCursor, filter: { outcome: 'failed' } }, 'LOG_CURSOR_INVALID');
    // Entry IDs: forged, pointing into the middle of a line, or at a file that is gone.
    const id = p.entries[0]!.id;
    const [log, file, offset] = Buffer.from(id, 'base64url').toString().split('|');
    const shifted = Buffer.from(`${log}|${file}|${Number(offset) + 3}`).toString('base64url');
    for (const x of ['', 'nope', shifted, Buffer.from('business|9:9|0').toString('base64url')]) {
      await assert.rejects(readAccessLogEntry(dir, x), code('LOG_ENTRY_NOT_FOUND'), x);
    }
    assert.equal((await readAccessLogEntry(dir, id)).id, id);
  });

  it('a page of a 200,000-line file reads a few chunks, not the file', async () => {
    const dir = await freshDir();
    const logs = openLogs(dir);
    for (let i = 0; i < 200_000; i++) logs.write(record('business', i, `user${i % 1000}`));
    await logs.close();
    let read = 0;
    const counting: ByteSource = {
      open: async (path) => {
        const f = await FILE_SYSTEM.open(path);
        if (f === undefined) return undefined;
        return {
          size: f.size,
          read: async (p, l) => {
            const b = await f.read(p, l);
            read += b.length;
            return b;
          },
          close: () => f.close(),
        };
      },
    };
    const size = (await FILE_SYSTEM.open(join(dir, ACCESS_LOG_FILES.business)))!;
    await size.close();
    assert.ok(size.size > 20 * 1024 * 1024, `file of ${size.size} bytes`);
    for (const order of ['newest', 'oldest'] as const) {
      read = 0;
      const p1 = await queryAccessLogs({ dir, order, source: counting });
      assert.equal(p1.entries.length, 100);
      assert.ok(read <= 2 * CHUNK_BYTES, `${order}: ${read} bytes read`);
      assert.equal(p1.bytesRead, read);
      read = 0;
      const p2 = await queryAccessLogs({ dir, order, cursor: p1.nextCursor, source: counting });
      assert.ok(read <= 2 * CHUNK_BYTES, `${order} page 2: ${read} bytes read`);
      const expected = order === 'newest' ? 199_899 : 100;
      assert.equal(p2.entries[0]!.time.getTime(), at(expected).getTime());
    }
    // A selective filter stops at the scan budget and says so; its cursor goes on from there.
    const limited = await queryAccessLogs({
      dir,
      filter: { user: 'user0' },
      maxScanBytes: 1024 * 1024,
    });
    assert.equal(limited.scanLimited, true);
    assert.ok(limited.entries.length > 0 && limited.entries.length < 100);
    assert.ok(limited.bytesRead < 1024 * 1024 + 2 * CHUNK_BYTES);
    const rest = await queryAccessLogs({
      dir,
      filter: { user: 'user0' },
      maxScanBytes: 1024 * 1024,
      cursor: limited.nextCursor,
    });
    assert.equal(
      rest.entries[0]!.time.getTime(),
      limited.entries.at(-1)!.time.getTime() - 1000 * 1000,
    );
    // A time range near the start, newest first, stops reading at `from`.
    read = 0;
    const recent = await queryAccessLogs({
      dir,
      filter: { from: at(199_990) },
      source: counting,
    });
    assert.equal(recent.entries.length, 10);
    assert.equal(recent.nextCursor, undefined);
    assert.ok(read <= CHUNK_BYTES);
  });
});

describe('accessStats', () => {
  it('counts sign-ons and authorizations per bucket, aligned to the offset', async () => {
    const dir = await freshDir();
    const logs = openLogs(dir);
    // Minute m (0..9): m+1 sign-ons succeeded, 1 failed, 2 authorizations failed.
    for (let m = 0; m < 10; m++) {
      for (let k = 0; k <= m; k++) logs.write(record('authentication', m * 60 + k, 'a'));
      logs.write(record('authentication', m * 60 + 30, 'a', false));
      logs.write(record('repository', m * 60 + 30, 'a', false)); // not a second count
      logs.write(record('business', m * 60 + 40, 'a', false));
      logs.write(record('business', m * 60 + 41, 'a', false));
      logs.write(record('business', m * 60 + 42, 'a', true));
    }
    await logs.close();
    const s = await accessStats({ dir, from: at(0), to: at(600), offsetMinutes: 540 });
    assert.equal(s.bucket, 'minute');
    assert.equal(s.buckets.length, 10);
    assert.equal(s.complete, true);
    for (let m = 0; m < 10; m++) {
      const b = s.buckets[m]!;
      assert.equal(b.start.getTime(), at(m * 60).getTime());
      assert.deepEqual(
        [b.signOnSucceeded, b.signOnFailed, b.authorizationSucceeded, b.authorizationFailed],
        [m + 1, 1, 1, 2],
      );
    }
    // Hours aligned to +05:30: the bucket starts at 08:30+05:30 = 03:00Z… of the hour containing from.
    const h = await accessStats({
      dir,
      from: at(0),
      to: at(3600 * 5),
      bucket: 'hour',
      offsetMinutes: 330,
    });
    assert.equal(h.buckets[0]!.start.toISOString(), '2025-03-31T23:30:00.000Z');
    assert.equal(h.buckets.length, 6);
    assert.equal(h.buckets[0]!.signOnSucceeded + h.buckets[1]!.signOnSucceeded, 55);
    await assert.rejects(
      accessStats({ dir, from: at(0), to: at(86_400 * 3), bucket: 'minute' }),
      (e) => e instanceof LogError && e.code === 'LOG_QUERY_INVALID',
    );
    await assert.rejects(accessStats({ dir, from: at(10), to: at(10) }), LogError);
  });

  it('chooses minutes up to 2 h, hours up to 3 days, days beyond', () => {
    assert.equal(chooseBucket(at(0), at(7200)), 'minute');
    assert.equal(chooseBucket(at(0), at(7201)), 'hour');
    assert.equal(chooseBucket(at(0), at(86_400 * 3)), 'hour');
    assert.equal(chooseBucket(at(0), at(86_400 * 3 + 1)), 'day');
  });
});
