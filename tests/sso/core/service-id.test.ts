/**
 * ServiceIdService over both stores it runs on: an in-memory one (the port alone) and the
 * embedded SQLite adapter. The KEK check value is the real one of src/keyservers/kek.ts.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { kcvOf } from '../../../src/keyservers/kek.ts';
import { deriveKeys } from '../../../src/sso/core/credential.ts';
import { SsoError } from '../../../src/sso/core/errors.ts';
import { ServiceIdService } from '../../../src/sso/core/service-id.ts';
import type { ServiceIdStore, WrappedServiceId } from '../../../src/sso/ports/service-id-store.ts';
import { openDatabase } from '../../../src/storage/sqlite/database.ts';
import { SqliteServiceIdStore } from '../../../src/storage/sqlite/service-id-store.ts';

const dirs: string[] = [];
const closers: (() => void)[] = [];
after(() => {
  for (const c of closers) c();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

class MemoryServiceIdStore implements ServiceIdStore {
  private value: WrappedServiceId | undefined;
  get(): WrappedServiceId | undefined {
    return this.value;
  }
  put(w: WrappedServiceId): void {
    this.value = { ...w, wrapped: w.wrapped.slice() };
  }
}

const adapters: { name: string; open: () => ServiceIdStore }[] = [
  { name: 'memory', open: () => new MemoryServiceIdStore() },
  {
    name: 'sqlite',
    open: () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-service-id-'));
      dirs.push(dir);
      const db = openDatabase(dir);
      closers.push(() => {
        db.close();
      });
      return new SqliteServiceIdStore(db);
    },
  },
];

const newKek = () => new Uint8Array(randomBytes(32));
const T0 = new Date('2030-01-01T00:00:00Z');

function service(store: ServiceIdStore, kek: Uint8Array): ServiceIdService {
  return new ServiceIdService({ store, kek: () => Promise.resolve(kek), kcvOf, now: () => T0 });
}

const unwrapFailed = (e: unknown) =>
  e instanceof SsoError && e.code === 'SSO_SERVICE_ID_UNWRAP_FAILED';

for (const adapter of adapters) {
  void describe(`ServiceIdService (${adapter.name} store)`, () => {
    void it('generates generation 1 on first use, wrapped, never in clear', async () => {
      const store = adapter.open();
      const kek = newKek();
      assert.equal(store.get(), undefined);
      const id = await service(store, kek).current();
      assert.equal(id.length, 32);
      const stored = store.get()!;
      assert.equal(stored.generation, 1);
      assert.equal(stored.kcv, kcvOf(kek));
      assert.deepEqual(stored.createdAt, T0);
      assert.equal(stored.wrapped.length, 12 + 32 + 16);
      assert.equal(Buffer.from(stored.wrapped).includes(Buffer.from(id)), false);
    });

    void it('concurrent first uses generate one service ID', async () => {
      const store = adapter.open();
      const s = service(store, newKek());
      const ids = await Promise.all(Array.from({ length: 10 }, () => s.current()));
      for (const id of ids) assert.deepEqual(id, ids[0]);
      assert.equal(store.get()!.generation, 1);
    });

    void it('a second instance over the same store unwraps the same bytes', async () => {
      const store = adapter.open();
      const kek = newKek();
      const first = await service(store, kek).current();
      const before = store.get()!;
      const second = await service(store, kek).current();
      assert.deepEqual(second, first);
      assert.deepEqual(store.get(), before);
    });

    void it('hands out copies: mutating one does not change the service ID', async () => {
      const s = service(adapter.open(), newKek());
      const a = await s.current();
      const keep = a.slice();
      a.fill(0);
      assert.deepEqual(await s.current(), keep);
    });

    void it('regenerate bumps the generation and changes the derived keys', async () => {
      const store = adapter.open();
      const kek = newKek();
      const s = service(store, kek);
      const before = await s.current();
      assert.deepEqual(await s.regenerate(), { generation: 2 });
      const after1 = await s.current();
      assert.notDeepEqual(after1, before);
      assert.notDeepEqual(deriveKeys(after1).credential, deriveKeys(before).credential);
      assert.notDeepEqual(deriveKeys(after1).csrf, deriveKeys(before).csrf);
      assert.equal(store.get()!.generation, 2);
      assert.deepEqual(await service(store, kek).current(), after1);
      assert.deepEqual(await s.regenerate(), { generation: 3 });
    });

    void it('peek: nothing before the first read, then the value in memory, replaced (never changed in place) by regenerate and refresh', async () => {
      const store = adapter.open();
      const kek = newKek();
      const s = service(store, kek);
      assert.equal(s.peek(), undefined);
      const first = await s.current();
      const seen = s.peek();
      assert.deepEqual(seen, first);
      assert.equal(s.peek(), seen, 'the same object while the service ID is unchanged');
      const copy = seen.slice();
      await s.regenerate();
      assert.notEqual(s.peek(), seen);
      assert.deepEqual(seen, copy, 'the old object keeps its bytes');
      assert.deepEqual(s.peek(), await s.current());
      // Another process regenerates; refresh installs a new object.
      const other = service(store, kek);
      await other.current();
      await other.regenerate();
      const before = s.peek();
      assert.equal(await s.refresh(), true);
      assert.notEqual(s.peek(), before);
      assert.deepEqual(s.peek(), await other.current());
    });

    void it('regenerate on an empty store starts at generation 1', async () => {
      const store = adapter.open();
      assert.deepEqual(await service(store, newKek()).regenerate(), { generation: 1 });
    });

    void it('rewrap moves it to the new KEK; the old KEK no longer opens it', async () => {
      const store = adapter.open();
      const oldKek = newKek();
      const nextKek = newKek();
      const s = service(store, oldKek);
      const id = await s.current();
      const created = store.get()!.createdAt;
      await s.rewrap(oldKek, nextKek);
      const stored = store.get()!;
      assert.equal(stored.kcv, kcvOf(nextKek));
      assert.equal(stored.generation, 1);
      assert.deepEqual(stored.createdAt, created);
      assert.deepEqual(await service(store, nextKek).current(), id);
      await assert.rejects(service(store, oldKek).current(), unwrapFailed);
      // A re-run after an interrupted KEK change finds it done.
      await s.rewrap(oldKek, nextKek);
      assert.deepEqual(store.get(), stored);
      assert.deepEqual(await s.current(), id);
    });

    void it('rewrap with nothing stored does nothing', async () => {
      const store = adapter.open();
      await service(store, newKek()).rewrap(newKek(), newKek());
      assert.equal(store.get(), undefined);
    });

    void it('a wrong KEK: coded error, in current and in rewrap', async () => {
      const store = adapter.open();
      const kek = newKek();
      await service(store, kek).current();
      await assert.rejects(service(store, newKek()).current(), unwrapFailed);
      await assert.rejects(service(store, kek).rewrap(newKek(), newKek()), unwrapFailed);
    });

    void it('corrupt stored bytes or generation: coded error', async () => {
      const store = adapter.open();
      const kek = newKek();
      await service(store, kek).current();
      const good = store.get()!;
      for (let i = 0; i < good.wrapped.length; i++) {
        const wrapped = good.wrapped.slice();
        wrapped[i]! ^= 0x01;
        store.put({ ...good, wrapped });
        await assert.rejects(service(store, kek).current(), unwrapFailed, `byte ${i}`);
      }
      store.put({ ...good, wrapped: good.wrapped.subarray(0, 40) });
      await assert.rejects(service(store, kek).current(), unwrapFailed);
      store.put({ ...good, generation: 2 });
      await assert.rejects(service(store, kek).current(), unwrapFailed);
      store.put(good);
      assert.equal((await service(store, kek).current()).length, 32);
    });

    void it('a KEK that cannot be read: its error, and nothing generated', async () => {
      const store = adapter.open();
      const s = new ServiceIdService({
        store,
        kek: () => Promise.reject(new Error('no key server')),
        kcvOf,
      });
      await assert.rejects(s.current(), /no key server/);
      assert.equal(store.get(), undefined);
    });
  });
}
