/**
 * AccessLogWriter on real files in a temporary directory: order, buffering, rotation in both
 * modes, keep-N deletion, and a log that cannot be written (ENOTDIR) — no throw, one onError per
 * episode, writing resumes once the cause is removed.
 */
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { AccessLogWriter, isSavedLogName, rotationStamp } from '../../src/logs/index.ts';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'sekisho-logs-'));
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

const lineOf = (i: number): string => `line ${String(i).padStart(6, '0')} ${'x'.repeat(40)}`;

async function linesIn(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8');
  return text === '' ? [] : text.slice(0, -1).split('\n');
}

/** A clock that advances one second per call, from 2025-04-01 12:00:00 local time. */
function ticking(): () => Date {
  let t = new Date(2025, 3, 1, 12, 0, 0).getTime();
  return () => new Date((t += 1000));
}

describe('AccessLogWriter', () => {
  it('writes lines in order and close() writes everything (10,000 lines)', async () => {
    const path = join(await freshDir(), 'repository.log');
    const w = new AccessLogWriter({ path, maxBytes: 0 });
    for (let i = 0; i < 10_000; i++) w.append(lineOf(i));
    await w.close();
    const lines = await linesIn(path);
    assert.equal(lines.length, 10_000);
    for (let i = 0; i < 10_000; i++) assert.equal(lines[i], lineOf(i));
    w.append('after close'); // ignored, no throw
    await w.flush();
    assert.equal((await linesIn(path)).length, 10_000);
  });

  it('buffers below 64 KiB until the interval elapses; flush() writes at once', async () => {
    const path = join(await freshDir(), 'a.log');
    const w = new AccessLogWriter({ path, flushIntervalMs: 60_000 });
    w.append('one');
    await new Promise((r) => setImmediate(r));
    await assert.rejects(readFile(path), { code: 'ENOENT' });
    await w.flush();
    assert.deepEqual(await linesIn(path), ['one']);
    await w.close();
  });

  it('the timer writes the buffer after flushIntervalMs', async () => {
    const path = join(await freshDir(), 'a.log');
    const w = new AccessLogWriter({ path, flushIntervalMs: 20 });
    w.append('timed');
    for (let i = 0; i < 200; i++) {
      const got = await readFile(path, 'utf8').catch(() => '');
      if (got === 'timed\n') break;
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.deepEqual(await linesIn(path), ['timed']);
    await w.close();
  });

  it('a full buffer (64 KiB) is written without waiting for the timer', async () => {
    const path = join(await freshDir(), 'a.log');
    const w = new AccessLogWriter({ path, flushIntervalMs: 60_000, maxBytes: 0 });
    const big = 'y'.repeat(1023); // 1 KiB with the line feed
    for (let i = 0; i < 64; i++) w.append(big);
    for (let i = 0; i < 200; i++) {
      const got = await readFile(path, 'utf8').catch(() => '');
      if (got.length === 64 * 1024) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal((await readFile(path, 'utf8')).length, 64 * 1024);
    await w.close();
  });

  it('a CR or LF inside a line cannot split it', async () => {
    const path = join(await freshDir(), 'a.log');
    const w = new AccessLogWriter({ path });
    w.append('a\nb\rc');
    await w.close();
    assert.deepEqual(await linesIn(path), ['a\\x0Ab\\x0Dc']);
  });

  it('separate mode: name.log.YYYYMMDDhhmmss files, every line kept, at line boundaries', async () => {
    const dir = await freshDir();
    const path = join(dir, 'auth.log');
    const now = ticking();
    const w = new AccessLogWriter({ path, maxBytes: 4096, rotation: 'separate', keep: 0, now });
    for (let i = 0; i < 500; i++) w.append(lineOf(i)); // 500 × 53 B ≈ 26 KiB
    await w.close();
    const files = (await readdir(dir)).sort();
    const saved = files.filter((f) => isSavedLogName('auth.log', f));
    assert.equal(saved.length, files.length - 1);
    assert.ok(files.includes('auth.log'));
    assert.equal(saved.length, Math.ceil((500 * 53) / (Math.floor(4096 / 53) * 53)) - 1);
    const first = new Date(2025, 3, 1, 12, 0, 1);
    assert.equal(saved[0], `auth.log.${rotationStamp(first)}`);
    assert.match(saved[0], /^auth\.log\.\d{14}$/);
    const all: string[] = [];
    for (const f of [...saved, 'auth.log']) {
      const text = await readFile(join(dir, f), 'utf8');
      assert.ok(Buffer.byteLength(text) <= 4096, f);
      assert.ok(text.endsWith('\n'));
      all.push(...text.slice(0, -1).split('\n'));
    }
    assert.deepEqual(
      all,
      Array.from({ length: 500 }, (_, i) => lineOf(i)),
    );
  });

  it('separate mode: a name taken in the same second gets .1, .2 …', async () => {
    const dir = await freshDir();
    const path = join(dir, 'r.log');
    const fixed = new Date(2025, 3, 1, 12, 0, 0);
    const w = new AccessLogWriter({ path, maxBytes: 200, keep: 0, now: () => fixed });
    for (let i = 0; i < 20; i++) w.append(lineOf(i));
    await w.close();
    const stamp = rotationStamp(fixed);
    const files = (await readdir(dir)).sort();
    assert.ok(files.includes(`r.log.${stamp}`));
    assert.ok(files.includes(`r.log.${stamp}.1`));
    assert.ok(files.includes(`r.log.${stamp}.2`));
  });

  it('separate mode keeps at most N saved files, deleting the oldest', async () => {
    const dir = await freshDir();
    const path = join(dir, 'b.log');
    await writeFile(join(dir, 'b.log.unrelated'), 'keep me\n');
    const w = new AccessLogWriter({ path, maxBytes: 4096, keep: 3, now: ticking() });
    for (let i = 0; i < 1000; i++) w.append(lineOf(i));
    await w.close();
    const files = (await readdir(dir)).sort();
    const saved = files.filter((f) => isSavedLogName('b.log', f));
    assert.equal(saved.length, 3);
    assert.ok(files.includes('b.log.unrelated'));
    // The newest three are kept: together with b.log they hold the last lines, contiguous.
    const all: string[] = [];
    for (const f of [...saved, 'b.log']) all.push(...(await linesIn(join(dir, f))));
    const firstKept = Number(all[0]!.slice(5, 11));
    assert.deepEqual(
      all,
      Array.from({ length: 1000 - firstKept }, (_, i) => lineOf(firstKept + i)),
    );
    assert.equal(all.at(-1), lineOf(999));
  });

  it('overwrite mode: one backup name.log.old replaced each time', async () => {
    const dir = await freshDir();
    const path = join(dir, 'c.log');
    const w = new AccessLogWriter({ path, maxBytes: 4096, rotation: 'overwrite' });
    for (let i = 0; i < 500; i++) w.append(lineOf(i));
    await w.close();
    assert.deepEqual((await readdir(dir)).sort(), ['c.log', 'c.log.old']);
    const old = await linesIn(join(dir, 'c.log.old'));
    const cur = await linesIn(path);
    assert.deepEqual(
      [...old, ...cur],
      Array.from({ length: old.length + cur.length }, (_, i) =>
        lineOf(500 - old.length - cur.length + i),
      ),
    );
    assert.equal(cur.at(-1), lineOf(499));
    assert.ok(Buffer.byteLength(await readFile(join(dir, 'c.log.old'))) <= 4096);
  });

  it('an existing file is appended to and counts towards the maximum size', async () => {
    const dir = await freshDir();
    const path = join(dir, 'e.log');
    await writeFile(path, 'z'.repeat(4049) + '\n'); // 4,050 B: one more 53-byte line exceeds 4 KiB
    const w = new AccessLogWriter({ path, maxBytes: 4096, rotation: 'overwrite' });
    w.append(lineOf(1));
    w.append(lineOf(2));
    await w.close();
    assert.equal((await readFile(join(dir, 'e.log.old'), 'utf8')).length, 4050);
    assert.deepEqual(await linesIn(path), [lineOf(1), lineOf(2)]);
  });

  it('an unwritable log never throws: onError once per episode, writing resumes when fixed', async () => {
    const dir = await freshDir();
    const blocker = join(dir, 'sub');
    await writeFile(blocker, 'a regular file where the directory should be\n');
    const path = join(blocker, 'd.log'); // parent is a file → ENOTDIR
    const errors: Error[] = [];
    const w = new AccessLogWriter({ path, onError: (e) => errors.push(e) });
    w.append('lost 1');
    await w.flush();
    w.append('lost 2');
    await w.flush();
    w.append('lost 3');
    await w.flush();
    assert.equal(errors.length, 1);
    assert.equal((errors[0] as NodeJS.ErrnoException).code, 'ENOTDIR');
    assert.equal(w.failing, true);
    assert.equal(w.droppedLines, 3);

    await rm(blocker);
    await mkdir(blocker);
    w.append('kept 1');
    await w.flush();
    assert.equal(w.failing, false);
    assert.deepEqual(await linesIn(path), ['kept 1']);

    // A second episode is reported again.
    await rm(blocker, { recursive: true });
    await writeFile(blocker, 'file again\n');
    w.append('kept 2'); // the open handle still writes to the unlinked file: not a failure
    await w.flush();
    const w2 = new AccessLogWriter({ path, onError: (e) => errors.push(e) });
    w2.append('lost 4');
    await w2.close();
    assert.equal(errors.length, 2);
    await w.close();
  });

  it('a throwing onError does not break the writer', async () => {
    const dir = await freshDir();
    const path = join(dir, 'missing', 'f.log'); // ENOENT
    const w = new AccessLogWriter({
      path,
      onError: () => {
        throw new Error('handler failed');
      },
    });
    w.append('x');
    await w.flush();
    await mkdir(join(dir, 'missing'));
    w.append('y');
    await w.close();
    assert.deepEqual(await linesIn(path), ['y']);
  });
});
