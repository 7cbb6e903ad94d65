/**
 * SqliteSessionStore: the SessionStore contract on a fresh database file per case; sessions
 * surviving a reopening of the file; two connections on one file keeping the invariants (one
 * active session per user ID, one winner per delete and activation); rows that are not sessions
 * reported as a corrupt store.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import { newSessionId } from '../../src/sso/core/session.ts';
import { openDatabase } from '../../src/storage/sqlite/database.ts';
import { SqliteSessionStore } from '../../src/storage/sqlite/session-store.ts';
import { T0, describeSessionStoreContract, sessionOf } from '../sso/core/session-store-contract.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'sekisho-session-store-'));
  dirs.push(d);
  return d;
}

describeSessionStoreContract('sqlite', () => {
  const db = openDatabase(tempDir());
  return Promise.resolve({
    store: new SqliteSessionStore(db),
    close: () => {
      db.close();
      return Promise.resolve();
    },
  });
});

void describe('SqliteSessionStore', () => {
  void it('keeps every session across a reopening of the file', async () => {
    const dir = tempDir();
    const a = sessionOf('alice');
    const p = sessionOf('alice', 'pending_forced', 1, { client: undefined, reauthAt: undefined });
    const b = sessionOf('bob', 'active', 2);
    const db1 = openDatabase(dir);
    const s1 = new SqliteSessionStore(db1);
    for (const s of [a, p, b]) assert.equal(await s1.create(s), true);
    await s1.touch(b.id, new Date(T0.getTime() + 30 * 60_000));
    db1.close();

    const db2 = openDatabase(dir);
    try {
      const s2 = new SqliteSessionStore(db2);
      assert.deepEqual(await s2.get(a.id), a);
      assert.deepEqual(await s2.get(p.id), p);
      assert.deepEqual(await s2.get(b.id), {
        ...b,
        lastUsedAt: new Date(T0.getTime() + 30 * 60_000),
      });
      assert.equal(await s2.create(sessionOf('alice', 'active', 3)), false);
    } finally {
      db2.close();
    }
  });

  void it('two connections on one file: one active session per user ID, one winner each', async () => {
    const dir = tempDir();
    const dbA = openDatabase(dir);
    const dbB = openDatabase(dir);
    try {
      const A = new SqliteSessionStore(dbA);
      const B = new SqliteSessionStore(dbB);
      assert.equal(await A.create(sessionOf('alice')), true);
      assert.equal(await B.create(sessionOf('alice', 'active', 1)), false);

      const s = sessionOf('bob');
      await A.create(s);
      const deleted = await Promise.all([A.delete(s.id), B.delete(s.id), A.delete(s.id)]);
      assert.deepEqual(
        deleted.filter((d) => d !== undefined),
        [s],
      );

      const pending = sessionOf('alice', 'pending_forced', 2);
      await B.create(pending);
      const activated = await Promise.all([A.activate(pending.id, T0), B.activate(pending.id, T0)]);
      assert.equal(activated.filter((r) => r !== undefined).length, 1);
      assert.deepEqual(
        (await B.byUid('alice')).map((x) => [x.id, x.state]),
        [[pending.id, 'active']],
      );
    } finally {
      dbA.close();
      dbB.close();
    }
  });

  void it('activate inside a caller transaction uses a savepoint', async () => {
    const db = openDatabase(tempDir());
    try {
      const store = new SqliteSessionStore(db);
      const pending = sessionOf('alice', 'pending_forced');
      await store.create(sessionOf('alice'));
      await store.create(pending);
      db.exec('BEGIN');
      const r = await store.activate(pending.id, T0);
      db.exec('ROLLBACK');
      assert.equal(r?.replaced.length, 1);
      assert.equal((await store.get(pending.id))?.state, 'pending_forced', 'rolled back');
      assert.equal((await store.byUid('alice')).length, 2);
    } finally {
      db.close();
    }
  });

  void it('reports a row that is not a session as a corrupt store', async () => {
    const db = openDatabase(tempDir());
    try {
      const store = new SqliteSessionStore(db);
      const s = sessionOf('alice');
      await store.create(s);
      db.prepare('UPDATE sso_sessions SET dn = ? WHERE id = ?').run('no-equals-sign', s.id);
      await assert.rejects(store.get(s.id), /corrupt store: sso_sessions dn/);
      const bad = 'A'.repeat(42) + 'B'; // 43 characters, but not a canonical identifier
      db.prepare(
        `INSERT INTO sso_sessions VALUES (?, 'x', 'uid=x', NULL, 0, 0, 0, NULL, 'active')`,
      ).run(bad);
      await assert.rejects(store.byUid('x'), /corrupt store: sso_sessions id/);
      assert.equal(await store.get(newSessionId()), undefined);
    } finally {
      db.close();
    }
  });

  void it('refuses dates that are not valid instants', async () => {
    const db = openDatabase(tempDir());
    try {
      const store = new SqliteSessionStore(db);
      const s = sessionOf('alice', 'active', 0, { lastUsedAt: new Date(Number.NaN) });
      await assert.rejects(store.create(s), RangeError);
      assert.equal(await store.get(s.id), undefined);
    } finally {
      db.close();
    }
  });
});
