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
