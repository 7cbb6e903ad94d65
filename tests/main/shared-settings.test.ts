// Issue 6: the SSO settings chssoconfig changes are the cluster's (docs/cluster.md "SSO
// settings"): the settings service of two nodes (each its own configuration file) on one real
// redis-server (src/main/settings.ts, src/storage/redis/settings-store.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'iovalkey';
import { UsageError } from '../../src/cli/args.ts';
import { loadConfig } from '../../src/config/load.ts';
import { openSettings, type NodeSettings } from '../../src/main/settings.ts';
import { SsoError } from '../../src/sso/core/errors.ts';
import { RedisSharedSettings } from '../../src/storage/redis/settings-store.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';

let redis: RedisServer;
let client: Redis;
const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-shared-settings-'));
let count = 0;

before(async () => {
  redis = await startRedis();
  client = new Redis({ host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined); // met as rejected commands
});
after(async () => {
  client.disconnect();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface TestNode {
  readonly file: string;
  readonly settings: NodeSettings;
  /** Settings applied to the running roles, in order. */
  readonly applied: number[];
}

function nodes(): { shared: RedisSharedSettings; a: TestNode; b: TestNode } {
  const shared = new RedisSharedSettings(client, { prefix: `settings${++count}:` });
  const make = (name: string): TestNode => {
    const file = path.join(dir, `${name}-${count}.json`);
    writeFileSync(file, '{\n  "repository": { "password-max-failure-count": 5 }\n}\n');
    const applied: number[] = [];
    const settings = openSettings({
      file,
      started: loadConfig({ file }),
      apply: (c) => applied.push(c.repository['password-max-failure-count']),
      share: (values) => shared.put(values),
    });
    return { file, settings, applied };
  };
  return { shared, a: make('a'), b: make('b') };
}

describe('shared SSO settings', () => {
  test('a change at A is stored for the cluster; B takes it into its file and in force', async () => {
    const { shared, a, b } = nodes();
    const changes = await a.settings.change(
      'repository.password-max-failure-count=2,logs.keep=4',
      '192.0.2.1',
    );
    assert.deepEqual(
      changes.map((c) => [c.path, c.after, c.effect]),
      [
        ['repository.password-max-failure-count', 2, 'now'],
        ['logs.keep', 4, 'next-start'],
      ],
    );
    assert.deepEqual(
      await shared.get(),
      new Map([
        ['repository.password-max-failure-count', '2'],
        ['logs.keep', '4'],
      ]),
    );
    const taken = b.settings.adopt(await shared.get(), 'cluster');
    assert.deepEqual(
      taken.map((c) => [c.path, c.before, c.after, c.effect]),
      [
        ['repository.password-max-failure-count', 5, 2, 'now'],
        ['logs.keep', 10, 4, 'next-start'],
      ],
    );
    assert.deepEqual(b.applied, [2]);
    assert.equal(b.settings.inForce()?.['repository.password-max-failure-count'], 2);
    assert.equal(loadConfig({ file: b.file }).logs.keep, 4);
    // Taking them again changes nothing (the file is not even rewritten).
    const text = readFileSync(b.file, 'utf8');
    assert.deepEqual(b.settings.adopt(await shared.get(), 'cluster'), []);
    assert.equal(readFileSync(b.file, 'utf8'), text);
  });

  test('hostile or invalid values in Redis are refused by name and change nothing', () => {
    const { b } = nodes();
    const before = readFileSync(b.file, 'utf8');
    for (const [p, v] of [
      ['repository.password-max-failure-count', '3,logs.keep=0'],
      ['repository.password-max-failure-count', '3\n'],
      ['repository.password-max-failure-count', '999999999999'],
      ['repository.password-max-failure-count', '"; rm -rf /'],
      ['server.listen', '0.0.0.0:443'],
      ['sessions.forced-sign-on', 'maybe'],
      ['repository.lock-out-time', 'x=1'],
    ] as const) {
      assert.throws(
        () => b.settings.adopt(new Map([[p, v]]), 'cluster'),
        (e: unknown) => e instanceof UsageError,
        `${p}=${JSON.stringify(v)}`,
      );
      assert.equal(readFileSync(b.file, 'utf8'), before);
      assert.deepEqual(b.applied, []);
    }
  });

  test('Redis down: chssoconfig fails with SSO_CLUSTER_UNAVAILABLE and the file is byte-identical', async () => {
    const { a } = nodes();
    const before = readFileSync(a.file, 'utf8');
    await redis.halt();
    try {
      await assert.rejects(
        a.settings.change('repository.password-max-failure-count=2', undefined),
        (e: unknown) => e instanceof SsoError && e.code === 'SSO_CLUSTER_UNAVAILABLE',
      );
    } finally {
      await redis.restart();
    }
    assert.equal(readFileSync(a.file, 'utf8'), before);
    assert.deepEqual(a.applied, []);
  });
});
