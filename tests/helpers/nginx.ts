// Debian's nginx (package nginx-light, installed by tests/global-setup.ts) for integration
// tests: one master and one worker in the foreground, in a private prefix directory, on an
// ephemeral loopback port, every log to standard error. The caller writes the `http { … }`
// servers; the helper adds the rest (pid, temporary paths, events) and retries on another port
// when the one it picked was taken in between.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, isPortListening } from './ports.ts';

export const NGINX = '/usr/sbin/nginx';

export interface NginxOptions {
  /**
   * The content of the `http { … }` block for a listening port and the prefix directory (files
   * written there by {@link NginxOptions.files} can be named relative to it, or absolutely).
   * It must listen on `127.0.0.1:<port>`.
   */
  readonly http: (port: number, prefix: string) => string;
  /** Files to write into the prefix directory first (certificates, keys), by relative name. */
  readonly files?: Readonly<Record<string, string>>;
}

export interface Nginx {
  readonly port: number;
  readonly prefix: string;
  /** What nginx wrote to standard error so far (its error log). */
  stderr(): string;
  /** Stops nginx (SIGTERM, then SIGKILL after 5 s) and removes the prefix directory. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;

function mainConfig(http: string, prefix: string): string {
  const runAsRoot = process.getuid?.() === 0;
  return [
    // As root the worker would otherwise drop to `nobody`, which cannot use the private prefix.
    ...(runAsRoot ? ['user root;'] : []),
    'worker_processes 1;',
    `pid ${path.join(prefix, 'nginx.pid')};`,
    'events { worker_connections 128; }',
    'http {',
    '  access_log off;',
    `  client_body_temp_path ${path.join(prefix, 'tmp', 'body')};`,
    `  proxy_temp_path ${path.join(prefix, 'tmp', 'proxy')};`,
    `  fastcgi_temp_path ${path.join(prefix, 'tmp', 'fastcgi')};`,
    `  uwsgi_temp_path ${path.join(prefix, 'tmp', 'uwsgi')};`,
    `  scgi_temp_path ${path.join(prefix, 'tmp', 'scgi')};`,
    http,
    '}',
    '',
  ].join('\n');
}

/** Waits until the port listens (read from /proc, no connection) or nginx exits. */
function ready(child: ChildProcess, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    let timer: NodeJS.Timeout;
    const poll = (): void => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (isPortListening(port)) {
        child.off('exit', onExit);
        resolve(true);
      } else if (Date.now() > deadline) {
        child.off('exit', onExit);
        resolve(false);
      } else {
        timer = setTimeout(poll, 20);
      }
    };
    child.once('exit', onExit);
    poll();
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts nginx; throws with its error output when it does not come up. */
export async function startNginx(o: NginxOptions): Promise<Nginx> {
  const prefix = mkdtempSync(path.join(os.tmpdir(), 'sekisho-nginx-'));
  mkdirSync(path.join(prefix, 'tmp'));
  mkdirSync(path.join(prefix, 'logs'));
  for (const [name, content] of Object.entries(o.files ?? {})) {
    writeFileSync(path.join(prefix, name), content, { mode: 0o600 });
  }
  let lastError = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const conf = path.join(prefix, 'nginx.conf');
    writeFileSync(conf, mainConfig(o.http(port, prefix), prefix));
    const child = spawn(
      NGINX,
      ['-p', prefix + path.sep, '-e', 'stderr', '-c', conf, '-g', 'daemon off; error_log stderr;'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
    });
    const spawned = await new Promise<boolean>((resolve) => {
      child.once('spawn', () => {
        resolve(true);
      });
      child.once('error', (e) => {
        stderr += String(e);
        resolve(false);
      });
    });
    if (spawned && (await ready(child, port))) {
      return {
        port,
        prefix,
        stderr: () => stderr,
        stop: async () => {
          await stopChild(child);
          rmSync(prefix, { recursive: true, force: true });
        },
      };
    }
    await stopChild(child);
    lastError = stderr;
    if (!/Address already in use/.test(stderr)) break;
  }
  rmSync(prefix, { recursive: true, force: true });
  throw new Error(`nginx did not start:\n${lastError}`);
}
