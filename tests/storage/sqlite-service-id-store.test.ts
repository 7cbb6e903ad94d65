/**
 * SqliteServiceIdStore: the ServiceIdStore contract over two connections to one file; one row,
 * every field survives reopening the file, and the schema refuses a second row or a
 * generation below 1.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { openDatabase } from '../../src/storage/sqlite/database.ts';
import { SqliteServiceIdStore } from '../../src/storage/sqlite/service-id-store.ts';
import {
  describeServiceIdStoreContract,
  wrappedValue as value,
} from '../sso/core/service-id-store-contract.ts';

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

describeServiceIdStoreContract('sqlite', () => {
  const dir = tempDir();
  return Promise.resolve({
    store: new SqliteServiceIdStore(database(dir)),
    other: new SqliteServiceIdStore(database(dir)),
  });
});

void describe('SqliteServiceIdStore', () => {
  void it('keeps one row', async () => {
    const db = database(tempDir());
    const store = new SqliteServiceIdStore(db);
    assert.equal(await store.put(value(1), undefined), true);
    const two = value(2);
    assert.equal(await store.put(two, 1), true);
    assert.deepEqual(await store.get(), two);
    assert.equal(db.prepare('SELECT count(*) AS n FROM sso_service_id').get()?.['n'], 1);
  });

  void it('survives closing and reopening the file', async () => {
    const dir = tempDir();
    const db = database(dir);
    const w = value(7);
    await new SqliteServiceIdStore(db).put(w, undefined);
    db.close();
    assert.deepEqual(await new SqliteServiceIdStore(database(dir)).get(), w);
  });

  void it('the schema refuses a second row or a generation below 1', async () => {
    const db = database(tempDir());
    const store = new SqliteServiceIdStore(db);
    const insert = (id: number, generation: number) =>
      db.prepare("INSERT INTO sso_service_id VALUES (?, x'00', 'abc', 0, ?)").run(id, generation);
    assert.throws(() => insert(2, 1), /CHECK constraint failed/);
    assert.throws(() => insert(1, 0), /CHECK constraint failed/);
    assert.equal(await store.get(), undefined);
  });

  void it('a STRICT table: a value of another type never reaches get', async () => {
    const db = database(tempDir());
    const store = new SqliteServiceIdStore(db);
    const w = value(1);
    await store.put(w, undefined);
    for (const sql of [
      "UPDATE sso_service_id SET wrapped = 'text'",
      "UPDATE sso_service_id SET created_at = 'soon'",
      "UPDATE sso_service_id SET generation = 'two'",
    ]) {
      assert.throws(() => {
        db.exec(sql);
      }, /cannot store TEXT value/);
    }
    assert.deepEqual(await store.get(), w);
  });
});
