// Another process's ssoupsid reaches this one without a restart: two services over one SQLite
// file, as sekisho start and a separate business server would be.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { kcvOf } from '../../../src/keyservers/kek.ts';
import { ServiceIdService } from '../../../src/sso/core/service-id.ts';
import { openDatabase } from '../../../src/storage/sqlite/database.ts';
import { SqliteServiceIdStore } from '../../../src/storage/sqlite/service-id-store.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-sid-refresh-'));
const dbs = [openDatabase(dir), openDatabase(dir)];
after(() => {
  for (const db of dbs) db.close();
  rmSync(dir, { recursive: true, force: true });
});

test('refresh picks up a regeneration made by another process, once', async () => {
  const kek = new Uint8Array(randomBytes(32));
  const [a, b] = dbs.map(
    (db) =>
      new ServiceIdService({
        store: new SqliteServiceIdStore(db),
        kek: () => Promise.resolve(kek),
        kcvOf,
      }),
  ) as [ServiceIdService, ServiceIdService];
  const first = await a.current();
  assert.deepEqual(await b.current(), first);
  assert.equal(await b.refresh(), false, 'nothing changed yet');

  assert.deepEqual(await a.regenerate(), { generation: 2 });
  const second = await a.current();
  assert.notDeepEqual(second, first);
  assert.deepEqual(await b.current(), first, 'b still uses its copy');
  assert.equal(await b.refresh(), true);
  assert.deepEqual(await b.current(), second);
  assert.deepEqual(b.previous(), first);
  assert.equal(await b.refresh(), false);
  assert.equal(await a.refresh(), false, 'a made it');
});
