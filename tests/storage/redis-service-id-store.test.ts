/**
 * RedisServiceIdStore against a real redis-server (tests/helpers/redis.ts): the ServiceIdStore
 * contract through two clients ("nodes") under a fresh key prefix per case; the value stored
 * never in clear form other than base64 of the wrapped bytes; damaged hashes reported as a
 * corrupt store; Redis down → every call rejects (fail closed), and works again once it is back.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'iovalkey';
import { RedisServiceIdStore } from '../../src/storage/redis/service-id-store.ts';
import { prefixes, redisClients, startRedis, type RedisServer } from '../helpers/redis.ts';
import {
  describeServiceIdStoreContract,
  wrappedValue,
} from '../sso/core/service-id-store-contract.ts';

let server: RedisServer;
const clients = redisClients();

before(async () => {
  server = await startRedis();
});
after(async () => {
  clients.disconnectAll();
  await server.stop();
});

function connect(to: RedisServer = server): Promise<Redis> {
  return clients.connect(to);
}

const freshPrefix = prefixes('sekisho-sid');

describeServiceIdStoreContract('redis', async () => {
  const prefix = freshPrefix();
  const [a, b] = [await connect(), await connect()];
  return {
    store: new RedisServiceIdStore(a, { prefix }),
    other: new RedisServiceIdStore(b, { prefix }),
    close: async () => {
      await Promise.all([a.quit(), b.quit()]);
    },
  };
});

void describe('RedisServiceIdStore', () => {
  void it('one hash under <prefix>service-id, the wrapped bytes in base64', async () => {
    const raw = await connect();
    const prefix = freshPrefix();
    const store = new RedisServiceIdStore(raw, { prefix });
    const w = wrappedValue(4);
    await store.put(w, undefined);
    assert.deepEqual(await raw.hgetall(`${prefix}service-id`), {
      wrapped: Buffer.from(w.wrapped).toString('base64'),
      kcv: w.kcv,
      created_at: String(w.createdAt.getTime()),
      generation: '4',
    });
  });

  void it('damaged values are a corrupt store, never a service ID', async () => {
    const raw = await connect();
    const prefix = freshPrefix();
    const store = new RedisServiceIdStore(raw, { prefix });
    await store.put(wrappedValue(1), undefined);
    const key = `${prefix}service-id`;
    for (const [field, bad, message] of [
      ['generation', '0', /generation is not a positive integer/],
      ['generation', 'two', /generation is not a positive integer/],
      ['created_at', '-5', /created_at is not an integer/],
      ['wrapped', '***', /wrapped is not base64/],
    ] as const) {
      const good = await raw.hget(key, field);
      await raw.hset(key, field, bad);
      await assert.rejects(store.get(), message);
      await raw.hset(key, field, good!);
    }
    await raw.hdel(key, 'kcv');
    await assert.rejects(store.get(), /corrupt store: redis service-id kcv is missing/);
    await raw.del(key);
    await raw.set(key, 'not a hash');
    await assert.rejects(store.get(), /^Error: service ID store \(Redis\): WRONGTYPE/);
  });

  void it('fails closed while Redis is down, and works again once it is back', async () => {
    const own = await startRedis();
    try {
      const client = await connect(own);
      const store = new RedisServiceIdStore(client, { prefix: freshPrefix() });
      await store.put(wrappedValue(1), undefined);
      await own.halt();
      await assert.rejects(store.get(), /^Error: service ID store \(Redis\): /);
      await assert.rejects(store.put(wrappedValue(2), 1), /^Error: service ID store \(Redis\): /);
      await own.restart();
      if (client.status !== 'ready') await once(client, 'ready');
      // No persistence in this test server: it comes back empty.
      assert.equal(await store.get(), undefined);
      const w = wrappedValue(1);
      assert.equal(await store.put(w, undefined), true);
      assert.deepEqual(await store.get(), w);
    } finally {
      await own.stop();
    }
  });
});
