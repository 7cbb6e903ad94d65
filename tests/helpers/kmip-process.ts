// `bin/sekisho.js` as a real child process: one-shot commands (runSekisho) and the
// long-running `sekisho kmip-server` (startKmipServerProcess), which is ready once it prints
// its "listening on HOST:PORT" line and must exit 0 when stopped with SIGTERM or SIGINT.
// Every server still running when the test process exits is killed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { TestPki } from './certs.ts';

/** The repository root (cwd of every child). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SEKISHO_BIN = fileURLToPath(new URL('../../bin/sekisho.js', import.meta.url));
/** Node flags of the `sekisho` command line (see bin/sekisho.js). */
const NODE_FLAGS = ['--disable-warning=ExperimentalWarning'];

export interface SekishoResult {
  /** Exit code; null when killed by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunSekishoOptions {
  /** Written to standard input, which is then closed. Default: empty input. */
  readonly input?: string | Buffer;
  /** Kill the child (SIGKILL) and reject after this long. Default 30 000 ms. */
  readonly timeoutMs?: number;
}

function spawnSekisho(args: readonly string[], stdin: 'pipe' | 'ignore'): ChildProcess {
  return spawn(process.execPath, [...NODE_FLAGS, SEKISHO_BIN, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: [stdin, 'pipe', 'pipe'],
  });
}

/** Runs `sekisho ...args` to completion and returns its exit status and output. */
export function runSekisho(
  args: readonly string[],
  opts: RunSekishoOptions = {},
): Promise<SekishoResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawnSekisho(args, 'pipe');
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    // A child that exits before reading its input makes the write fail with EPIPE.
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(opts.input ?? '');
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sekisho ${args.join(' ')}: no exit within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

export interface KmipServerProcessOptions {
  readonly pki: TestPki;
  /** Address to listen on. Default 127.0.0.1. */
  readonly host?: string;
  /** Port; default 0 (the server picks a free one and reports it). */
  readonly port?: number;
  /** Extra options, e.g. ['--profile', 'isklm', '--server-type', 'clone']. */
  readonly args?: readonly string[];
  /** Give up waiting for the "listening" line after this long. Default 20 000 ms. */
  readonly startTimeoutMs?: number;
}

export interface KmipServerProcess {
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  /** The "listening on ..." line. */
  readonly listeningLine: string;
  /** Standard output and error so far. */
  stdout(): string;
  stderr(): string;
  /**
   * Sends `signal` (default SIGTERM), waits for the exit and asserts exit code 0.
   * Idempotent: later calls return the first result.
   */
  stop(signal?: 'SIGTERM' | 'SIGINT'): Promise<SekishoResult>;
}

const live = new Set<ChildProcess>();
let safetyInstalled = false;
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function killLiveChildren(): void {
  for (const c of live) {
    try {
      c.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  killLiveChildren();
  process.off('exit', killLiveChildren);
  for (const s of SIGNALS) process.off(s, onSignal);
  safetyInstalled = false;
  // If nobody else handles this signal, keep its default meaning: terminate.
  if (process.listenerCount(signal) === 0) process.exit(128 + os.constants.signals[signal]);
}

/** Kills every server still running when the test process exits or is signalled. */
function installSafetyKill(): void {
  if (safetyInstalled) return;
  safetyInstalled = true;
  process.on('exit', killLiveChildren);
  for (const s of SIGNALS) process.on(s, onSignal);
}

/** Time a stopped server gets to exit before it is killed. */
const STOP_TIMEOUT_MS = 15_000;

const LISTENING_RE = /listening on (\[[0-9a-fA-F:.]+\]|[^\s:]+):(\d+)/;

/** Starts `sekisho kmip-server` on loopback with the PKI's server certificate. */
export function startKmipServerProcess(opts: KmipServerProcessOptions): Promise<KmipServerProcess> {
  const host = opts.host ?? '127.0.0.1';
  const args = [
    'kmip-server',
    '--host', host,
    '--port', String(opts.port ?? 0),
    '--ca', opts.pki.caCert,
    '--cert', opts.pki.serverCert,
    '--key', opts.pki.serverKey,
    ...(opts.args ?? []),
  ]; // prettier-ignore
  const child = spawnSekisho(args, 'ignore');
  live.add(child);
  installSafetyKill();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (b: Buffer) => out.push(b));
  child.stderr!.on('data', (b: Buffer) => err.push(b));
  const stdout = (): string => Buffer.concat(out).toString('utf8');
  const stderr = (): string => Buffer.concat(err).toString('utf8');
  const exited = new Promise<SekishoResult>((resolve) => {
    child.once('close', (code, signal) => {
      live.delete(child);
      resolve({ code, signal, stdout: stdout(), stderr: stderr() });
    });
  });

  return new Promise((resolve, reject) => {
    const timeoutMs = opts.startTimeoutMs ?? 20_000;
    let settled = false;
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(
        new Error(
          `sekisho ${args.join(' ')}: ${why}\n--- stdout\n${stdout()}\n--- stderr\n${stderr()}`,
        ),
      );
    };
    const timer = setTimeout(() => {
      fail(`no "listening on" line within ${timeoutMs} ms`);
    }, timeoutMs);
    child.once('error', (e) => {
      fail(e.message);
    });
    void exited.then((r) => {
      fail(`exited during startup (code ${String(r.code)}, signal ${String(r.signal)})`);
    });
    child.stdout!.on('data', () => {
      if (settled) return;
      const text = stdout();
      const line = text.split('\n').find((l) => LISTENING_RE.test(l));
      if (line === undefined || !text.includes('\n', text.indexOf(line))) return;
      const m = LISTENING_RE.exec(line)!;
      settled = true;
      clearTimeout(timer);
      let stopping: Promise<SekishoResult> | undefined;
      resolve({
        host: m[1]!.replace(/^\[|\]$/g, ''),
        port: Number(m[2]),
        pid: child.pid!,
        listeningLine: line,
        stdout,
        stderr,
        stop: (signal = 'SIGTERM') =>
          (stopping ??= (async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            // A server that ignores the signal is killed, and the assertion below fails.
            const guard = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
            const r = await exited;
            clearTimeout(guard);
            assert.equal(
              r.code,
              0,
              `kmip-server exit after ${signal}: code ${String(r.code)}, signal ${String(r.signal)}\n${r.stderr}`,
            );
            return r;
          })()),
      });
    });
  });
}
