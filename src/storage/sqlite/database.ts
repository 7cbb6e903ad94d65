/**
 * The embedded store: one SQLite file (node:sqlite) in the data directory. WAL so that a
 * CLI process and the running server can read while the other writes; synchronous FULL
 * because losing a write could lose an event, a fix or a key server.
 */
import { DatabaseSync } from 'node:sqlite';
import path from 'node:path';

export const DATABASE_FILE = 'sekisho.db';

export function openDatabase(dataDir: string): DatabaseSync {
  const db = new DatabaseSync(path.join(dataDir, DATABASE_FILE));
  db.exec(`
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = FULL;
    PRAGMA foreign_keys = ON;
    PRAGMA busy_timeout = 5000;
  `);
  return db;
}

let savepoints = 0;

/**
 * Runs `fn` atomically on `db`: in BEGIN IMMEDIATE (the write lock first, so that a
 * read-then-write cannot meet SQLITE_BUSY_SNAPSHOT), or in a savepoint when the caller already
 * holds a transaction. Rolls back and rethrows when `fn` throws. The one implementation every
 * store of this folder uses.
 */
export function atomically<T>(db: DatabaseSync, fn: () => T): T {
  if (db.isTransaction) {
    const name = `sekisho_${++savepoints}`;
    db.exec(`SAVEPOINT ${name}`);
    try {
      const out = fn();
      db.exec(`RELEASE ${name}`);
      return out;
    } catch (e) {
      db.exec(`ROLLBACK TO ${name}`);
      db.exec(`RELEASE ${name}`);
      throw e;
    }
  }
  db.exec('BEGIN IMMEDIATE');
  try {
    const out = fn();
    db.exec('COMMIT');
    return out;
  } catch (e) {
    db.exec('ROLLBACK');
    throw e;
  }
}
