/**
 * bench:verify — forward-auth checks per second (nginx `auth_request` → `GET /auth/verify`)
 * and their latency at 64 connections, beside a bare Fastify route answering 200 on the same
 * machine in the same run: what the whole decision costs over the least an HTTP answer costs.
 *
 * The check goes through the product: Fastify, src/http/forward-auth.ts (trusted-proxy check,
 * the nginx headers), the real business server (the credential opened with the key derived
 * from the service ID, the user entry read from the embedded SQLite store — reused for
 * `session-cache-ms`, 2 s, as configured by default — role expansion, longest-prefix resource
 * match) and its business access-log line written to a file. Session management is off (no
 * session check). Both servers run in a worker thread; autocannon loads them from the main
 * thread, in alternating rounds (ABBA…), and the medians are compared.
 *
 *   npm run bench:verify      (BENCH_SECONDS per round, default 5; BENCH_ROUNDS, default 5)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { FORWARD_AUTH_PATH, registerForwardAuth } from '../src/http/forward-auth.ts';
import { CREDENTIAL_COOKIE } from '../src/http/sso-app.ts';
import { AccessLogWriter, formatAccessLine } from '../src/logs/index.ts';
import { openServices } from '../src/main/services.ts';
import { parseAccessEntry } from '../src/sso/core/access-control.ts';
import { deriveKeys, newCredentialId, sealCredential } from '../src/sso/core/credential.ts';
import { newSsoUser } from '../src/sso/core/user.ts';
import { BusinessServer } from '../src/sso/servers/business-server.ts';
import { envNumber, fmt, median } from './stats.ts';

const SECONDS = envNumber('BENCH_SECONDS', 5);
const ROUNDS = envNumber('BENCH_ROUNDS', 5);
const CONNECTIONS = 64;
const ORIGINAL_URL = 'https://app.example.com/reports/2026/q3?view=summary';
const SITE = 'dc=app,dc=example,dc=com,ou=sites,dc=sekisho,dc=local';

interface Ready {
  readonly verifyUrl: string;
  readonly bareUrl: string;
  readonly cookie: string;
}

/** The worker: the business server behind forward auth, and the bare route. */
async function serve(dataDir: string): Promise<void> {
  const services = openServices(dataDir);
  const add = (dn: string, attributes: Record<string, string[]>) =>
    services.accessControl.add(
      parseAccessEntry({ dn, attributes: new Map(Object.entries(attributes)) }),
    );
  await add('ou=roles,dc=sekisho,dc=local', { objectClass: ['organizationalUnit'], ou: ['roles'] });
  for (const r of ['staff', 'auditor', 'admin'])
    await add(`cn=${r},ou=roles,dc=sekisho,dc=local`, { objectClass: ['ssoRole'], cn: [r] });
  await add('cn=employees,ou=roles,dc=sekisho,dc=local', {
    objectClass: ['ssoRoleSet'],
    cn: ['employees'],
    ssoRoleName: ['staff', 'auditor'],
  });
  await add('ou=sites,dc=sekisho,dc=local', { objectClass: ['organizationalUnit'], ou: ['sites'] });
  await add(SITE, { objectClass: ['domain', 'ssoSite'], dc: ['app'] });
  for (const [p, role] of [
    ['/', 'staff'],
    ['/reports/', 'auditor'],
    ['/admin/', 'admin'],
  ] as const)
    await add(`cn=${p},${SITE}`, { objectClass: ['ssoResource'], cn: [p], ssoRoleName: [role] });
  const dn = 'uid=alice,ou=users,dc=sekisho,dc=local';
  await services.users.add(newSsoUser(dn, 'alice', { ssoRoleName: ['employees'] }));
  const key = deriveKeys(await services.serviceId.current()).credential;
  const now = Math.floor(Date.now() / 1000);
  const token = sealCredential(key, {
    id: newCredentialId(),
    dn,
    uid: 'alice',
    method: 'basicAuth',
    issuedAt: now,
    expiresAt: now + 3600,
    sessionId: null,
  });
  const log = new AccessLogWriter({ path: path.join(dataDir, 'business-access.log') });
  const business = new BusinessServer({
    users: services.users,
    accessControl: services.accessControl,
    // As src/main/sso.ts wires it: the key derived from the service ID held in memory.
    credentialKey: () => Promise.resolve(key),
    credentialKeyNow: () => key,
    log: (r) => {
      log.append(formatAccessLine(r));
    },
    logRepository: () => undefined,
  });
  const verify = Fastify();
  registerForwardAuth(verify, { business, signOnUrl: 'https://sso.example.com/sso/signon' });
  const bare = Fastify();
  bare.get(FORWARD_AUTH_PATH, (_req, reply) => reply.code(200).send());
  const ready: Ready = {
    verifyUrl: await verify.listen({ host: '127.0.0.1', port: 0 }),
    bareUrl: await bare.listen({ host: '127.0.0.1', port: 0 }),
    cookie: `${CREDENTIAL_COOKIE}=${token}`,
  };
  parentPort!.postMessage(ready);
  parentPort!.on('message', (m: unknown) => {
    if (m === 'cpu') {
      // This thread's CPU time (µs): what one check costs the server, whatever the client does.
      const u = process.threadCpuUsage();
      parentPort!.postMessage({ cpu: u.user + u.system });
      return;
    }
    void Promise.all([verify.close(), bare.close(), log.close()]).then(() => {
      services.close();
      parentPort!.postMessage('closed');
    });
  });
}

interface Round {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  /** Server thread CPU time per answered request, µs. */
  readonly cpuUs: number;
}

/** The server thread's CPU time so far, µs. */
function serverCpu(worker: Worker): Promise<number> {
  return new Promise((resolve) => {
    const on = (m: unknown): void => {
      if (typeof m === 'object' && m !== null && 'cpu' in m && typeof m.cpu === 'number') {
        worker.off('message', on);
        resolve(m.cpu);
      }
    };
    worker.on('message', on);
    worker.postMessage('cpu');
  });
}

async function load(worker: Worker, url: string, cookie: string): Promise<Round> {
  const cpu0 = await serverCpu(worker);
  const r = await autocannon({
    url: url + FORWARD_AUTH_PATH,
    connections: CONNECTIONS,
    duration: SECONDS,
    headers: {
      'x-original-url': ORIGINAL_URL,
      'x-real-ip': '192.0.2.7',
      'x-request-id': '0123456789abcdef0123456789abcdef',
      cookie,
    },
  });
  if (r.non2xx > 0 || r.errors > 0 || r['2xx'] === 0) {
    throw new Error(`${url}: ${String(r.non2xx)} non-2xx, ${String(r.errors)} errors`);
  }
  const cpu = (await serverCpu(worker)) - cpu0;
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    cpuUs: cpu / r['2xx'],
  };
}

if (isMainThread) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-bench-verify-'));
  // The worker shares this process's V8 flags (--max-semi-space-size=1, as `npm start`).
  const worker = new Worker(new URL(import.meta.url), { workerData: dataDir });
  try {
    const ready = await new Promise<Ready>((resolve, reject) => {
      worker.once('message', (m: Ready) => {
        resolve(m);
      });
      worker.once('error', reject);
    });
    console.log(
      `bench:verify — ${String(os.availableParallelism())} cores, ${String(CONNECTIONS)} connections, ${String(ROUNDS)} rounds × ${String(SECONDS)} s, GET ${FORWARD_AUTH_PATH} (nginx X-Original-URL)`,
    );
    // Warm up both (JIT, the access-control snapshot, the user cache, TCP).
    const warm = Number(process.env['BENCH_WARMUP_SECONDS'] ?? 2);
    await autocannon({
      url: ready.verifyUrl + FORWARD_AUTH_PATH,
      duration: warm,
      connections: CONNECTIONS,
      headers: { 'x-original-url': ORIGINAL_URL, cookie: ready.cookie },
    });
    await autocannon({
      url: ready.bareUrl + FORWARD_AUTH_PATH,
      duration: warm,
      connections: CONNECTIONS,
    });
    const verify: Round[] = [];
    const bare: Round[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      let v: Round;
      let b: Round;
      if (i % 2 === 0) {
        b = await load(worker, ready.bareUrl, ready.cookie);
        v = await load(worker, ready.verifyUrl, ready.cookie);
      } else {
        v = await load(worker, ready.verifyUrl, ready.cookie);
        b = await load(worker, ready.bareUrl, ready.cookie);
      }
      verify.push(v);
      bare.push(b);
      console.log(
        `  round ${String(i + 1)}: bare ${fmt(b.rps, 0)}/s (p50 ${fmt(b.p50, 0)} ms, p99 ${fmt(b.p99, 0)} ms, server ${fmt(b.cpuUs)} µs CPU), verify ${fmt(v.rps, 0)}/s (p50 ${fmt(v.p50, 0)} ms, p99 ${fmt(v.p99, 0)} ms, server ${fmt(v.cpuUs)} µs CPU)`,
      );
    }
    const vRps = median(verify.map((r) => r.rps));
    const bRps = median(bare.map((r) => r.rps));
    const vP50 = median(verify.map((r) => r.p50));
    const vP99 = median(verify.map((r) => r.p99));
    const bP50 = median(bare.map((r) => r.p50));
    const bP99 = median(bare.map((r) => r.p99));
    const ratio = vRps / bRps;
    const vCpu = median(verify.map((r) => r.cpuUs));
    const bCpu = median(bare.map((r) => r.cpuUs));
    const paired = median(verify.map((v, i) => v.rps / bare[i]!.rps));
    console.log(
      `  median: verify ${fmt(vRps, 0)}/s (p50 ${fmt(vP50, 0)} ms, p99 ${fmt(vP99, 0)} ms) against bare ${fmt(bRps, 0)}/s (p50 ${fmt(bP50, 0)} ms, p99 ${fmt(bP99, 0)} ms) = ${fmt(ratio * 100)} %`,
    );
    console.log(`  paired rounds: median verify/bare ${fmt(paired * 100)} %`);
    console.log(
      `  server CPU per request (median): verify ${fmt(vCpu)} µs, bare ${fmt(bCpu)} µs = ${fmt((bCpu / vCpu) * 100)} % (the rate ratio if the server thread were the only limit)`,
    );
    console.log(
      `bench:verify: verify_rps=${vRps.toFixed(0)} verify_p50_ms=${vP50.toFixed(1)} verify_p99_ms=${vP99.toFixed(1)} ` +
        `bare_rps=${bRps.toFixed(0)} bare_p50_ms=${bP50.toFixed(1)} bare_p99_ms=${bP99.toFixed(1)} connections=${String(CONNECTIONS)} ` +
        `verify_cpu_us=${vCpu.toFixed(1)} bare_cpu_us=${bCpu.toFixed(1)} cpu_ratio=${(bCpu / vCpu).toFixed(3)} ` +
        `cores=${String(os.availableParallelism())} paired_ratio=${paired.toFixed(3)} ratio=${ratio.toFixed(3)}`,
    );
  } finally {
    worker.postMessage('close');
    await new Promise<void>((resolve) => {
      worker.once('message', () => {
        resolve();
      });
      worker.once('exit', () => {
        resolve();
      });
    });
    await worker.terminate();
    rmSync(dataDir, { recursive: true, force: true });
  }
} else {
  const dir: unknown = workerData;
  if (typeof dir !== 'string') throw new TypeError('bench:verify worker: no data directory');
  await serve(dir);
}
