/**
 * The port through which session management keeps its sessions (src/sso/core/session.ts).
 * Adapters: memory (./memory-session-store.ts), sqlite (src/storage/sqlite/session-store.ts) and
 * Redis/Valkey for several nodes (src/storage/redis/session-store.ts, DESIGN.md "Storage"), all
 * run by the contract suite tests/sso/core/session-store-contract.ts.
 *
 * Invariants every adapter keeps, whatever the interleaving of calls (on one connection, or on
 * several connections to one database):
 * - at most one `active` session per user ID (one sign-on per user ID, J-SES): `create` and
 *   `activate` refuse or replace, never add a second one;
 * - removals are atomic hand-overs: of concurrent `delete`s of one session exactly one resolves
 *   the session, the others `undefined`; likewise for `deleteByUid` and `activate`, so that the
 *   caller that receives a session is the one that logs its end.
 */
import type { Session, SessionId, SessionState } from '../core/session.ts';
import type { Page, PageRequest } from './user-repository.ts';

export type { Page, PageRequest };

/** The result of {@link SessionStore.activate}. */
export interface ActivatedSession {
  /** The session, now `active` and last used at the activation. */
  readonly session: Session;
  /** The sessions of the same user ID that were `active` before and are now deleted. */
  readonly replaced: readonly Session[];
}

export interface SessionStore {
  /**
   * Stores a new session; RangeError for U+0000 in a text field ({@link checkSessionText}).
   * Resolves false, storing nothing, when `s` is `active` and its user ID
   * already has an `active` session (whether still valid or not: the caller removes stale ones
   * first). A `pending_forced` session is always stored. An identifier already present is a
   * programming error (identifiers are 256 random bits) and rejects.
   */
  create(s: Session): Promise<boolean>;

  /** The session with this identifier, or undefined. */
  get(id: SessionId): Promise<Session | undefined>;

  /** The sessions of a user ID (exact, case-sensitive), oldest first (`createdAt`, then `id`). */
  byUid(uid: string): Promise<readonly Session[]>;

  /**
   * Records a use: `lastUsedAt` = `now` unless it is already later (never moves back). Resolves
   * whether the session existed.
   */
  touch(id: SessionId, now: Date): Promise<boolean>;

  /**
   * Forced sign-on, atomically: if `id` is `pending_forced`, delete every `active` session of its
   * user ID and make it `active` with `lastUsedAt` = `now`. Resolves what was done, or undefined
   * when `id` is absent or not pending — so of concurrent activations of one pending session
   * exactly one succeeds.
   */
  activate(id: SessionId, now: Date): Promise<ActivatedSession | undefined>;

  /**
   * Removes a session — only if it is in `state`, when given; resolves what it removed
   * (undefined when it was not there, or in another state). Atomic: of concurrent deletes of one
   * session exactly one resolves it.
   */
  delete(id: SessionId, state?: SessionState): Promise<Session | undefined>;

  /** Removes every session of a user ID; resolves what it removed, oldest first. Atomic. */
  deleteByUid(uid: string): Promise<readonly Session[]>;

  /**
   * Every session, oldest first (`createdAt`, then `id`), a page at a time (`limit` 1–1000,
   * RangeError otherwise; a cursor this store did not return is a RangeError too).
   */
  list(page: PageRequest): Promise<Page<Session>>;
}

/** The order of {@link SessionStore.byUid} and {@link SessionStore.list}. */
export function compareSessions(a: Session, b: Session): number {
  const d = a.createdAt.getTime() - b.createdAt.getTime();
  return d !== 0 ? d : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The list cursor after `s`: `<createdAt ms>.<id>`. */
export function sessionCursor(s: Session): string {
  return `${s.createdAt.getTime()}.${s.id}`;
}

const CURSOR = /^(\d{1,16})\.([A-Za-z0-9_-]{43})$/;

/** The position a cursor names; RangeError when it is not one of {@link sessionCursor}'s. */
export function parseSessionCursor(cursor: string): { createdAt: number; id: string } {
  const m = CURSOR.exec(cursor);
  const createdAt = Number(m?.[1]);
  if (m === null || !Number.isSafeInteger(createdAt)) {
    throw new RangeError('not a session list cursor');
  }
  return { createdAt, id: m[2]! };
}

/**
 * RangeError when a text field of `s` (`uid`, `dn`, `client`) contains U+0000: SQLite hands text
 * back cut at the first NUL, so such a session could not be read back as stored. Every adapter
 * refuses it, so that all behave alike.
 */
export function checkSessionText(s: Session): void {
  for (const [name, v] of [
    ['uid', s.uid],
    ['dn', s.dn],
    ['client', s.client ?? ''],
  ] as const) {
    if (v.includes('\u0000')) throw new RangeError(`session ${name} contains U+0000`);
  }
}

/** RangeError unless `limit` is an integer 1–1000. */
export function checkPageLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) {
    throw new RangeError(`limit must be 1–1000: ${limit}`);
  }
}
