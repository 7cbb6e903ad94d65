// A real PyKMIP 0.10 server (Debian python3-pykmip) on loopback, for tests.
//
// Each call gets a private temp dir (server.conf, policies/, SQLite db, logs) and an
// ephemeral port. Readiness is detected from /proc/net/tcp (LISTEN socket owned by the
// server process) rather than by connecting, so the server log holds no handshake noise.
// stop() sends SIGINT (PyKMIP exits in ~3 s; SIGTERM would wait for a 10 s accept()
// timeout), escalates to SIGKILL of the whole process group after 20 s, and removes the
// temp dir. Set SEKISHO_KEEP_PYKMIP_DIR=1 to keep the dir (logs) for debugging.
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { makeTestPki } from './certs.ts';
import type { TestPki } from './certs.ts';
import { freePort, listeningInodes } from './ports.ts';

export interface PyKmipServerOptions {
  /** Certificates to use; default: a fresh PKI inside the server's temp dir. */
  pki?: TestPki;
  /** IPv4 address to bind (PyKMIP listens on AF_INET only). Default 127.0.0.1. */
  host?: string;
  /** DEBUG also logs the hex of every request/response to logPath (and is ~40% slower). */
  logLevel?: 'INFO' | 'DEBUG';
  /** enable_tls_client_auth: require EKU clientAuth on client certificates. Default true. */
  clientAuthEku?: boolean;
  /** Give up waiting for the listening socket after this long. Default 30 000 ms. */
  startTimeoutMs?: number;
}

export interface PyKmipServer {
  host: string;
  port: number;
  pki: TestPki;
  /** Private temp dir (removed by stop()). */
  dir: string;
  /** PyKMIP's own log (`-l`). */
  logPath: string;
  /** The process's stdout+stderr (warnings, tracebacks). */
  outPath: string;
  /** PID of the main server process; also its process group id. */
  pid: number;
  /** Stop the server and remove `dir`. Idempotent. */
  stop(): Promise<void>;
}

const PYTHON = '/usr/bin/python3';
const PYKMIP_SERVER = '/usr/bin/pykmip-server';
const ENSURE_PACKAGES = fileURLToPath(
  new URL('../../scripts/test-env/ensure-packages.sh', import.meta.url),
);
const POLL_MS = 25;
const STOP_GRACE_MS = 20_000;
const PORT_ATTEMPTS = 3;

/** Install (as root) or demand (otherwise) Debian packages via ensure-packages.sh. */
export function ensurePackages(packages: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('bash', [ENSURE_PACKAGES, ...packages], { timeout: 600_000 }, (err, _out, stderr) => {
      if (err) reject(new Error(stderr.trim() || err.message, { cause: err }));
      else resolve();
    });
  });
}

export async function startPyKmipServer(opts: PyKmipServerOptions = {}): Promise<PyKmipServer> {
  await ensurePackages(['python3-pykmip', 'openssl']);
  const host = opts.host ?? '127.0.0.1';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sekisho-pykmip-'));
  dirs.add(dir);
  try {
    fs.mkdirSync(path.join(dir, 'policies'));
    const pki = opts.pki ?? makeTestPki(path.join(dir, 'pki'));
    for (let attempt = 1; ; attempt++) {
      const port = await freePort(host);
      const started = await launch({ ...opts, host, dir, pki, port });
      if (started.kind === 'ready') return started.server;
      if (attempt >= PORT_ATTEMPTS) {
        throw new Error(
          `pykmip-server: port still taken after ${attempt} attempts\n${started.why}`,
        );
      }
    }
  } catch (err) {
    if (process.env['SEKISHO_KEEP_PYKMIP_DIR'] !== '1') removeDir(dir);
    else dirs.delete(dir);
    throw err;
  }
}

type Launch = { kind: 'ready'; server: PyKmipServer } | { kind: 'port-taken'; why: string };

async function launch(o: {
  host: string;
  port: number;
  dir: string;
  pki: TestPki;
  logLevel?: 'INFO' | 'DEBUG';
  clientAuthEku?: boolean;
  startTimeoutMs?: number;
}): Promise<Launch> {
  const confPath = path.join(o.dir, 'server.conf');
  const logPath = path.join(o.dir, 'server.log');
  const outPath = path.join(o.dir, 'server.out');
  // Every key is parsed by kmip/services/server/config.py; an unknown key aborts startup.
  fs.writeFileSync(
    confPath,
    [
      '[server]',
      `hostname=${o.host}`,
      `port=${o.port}`,
      `certificate_path=${o.pki.serverCert}`,
      `key_path=${o.pki.serverKey}`,
      `ca_path=${o.pki.caCert}`,
      'auth_suite=TLS1.2',
      // Unset, the live-policy monitor would scan the working directory every second.
      `policy_path=${path.join(o.dir, 'policies')}`,
      `enable_tls_client_auth=${o.clientAuthEku === false ? 'False' : 'True'}`,
      'tls_cipher_suites=',
      `logging_level=${o.logLevel ?? 'INFO'}`,
      // Unset, it defaults to /tmp/pykmip.database, shared by every server on the machine.
      `database_path=${path.join(o.dir, 'pykmip.db')}`,
      '',
    ].join('\n'),
  );
  fs.rmSync(path.join(o.dir, 'pykmip.db'), { force: true });
  fs.rmSync(logPath, { force: true });

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PYTHONWARNINGS: 'ignore',
    SQLALCHEMY_SILENCE_UBER_WARNING: '1',
  };
  delete env['PYTHONPATH'];
  delete env['PYTHONHOME'];
  const out = fs.openSync(outPath, 'w');
  let child: ChildProcess;
  try {
    child = spawn(PYTHON, [PYKMIP_SERVER, '-f', confPath, '-l', logPath], {
      cwd: o.dir,
      env,
      detached: true, // own process group: PyKMIP runs 3 processes, stop() kills the group
      stdio: ['ignore', out, out],
    });
  } finally {
    fs.closeSync(out);
  }
  child.unref();
  const pid = child.pid;
  if (pid === undefined) {
    await new Promise((r) => child.once('error', r));
    throw new Error(`could not spawn ${PYTHON} ${PYKMIP_SERVER}`);
  }
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else
      child.once('exit', () => {
        resolve();
      });
  });
  const isAlive = () => child.exitCode === null && child.signalCode === null;
  live.add(pid);
  installSafetyKill();

  const describe = () =>
    `--- ${outPath} (tail)\n${tail(outPath)}\n--- ${logPath} (tail)\n${tail(logPath)}`;
  const bindFailed = () => /failed to bind socket|Address already in use/.test(readOr(outPath));
  const deadline = Date.now() + (o.startTimeoutMs ?? 30_000);

  for (;;) {
    if (ownsListeningSocket(pid, o.port)) break;
    if (bindFailed()) {
      // The process does not exit on a bind failure: its policy monitor keeps it alive.
      const why = describe();
      await killGroup(pid, exited);
      return { kind: 'port-taken', why };
    }
    if (!isAlive()) {
      const why = describe();
      await killGroup(pid, exited);
      throw new Error(
        `pykmip-server exited during startup (code ${child.exitCode}, signal ${child.signalCode})\n${why}`,
      );
    }
    if (Date.now() > deadline) {
      const why = describe();
      await killGroup(pid, exited);
      throw new Error(`pykmip-server not listening on ${o.host}:${o.port} in time\n${why}`);
    }
    await sleep(POLL_MS);
  }

  let stopping: Promise<void> | undefined;
  const server: PyKmipServer = {
    host: o.host,
    port: o.port,
    pki: o.pki,
    dir: o.dir,
    logPath,
    outPath,
    pid,
    stop: () =>
      (stopping ??= (async () => {
        if (isAlive()) {
          try {
            process.kill(pid, 'SIGINT');
          } catch {
            // already gone
          }
          await within(exited, STOP_GRACE_MS);
        }
        await killGroup(pid, exited); // stragglers (manager, policy monitor) or a hung server
        if (process.env['SEKISHO_KEEP_PYKMIP_DIR'] !== '1') removeDir(o.dir);
        else dirs.delete(o.dir);
      })()),
  };
  return { kind: 'ready', server };
}

/** True when `pid` holds a LISTEN socket on `port` (so another process's socket won't do). */
function ownsListeningSocket(pid: number, port: number): boolean {
  const inodes = listeningInodes(port);
  if (inodes.length === 0) return false;
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m?.[1] !== undefined && inodes.includes(m[1])) return true;
    } catch {
      // fd closed meanwhile
    }
  }
  return false;
}

/** PIDs in process group `pgid` that are still running (zombies excluded). */
export function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    // "pid (comm) state ppid pgrp ..." — comm may hold spaces/parens, so split after ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (f[2] === String(pgid) && f[0] !== 'Z') out.push(Number(name));
  }
  return out;
}

async function killGroup(pgid: number, exited: Promise<void>): Promise<void> {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // no such group: everything already exited
  }
  await within(exited, 5_000);
  const deadline = Date.now() + 5_000;
  while (groupMembers(pgid).length > 0 && Date.now() < deadline) await sleep(POLL_MS);
  live.delete(pgid);
  if (live.size === 0) uninstallSafetyKill();
}

/**
 * Wait for `p`, at most `ms`. The timer is ref'd (so the event loop stays alive while we
 * wait on an unref'd child) and cleared as soon as `p` settles (so it never delays exit).
 */
async function within(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function tail(file: string, lines = 20): string {
  return readOr(file).trimEnd().split('\n').slice(-lines).join('\n');
}

// ---- safety net: never leave a server behind when the test process goes away ----

/** Process groups of servers started and not yet confirmed dead. */
const live = new Set<number>();
/** Temp dirs of servers not yet stopped. */
const dirs = new Set<string>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let installed = false;

function killAllSync(): void {
  for (const pgid of live) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  live.clear();
  if (process.env['SEKISHO_KEEP_PYKMIP_DIR'] !== '1') {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  }
  dirs.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  killAllSync();
  uninstallSafetyKill();
  // If nobody else handles this signal, keep its default meaning: terminate.
  if (process.listenerCount(signal) === 0) {
    process.exit(128 + os.constants.signals[signal]);
  }
}

function installSafetyKill(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAllSync);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstallSafetyKill(): void {
  if (!installed) return;
  installed = false;
  process.off('exit', killAllSync);
  for (const s of SIGNALS) process.off(s, onSignal);
}
