/**
 * RedisInvalidationBus against a real redis-server: a message published by one node reaches
 * every node, its sender included; foreign or malformed messages on the channel are ignored; the
 * listener hears onLost when Redis goes away and onListening once it is subscribed again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'iovalkey';
import {
  RedisInvalidationBus,
  parseInvalidation,
  type Invalidation,
  type InvalidationListener,
} from '../../src/storage/redis/invalidation-bus.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';

let server: RedisServer;
const clients: Redis[] = [];
before(async () => {
  server = await startRedis();
});
after(async () => {
  for (const c of clients) c.disconnect();
  await server.stop();
});

function client(to: RedisServer, subscriber = false): Redis {
  const c = new Redis({
    host: to.host,
    port: to.port,
    retryStrategy: () => 20,
    ...(subscriber ? { autoResubscribe: false } : { enableOfflineQueue: false }),
  });
  c.on('error', () => undefined);
  clients.push(c);
  return c;
}

/** A listener that records what it hears, and waits for a condition with a deadline. */
function recorder() {
  const heard: (Invalidation | 'lost' | 'listening')[] = [];
  const waiters: (() => void)[] = [];
  const push = (x: Invalidation | 'lost' | 'listening'): void => {
    heard.push(x);
    for (const w of waiters.splice(0)) w();
  };
  const listener: InvalidationListener = {
    onInvalidation: push,
    onLost: () => {
      push('lost');
    },
    onListening: () => {
      push('listening');
    },
  };
  const until = async (ok: () => boolean, what: string): Promise<void> => {
    const deadline = Date.now() + 10_000;
    while (!ok()) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}: ${JSON.stringify(heard)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 200);
        waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  };
  return { heard, listener, until };
}

function node(to: RedisServer, name: string, prefix = 'bus-test:') {
  const bus = new RedisInvalidationBus(client(to), client(to, true), { prefix, nodeName: name });
  const r = recorder();
  bus.listen(r.listener);
  return { bus, ...r };
}

void describe('RedisInvalidationBus', () => {
  void it('delivers to every node, the sender included', async () => {
    const a = node(server, 'a');
    const b = node(server, 'b');
    await a.until(() => a.bus.listening, 'a listening');
    await b.until(() => b.bus.listening, 'b listening');
    assert.deepEqual(a.heard, ['lost', 'listening']);
    assert.equal(await a.bus.publish({ kind: 'session', id: 'S1' }), 2);
    await a.bus.publish({ kind: 'user', dn: 'uid=x,o=example' });
    await a.bus.publish({ kind: 'service-id' });
    const sent = [
      { kind: 'session', id: 'S1' },
      { kind: 'user', dn: 'uid=x,o=example' },
      { kind: 'service-id' },
    ];
    await b.until(() => b.heard.length === 5, 'three messages at b');
    assert.deepEqual(b.heard.slice(2), sent);
    await a.until(() => a.heard.length === 5, 'three messages at a');
    assert.deepEqual(a.heard.slice(2), sent, 'the sender hears its own messages too');
  });

  void it('ignores what is not a message of this bus', async () => {
    const b = node(server, 'b', 'bus-foreign:');
    await b.until(() => b.bus.listening, 'listening');
    const raw = new Redis({ host: server.host, port: server.port });
    clients.push(raw);
    for (const text of [
      'hello',
      '{}',
      '{"v":2,"from":"x","kind":"service-id"}',
      '{"v":1,"from":"x","kind":"user"}',
      'x'.repeat(9000),
    ]) {
      await raw.publish('bus-foreign:events', text);
    }
    await raw.publish(
      'bus-foreign:events',
      JSON.stringify({ v: 1, from: 'z', kind: 'service-id' }),
    );
    await b.until(() => b.heard.length === 3, 'the one valid message');
    assert.deepEqual(b.heard[2], { kind: 'service-id' });
    assert.equal(parseInvalidation('{"v":1,"from":"x","kind":"session","id":5}'), undefined);
  });

  void it('Redis down: onLost; back: onListening, and messages flow again', async () => {
    const own = await startRedis();
    try {
      const a = node(own, 'a');
      const b = node(own, 'b');
      await b.until(() => b.bus.listening && a.bus.listening, 'listening');
      await own.halt();
      await b.until(() => b.heard.at(-1) === 'lost', 'lost');
      assert.equal(b.bus.listening, false);
      await assert.rejects(
        a.bus.publish({ kind: 'service-id' }),
        /^Error: invalidation bus \(Redis\): /,
      );
      await own.restart();
      await b.until(() => b.heard.at(-1) === 'listening', 'listening again');
      await a.until(() => a.bus.listening, 'a listening again');
      await a.bus.publish({ kind: 'session', id: 'S2' });
      await b.until(
        () => b.heard.length > 0 && typeof b.heard.at(-1) === 'object',
        'message after recovery',
      );
      assert.deepEqual(b.heard.at(-1), { kind: 'session', id: 'S2' });
    } finally {
      await own.stop();
    }
  });
});
