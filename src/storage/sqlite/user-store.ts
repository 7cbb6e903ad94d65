/**
 * SqliteUserRepository: the SSO user entries on node:sqlite (`UserRepository`,
 * src/sso/ports/user-repository.ts).
 *
 * Schema:
 * - `sso_users`: `dn_key` (the DN lower-cased with `String.prototype.toLowerCase`, the same
 *   normalization as the memory adapter; primary key), `dn` (as given), `uid` (UNIQUE, COLLATE
 *   NOCASE as LDAP's uid matching is — SQLite folds ASCII only), `attributes` (JSON, see
 *   {@link StoredAttributes}: dates as epoch milliseconds, certificates as base64 strings,
 *   undefined as null), and the lockout state as real columns `failure_count`, `locked` (0/1),
 *   `lock_timestamp` (epoch ms or NULL).
 * - `sso_user_cert_map(attribute, value, dn_key)`: one row per certificate-mapping value
 *   (`mappingValues`), the value lower-cased, indexed for `findByCertificate`.
 *
 * `recordFailure` is the port's compare-and-set: read the three lockout columns, compute
 * `onPasswordFailure` (the one implementation of the rules, in src/sso/core/lockout.ts), and
 * `UPDATE … WHERE dn_key = ? AND failure_count = ? AND locked = ? AND lock_timestamp IS ?`;
 * zero rows changed means another call (this connection or another one on the same file) won:
 * retry from the read. One UPDATE statement is atomic across connections and processes, and no
 * transaction is held open across the await between read and write.
 *
 * Every statement is prepared with parameters; no value is ever spliced into SQL text.
 */
import type { DatabaseSync } from 'node:sqlite';
import { SsoError } from '../../sso/core/errors.ts';
import type { LockoutPolicy, LockoutState } from '../../sso/core/lockout.ts';
import { lockoutAttributes, onPasswordFailure } from '../../sso/core/lockout.ts';
import type { CertMappingAttribute, SsoAuthType, SsoUser, UserDn } from '../../sso/core/user.ts';
import {
  CERT_MAPPING_ATTRIBUTES,
  SSO_AUTH_TYPES,
  mappingValues,
  userDn,
} from '../../sso/core/user.ts';
import type {
  Page,
  PageRequest,
  RecordedFailure,
  UserChanges,
  UserRepository,
  UserSearch,
  UserSearchResult,
} from '../../sso/ports/user-repository.ts';
import { bySearchOrder, checkSearch, matchesPrefix } from '../../sso/ports/user-repository.ts';
import { atomically } from './database.ts';

/** The `attributes` JSON column: every SsoUser attribute but dn, uid and the lockout three. */
interface StoredAttributes {
  readonly objectClass: readonly string[];
  readonly userPassword: string | null;
  readonly ssoAuthType: string;
  readonly ssoNotBefore: number | null;
  readonly ssoNotAfter: number | null;
  readonly ssoCredentialTTL: number | null;
  readonly ssoRoleName: readonly string[];
  readonly cn: readonly string[];
  readonly sn: readonly string[];
  readonly mail: readonly string[];
  readonly employeeNumber: string | null;
  readonly serialNumber: string | null;
  readonly dnQualifier: string | null;
  /** DER, base64. */
  readonly userCertificate: readonly string[];
}

interface UserRow {
  dn_key: string;
  dn: string;
  uid: string;
  attributes: string;
  failure_count: number;
  locked: number;
  lock_timestamp: number | null;
}

const key = (dn: string): string => dn.toLowerCase();

function notFound(dn: string): SsoError {
  return new SsoError('SSO_USER_NOT_FOUND', `no user ${dn}`);
}

function corrupt(what: string): Error {
  return new Error(`corrupt store: sso_users ${what}`);
}

const ms = (d: Date | undefined): number | null => (d === undefined ? null : d.getTime());
const date = (n: number | null): Date | undefined => (n === null ? undefined : new Date(n));
const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

function encodeAttributes(u: SsoUser): string {
  const a: StoredAttributes = {
    objectClass: u.objectClass,
    userPassword: u.userPassword ?? null,
    ssoAuthType: u.ssoAuthType,
    ssoNotBefore: ms(u.ssoNotBefore),
    ssoNotAfter: ms(u.ssoNotAfter),
    ssoCredentialTTL: u.ssoCredentialTTL ?? null,
    ssoRoleName: u.ssoRoleName,
    cn: u.cn,
    sn: u.sn,
    mail: u.mail,
    employeeNumber: u.employeeNumber ?? null,
    serialNumber: u.serialNumber ?? null,
    dnQualifier: u.dnQualifier ?? null,
    userCertificate: u.userCertificate.map((b) => Buffer.from(b).toString('base64')),
  };
  return JSON.stringify(a);
}

function decodeAttributes(text: string): StoredAttributes {
  const raw = JSON.parse(text) as unknown;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw corrupt('attributes');
  const a = raw as StoredAttributes;
  for (const name of ['objectClass', 'ssoRoleName', 'cn', 'sn', 'mail', 'userCertificate']) {
    const v = (a as unknown as Record<string, unknown>)[name];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw corrupt(name);
  }
  return a;
}

function authType(v: string): SsoAuthType {
  const found = SSO_AUTH_TYPES.find((t) => t === v);
  if (found === undefined) throw corrupt(`ssoAuthType ${v}`);
  return found;
}

function toUser(r: UserRow): SsoUser {
  const a = decodeAttributes(r.attributes);
  return {
    dn: userDn(r.dn),
    objectClass: [...a.objectClass],
    uid: r.uid,
    userPassword: opt(a.userPassword),
    ssoAuthType: authType(a.ssoAuthType),
    ssoNotBefore: date(a.ssoNotBefore),
    ssoNotAfter: date(a.ssoNotAfter),
    ssoCredentialTTL: opt(a.ssoCredentialTTL),
    ssoUserStatus: r.locked === 1 ? 'locked' : 'good',
    ssoFailureCount: r.failure_count,
    ssoLockTimeStamp: date(r.lock_timestamp),
    ssoRoleName: [...a.ssoRoleName],
    cn: [...a.cn],
    sn: [...a.sn],
    mail: [...a.mail],
    employeeNumber: opt(a.employeeNumber),
    serialNumber: opt(a.serialNumber),
    dnQualifier: opt(a.dnQualifier),
    userCertificate: a.userCertificate.map((s) => new Uint8Array(Buffer.from(s, 'base64'))),
  };
}

function stateOf(r: Pick<UserRow, 'failure_count' | 'locked' | 'lock_timestamp'>): LockoutState {
  const locked = r.locked === 1;
  return {
    failureCount: r.failure_count,
    locked,
    lockTimestamp: locked ? date(r.lock_timestamp) : undefined,
  };
}

/** SQLITE_CONSTRAINT_UNIQUE and SQLITE_CONSTRAINT_PRIMARYKEY. */
function isUniqueViolation(e: unknown): boolean {
  if (!(e instanceof Error) || !('errcode' in e)) return false;
  return e.errcode === 2067 || e.errcode === 1555;
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

export class SqliteUserRepository implements UserRepository {
  readonly #db: DatabaseSync;

  /** `db` comes from `openDatabase` (WAL, synchronous FULL, busy_timeout) or the caller. */
  constructor(db: DatabaseSync) {
    this.#db = db;
    db.exec(`
      CREATE TABLE IF NOT EXISTS sso_users (
        dn_key TEXT PRIMARY KEY,
        dn TEXT NOT NULL,
        uid TEXT NOT NULL COLLATE NOCASE UNIQUE,
        attributes TEXT NOT NULL,
        failure_count INTEGER NOT NULL DEFAULT 0 CHECK (failure_count >= 0),
        locked INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
        lock_timestamp INTEGER
      );
      CREATE TABLE IF NOT EXISTS sso_user_cert_map (
        attribute TEXT NOT NULL,
        value TEXT NOT NULL,
        dn_key TEXT NOT NULL REFERENCES sso_users(dn_key) ON DELETE CASCADE,
        PRIMARY KEY (attribute, value, dn_key)
      );
      CREATE INDEX IF NOT EXISTS sso_user_cert_map_dn ON sso_user_cert_map(dn_key);
    `);
  }

  #row(dn: string): UserRow | undefined {
    return this.#db.prepare('SELECT * FROM sso_users WHERE dn_key = ?').get(key(dn)) as
      UserRow | undefined;
  }

  #writeCertMap(user: SsoUser): void {
    const k = key(user.dn);
    this.#db.prepare('DELETE FROM sso_user_cert_map WHERE dn_key = ?').run(k);
    const insert = this.#db.prepare(
      'INSERT OR IGNORE INTO sso_user_cert_map (attribute, value, dn_key) VALUES (?, ?, ?)',
    );
    for (const attribute of CERT_MAPPING_ATTRIBUTES) {
      for (const v of mappingValues(user, attribute)) insert.run(attribute, v.toLowerCase(), k);
    }
  }

  findByUid(uid: string): Promise<SsoUser | undefined> {
    try {
      // The first comparison uses the NOCASE unique index; the second makes the match exact.
      const rows = this.#db
        .prepare('SELECT * FROM sso_users WHERE uid = ?1 AND uid = ?1 COLLATE BINARY LIMIT 2')
        .all(uid) as unknown as UserRow[];
      const [only] = rows;
      return Promise.resolve(rows.length === 1 && only !== undefined ? toUser(only) : undefined);
    } catch (e) {
      return Promise.reject(asError(e));
    }
  }

  findByDn(dn: UserDn): Promise<SsoUser | undefined> {
    try {
      const r = this.#row(dn);
      return Promise.resolve(r === undefined ? undefined : toUser(r));
    } catch (e) {
      return Promise.reject(asError(e));
    }
  }

  findByCertificate(attribute: CertMappingAttribute, value: string): Promise<readonly SsoUser[]> {
    try {
      const rows = this.#db
        .prepare(
          `SELECT * FROM sso_users WHERE dn_key IN
             (SELECT dn_key FROM sso_user_cert_map WHERE attribute = ? AND value = ?)
           ORDER BY dn_key`,
        )
        .all(attribute, value.toLowerCase()) as unknown as UserRow[];
      return Promise.resolve(rows.map(toUser));
    } catch (e) {
      return Promise.reject(asError(e));
    }
  }

  add(user: SsoUser): Promise<void> {
    try {
      atomically(this.#db, () => {
        try {
          this.#db
            .prepare(
              `INSERT INTO sso_users (dn_key, dn, uid, attributes, failure_count, locked, lock_timestamp)
               VALUES (?, ?, ?, ?, ?, ?, ?)`,
            )
            .run(
              key(user.dn),
              user.dn,
              user.uid,
              encodeAttributes(user),
              user.ssoFailureCount,
              user.ssoUserStatus === 'locked' ? 1 : 0,
              ms(user.ssoLockTimeStamp),
            );
        } catch (e) {
          if (isUniqueViolation(e)) {
            throw new SsoError('SSO_USER_EXISTS', `DN or uid exists: ${user.dn} (${user.uid})`, {
              cause: e,
            });
          }
          throw e;
        }
        this.#writeCertMap(user);
      });
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(asError(e));
    }
  }

  modify(dn: UserDn, changes: UserChanges): Promise<SsoUser> {
    try {
      const after = atomically(this.#db, () => {
        const r = this.#row(dn);
        if (r === undefined) throw notFound(dn);
        const before = toUser(r);
        // The lockout attributes change only through the lockout methods, even if a caller
        // slips them in at run time.
        const next: SsoUser = {
          ...before,
          ...changes,
          dn: before.dn,
          ssoFailureCount: before.ssoFailureCount,
          ssoUserStatus: before.ssoUserStatus,
          ssoLockTimeStamp: before.ssoLockTimeStamp,
        };
        try {
          this.#db
            .prepare('UPDATE sso_users SET uid = ?, attributes = ? WHERE dn_key = ?')
            .run(next.uid, encodeAttributes(next), r.dn_key);
        } catch (e) {
          if (isUniqueViolation(e)) {
            throw new SsoError('SSO_USER_EXISTS', `uid exists: ${next.uid}`, { cause: e });
          }
          throw e;
        }
        this.#writeCertMap(next);
        return next;
      });
      return Promise.resolve(after);
    } catch (e) {
      return Promise.reject(asError(e));
    }
  }

  delete(dn: UserDn): Promise<void> {
    try {
      atomically(this.#db, () => {
        const k = key(dn);
        // Explicitly, in case the connection runs without PRAGMA foreign_keys.
        this.#db.prepare('DELETE FROM sso_user_cert_map WHERE dn_key = ?').run(k);
        const { changes } = this.#db.prepare('DELETE FROM sso_users WHERE dn_key = ?').run(k);
        if (changes === 0) throw notFound(dn);
      });
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(asError(e));
    }
  }

  async recordFailure(dn: UserDn, policy: LockoutPolicy, now: Date): Promise<RecordedFailure> {
    const k = key(dn);
    const read = this.#db.prepare(
      'SELECT failure_count, locked, lock_timestamp FROM sso_users WHERE dn_key = ?',
    );
    const write = this.#db.prepare(
      `UPDATE sso_users SET failure_count = ?, locked = ?, lock_timestamp = ?
       WHERE dn_key = ? AND failure_count = ? AND locked = ? AND lock_timestamp IS ?`,
    );
    for (;;) {
      const r = read.get(k) as
        Pick<UserRow, 'failure_count' | 'locked' | 'lock_timestamp'> | undefined;
      if (r === undefined) throw notFound(dn);
      const previous = stateOf(r);
      const transition = onPasswordFailure(previous, policy, now);
      // A locked user: nothing to write; the (atomic) read is the linearization point.
      if (transition.event === 'already_locked') return { ...transition, previous };
      // Let other calls run between the read and the write, as another process would.
      await Promise.resolve();
      const s = lockoutAttributes(transition.state);
      const { changes } = write.run(
        s.ssoFailureCount,
        s.ssoUserStatus === 'locked' ? 1 : 0,
        ms(s.ssoLockTimeStamp),
        k,
        r.failure_count,
        r.locked,
        r.lock_timestamp,
      );
      if (changes === 1) return { ...transition, previous };
      // Lost the race (or the user is gone: the next read says so): retry from the read.
    }
  }

  resetFailures(dn: UserDn): Promise<LockoutState> {
    return this.unlock(dn);
  }

  unlock(dn: UserDn): Promise<LockoutState> {
    try {
      // release()/onSuccess(): count 0, status good, lock time removed — as a compare-and-set
      // on the state read, so that the caller learns, atomically even across processes,
      // which state it replaced.
      const k = key(dn);
      const read = this.#db.prepare(
        'SELECT failure_count, locked, lock_timestamp FROM sso_users WHERE dn_key = ?',
      );
      const write = this.#db.prepare(
        `UPDATE sso_users SET failure_count = 0, locked = 0, lock_timestamp = NULL
         WHERE dn_key = ? AND failure_count = ? AND locked = ? AND lock_timestamp IS ?`,
      );
      for (;;) {
        const r = read.get(k) as
          Pick<UserRow, 'failure_count' | 'locked' | 'lock_timestamp'> | undefined;
        if (r === undefined) throw notFound(dn);
        const { changes } = write.run(k, r.failure_count, r.locked, r.lock_timestamp);
        if (changes === 1) return Promise.resolve(stateOf(r));
      }
    } catch (e) {
      return Promise.reject(asError(e));
    }
  }

  listUsers(page: PageRequest): Promise<Page<SsoUser>> {
    if (!Number.isSafeInteger(page.limit) || page.limit < 1 || page.limit > 1000) {
      return Promise.reject(new RangeError(`limit must be 1–1000: ${page.limit}`));
    }
    try {
      const rows = (page.cursor === undefined
        ? this.#db.prepare('SELECT * FROM sso_users ORDER BY dn_key LIMIT ?').all(page.limit + 1)
        : this.#db
            .prepare('SELECT * FROM sso_users WHERE dn_key > ? ORDER BY dn_key LIMIT ?')
            .all(page.cursor, page.limit + 1)) as unknown as UserRow[];
      const slice = rows.slice(0, page.limit);
      const last = slice.at(-1);
      const nextCursor = rows.length > page.limit && last !== undefined ? last.dn_key : undefined;
      return Promise.resolve({ items: slice.map(toUser), nextCursor });
    } catch (e) {
      return Promise.reject(asError(e));
    }
  }

  /**
   * Walks the users in user-ID order (common names live in the attribute document, not in a
   * column) and stops after `limit` + 1 matches: the embedded store is one node's, small.
   */
  searchUsers(search: UserSearch): Promise<UserSearchResult> {
    try {
      checkSearch(search);
      const p = search.prefix.toLowerCase();
      const found: SsoUser[] = [];
      const rows = this.#db
        .prepare('SELECT * FROM sso_users ORDER BY lower(uid), uid, dn_key')
        .iterate() as Iterable<unknown>;
      for (const row of rows) {
        const u = toUser(row as UserRow);
        if (!matchesPrefix(u, p)) continue;
        found.push(u);
        if (found.length > search.limit) break;
      }
      found.sort(bySearchOrder);
      return Promise.resolve({
        items: found.slice(0, search.limit),
        truncated: found.length > search.limit,
      });
    } catch (e) {
      return Promise.reject(e instanceof RangeError ? e : asError(e));
    }
  }
}
