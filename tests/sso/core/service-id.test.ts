/**
 * ServiceIdService over every store it runs on: an in-memory one (the port alone), the
 * embedded SQLite adapter and Redis (a real redis-server). The KEK check value is the real one
 * of src/keyservers/kek.ts. Two services over one store stand for two nodes: of two
 * regenerations at once one wins and the other sees SSO_SERVICE_ID_CONFLICT; of two first uses
 * both end up with the one stored value.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'iovalkey';
import { kcvOf } from '../../../src/keyservers/kek.ts';
import { deriveKeys } from '../../../src/sso/core/credential.ts';
import { SsoError } from '../../../src/sso/core/errors.ts';
import { ServiceIdService } from '../../../src/sso/core/service-id.ts';
import type { ServiceIdStore, WrappedServiceId } from '../../../src/sso/ports/service-id-store.ts';
import { openDatabase } from '../../../src/storage/sqlite/database.ts';
import { SqliteServiceIdStore } from '../../../src/storage/sqlite/service-id-store.ts';
import { RedisServiceIdStore } from '../../../src/storage/redis/service-id-store.ts';
import { startRedis, type RedisServer } from '../../helpers/redis.ts';

const dirs: string[] = [];
const closers: (() => void)[] = [];
let redis: RedisServer;
let client: Redis;
before(async () => {
  redis = await startRedis();
  client = new Redis({ host: redis.host, port: redis.port, enableOfflineQueue: true });
});
after(async () => {
  for (const c of closers) c();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  client.disconnect();
  await redis.stop();
});
let prefixes = 0;

/** The port alone: a compare-and-set in memory. */
class MemoryServiceIdStore implements ServiceIdStore {
  private value: WrappedServiceId | undefined;
  get(): Promise<WrappedServiceId | undefined> {
    return Promise.resolve(this.value);
  }
  put(w: WrappedServiceId, expected: number | undefined): Promise<boolean> {
    if (this.value?.generation !== expected) return Promise.resolve(false);
    this.value = { ...w, wrapped: w.wrapped.slice() };
    return Promise.resolve(true);
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
  {
    name: 'redis',
    open: () => new RedisServiceIdStore(client, { prefix: `sid-test-${++prefixes}:` }),
  },
];

const newKek = () => new Uint8Array(randomBytes(32));
const T0 = new Date('2030-01-01T00:00:00Z');

function service(store: ServiceIdStore, kek: Uint8Array): ServiceIdService {
  return new ServiceIdService({ store, kek: () => Promise.resolve(kek), kcvOf, now: () => T0 });
}

const unwrapFailed = (e: unknown) =>
  e instanceof SsoError && e.code === 'SSO_SERVICE_ID_UNWRAP_FAILED';
const conflict = (e: unknown) => e instanceof SsoError && e.code === 'SSO_SERVICE_ID_CONFLICT';

for (const adapter of adapters) {
  void describe(`ServiceIdService (${adapter.name} store)`, () => {
    void it('generates generation 1 on first use, wrapped, never in clear', async () => {
      const store = adapter.open();
      const kek = newKek();
      assert.equal(await store.get(), undefined);
      const id = await service(store, kek).current();
      assert.equal(id.length, 32);
      const stored = (await store.get())!;
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
      assert.equal((await store.get())!.generation, 1);
    });

    void it('two nodes regenerating at once: one stores, the other sees a conflict and follows the winner', async () => {
      const store = adapter.open();
      const kek = newKek();
      const [a, b] = [service(store, kek), service(store, kek)];
      const first = await a.current();
      assert.deepEqual(await b.current(), first);
      const [ra, rb] = await Promise.allSettled([a.regenerate(), b.regenerate()]);
      const won = [ra, rb].filter((r) => r.status === 'fulfilled');
      const lost = [ra, rb].filter((r) => r.status === 'rejected');
      assert.equal(won.length, 1);
      assert.deepEqual(won[0]!.value, { generation: 2 });
      assert.equal(lost.length, 1);
      assert.ok(conflict(lost[0]!.reason));
      assert.match((lost[0]!.reason as Error).message, /generation 2/);
      assert.equal((await store.get())!.generation, 2);
      const now = await a.current();
      assert.notDeepEqual(now, first);
      assert.deepEqual(await b.current(), now, 'the loser uses the stored service ID');
      assert.deepEqual(await b.regenerate(), { generation: 3 }, 'and may run ssoupsid again');
    });

    void it('two nodes using it first at once: one value generated, both use it', async () => {
      const store = adapter.open();
      const kek = newKek();
      const nodes = Array.from({ length: 4 }, () => service(store, kek));
      const ids = await Promise.all(nodes.map((n) => n.current()));
      for (const id of ids) assert.deepEqual(id, ids[0]);
      assert.equal((await store.get())!.generation, 1);
    });

    void it('a second instance over the same store unwraps the same bytes', async () => {
      const store = adapter.open();
      const kek = newKek();
      const first = await service(store, kek).current();
      const before = (await store.get())!;
      const second = await service(store, kek).current();
      assert.deepEqual(second, first);
      assert.deepEqual(await store.get(), before);
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
      assert.equal((await store.get())!.generation, 2);
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
      const created = (await store.get())!.createdAt;
      await s.rewrap(oldKek, nextKek);
      const stored = (await store.get())!;
      assert.equal(stored.kcv, kcvOf(nextKek));
      assert.equal(stored.generation, 1);
      assert.deepEqual(stored.createdAt, created);
      assert.deepEqual(await service(store, nextKek).current(), id);
      await assert.rejects(service(store, oldKek).current(), unwrapFailed);
      // A re-run after an interrupted KEK change finds it done.
      await s.rewrap(oldKek, nextKek);
      assert.deepEqual(await store.get(), stored);
      assert.deepEqual(await s.current(), id);
    });

    void it('rewrap with nothing stored does nothing', async () => {
      const store = adapter.open();
      await service(store, newKek()).rewrap(newKek(), newKek());
      assert.equal(await store.get(), undefined);
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
      const good = (await store.get())!;
      for (let i = 0; i < good.wrapped.length; i++) {
        const wrapped = good.wrapped.slice();
        wrapped[i]! ^= 0x01;
        await store.put({ ...good, wrapped }, 1);
        await assert.rejects(service(store, kek).current(), unwrapFailed, `byte ${i}`);
      }
      await store.put({ ...good, wrapped: good.wrapped.subarray(0, 40) }, 1);
      await assert.rejects(service(store, kek).current(), unwrapFailed);
      await store.put({ ...good, generation: 2 }, 1);
      await assert.rejects(service(store, kek).current(), unwrapFailed);
      await store.put(good, 2);
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
      assert.equal(await store.get(), undefined);
    });
  });
}
