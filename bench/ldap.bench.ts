/**
 * bench:ldap — the SSO repository in OpenLDAP slapd with 100,000 users, and sessions shared by
 * two nodes over Redis:
 *
 * (a) password sign-on latency through the repository server (`RepositoryServer.authenticate`:
 *     the user found by uid in slapd over LDAPS through the LDAP repository that `repository.store:
 *     ldap` wires, the password verified, the access-log line formatted), random users, modest
 *     concurrency. The stored hashes are argon2id at a deliberately cheap setting (64 KiB,
 *     1 pass, 1 lane) — in this benchmark only — so that the figure is the directory path, not
 *     the hash; that verify's own cost is measured alone and printed beside it.
 * (b) a user search through the management command (`lsssouser -prefix P -limit 50`,
 *     LdapUserRepository.searchUsers), beside the first page of `listUsers` (which enumerates
 *     every DN under the base) in the same run.
 * (c) session checks (`SessionManager.validate`: read, idle check, touch) per second on one
 *     RedisSessionStore from two nodes (two worker threads, 32 Redis connections each = 64,
 *     one check in flight per connection), each node checking sessions the other created —
 *     beside a bare Redis GET on the same connections, in alternating rounds; medians compared.
 * (d) the console's pages of users and the full listing, through `lsssouser` (`listUsers`
 *     underneath): the first page of 50 (`-count 50`), the next page (`-cursor`), a search page
 *     (`-prefix P -count 50`) for a prefix matching 100 users and one matching 10,000, and
 *     `lsssouser` without arguments (every user, pages of 1000).
 *
 * The users are loaded offline (`slapadd -q` of generated LDIF) before slapd starts; the
 * generation and the load are timed.
 *
 *   npm run bench:ldap   (BENCH_USERS, default 100000; BENCH_SIGNONS, default 5000;
 *                         BENCH_SEARCHES, default 1000; BENCH_SECONDS per Redis round, default 5;
 *                         BENCH_ROUNDS, default 3; BENCH_PARTS, the parts to run, default abcd)
 */
import { randomInt } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Redis } from 'iovalkey';
import { loadConfig } from '../src/config/index.ts';
import { formatAccessLine, MemorySystemLog } from '../src/logs/index.ts';
import type { RepositoryRecord, SessionRecord } from '../src/logs/index.ts';
import { MANAGEMENT_COMMANDS } from '../src/management/commands.ts';
import { argsFromArgv, runCommand } from '../src/management/runner.ts';
import { openServices, repositoryAdapters } from '../src/main/services.ts';
import { createPasswordHasher } from '../src/sso/core/password.ts';
import { newSsoUser } from '../src/sso/core/user.ts';
import { RepositoryServer } from '../src/sso/servers/repository-server.ts';
import { SessionManager } from '../src/sso/servers/session-manager.ts';
import { RedisSessionStore } from '../src/storage/redis/session-store.ts';
import { startRedis } from '../tests/helpers/redis.ts';
import { startSlapd } from '../tests/helpers/slapd.ts';
import { envNumber, fmt, median, percentile } from './stats.ts';

const USERS = envNumber('BENCH_USERS', 100_000);
const SIGNONS = envNumber('BENCH_SIGNONS', 5000);
const SEARCHES = envNumber('BENCH_SEARCHES', 1000);
const SECONDS = envNumber('BENCH_SECONDS', 5);
const ROUNDS = envNumber('BENCH_ROUNDS', 3);
const PARTS = process.env['BENCH_PARTS'] ?? 'abcd';
/** Sign-ons and searches in flight (a handful of authentication servers and consoles). */
const CONCURRENCY = 8;
const CONNECTIONS_PER_NODE = 32;
const SESSIONS = 2000;
const PREFIX = 'bench:';
const PASSWORD = 'bench-password';
const CHEAP = Object.freeze({
  memoryKiB: 64,
  passes: 1,
  parallelism: 1,
  hashLength: 32,
  saltLength: 16,
});
const uidOf = (i: number): string => `user${String(i).padStart(6, '0')}`;

interface NodeJob {
  readonly port: number;
  readonly sessions: readonly { id: string; uid: string }[];
  readonly mode: 'validate' | 'get';
  readonly seconds: number;
}

/** A worker = a node: its own Redis connections, its own SessionManager. */
async function node(job: NodeJob): Promise<number> {
  const clients = await Promise.all(
    Array.from({ length: CONNECTIONS_PER_NODE }, async () => {
      const c = new Redis({ host: '127.0.0.1', port: job.port, lazyConnect: true });
      await c.connect();
      return c;
    }),
  );
  const managers = clients.map(
    (c) =>
      new SessionManager({
        store: new RedisSessionStore(c, { prefix: PREFIX }),
        policy: () => ({ idleTimeoutMinutes: 30, maxLifetimeMinutes: 480, forcedSignOn: false }),
        defaultCredentialTtlMinutes: 0,
        logSession: (r: SessionRecord) => void formatAccessLine(r, {}),
        logRepository: (r: RepositoryRecord) => void formatAccessLine(r, {}),
      }),
  );
  const end = Date.now() + job.seconds * 1000;
  let done = 0;
  await Promise.all(
    clients.map(async (c, i) => {
      const m = managers[i]!;
      while (Date.now() < end) {
        const s = job.sessions[randomInt(job.sessions.length)]!;
        if (job.mode === 'validate') {
          const r = await m.validate(s.id, s.uid, '10.0.0.1', 'auth1');
          if (!r.ok) throw new Error(`session check failed: ${r.reason}`);
        } else {
          await c.get(`${PREFIX}bare`);
        }
        done++;
      }
    }),
  );
  await Promise.all(clients.map((c) => c.quit()));
  return done;
}

if (!isMainThread) {
  const n = await node(workerData as NodeJob);
  parentPort!.postMessage(n);
} else {
  await main();
}

/** Both nodes for one round; operations per second. */
async function round(
  job: Omit<NodeJob, 'sessions'>,
  halves: NodeJob['sessions'][],
): Promise<number> {
  const counts = await Promise.all(
    halves.map(async (_, i) => {
      // Each node checks the sessions the other one created.
      const w = new Worker(new URL(import.meta.url), {
        workerData: { ...job, sessions: halves[1 - i] },
        execArgv: ['--disable-warning=ExperimentalWarning'],
      });
      const [n] = (await once(w, 'message')) as [number];
      await once(w, 'exit');
      return n;
    }),
  );
  return (counts[0]! + counts[1]!) / job.seconds;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

/** Runs `n` calls of `fn` with `concurrency` in flight; the latency of each, ms. */
async function latencies(
  n: number,
  concurrency: number,
  fn: (i: number) => Promise<void>,
): Promise<number[]> {
  const out: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const t = performance.now();
        await fn(i);
        out.push(performance.now() - t);
      }
    }),
  );
  return out;
}

async function main(): Promise<void> {
  console.log(
    `bench:ldap on ${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.availableParallelism()}, Node ${process.version}`,
  );
  const work = mkdtempSync(path.join(os.tmpdir(), 'sekisho-bench-ldap-'));
  const hasher = createPasswordHasher({ params: CHEAP });
  const stored = await hasher.hashPassword(PASSWORD);

  // The LDIF: every user with the same cheap hash (the hash is not what is measured).
  const ldif = path.join(work, 'users.ldif');
  const gen = await timed(async () => {
    const out = createWriteStream(ldif);
    out.write('dn: ou=User,o=bench\nobjectClass: organizationalUnit\nou: User\n\n');
    for (let i = 0; i < USERS; i++) {
      const uid = uidOf(i);
      const chunk =
        `dn: uid=${uid},ou=User,o=bench\nobjectClass: inetOrgPerson\nobjectClass: ssoUser\n` +
        `uid: ${uid}\ncn: Bench User ${i}\nsn: User\nmail: ${uid}@bench.example\n` +
        `userPassword: ${stored}\nssoUserStatus: good\nssoFailureCount: 0\n\n`;
      if (!out.write(chunk)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
  });
  const load = await timed(() => startSlapd({ suffix: 'o=bench', dataFile: ldif }));
  const slapd = load.value;
  console.log(
    `  ${USERS.toLocaleString('en-US')} users: LDIF generated in ${fmt(gen.ms / 1000, 2)} s; slapadd -q + slapd start in ${fmt(load.ms / 1000, 2)} s`,
  );

  // Whatever fails below, slapd and Redis are stopped and the directory removed.
  const opened: { services?: ReturnType<typeof openServices> } = {};
  let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
  try {
    const dataDir = path.join(work, 'data');
    mkdirSync(dataDir);
    const config = loadConfig({
      text: JSON.stringify({
        repository: {
          store: 'ldap',
          'user-search-base': 'ou=User,o=bench',
          ldap: {
            url: slapd.ldapsUrl,
            'bind-dn': slapd.serviceDn,
            'bind-password-file': slapd.servicePasswordFile,
            'ca-file': slapd.caFile,
            'pool-size': CONCURRENCY,
          },
        },
      }),
    });
    const services = openServices(dataDir, config, undefined, await repositoryAdapters(config));
    opened.services = services;
    let signP50 = NaN;
    let signP99 = NaN;
    let hashMs = NaN;
    if (PARTS.includes('a')) {
      // (a) sign-on
      const server = new RepositoryServer({
        users: services.users,
        hasher,
        policy: () => ({ maxFailureCount: 5, lockOutTimeMinutes: undefined }),
        certificateMappingAttribute: 'mail',
        compareStoredCertificate: false,
        log: (r) => void formatAccessLine(r, {}),
        systemLog: new MemorySystemLog(),
      });
      const signOn = async (): Promise<void> => {
        const r = await server.authenticate({
          client: '10.0.0.1',
          authServer: 'auth1',
          uid: uidOf(randomInt(USERS)),
          password: PASSWORD,
        });
        if (r.outcome.outcome !== 'succeeded') throw new Error('sign-on failed');
      };
      await latencies(500, CONCURRENCY, signOn); // warm-up: connections, JIT
      const signLat = await latencies(SIGNONS, CONCURRENCY, signOn);
      const hashLat = await latencies(2000, 1, async () => {
        if (!(await hasher.verifyPassword(PASSWORD, stored))) throw new Error('verify');
      });
      signP50 = percentile(signLat, 50);
      signP99 = percentile(signLat, 99);
      hashMs = median(hashLat);
      console.log(
        `  (a) password sign-on, ${SIGNONS} random users, ${CONCURRENCY} in flight: p50 ${fmt(signP50, 2)} ms, p99 ${fmt(signP99, 2)} ms (target p99 < 20 ms); the cheap argon2id verify alone: ${fmt(hashMs, 3)} ms`,
      );
    }

    const cmd = MANAGEMENT_COMMANDS['lsssouser']!;
    const lsssouser = async (argv: string[]): Promise<{ users: unknown[]; next?: string }> => {
      const r = await runCommand(cmd, argsFromArgv(cmd, argv), { services, lang: 'en' });
      const data = r.data as { users?: unknown[]; next_cursor?: string | null } | undefined;
      const next = data?.next_cursor;
      return { users: data?.users ?? [], ...(typeof next === 'string' ? { next } : {}) };
    };
    let searchP50 = NaN;
    let searchP99 = NaN;
    let listMs = NaN;
    if (PARTS.includes('b')) {
      // (b) search page through the management command
      const search = async (): Promise<void> => {
        // A 9-character prefix matches 10 users; an 8-character one 100 (the page is then full
        // and truncated): the two kinds alternate.
        const digits = String(randomInt(USERS)).padStart(6, '0');
        const prefix =
          randomInt(2) === 0 ? `user${digits.slice(0, 5)}` : `user${digits.slice(0, 4)}`;
        const { users } = await lsssouser(['-prefix', prefix, '-limit', '50']);
        if (users.length === 0) throw new Error(`no user for ${prefix}`);
      };
      await latencies(100, 4, search);
      const searchLat = await latencies(SEARCHES, 4, search);
      searchP50 = percentile(searchLat, 50);
      searchP99 = percentile(searchLat, 99);
      const listLat = await latencies(3, 1, async () => {
        await services.users.listUsers({ cursor: undefined, limit: 50 });
      });
      listMs = median(listLat);
      console.log(
        `  (b) lsssouser -prefix P -limit 50, ${SEARCHES} searches, 4 in flight: p50 ${fmt(searchP50, 2)} ms, p99 ${fmt(searchP99, 2)} ms (target p99 < 200 ms); baseline listUsers first page of 50 (enumerates every DN): median ${fmt(listMs)} ms`,
      );
    }

    // (d) the console's pages of users and the full listing (lsssouser, listUsers underneath)
    const d = { first: NaN, next: NaN, search100: NaN, search10k: NaN, all: NaN };
    if (PARTS.includes('d')) {
      const page = async (argv: string[], expect: number): Promise<string | undefined> => {
        const r = await lsssouser(argv);
        if (r.users.length !== expect) {
          throw new Error(`lsssouser ${argv.join(' ')}: ${r.users.length} users, not ${expect}`);
        }
        return r.next;
      };
      let cursor: string | undefined;
      d.first = median(
        await latencies(5, 1, async () => {
          cursor = await page(['-count', '50'], 50);
        }),
      );
      // A console user paging on: the page after the first, again and again.
      d.next = median(
        await latencies(20, 1, async () => {
          cursor = await page(['-count', '50', '-cursor', cursor!], 50);
        }),
      );
      // user0001* = user000100…user000199 (100 users); user00* = user000000…user009999.
      d.search100 = median(
        await latencies(5, 1, async () => {
          await page(['-prefix', 'user0001', '-count', '50'], 50);
        }),
      );
      d.search10k = median(
        await latencies(5, 1, async () => {
          await page(['-prefix', 'user00', '-count', '50'], 50);
        }),
      );
      const all = await timed(async () => {
        const r = await runCommand(cmd, argsFromArgv(cmd, []), { services, lang: 'en' });
        if (r.output.kind !== 'table' || r.output.rows.length !== USERS) {
          throw new Error('lsssouser: not every user');
        }
      });
      d.all = all.ms;
      console.log(
        `  (d) console pages (lsssouser -count 50): first ${fmt(d.first)} ms, next (-cursor) ${fmt(d.next)} ms; search page -prefix (100 match) ${fmt(d.search100)} ms, (10,000 match) ${fmt(d.search10k)} ms; lsssouser, all ${USERS.toLocaleString('en-US')} users: ${fmt(d.all / 1000, 2)} s`,
      );
    }

    let checkRate = NaN;
    let getRate = NaN;
    let ratio = NaN;
    if (PARTS.includes('c')) {
      // (c) session checks over Redis from two nodes
      redis = await startRedis();
      const setup = new Redis({ host: '127.0.0.1', port: redis.port });
      const manager = new SessionManager({
        store: new RedisSessionStore(setup, { prefix: PREFIX }),
        policy: () => ({ idleTimeoutMinutes: 30, maxLifetimeMinutes: 480, forcedSignOn: false }),
        defaultCredentialTtlMinutes: 0,
        logSession: () => undefined,
        logRepository: () => undefined,
      });
      const created: { id: string; uid: string }[] = [];
      for (let i = 0; i < SESSIONS; i++) {
        const u = newSsoUser(`uid=${uidOf(i)},ou=User,o=bench`, uidOf(i));
        const r = await manager.signOn(u, '10.0.0.1', 'auth1', 'basicAuth');
        if (r.kind !== 'created') throw new Error('session not created');
        created.push({ id: r.session.id, uid: u.uid });
      }
      await setup.set(`${PREFIX}bare`, 'x'.repeat(200));
      await setup.quit();
      const halves = [created.slice(0, SESSIONS / 2), created.slice(SESSIONS / 2)];
      const checks: number[] = [];
      const gets: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const order = i % 2 === 0 ? (['validate', 'get'] as const) : (['get', 'validate'] as const);
        for (const mode of order) {
          const rate = await round({ port: redis.port, mode, seconds: SECONDS }, halves);
          (mode === 'validate' ? checks : gets).push(rate);
        }
      }
      checkRate = median(checks);
      getRate = median(gets);
      ratio = checkRate / getRate;
      console.log(
        `  (c) session checks from 2 nodes × ${CONNECTIONS_PER_NODE} Redis connections: median ${fmt(checkRate, 0)}/s (rounds ${checks.map((x) => fmt(x, 0)).join(', ')}); bare GET ${fmt(getRate, 0)}/s (rounds ${gets.map((x) => fmt(x, 0)).join(', ')}); ratio ${fmt(ratio, 3)} (a check is 2 scripted round trips: read, touch)`,
      );
    }
    console.log(
      `bench:ldap: users=${USERS} slapadd_s=${fmt(load.ms / 1000, 2)} signon_p50_ms=${fmt(signP50, 2)} signon_p99_ms=${fmt(signP99, 2)} hash_ms=${fmt(hashMs, 3)} ` +
        `search_p50_ms=${fmt(searchP50, 2)} search_p99_ms=${fmt(searchP99, 2)} baseline_list_first_page_ms=${fmt(listMs)} ` +
        `console_first_page_ms=${fmt(d.first)} console_next_page_ms=${fmt(d.next)} console_search_100_ms=${fmt(d.search100)} console_search_10k_ms=${fmt(d.search10k)} lsssouser_all_s=${fmt(d.all / 1000, 2)} ` +
        `session_checks_per_s=${Math.round(checkRate)} baseline_redis_get_per_s=${Math.round(getRate)} ratio=${fmt(ratio, 3)} cores=${os.availableParallelism()}`,
    );
  } finally {
    opened.services?.close();
    await redis?.stop();
    await slapd.close();
    rmSync(work, { recursive: true, force: true });
  }
}
