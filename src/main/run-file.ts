/**
 * How commands find the running `sekisho start` of the same data directory:
 * DATA_DIR/run/server.json (its URL and PID) and DATA_DIR/run/admin-token (the administrator
 * token, owner-only). Both are written at start and removed at a clean stop.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface RunInfo {
  readonly pid: number;
  readonly url: string;
  readonly caCertPath: string;
}

function runDir(dataDir: string): string {
  return path.join(dataDir, 'run');
}

export function adminTokenPath(dataDir: string): string {
  return path.join(runDir(dataDir), 'admin-token');
}

/** The administrator token, made once (64 hex characters). */
export function ensureAdminToken(dataDir: string): string {
  const p = adminTokenPath(dataDir);
  mkdirSync(runDir(dataDir), { recursive: true, mode: 0o700 });
  if (!existsSync(p)) writeFileSync(p, randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
  return readFileSync(p, 'utf8').trim();
}

export function writeRunInfo(dataDir: string, info: RunInfo): void {
  mkdirSync(runDir(dataDir), { recursive: true, mode: 0o700 });
  writeFileSync(path.join(runDir(dataDir), 'server.json'), JSON.stringify(info) + '\n', {
    mode: 0o600,
  });
}

export function removeRunInfo(dataDir: string): void {
  rmSync(path.join(runDir(dataDir), 'server.json'), { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running server of this data directory, if its process is alive. */
export function readRunInfo(dataDir: string): RunInfo | undefined {
  const p = path.join(runDir(dataDir), 'server.json');
  if (!existsSync(p)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(p, 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (
    typeof r['pid'] !== 'number' ||
    typeof r['url'] !== 'string' ||
    typeof r['caCertPath'] !== 'string'
  )
    return undefined;
  if (!alive(r['pid'])) return undefined;
  return { pid: r['pid'], url: r['url'], caCertPath: r['caCertPath'] };
}
