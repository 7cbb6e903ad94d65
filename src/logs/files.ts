/**
 * Where the access logs live and how their saved copies are found: one file per log in the log
 * directory (`DATA_DIR/logs/` by default), and the copies {@link AccessLogWriter} saved when the
 * file reached its size — `name.log.YYYYMMDDhhmmss[.N]` (`separate`) or `name.log.old`
 * (`overwrite`).
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogKind } from './records.ts';

/** The file of each access log in the log directory. */
export const ACCESS_LOG_FILES = {
  repository: 'repository-access.log',
  authentication: 'authentication-access.log',
  session: 'session-management.log',
  business: 'business-access.log',
} as const satisfies Record<LogKind, string>;

/** The suffix `overwrite` mode gives the one saved copy. */
export const OVERWRITE_SUFFIX = '.old';

const STAMPED = /^\.(\d{14})(?:\.(\d+))?$/;

/** One file of a log: the current file or a saved copy. */
export interface LogFile {
  readonly path: string;
  /** `dev:ino`: stays the same when the writer renames the file on rotation. */
  readonly id: string;
  readonly size: number;
}

interface Candidate extends LogFile {
  /** 0 for the current file (newest), then saved copies. */
  readonly rank: [number, number, string, number];
}

/**
 * The files of one log, newest first: the current file, then the saved copies from the most
 * recently saved. Saved copies are ordered by modification time (the time of their last line),
 * ties by the stamp and number of their names, `.old` last — so that a directory where the save
 * mode changed from one to the other still reads in order. Missing directory or files: none.
 * One `readdir` and one `stat` per file of the log.
 */
export async function listLogFiles(dir: string, kind: LogKind): Promise<LogFile[]> {
  const name = ACCESS_LOG_FILES[kind];
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: Candidate[] = [];
  for (const file of entries) {
    if (!file.startsWith(name)) continue;
    const suffix = file.slice(name.length);
    let rank: Candidate['rank'];
    if (suffix === '') rank = [0, 0, '', 0];
    else if (suffix === OVERWRITE_SUFFIX) rank = [1, 0, '', 0];
    else {
      const m = STAMPED.exec(suffix);
      if (m === null) continue;
      rank = [1, 0, m[1]!, m[2] === undefined ? 0 : Number(m[2]) + 1];
    }
    const path = join(dir, file);
    let s;
    try {
      s = await stat(path, { bigint: true });
    } catch {
      continue; // deleted by a rotation in between
    }
    if (!s.isFile()) continue;
    rank[1] = Number(s.mtimeMs);
    out.push({ path, id: `${String(s.dev)}:${String(s.ino)}`, size: Number(s.size), rank });
  }
  out.sort((a, b) => {
    const [ca, ma, sa, na] = a.rank;
    const [cb, mb, sb, nb] = b.rank;
    if (ca !== cb) return ca - cb;
    if (ma !== mb) return mb - ma;
    if (sa !== sb) return sa < sb ? 1 : -1;
    return nb - na;
  });
  return out.map(({ path, id, size }) => ({ path, id, size }));
}
