/**
 * SqliteSessionStore: the sessions of session management on node:sqlite (`SessionStore`,
 * src/sso/ports/session-store.ts). Sessions live in the database file, so a restart of the
 * repository server keeps every live session.
 *
 * Schema `sso_sessions`: `id` (the 43-character identifier, primary key), `uid` (exact, binary
 * collation), `dn`, `client` (NULL = unknown), `created_at`, `last_used_at`, `authenticated_at`,
 * `reauth_at` (epoch milliseconds; `reauth_at` NULL = no re-authentication interval) and `state`
 * (`active` | `pending_forced`). A partial unique index on `uid` where `state = 'active'` makes
 * "one active session per user ID" a property of the file, whatever connection writes.
 *
 * Atomicity: `delete` and `deleteByUid` are single `DELETE … RETURNING` statements, so of
 * concurrent deletes exactly one gets the row; `create` is one `INSERT … SELECT … WHERE NOT
 * EXISTS`; `activate` runs in BEGIN IMMEDIATE (or a savepoint inside the caller's transaction).
 * Every statement is prepared once, with parameters; no value is spliced into SQL text. Rows are
 * checked when read back: a row that is not a session is reported as a corrupt store. The caller
 * owns the database (openDatabase in ./database.ts).
 */
import type { DatabaseSync, SQLOutputValue, StatementSync } from 'node:sqlite';
import type { Session, SessionId, SessionState } from '../../sso/core/session.ts';
import { SESSION_STATES, isSessionId } from '../../sso/core/session.ts';
import { userDn } from '../../sso/core/user.ts';
import type {
  ActivatedSession,
  Page,
  PageRequest,
  SessionStore,
} from '../../sso/ports/session-store.ts';
import {
  checkPageLimit,
  checkSessionText,
  compareSessions,
  parseSessionCursor,
  sessionCursor,
} from '../../sso/ports/session-store.ts';
import { atomically } from './database.ts';

type Row = Record<string, SQLOutputValue>;

function corrupt(what: string): Error {
  return new Error(`corrupt store: sso_sessions ${what}`);
}

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

function ms(d: Date, name: string): number {
  const t = d.getTime();
  if (!Number.isSafeInteger(t)) throw new RangeError(`${name} is not a valid date`);
  return t;
}

function int(row: Row, column: string): number {
  const v = row[column];
  if (typeof v !== 'number' || !Number.isSafeInteger(v))
    throw corrupt(`${column} is not an integer`);
  return v;
}

function text(row: Row, column: string): string {
  const v = row[column];
  if (typeof v !== 'string') throw corrupt(`${column} is not text`);
  return v;
}

function decode(row: Row): Session {
  const id = text(row, 'id');
  if (!isSessionId(id)) throw corrupt('id is not a session identifier');
  const stateText = text(row, 'state');
  const state: SessionState | undefined = SESSION_STATES.find((s) => s === stateText);
  if (state === undefined) throw corrupt(`state ${stateText}`);
  const client = row['client'];
  if (client !== null && typeof client !== 'string') throw corrupt('client is not text');
  const reauth = row['reauth_at'];
  if (reauth !== null && (typeof reauth !== 'number' || !Number.isSafeInteger(reauth))) {
    throw corrupt('reauth_at is not an integer');
  }
  let dn;
  try {
    dn = userDn(text(row, 'dn'));
  } catch {
    throw corrupt('dn is not a DN');
  }
  return {
    id,
    uid: text(row, 'uid'),
    dn,
    client: client ?? undefined,
    createdAt: new Date(int(row, 'created_at')),
    lastUsedAt: new Date(int(row, 'last_used_at')),
    authenticatedAt: new Date(int(row, 'authenticated_at')),
    reauthAt: reauth === null ? undefined : new Date(reauth),
    state,
  };
}

export class SqliteSessionStore implements SessionStore {
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;
  readonly #get: StatementSync;
  readonly #byUid: StatementSync;
  readonly #touch: StatementSync;
  readonly #pending: StatementSync;
  readonly #deleteActive: StatementSync;
  readonly #activate: StatementSync;
  readonly #delete: StatementSync;
  readonly #deleteInState: StatementSync;
  readonly #deleteByUid: StatementSync;
  readonly #first: StatementSync;
  readonly #after: StatementSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    db.exec(`
      CREATE TABLE IF NOT EXISTS sso_sessions (
        id TEXT PRIMARY KEY CHECK (length(id) = 43),
        uid TEXT NOT NULL,
        dn TEXT NOT NULL,
        client TEXT,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER NOT NULL,
        authenticated_at INTEGER NOT NULL,
        reauth_at INTEGER,
        state TEXT NOT NULL CHECK (state IN ('active', 'pending_forced'))
      ) STRICT;
      CREATE INDEX IF NOT EXISTS sso_sessions_uid ON sso_sessions(uid);
      CREATE UNIQUE INDEX IF NOT EXISTS sso_sessions_one_active
        ON sso_sessions(uid) WHERE state = 'active';
      CREATE INDEX IF NOT EXISTS sso_sessions_order ON sso_sessions(created_at, id);
    `);
    this.#insert = db.prepare(`
      INSERT INTO sso_sessions
        (id, uid, dn, client, created_at, last_used_at, authenticated_at, reauth_at, state)
      SELECT :id, :uid, :dn, :client, :created_at, :last_used_at, :authenticated_at, :reauth_at,
        :state
      WHERE :state <> 'active'
        OR NOT EXISTS (SELECT 1 FROM sso_sessions WHERE uid = :uid AND state = 'active')
    `);
    this.#get = db.prepare('SELECT * FROM sso_sessions WHERE id = ?');
    this.#byUid = db.prepare('SELECT * FROM sso_sessions WHERE uid = ? ORDER BY created_at, id');
    this.#touch = db.prepare(
      'UPDATE sso_sessions SET last_used_at = max(last_used_at, ?) WHERE id = ?',
    );
    this.#pending = db.prepare(
      "SELECT uid FROM sso_sessions WHERE id = ? AND state = 'pending_forced'",
    );
    this.#deleteActive = db.prepare(
      "DELETE FROM sso_sessions WHERE uid = ? AND state = 'active' RETURNING *",
    );
    this.#activate = db.prepare(`
      UPDATE sso_sessions SET state = 'active', last_used_at = max(last_used_at, ?)
      WHERE id = ? AND state = 'pending_forced' RETURNING *
    `);
    this.#delete = db.prepare('DELETE FROM sso_sessions WHERE id = ? RETURNING *');
    this.#deleteInState = db.prepare(
      'DELETE FROM sso_sessions WHERE id = ? AND state = ? RETURNING *',
    );
    this.#deleteByUid = db.prepare('DELETE FROM sso_sessions WHERE uid = ? RETURNING *');
    this.#first = db.prepare('SELECT * FROM sso_sessions ORDER BY created_at, id LIMIT ?');
    this.#after = db.prepare(
      'SELECT * FROM sso_sessions WHERE (created_at, id) > (?, ?) ORDER BY created_at, id LIMIT ?',
    );
  }

  /** Runs a synchronous body as the port's promise. */
  #run<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (e) {
      return Promise.reject(asError(e));
    }
  }

  create(s: Session): Promise<boolean> {
    return this.#run(() => {
      checkSessionText(s);
      const { changes } = this.#insert.run({
        id: s.id,
        uid: s.uid,
        dn: s.dn,
        client: s.client ?? null,
        created_at: ms(s.createdAt, 'createdAt'),
        last_used_at: ms(s.lastUsedAt, 'lastUsedAt'),
        authenticated_at: ms(s.authenticatedAt, 'authenticatedAt'),
        reauth_at: s.reauthAt === undefined ? null : ms(s.reauthAt, 'reauthAt'),
        state: s.state,
      });
      return changes > 0;
    });
  }

  get(id: SessionId): Promise<Session | undefined> {
    return this.#run(() => {
      const row = this.#get.get(id);
      return row === undefined ? undefined : decode(row);
    });
  }

  byUid(uid: string): Promise<readonly Session[]> {
    return this.#run(() => this.#byUid.all(uid).map(decode));
  }

  touch(id: SessionId, now: Date): Promise<boolean> {
    return this.#run(() => this.#touch.run(ms(now, 'now'), id).changes > 0);
  }

  activate(id: SessionId, now: Date): Promise<ActivatedSession | undefined> {
    return this.#run(() => {
      const t = ms(now, 'now');
      return atomically(this.#db, (): ActivatedSession | undefined => {
        const pending = this.#pending.get(id);
        if (pending === undefined) return undefined;
        const replaced = this.#deleteActive.all(text(pending, 'uid')).map(decode);
        const row = this.#activate.get(t, id);
        if (row === undefined) throw corrupt('pending session vanished inside a transaction');
        return { session: decode(row), replaced: replaced.sort(compareSessions) };
      });
    });
  }

  delete(id: SessionId, state?: SessionState): Promise<Session | undefined> {
    return this.#run(() => {
      const row = state === undefined ? this.#delete.get(id) : this.#deleteInState.get(id, state);
      return row === undefined ? undefined : decode(row);
    });
  }

  deleteByUid(uid: string): Promise<readonly Session[]> {
    return this.#run(() => this.#deleteByUid.all(uid).map(decode).sort(compareSessions));
  }

  list(page: PageRequest): Promise<Page<Session>> {
    return this.#run(() => {
      checkPageLimit(page.limit);
      const rows =
        page.cursor === undefined
          ? this.#first.all(page.limit + 1)
          : (() => {
              const c = parseSessionCursor(page.cursor);
              return this.#after.all(c.createdAt, c.id, page.limit + 1);
            })();
      const items = rows.slice(0, page.limit).map(decode);
      const last = items.at(-1);
      return {
        items,
        nextCursor:
          rows.length > page.limit && last !== undefined ? sessionCursor(last) : undefined,
      };
    });
  }
}
