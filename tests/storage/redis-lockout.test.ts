/**
 * RedisLockoutUserRepository against a real redis-server: the UserRepository contract, unchanged,
 * over a memory and a SQLite inner repository; the Lua transition equals onPasswordFailure
 * (src/sso/core/lockout.ts) over random states, policies and clocks (fast-check); two decorators
 * over two separate inner stores on one Redis (two nodes) lock exactly once under 50 concurrent
 * failures; the inner repository's own lockout attributes seed the state and are never written;
 * Redis down → every call rejects (fail closed), and works again once it is back.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { Redis } from 'iovalkey';
import { lockoutPolicy, onPasswordFailure, type LockoutState } from '../../src/sso/core/lockout.ts';
import { newSsoUser, userDn } from '../../src/sso/core/user.ts';
import { MemoryUserRepository } from '../../src/sso/ports/memory-user-repository.ts';
import { RedisLockoutUserRepository } from '../../src/storage/redis/lockout-user-repository.ts';
import { openDatabase } from '../../src/storage/sqlite/database.ts';
import { SqliteUserRepository } from '../../src/storage/sqlite/user-store.ts';
import { prefixes, redisClients, startRedis, type RedisServer } from '../helpers/redis.ts';
import { describeUserRepositoryContract } from '../sso/core/user-repository-contract.ts';

let server: RedisServer;
const clients = redisClients();
const dirs: string[] = [];

before(async () => {
  server = await startRedis();
});
after(async () => {
  clients.disconnectAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await server.stop();
});

function connect(to: RedisServer = server): Promise<Redis> {
  return clients.connect(to);
}

const freshPrefix = prefixes('sekisho-lockout');
const T0 = new Date('2030-01-01T00:00:00Z');

describeUserRepositoryContract('redis lockout over memory', async () => ({
  repo: new RedisLockoutUserRepository(new MemoryUserRepository(), await connect(), {
    prefix: freshPrefix(),
  }),
}));

describeUserRepositoryContract('redis lockout over sqlite', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-lockout-'));
  dirs.push(dir);
  const db = openDatabase(dir);
  return {
    repo: new RedisLockoutUserRepository(new SqliteUserRepository(db), await connect(), {
      prefix: freshPrefix(),
    }),
    close: () => {
      db.close();
      return Promise.resolve();
    },
  };
});

const bob = () => newSsoUser('uid=bob,ou=User,o=example', 'bob', { cn: ['Bob'] });

void describe('RedisLockoutUserRepository', () => {
  void it('the Lua transition is onPasswordFailure, over random states, policies and clocks', async () => {
    const raw = await connect();
    const repo = new RedisLockoutUserRepository(new MemoryUserRepository(), raw, {
      prefix: freshPrefix(),
    });
    const user = bob();
    await repo.add(user);
    const key = repo.keyOf(user.dn);
    const state = fc.oneof(
      fc.record({
        failureCount: fc.integer({ min: 0, max: 30 }),
        locked: fc.constant(false),
        lockTimestamp: fc.constant(undefined),
      }),
      fc.record({
        failureCount: fc.integer({ min: 0, max: 30 }),
        locked: fc.constant(true),
        lockTimestamp: fc.option(
          fc.integer({ min: 0, max: 4e12 }).map((t) => new Date(t)),
          {
            nil: undefined,
          },
        ),
      }),
    );
    const policy = fc
      .record({
        maxFailureCount: fc.integer({ min: 0, max: 12 }),
        lockOutTimeMinutes: fc.option(fc.integer({ min: 1, max: 200_000 }), { nil: undefined }),
      })
      .map((p) => lockoutPolicy(p));
    await fc.assert(
      fc.asyncProperty(
        state,
        policy,
        fc.integer({ min: 0, max: 5e12 }),
        fc.integer({ min: -2, max: 2 }),
        fc.boolean(),
        async (generated: LockoutState, p, free, delta, nearRelease) => {
          const s: LockoutState = { ...generated }; // fast-check records have no prototype
          // Half of the clocks sit within 2 ms of the release instant, where off-by-ones hide.
          const at =
            nearRelease && s.locked && p.lockOutTimeMinutes !== undefined
              ? (s.lockTimestamp?.getTime() ?? 0) + p.lockOutTimeMinutes * 60_000 + delta
              : free;
          const now = new Date(Math.max(0, at));
          await raw.del(key);
          await raw.hset(key, {
            count: String(s.failureCount),
            locked: s.locked ? '1' : '0',
            ...(s.lockTimestamp === undefined
              ? {}
              : { lock_ts: String(s.lockTimestamp.getTime()) }),
          });
          const expected = onPasswordFailure(s, p, now);
          const got = await repo.recordFailure(user.dn, p, now);
          assert.deepEqual(got, { ...expected, previous: s });
          const stored = await repo.findByDn(user.dn);
          assert.ok(stored);
          assert.equal(stored.ssoFailureCount, expected.state.failureCount);
          assert.equal(stored.ssoUserStatus, expected.state.locked ? 'locked' : 'good');
          assert.equal(stored.ssoLockTimeStamp?.getTime(), expected.state.lockTimestamp?.getTime());
        },
      ),
      { numRuns: 400 },
    );
  });

  void it('two nodes (two decorators, two inner stores, one Redis): 50 concurrent failures lock exactly once', async () => {
    const prefix = freshPrefix();
    const nodes = [
      new RedisLockoutUserRepository(new MemoryUserRepository(), await connect(), { prefix }),
      new RedisLockoutUserRepository(new MemoryUserRepository(), await connect(), { prefix }),
    ];
    // The same user in both embedded stores, in another DN case at one of them.
    await nodes[0]!.add(bob());
    await nodes[1]!.add(newSsoUser('UID=Bob,OU=User,O=Example', 'bob', { cn: ['Bob'] }));
    const policy = lockoutPolicy({ maxFailureCount: 5 });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        nodes[i % 2]!.recordFailure(userDn('uid=bob,ou=User,o=example'), policy, T0),
      ),
    );
    const count = (e: string) => results.filter((r) => r.event === e).length;
    assert.equal(count('locked'), 1);
    assert.equal(count('counted'), 4);
    assert.equal(count('already_locked'), 45);
    for (const r of results) assert.ok(r.state.failureCount <= 5);
    for (const node of nodes) {
      const u = await node.findByUid('bob');
      assert.ok(u);
      assert.equal(u.ssoUserStatus, 'locked');
      assert.equal(u.ssoFailureCount, 5);
      assert.equal(u.ssoLockTimeStamp?.getTime(), T0.getTime());
    }
    // Released at node B: good at node A too; of concurrent releases one sees the lock.
    const released = await Promise.all([
      nodes[1]!.unlock(userDn('uid=bob,ou=user,o=example')),
      nodes[0]!.resetFailures(userDn('uid=bob,ou=User,o=example')),
    ]);
    assert.equal(released.filter((s) => s.locked).length, 1);
    assert.equal((await nodes[0]!.findByUid('bob'))?.ssoUserStatus, 'good');
  });

  void it("seeds from the inner repository's attributes and never writes them there; the state outlives an entry", async () => {
    const inner = new MemoryUserRepository();
    const prefix = freshPrefix();
    const repo = new RedisLockoutUserRepository(inner, await connect(), { prefix });
    const raw2 = await connect();
    const locked = newSsoUser('uid=carol,o=example', 'carol', {
      ssoUserStatus: 'locked',
      ssoFailureCount: 3,
      ssoLockTimeStamp: T0,
    });
    await repo.add(locked);
    const policy = lockoutPolicy({ maxFailureCount: 3 });
    const r = await repo.recordFailure(locked.dn, policy, T0);
    assert.equal(r.event, 'already_locked');
    assert.deepEqual(r.previous, { failureCount: 3, locked: true, lockTimestamp: T0 });
    assert.deepEqual(await repo.unlock(locked.dn), r.previous);
    assert.equal((await repo.findByDn(locked.dn))?.ssoUserStatus, 'good');
    assert.deepEqual(await inner.findByDn(locked.dn), locked, 'the inner entry is untouched');
    // The lockout state belongs to the DN across nodes: adding the user at another node (its
    // own store) or deleting and re-creating it does not release a lock.
    await repo.recordFailure(locked.dn, policy, T0);
    await repo.recordFailure(locked.dn, policy, T0);
    await repo.recordFailure(locked.dn, policy, T0);
    const other = new RedisLockoutUserRepository(new MemoryUserRepository(), raw2, { prefix });
    await other.add(newSsoUser('uid=carol,o=example', 'carol'));
    assert.equal((await other.findByUid('carol'))?.ssoUserStatus, 'locked');
    await repo.delete(locked.dn);
    await repo.add(newSsoUser('uid=carol,o=example', 'carol'));
    assert.equal((await repo.findByUid('carol'))?.ssoUserStatus, 'locked');
    await repo.unlock(locked.dn);
    assert.equal((await other.findByUid('carol'))?.ssoUserStatus, 'good');
  });

  void it('damaged hashes are a corrupt store', async () => {
    const raw = await connect();
    const repo = new RedisLockoutUserRepository(new MemoryUserRepository(), raw, {
      prefix: freshPrefix(),
    });
    const user = bob();
    await repo.add(user);
    const key = repo.keyOf(user.dn);
    await raw.hset(key, { count: 'x', locked: '0' });
    await assert.rejects(repo.findByDn(user.dn), /corrupt store: redis lockout count/);
    await assert.rejects(
      repo.recordFailure(user.dn, lockoutPolicy(), T0),
      /corrupt store: redis lockout count/,
    );
    await raw.hset(key, { count: '1', locked: 'yes' });
    await assert.rejects(repo.unlock(user.dn), /corrupt store: redis lockout locked/);
  });

  void it('fails closed while Redis is down, and works again once it is back', async () => {
    const own = await startRedis();
    try {
      const client = await connect(own);
      const repo = new RedisLockoutUserRepository(new MemoryUserRepository(), client, {
        prefix: freshPrefix(),
      });
      const user = bob();
      await repo.add(user);
      await own.halt();
      const policy = lockoutPolicy();
      for (const call of [
        () => repo.findByUid('bob'),
        () => repo.findByDn(user.dn),
        () => repo.findByCertificate('uid', 'bob'),
        () => repo.listUsers({ cursor: undefined, limit: 10 }),
        () => repo.recordFailure(user.dn, policy, T0),
        () => repo.resetFailures(user.dn),
        () => repo.unlock(user.dn),
      ]) {
        await assert.rejects(call(), /^Error: lockout store \(Redis\): /);
      }
      await own.restart();
      if (client.status !== 'ready') await once(client, 'ready');
      assert.equal((await repo.recordFailure(user.dn, policy, T0)).event, 'counted');
      assert.equal((await repo.findByUid('bob'))?.ssoFailureCount, 1);
    } finally {
      await own.stop();
    }
  });
});
