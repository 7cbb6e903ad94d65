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
 *   npm run bench:signon            (BENCH_SECONDS per round, default 4; BENCH_ROUNDS, default 3)
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

const SECONDS = envNumber('BENCH_SECONDS', 4);
const ROUNDS = envNumber('BENCH_ROUNDS', 3);
const CORES = os.availableParallelism();
/** argon2id computations in flight: the thread pool's size (UV_THREADPOOL_SIZE, default 4). */
const IN_FLIGHT = Number(process.env['UV_THREADPOOL_SIZE'] ?? 4);
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
const config = loadConfig({ text: '{}' });
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
const agent = new https.Agent({ keepAlive: true, maxSockets: IN_FLIGHT, ca: ca.cert });
let n = 0;
function signOn(): Promise<void> {
  const i = n++ % USERS;
  const auth = Buffer.from(`user${i}:password-${i}`).toString('base64');
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
  const bare: number[] = [];
  const sign: number[] = [];
  const latencies: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const h = await saturate(hashOnce);
    bare.push(h.rate);
    const s = await saturate(signOn);
    sign.push(s.rate);
    latencies.push(...s.latencies);
    console.log(
      `  round ${r + 1}: bare argon2id ${fmt(h.rate)}/s (${fmt(h.rate / CORES)}/s/core), sign-on ${fmt(s.rate)}/s (${fmt(s.rate / CORES)}/s/core)`,
    );
  }
  const bareMedian = median(bare);
  const signMedian = median(sign);
  const ratio = signMedian / bareMedian;
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  console.log(
    `  median: sign-on ${fmt(signMedian / CORES)}/s/core of a limit of ${fmt(bareMedian / CORES)}/s/core = ${fmt(ratio * 100)} % (target ≥ 90 %)`,
  );
  console.log(`  sign-on latency p50 ${fmt(p50)} ms, p99 ${fmt(p99)} ms`);
  const idle = await idleRss();
  const rss = idle.mb;
  console.log(`  idle RSS of sekisho start (${idle.from}): ${fmt(rss)} MB (target < 100 MB)`);
  console.log(
    `bench:signon: signons_per_core=${fmt(signMedian / CORES)} hashes_per_core=${fmt(bareMedian / CORES)} ` +
      `ratio=${fmt(ratio, 3)} p50_ms=${fmt(p50)} p99_ms=${fmt(p99)} idle_rss_mb=${fmt(rss)} cores=${CORES}`,
  );
} finally {
  agent.destroy();
  await app.close();
  await sso.close();
  services.close();
  rmSync(dataDir, { recursive: true, force: true });
}
