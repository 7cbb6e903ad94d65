// sekisho start with sessions in Redis (sessions.store: redis): a sign-on's session is in Redis,
// the server reports where; Redis down → the sign-on page fails closed with a clear page;
// Redis back → it works again (the sessions it lost are gone: sign on again). A cluster node
// started while its Redis is down starts anyway, fails closed, and works once Redis is back.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'iovalkey';
import { runSekisho } from '../helpers/kmip-process.ts';
import { startSekisho, type StartedSekisho } from '../helpers/sekisho-start.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-start-redis-'));
let redis: RedisServer;
let running: StartedSekisho | undefined;
let ca = '';

before(async () => {
  redis = await startRedis();
});
after(async () => {
  await running?.stop();
  await redis.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

function get(
  origin: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string; setCookie: string[] }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      new URL('/sso/signon', origin),
      { ca, agent: false, headers },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            body,
            setCookie: res.headers['set-cookie'] ?? [],
          });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('sessions in Redis: stored there, fail closed while Redis is down, recover after', async () => {
  const init = await runSekisho(['init', '--data-dir', dataDir]);
  assert.equal(init.code, 0, init.stderr);
  const password = /password ([A-Za-z0-9_-]{20})/.exec(init.stdout)?.[1];
  assert.ok(password);
  ca = readFileSync(path.join(dataDir, 'pki', 'ca.crt'), 'utf8');
  writeFileSync(
    path.join(dataDir, 'sekisho.json'),
    JSON.stringify({
      sessions: {
        store: 'redis',
        'redis-url': `redis://127.0.0.1:${String(redis.port)}/0`,
        'redis-prefix': 'test-node:',
      },
    }),
  );
  running = await startSekisho(dataDir);
  const { origin } = running;
  const output = running.output();
  assert.match(
    output,
    new RegExp(
      `sessions +in redis://127\\.0\\.0\\.1:${String(redis.port)}/0 \\(prefix test-node:\\)`,
    ),
  );

  const basic = 'Basic ' + Buffer.from(`admin:${password}`).toString('base64');
  const signed = await get(origin, { authorization: basic });
  assert.equal(signed.status, 303);
  const cookie = signed.setCookie
    .find((c) => c.startsWith('__Host-sekisho-credential='))
    ?.split(';')[0];
  assert.ok(cookie);
  const client = new Redis({ host: '127.0.0.1', port: redis.port, lazyConnect: true });
  try {
    await client.connect();
    const keys = await client.keys('test-node:*');
    assert.ok(keys.length > 0, 'the session is in Redis');
    assert.ok(keys.every((k) => k.startsWith('test-node:')));
  } finally {
    client.disconnect();
  }
  const signedOn = await get(origin, { cookie });
  assert.equal(signedOn.status, 200);
  assert.match(signedOn.body, /Signed on as <strong>admin<\/strong>/);

  await redis.halt();
  const down = await get(origin, { cookie });
  assert.equal(down.status, 503, down.body);
  assert.match(down.body, /Sign-on is not available now/);

  await redis.restart();
  // Redis lost its data (no persistence in this test): the session is gone, sign on again.
  let back = await get(origin, { cookie });
  for (let i = 0; i < 50 && back.status === 503; i++) {
    await new Promise((r) => setTimeout(r, 100));
    back = await get(origin, { cookie });
  }
  assert.equal(back.status, 200);
  assert.match(back.body, /name="password"/);
  const again = await get(origin, { authorization: basic });
  assert.equal(again.status, 303);
});

test('a cluster node started while its Redis is down starts, fails closed, and works once Redis is back', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-start-redis-down-'));
  let node: StartedSekisho | undefined;
  try {
    const init = await runSekisho(['init', '--data-dir', dir]);
    assert.equal(init.code, 0, init.stderr);
    const password = /password ([A-Za-z0-9_-]{20})/.exec(init.stdout)?.[1];
    assert.ok(password);
    ca = readFileSync(path.join(dir, 'pki', 'ca.crt'), 'utf8');
    writeFileSync(
      path.join(dir, 'sekisho.json'),
      JSON.stringify({
        cluster: {
          enabled: true,
          'redis-url': `redis://127.0.0.1:${String(redis.port)}/0`,
          'redis-prefix': 'down-at-start:',
          'node-name': 'late',
        },
      }),
    );
    await redis.halt();
    node = await startSekisho(dir);
    assert.match(
      node.output(),
      /the cluster's Redis \(redis:\/\/127\.0\.0\.1:\d+\/0.*\) does not answer.*starting anyway, failing closed until it does/,
    );
    const basic = 'Basic ' + Buffer.from(`admin:${password}`).toString('base64');
    const down = await get(node.origin, { authorization: basic });
    assert.equal(down.status, 503, down.body);

    await redis.restart();
    let back = await get(node.origin, { authorization: basic });
    for (let i = 0; i < 100 && back.status === 503; i++) {
      await new Promise((r) => setTimeout(r, 100));
      back = await get(node.origin, { authorization: basic });
    }
    assert.equal(back.status, 303, back.body);
  } finally {
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
