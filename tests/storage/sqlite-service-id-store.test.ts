/**
 * SqliteServiceIdStore: one row, every field survives the database and reopening the file,
 * and the schema refuses a second row or a generation below 1.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import type { WrappedServiceId } from '../../src/sso/ports/service-id-store.ts';
import { openDatabase } from '../../src/storage/sqlite/database.ts';
import { SqliteServiceIdStore } from '../../src/storage/sqlite/service-id-store.ts';

const dirs: string[] = [];
const open: DatabaseSync[] = [];
after(() => {
  for (const db of open) if (db.isOpen) db.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'sekisho-service-id-store-'));
  dirs.push(d);
  return d;
}
function database(dir: string): DatabaseSync {
  const db = openDatabase(dir);
  open.push(db);
  return db;
}

const value = (generation: number): WrappedServiceId => ({
  wrapped: new Uint8Array(randomBytes(60)),
  kcv: randomBytes(3).toString('hex'),
  createdAt: new Date(Date.UTC(2030, 0, 1, 0, 0, generation, 123)),
  generation,
});

void describe('SqliteServiceIdStore', () => {
  void it('is empty at first', () => {
    assert.equal(new SqliteServiceIdStore(database(tempDir())).get(), undefined);
  });

  void it('keeps every field, and put replaces the one row', () => {
    const db = database(tempDir());
    const store = new SqliteServiceIdStore(db);
    const one = value(1);
    store.put(one);
    assert.deepEqual(store.get(), one);
    const two = value(2);
    store.put(two);
    assert.deepEqual(store.get(), two);
    assert.equal(db.prepare('SELECT count(*) AS n FROM sso_service_id').get()?.['n'], 1);
  });

  void it('survives closing and reopening the file; a second instance sees the same row', () => {
    const dir = tempDir();
    const db = database(dir);
    const w = value(7);
    new SqliteServiceIdStore(db).put(w);
    const other = new SqliteServiceIdStore(database(dir));
    assert.deepEqual(other.get(), w);
    db.close();
    assert.deepEqual(new SqliteServiceIdStore(database(dir)).get(), w);
  });

  void it('refuses invalid values before and inside the database', () => {
    const db = database(tempDir());
    const store = new SqliteServiceIdStore(db);
    const fails = (act: () => unknown, expected: RegExp | typeof RangeError) => {
      assert.throws(() => {
        act();
      }, expected);
    };
    fails(() => {
      store.put({ ...value(1), generation: 0 });
    }, RangeError);
    fails(() => {
      store.put({ ...value(1), createdAt: new Date(Number.NaN) });
    }, RangeError);
    const insert = (id: number, generation: number) =>
      db.prepare("INSERT INTO sso_service_id VALUES (?, x'00', 'abc', 0, ?)").run(id, generation);
    fails(() => insert(2, 1), /CHECK constraint failed/);
    fails(() => insert(1, 0), /CHECK constraint failed/);
    assert.equal(store.get(), undefined);
  });

  void it('a STRICT table: a value of another type never reaches get', () => {
    const db = database(tempDir());
    const store = new SqliteServiceIdStore(db);
    const w = value(1);
    store.put(w);
    for (const sql of [
      "UPDATE sso_service_id SET wrapped = 'text'",
      "UPDATE sso_service_id SET created_at = 'soon'",
      "UPDATE sso_service_id SET generation = 'two'",
    ]) {
      assert.throws(() => {
        db.exec(sql);
      }, /cannot store TEXT value/);
    }
    assert.deepEqual(store.get(), w);
  });
});
