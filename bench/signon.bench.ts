/**
 * bench:signon — password sign-ons per second per core at Keycloak's hash cost (argon2id,
 * 7 MiB, 5 passes, 1 lane), beside the bare argon2id rate measured in the same run: the
 * physical limit of this machine, since every sign-on spends exactly one argon2id.
 *
 * Sign-ons go through the whole product in this process: HTTPS (keep-alive), HTTP Basic at
 * `GET /sso/signon`, the authentication server, the repository server on the embedded SQLite
 * store, the credential sealed with the key derived from the service ID, and both access logs
 * written to files. Both figures use the same number of argon2id computations in flight (the
 * libuv thread pool runs them), and are measured in alternating rounds; the medians are
 * compared. Then the idle resident memory of a real `sekisho start` process.
 *
 *   npm run bench:signon            (BENCH_SECONDS per round, default 5; BENCH_ROUNDS, default 5)
 */
import { spawn } from 'node:child_process';
import { argon2 } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/index.ts';
import { createHttpsApp } from '../src/http/management-api.ts';
import { Metrics } from '../src/http/metrics.ts';
import { registerSsoApp } from '../src/http/sso-app.ts';
import { openServices } from '../src/main/services.ts';
import { openSso } from '../src/main/sso.ts';
import { issueCertificate, makeCa } from '../src/pki/certificates.ts';
import { createPasswordHasher, DEFAULT_ARGON2ID_PARAMS } from '../src/sso/core/password.ts';
import { newSsoUser } from '../src/sso/core/user.ts';
import { SEKISHO_BIN } from '../tests/helpers/kmip-process.ts';
import { envNumber, fmt, median, percentile } from './stats.ts';

const SECONDS = envNumber('BENCH_SECONDS', 5);
const ROUNDS = envNumber('BENCH_ROUNDS', 5);
const CORES = os.availableParallelism();
/**
 * Operations in flight, the same for both figures: twice the thread pool (UV_THREADPOOL_SIZE,
 * default 4), so that a computation is always queued when one ends — as under real load, where
 * many browsers sign on at once — and the pool never waits for the event loop.
 */
const IN_FLIGHT = 2 * Number(process.env['UV_THREADPOOL_SIZE'] ?? 4);
const P = DEFAULT_ARGON2ID_PARAMS;

function hashOnce(): Promise<void> {
  return new Promise((resolve, reject) => {
    argon2(
      'argon2id',
      {
        message: 'correct horse battery staple',
        nonce: Buffer.alloc(P.saltLength, 7),
        parallelism: P.parallelism,
        tagLength: P.hashLength,
        memory: P.memoryKiB,
        passes: P.passes,
      },
      (err) => {
        if (err) reject(err);
        else resolve();
      },
    );
  });
}

/** Runs `op` with `IN_FLIGHT` workers for `SECONDS`; returns operations/s and latencies. */
async function saturate(op: () => Promise<void>): Promise<{ rate: number; latencies: number[] }> {
  const latencies: number[] = [];
  const end = performance.now() + SECONDS * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        await op();
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { rate: latencies.length / ((performance.now() - start) / 1000), latencies };
}

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-bench-signon-'));
const services = openServices(dataDir);
// Without session management: the bench signs the same users on again and again, which sessions
// would turn into forced sign-on questions (one sign-on per user ID).
const config = loadConfig({ text: '{"sessions":{"enabled":false}}' });
const hasher = createPasswordHasher();
const metrics = new Metrics();
const sso = openSso({
  dataDir,
  config,
  services,
  metrics,
  hasher,
  repositoryAddress: () => '127.0.0.1',
  stderr: (line) => process.stderr.write(line),
});
const ca = await makeCa('bench CA');
const server = await issueCertificate(ca, {
  commonName: 'localhost',
  ips: ['127.0.0.1'],
  usage: 'server',
});
const app = createHttpsApp({ cert: server.cert, key: server.key });
registerSsoApp(app, sso.app);
const origin = await app.listen({ host: '127.0.0.1', port: 0 });
const USERS = 64;
for (let i = 0; i < USERS; i++) {
  await services.users.add(
    newSsoUser(`uid=user${i},ou=users,dc=sekisho,dc=local`, `user${i}`, {
      userPassword: await hasher.hashPassword(`password-${i}`),
      ssoAuthType: 'basicAuth',
    }),
  );
}
// The same sign-on with a trivial hash (8 KiB, 1 pass) stored for these users: what everything
// but argon2id costs (TLS, HTTP, the store, the credential, both logs, and this client).
const light = createPasswordHasher({
  params: { memoryKiB: 8, passes: 1, parallelism: 1, hashLength: 32, saltLength: 16 },
});
for (let i = 0; i < USERS; i++) {
  await services.users.add(
    newSsoUser(`uid=light${i},ou=users,dc=sekisho,dc=local`, `light${i}`, {
      userPassword: await light.hashPassword(`password-${i}`),
      ssoAuthType: 'basicAuth',
    }),
  );
}
const agent = new https.Agent({ keepAlive: true, maxSockets: IN_FLIGHT, ca: ca.cert });
let n = 0;
function signOn(prefix = 'user'): Promise<void> {
  const i = n++ % USERS;
  const auth = Buffer.from(`${prefix}${i}:password-${i}`).toString('base64');
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${origin}/sso/signon`,
      { agent, headers: { authorization: `Basic ${auth}` } },
      (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 303) resolve();
          else reject(new Error(`sign-on answered ${String(res.statusCode)}`));
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * Idle RSS of a real `sekisho start` run with the node flags of `npm start` (package.json), read
 * from /proc after its first start has settled. It runs the compiled build when dist/ is fresh
 * (see bin/sekisho.js); the figure says which.
 */
async function idleRss(): Promise<{ mb: number; from: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-bench-rss-'));
  const pkg: unknown = JSON.parse(
    readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
  );
  const script = (pkg as { scripts: { start: string } }).scripts.start;
  const flags = script.split(/\s+/).filter((w) => w.startsWith('--'));
  const child = spawn(
    process.execPath,
    [...flags, SEKISHO_BIN, 'start', '--listen', '127.0.0.1:0'],
    { env: { ...process.env, SEKISHO_DATA_DIR: dir } },
  );
  const built = (() => {
    try {
      return statSync(new URL('../dist/main/cli.js', import.meta.url)).mtimeMs;
    } catch {
      return 0;
    }
  })();
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('Stop with Ctrl-C')) resolve();
      });
      child.once('exit', (code) => {
        reject(new Error(`sekisho start exited (${String(code)})`));
      });
    });
    await new Promise((r) => setTimeout(r, 3000));
    const status = readFileSync(`/proc/${String(child.pid)}/status`, 'utf8');
    const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
    return { mb: kb / 1024, from: built > 0 ? 'dist/ when fresh' : 'src/ (no build)' };
  } finally {
    await new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
    rmSync(dir, { recursive: true, force: true });
  }
}

try {
  console.log(
    `bench:signon — ${CORES} cores, ${IN_FLIGHT} in flight, argon2id m=${P.memoryKiB} KiB t=${P.passes} p=${P.parallelism}, ${ROUNDS} rounds × ${SECONDS} s`,
  );
  await signOn(); // warm up: service ID, statements, TLS session
  await saturate(hashOnce);
  const overheadRun = await saturate(() => signOn('light'));
  const overheadMs = (CORES * 1000) / overheadRun.rate;
  console.log(
    `  without the hash cost: ${fmt(overheadRun.rate)} sign-ons/s = ${fmt(overheadMs, 2)} core-ms each (server and client)`,
  );
  const bare: number[] = [];
  const sign: number[] = [];
  const latencies: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate the order (ABBA…) so that drift of a noisy machine hits both alike.
    let h: Awaited<ReturnType<typeof saturate>>;
    let s: Awaited<ReturnType<typeof saturate>>;
    if (r % 2 === 0) {
      h = await saturate(hashOnce);
      s = await saturate(signOn);
    } else {
      s = await saturate(signOn);
      h = await saturate(hashOnce);
    }
    bare.push(h.rate);
    sign.push(s.rate);
    latencies.push(...s.latencies);
    console.log(
      `  round ${r + 1}: bare argon2id ${fmt(h.rate)}/s (${fmt(h.rate / CORES)}/s/core), sign-on ${fmt(s.rate)}/s (${fmt(s.rate / CORES)}/s/core)`,
    );
  }
  const bareMedian = median(bare);
  const signMedian = median(sign);
  const ratio = signMedian / bareMedian;
  // The same from round pairs (each sign-on round against its neighbouring hash round).
  const paired = median(sign.map((x, i) => x / bare[i]!));
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  console.log(
    `  median: sign-on ${fmt(signMedian / CORES)}/s/core of a limit of ${fmt(bareMedian / CORES)}/s/core = ${fmt(ratio * 100)} % (target ≥ 90 %)`,
  );
  console.log(`  paired rounds: median sign-on/limit ${fmt(paired * 100)} %`);
  const hashMs = (CORES * 1000) / bareMedian;
  const expected = hashMs / (hashMs + overheadMs);
  console.log(
    `  expected from costs: argon2id ${fmt(hashMs, 1)} core-ms + the rest ${fmt(overheadMs, 2)} core-ms → ${fmt(expected * 100)} % of the limit`,
  );
  console.log(
    `  sign-on latency at saturation (${IN_FLIGHT} in flight): p50 ${fmt(p50)} ms, p99 ${fmt(p99)} ms`,
  );
  const idle = await idleRss();
  const rss = idle.mb;
  console.log(`  idle RSS of sekisho start (${idle.from}): ${fmt(rss)} MB (target < 100 MB)`);
  console.log(
    `bench:signon: signons_per_core=${fmt(signMedian / CORES)} hashes_per_core=${fmt(bareMedian / CORES)} ` +
      `ratio=${fmt(ratio, 3)} paired_ratio=${fmt(paired, 3)} expected_ratio=${fmt(expected, 3)} overhead_core_ms=${fmt(overheadMs, 2)} p50_ms=${fmt(p50)} p99_ms=${fmt(p99)} idle_rss_mb=${fmt(rss)} cores=${CORES}`,
  );
} finally {
  agent.destroy();
  await app.close();
  await sso.close();
  services.close();
  rmSync(dataDir, { recursive: true, force: true });
}
