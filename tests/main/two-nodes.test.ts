// Two real `sekisho start` nodes over one real redis-server (cluster.enabled, docs/cluster.md).
// Each node has its own data directory and port; the local KEK file of A is copied into B (what
// docs/cluster.md prescribes without key servers); the same administrator exists in both
// embedded user stores (there is no shared directory on this branch). The business caches are
// set to a minute, so that only the cross-node invalidation can explain a refusal within the
// deadlines below (which wait on a condition, never sleep a fixed time):
// - a credential issued at A is accepted by B's /auth/verify;
// - `ssosignoff -u` at A → B refuses on the next request;
// - failed passwords at A lock the user → B refuses; unlocked at A → B accepts again;
// - `ssoupsid` at A → B rejects the old credential;
// - Redis stopped → both nodes answer 503 and write sso09005 to their system log; Redis back →
//   both answer again (sso09006), and a new sign-on at A is accepted by B;
// - with A stopped, `ssoupsid` on A's data directory (run offline) still reaches B;
// - a key server defined at A is listed at B and validated from both nodes; its event is one
//   event of the cluster, fixed at B and seen fixed at A;
// - a setting changed with chssoconfig at A is in force at B.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { openServices } from '../../src/main/services.ts';
import { LOCAL_KEK_FILE } from '../../src/main/services.ts';
import { SYSTEM_LOG_FILE } from '../../src/main/sso.ts';
import { addAdminSite } from '../helpers/admin-site.ts';
import { runSekisho } from '../helpers/kmip-process.ts';
import { freePort } from '../helpers/ports.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';
import { startSekisho, type StartedSekisho } from '../helpers/sekisho-start.ts';

const dirs = {
  a: mkdtempSync(path.join(os.tmpdir(), 'sekisho-node-a-')),
  b: mkdtempSync(path.join(os.tmpdir(), 'sekisho-node-b-')),
};
let redis: RedisServer;
const running: StartedSekisho[] = [];

before(async () => {
  redis = await startRedis();
});
after(async () => {
  for (const r of running) await r.stop();
  await redis.stop();
  for (const d of Object.values(dirs)) rmSync(d, { recursive: true, force: true });
});

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
}

function get(
  origin: string,
  ca: string,
  urlPath: string,
  headers: Record<string, string>,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(urlPath, origin), { ca, agent: false, headers }, (res) => {
      res.resume();
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Polls `probe` until `ok` holds or the deadline passes; resolves the last answer. */
async function until<T>(
  probe: () => Promise<T>,
  ok: (t: T) => boolean,
  deadlineMs = 5000,
): Promise<T> {
  const end = Date.now() + deadlineMs;
  let last = await probe();
  while (!ok(last) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 20));
    last = await probe();
  }
  return last;
}

async function prepare(dir: string): Promise<string> {
  const init = await runSekisho(['init', '--data-dir', dir]);
  assert.equal(init.code, 0, init.stderr);
  const password = /password ([A-Za-z0-9_-]{20})/.exec(init.stdout)?.[1];
  assert.ok(password, init.stdout);
  const services = openServices(dir);
  try {
    await addAdminSite(services.accessControl);
  } finally {
    services.close();
  }
  return password;
}

function configure(dir: string, name: string): void {
  writeFileSync(
    path.join(dir, 'sekisho.json'),
    JSON.stringify({
      cluster: {
        enabled: true,
        'redis-url': `redis://127.0.0.1:${String(redis.port)}/0`,
        'redis-prefix': 'two-nodes:',
        'node-name': name,
      },
      repository: { 'password-max-failure-count': 3 },
      business: { 'session-cache-ms': 60_000 },
    }),
  );
}

const systemLog = (dir: string): string => {
  try {
    return readFileSync(path.join(dir, 'logs', SYSTEM_LOG_FILE), 'utf8');
  } catch {
    return '';
  }
};

test('two nodes share sign-on, sign-off, lock, service ID; fail closed without Redis', async () => {
  const passwordA = await prepare(dirs.a);
  await prepare(dirs.b);
  // Without key servers every node needs the same local KEK file.
  copyFileSync(path.join(dirs.a, LOCAL_KEK_FILE), path.join(dirs.b, LOCAL_KEK_FILE));
  configure(dirs.a, 'node-a');
  configure(dirs.b, 'node-b');
  const a = await startSekisho(dirs.a);
  running.push(a);
  const b = await startSekisho(dirs.b);
  running.push(b);
  assert.match(a.output(), /cluster +node node-a, shared through redis:\/\/127\.0\.0\.1:\d+\/0/);
  assert.match(b.output(), /cluster +node node-b/);
  const caA = readFileSync(path.join(dirs.a, 'pki', 'ca.crt'), 'utf8');
  const caB = readFileSync(path.join(dirs.b, 'pki', 'ca.crt'), 'utf8');

  const signOn = async (password: string): Promise<Reply> =>
    get(a.origin, caA, '/sso/signon', {
      authorization: 'Basic ' + Buffer.from(`admin:${password}`).toString('base64'),
    });
  const credentialOf = (r: Reply): string => {
    const c = ((r.headers['set-cookie'] as string[] | undefined) ?? [])
      .find((x) => x.startsWith('__Host-sekisho-credential='))
      ?.split(';')[0];
    assert.ok(c, JSON.stringify(r.headers));
    return c;
  };
  const verify = (node: 'a' | 'b', cookie: string) =>
    get(node === 'a' ? a.origin : b.origin, node === 'a' ? caA : caB, '/auth/verify', {
      'x-original-url': 'https://app.example.com/',
      cookie,
    });
  const status = async (node: 'a' | 'b', cookie: string) => (await verify(node, cookie)).status;
  const cli = async (...args: string[]) => {
    const r = await runSekisho([...args, '--data-dir', dirs.a]);
    assert.equal(r.code, 0, r.stderr);
    return r;
  };

  // Signed on at A, recognised at B.
  const first = await signOn(passwordA);
  assert.equal(first.status, 303);
  const c1 = credentialOf(first);
  const atB = await verify('b', c1);
  assert.equal(atB.status, 200);
  assert.equal(atB.headers['x-sekisho-user'], 'admin');
  assert.equal(await status('a', c1), 200);

  // Key servers and the event log are shared: defined at A, listed at B, validated from
  // both nodes (B on A's `validate` message); the event of a key server nobody answers on is
  // one event reported by both, fixed at B and seen fixed at A.
  const at = async (node: 'a' | 'b', ...args: string[]) => {
    const r = await runSekisho([...args, '--data-dir', dirs[node]]);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  // Both nodes run: each says so, and lsnode at either shows both online with their records.
  assert.match(
    await until(
      () => at('b', 'lsnode', '-delim', ','),
      (t) => /^node-a,.*,online$/m.test(t) && /^node-b,.*,online$/m.test(t),
    ),
    /^node-a,node-a,any,any,online\nnode-b,node-b,any,any,online$/m,
  );
  const closedPort = await freePort();
  await at('a', 'chkeyserverkmip', '-enable');
  await at('a', 'mkkeyserver', '-ip', '127.0.0.1', '-port', String(closedPort), '-name', 'gone');
  assert.match(await at('b', 'lskeyserver', '-delim', ','), /^0,gone,offline,127\.0\.0\.1,/m);
  const validatedFrom = async (): Promise<string[]> =>
    [
      ...(await at('a', 'lskeyserver', 'gone')).matchAll(
        /^validation_node(node-[ab])_tcp failed/gm,
      ),
    ].map((m) => m[1]!);
  assert.deepEqual(await until(validatedFrom, (n) => n.length === 2, 20_000), ['node-a', 'node-b']);
  const eventsAt = async (node: 'a' | 'b') =>
    (await at(node, 'lseventlog', '-delim', ',')).trim().split('\n').slice(1);
  const raised = await eventsAt('b');
  assert.equal(raised.length, 1, raised.join('\n'));
  const seq = raised[0]!.split(',')[0]!;
  const detail = await at('a', 'lseventlog', seq);
  assert.match(detail, /^event_count 2$/m);
  await at('b', 'cheventlog', '-fix', seq);
  assert.match(await at('a', 'lseventlog', seq), /^fixed yes$/m);
  await at('b', 'rmkeyserver', 'gone');
  assert.equal((await at('a', 'lskeyserver', '-delim', ',')).trim().split('\n').length, 1);

  // The SSO settings chssoconfig changes are the cluster's: changed at A, in force at B.
  await at('a', 'chssoconfig', '-set', 'repository.lock-out-time=3600');
  assert.match(
    await until(
      () => at('b', 'lsssoconfig'),
      (t) => /^repository\.lock-out-time 3600$/m.test(t),
    ),
    /^repository\.lock-out-time 3600$/m,
  );
  assert.match(systemLog(dirs.b), /sso09007 .*repository\.lock-out-time=3600.*cluster/);

  // Forced sign-off at A: B (which cached the answer for a minute) refuses on the next request.
  await cli('ssosignoff', '-u', 'admin');
  assert.equal(
    await until(
      () => status('b', c1),
      (s) => s === 401,
    ),
    401,
  );
  assert.equal(await status('a', c1), 401);

  // A lock at A (failed passwords) ends access at B.
  const second = await signOn(passwordA);
  assert.equal(second.status, 303);
  const c2 = credentialOf(second);
  assert.equal(await status('b', c2), 200);
  for (let i = 0; i < 3; i++) assert.equal((await signOn('wrong-password')).status, 401);
  assert.equal(
    await until(
      () => status('b', c2),
      (s) => s === 401,
    ),
    401,
  );
  // Unlocked at A: B accepts the same credential again (its session is still there).
  await cli('chssouser', '-unlock', 'admin');
  assert.equal(
    await until(
      () => status('b', c2),
      (s) => s === 200,
    ),
    200,
  );

  // ssoupsid at A: B rejects credentials sealed under the old service ID.
  await cli('ssoupsid', '-yes');
  assert.equal(
    await until(
      () => status('b', c2),
      (s) => s === 401,
    ),
    401,
  );
  assert.equal(await status('a', c2), 401);

  // A new credential under the new service ID, accepted at both.
  await cli('ssosignoff', '-u', 'admin');
  const third = await signOn(passwordA);
  assert.equal(third.status, 303);
  const c3 = credentialOf(third);
  assert.equal(await status('b', c3), 200);
  assert.equal(await status('a', c3), 200);

  // Redis down: both fail closed with 503 and say why in their system log.
  await redis.halt();
  assert.equal(
    await until(
      () => status('a', c3),
      (s) => s === 503,
    ),
    503,
  );
  assert.equal(
    await until(
      () => status('b', c3),
      (s) => s === 503,
    ),
    503,
  );
  for (const dir of [dirs.a, dirs.b]) {
    assert.match(
      systemLog(dir),
      /ERROR sso09005 The connection to the cluster store was lost\. Store=\(redis:\/\/127\.0\.0\.1:\d+\/0 \\x28prefix two-nodes:\\x29\) Cause=\(/,
    );
  }
  assert.equal((await signOn(passwordA)).status, 503);

  // Redis back (empty: this test server keeps nothing): both answer again without a restart.
  await redis.restart();
  assert.equal(
    await until(
      () => status('a', c3),
      (s) => s !== 503,
    ),
    401,
    'its session is gone',
  );
  assert.equal(
    await until(
      () => status('b', c3),
      (s) => s !== 503,
    ),
    401,
  );
  const back = await until(
    () => signOn(passwordA),
    (r) => r.status !== 503,
  );
  assert.equal(back.status, 303);
  const c4 = credentialOf(back);
  assert.equal(await status('b', c4), 200);
  for (const dir of [dirs.a, dirs.b]) {
    assert.match(systemLog(dir), /INFO sso09006 The connection to the cluster store is back\./);
  }

  // With node A stopped, ssoupsid run on A's data directory opens the cluster's Redis itself:
  // the new service ID is shared and B hears of it.
  assert.equal(await a.stop(), 0);
  const offline = await cli('ssoupsid', '-yes');
  assert.match(offline.stdout, /service ID regenerated \(generation \d+\)/);
  assert.equal(
    await until(
      () => status('b', c4),
      (s) => s === 401,
    ),
    401,
  );
});
