/**
 * RedisSessionStore against a real redis-server (tests/helpers/redis.ts): the SessionStore
 * contract under a fresh key prefix per case; two clients ("nodes") on one Redis sharing
 * sessions and keeping one active session per user ID; damaged hashes reported as a corrupt
 * store; Redis down → every call rejects (fail closed), and works again once it is back.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';

import type { Redis } from 'iovalkey';
import { newSessionId } from '../../src/sso/core/session.ts';
import { RedisSessionStore } from '../../src/storage/redis/session-store.ts';
import { prefixes, redisClients, startRedis, type RedisServer } from '../helpers/redis.ts';
import { T0, describeSessionStoreContract, sessionOf } from '../sso/core/session-store-contract.ts';

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

const freshPrefix = prefixes('sekisho-test');

describeSessionStoreContract('redis', async () => {
  const client = await connect();
  return {
    store: new RedisSessionStore(client, { prefix: freshPrefix() }),
    close: async () => {
      await client.quit();
    },
  };
});

void describe('RedisSessionStore', () => {
  void it('two nodes on one Redis: created through one, seen and deleted through the other', async () => {
    const prefix = freshPrefix();
    const A = new RedisSessionStore(await connect(), { prefix });
    const B = new RedisSessionStore(await connect(), { prefix });
    const s = sessionOf('alice', 'active', 0, { client: undefined });
    assert.equal(await A.create(s), true);
    assert.deepEqual(await B.get(s.id), s);
    assert.deepEqual(
      (await B.byUid('alice')).map((x) => x.id),
      [s.id],
    );
    assert.equal(await B.create(sessionOf('alice', 'active', 1)), false);
    const deleted = await Promise.all([B.delete(s.id), A.delete(s.id), B.delete(s.id)]);
    assert.deepEqual(
      deleted.filter((d) => d !== undefined),
      [s],
    );
    assert.equal(await A.get(s.id), undefined);
    assert.deepEqual(await A.list({ cursor: undefined, limit: 10 }), {
      items: [],
      nextCursor: undefined,
    });
  });

  void it('20 parallel creates for one user ID through two nodes: exactly one is stored', async () => {
    const prefix = freshPrefix();
    const nodes = [
      new RedisSessionStore(await connect(), { prefix }),
      new RedisSessionStore(await connect(), { prefix }),
    ];
    const tries = Array.from({ length: 20 }, (_, i) => sessionOf('alice', 'active', i));
    const results = await Promise.all(tries.map((s, i) => nodes[i % 2]!.create(s)));
    assert.equal(results.filter(Boolean).length, 1);
    const stored = await nodes[1]!.byUid('alice');
    assert.equal(stored.length, 1);
    assert.deepEqual(stored[0], tries[results.indexOf(true)]);

    const pending = sessionOf('alice', 'pending_forced', 30);
    await nodes[0]!.create(pending);
    const activated = await Promise.all([
      nodes[0]!.activate(pending.id, T0),
      nodes[1]!.activate(pending.id, T0),
    ]);
    const done = activated.filter((r) => r !== undefined);
    assert.equal(done.length, 1);
    assert.deepEqual(done[0]?.replaced, stored);
    assert.deepEqual(
      (await nodes[1]!.byUid('alice')).map((x) => [x.id, x.state]),
      [[pending.id, 'active']],
    );
  });

  void it('reports a damaged hash as a corrupt store, without the session identifier', async () => {
    const prefix = freshPrefix();
    const raw = await connect();
    const store = new RedisSessionStore(raw, { prefix });
    const cases: [string, string][] = [
      ['last_used_at', '12x'],
      ['state', 'gone'],
      ['dn', 'no-equals-sign'],
      ['extra', '1'],
      ['id', newSessionId()],
    ];
    for (const [field, value] of cases) {
      const s = sessionOf('alice', 'pending_forced');
      await store.create(s);
      await raw.hset(`${prefix}s:${s.id}`, field, value);
      const e = await store.get(s.id).then(
        () => assert.fail(`a damaged ${field} was accepted`),
        (err: unknown) => err,
      );
      assert.ok(e instanceof Error);
      assert.match(e.message, /^corrupt store: redis session /);
      assert.ok(!e.message.includes(s.id), e.message);
    }
    const s = sessionOf('bob', 'pending_forced');
    await store.create(s);
    await raw.hdel(`${prefix}s:${s.id}`, 'created_at');
    await assert.rejects(store.delete(s.id), /^Error: corrupt store: redis session created_at/);
    await assert.rejects(store.activate(s.id, T0), /corrupt store: redis session created_at/);
    assert.equal(await raw.exists(`${prefix}s:${s.id}`), 1, 'a failed script wrote nothing');
    await raw.set(`${prefix}s:${s.id}`, 'not a hash');
    await assert.rejects(store.get(s.id), /^Error: session store \(Redis\): WRONGTYPE/);
  });

  void it('fails closed while Redis is down, and works again once it is back', async () => {
    const own = await startRedis();
    try {
      const client = await connect(own);
      const store = new RedisSessionStore(client, { prefix: freshPrefix() });
      const s = sessionOf('alice');
      assert.equal(await store.create(s), true);
      await own.halt();
      for (const call of [
        () => store.get(s.id),
        () => store.create(sessionOf('bob')),
        () => store.touch(s.id, T0),
        () => store.activate(s.id, T0),
        () => store.delete(s.id),
        () => store.deleteByUid('alice'),
        () => store.byUid('alice'),
        () => store.list({ cursor: undefined, limit: 10 }),
      ]) {
        await assert.rejects(call(), /^Error: session store \(Redis\): /);
      }

      await own.restart();
      if (client.status !== 'ready') await once(client, 'ready');
      // No persistence: the restarted server is empty, and the store works on it.
      assert.equal(await store.get(s.id), undefined);
      const t = sessionOf('alice', 'active', 1);
      assert.equal(await store.create(t), true);
      assert.deepEqual(await store.get(t.id), t);
    } finally {
      await own.stop();
    }
  });

  void it('refuses a session created before 1970 (the list order needs createdAt ≥ 0)', async () => {
    const store = new RedisSessionStore(await connect(), { prefix: freshPrefix() });
    const s = sessionOf('alice', 'active', 0, { createdAt: new Date(-1) });
    await assert.rejects(store.create(s), RangeError);
    assert.equal(await store.get(s.id), undefined);
  });
});
