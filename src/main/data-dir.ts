/** The data directory shared by `sekisho start` and every command: --data-dir, $SEKISHO_DATA_DIR, or ./.data. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';

export const DATA_DIR_ENV = 'SEKISHO_DATA_DIR';

export function resolveDataDir(
  option: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string {
  return path.resolve(option ?? env[DATA_DIR_ENV] ?? '.data');
}

/** Creates the directory (owner-only) when missing. */
export function ensureDataDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}
