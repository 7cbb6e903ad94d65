// Debian's redis-server (installed by tests/global-setup.ts) for integration tests: in the
// foreground, on 127.0.0.1 and an ephemeral port, no persistence, its working directory a
// private temporary one, its log kept in memory. Ready once it answers PING; `halt` and
// `restart` take it down and bring it back on the same port (to test a store that fails
// closed); `stop` ends it and removes the directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'iovalkey';
import { freePort } from './ports.ts';

export const REDIS_SERVER = '/usr/bin/redis-server';

export interface RedisServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly dir: string;
  /** What redis-server wrote so far (its log). */
  log(): string;
  /** Stops the process (SIGTERM, SIGKILL after 5 s), keeping the port number and directory. */
  halt(): Promise<void>;
  /** Starts it again on the same port after {@link RedisServer.halt}; ready when it returns. */
  restart(): Promise<void>;
  /** Stops it and removes its directory. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;

/** Resolves whether `+PONG` came back to one inline PING. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setEncoding('utf8');
    socket.setTimeout(1000, () => {
      done(false);
    });
    socket.once('error', () => {
      done(false);
    });
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: string) => {
      reply += chunk;
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

const exited = (child: ChildProcess): boolean =>
  child.exitCode !== null || child.signalCode !== null;

/** Waits until the server answers PING, or it exits, or the deadline passes. */
async function ready(child: ChildProcess, port: number): Promise<boolean> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!exited(child) && Date.now() < deadline) {
    if (await ping(port)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (exited(child)) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

interface Started {
  readonly child: ChildProcess;
  readonly ok: boolean;
}

async function spawnRedis(port: number, dir: string, out: { log: string }): Promise<Started> {
  const child = spawn(
    REDIS_SERVER,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      out.log += chunk;
    });
  }
  const spawned = await new Promise<boolean>((resolve) => {
    child.once('spawn', () => {
      resolve(true);
    });
    child.once('error', (e) => {
      out.log += String(e);
      resolve(false);
    });
  });
  return { child, ok: spawned && (await ready(child, port)) };
}

/** Starts redis-server; throws with its log when it does not come up. */
export async function startRedis(): Promise<RedisServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-redis-'));
  const out = { log: '' };
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    let { child, ok } = await spawnRedis(port, dir, out);
    if (ok) {
      return {
        host: '127.0.0.1',
        port,
        dir,
        log: () => out.log,
        halt: () => stopChild(child),
        restart: async () => {
          await stopChild(child);
          ({ child, ok } = await spawnRedis(port, dir, out));
          if (!ok) {
            await stopChild(child);
            throw new Error(`redis-server did not restart on port ${port}:\n${out.log}`);
          }
        },
        stop: async () => {
          await stopChild(child);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    await stopChild(child);
    if (!/Address already in use/.test(out.log)) break;
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`redis-server did not start:\n${out.log}`);
}

/**
 * The clients of one test file: each connected, rejecting at once while Redis is unreachable
 * (no offline queue, no command retried) and reconnecting by itself every 20 ms — what the
 * fail-closed tests need. Its `error` events (refused reconnections) are ignored: the rejected
 * calls are what the tests look at. `disconnectAll()` in `after`.
 */
export function redisClients(): {
  connect(to: RedisServer): Promise<Redis>;
  disconnectAll(): void;
} {
  const clients: Redis[] = [];
  return {
    async connect(to) {
      const c = new Redis({
        host: to.host,
        port: to.port,
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => 20,
      });
      c.on('error', () => undefined);
      clients.push(c);
      await c.connect();
      return c;
    },
    disconnectAll() {
      for (const c of clients.splice(0)) c.disconnect();
    },
  };
}

/** Key prefixes no other test of the file uses: `name-1:`, `name-2:`, … */
export function prefixes(name: string): () => string {
  let n = 0;
  return () => `${name}-${String(++n)}:`;
}
