/**
 * SqliteAccessControlRepository: the SSO access-control entries (roles, role sets, sites,
 * resources, containers) on node:sqlite (`AccessControlRepository`,
 * src/sso/ports/access-control-repository.ts).
 *
 * Schema, one table `sso_entries`:
 * - `dn_key` (`dnKey(dn)`: lower case, padding and escapes normalized; primary key), `dn` (as
 *   given), `kind` (`ACCESS_ENTRY_KINDS`), `attributes` (JSON: `[name, values[]]` pairs as
 *   `accessEntryAttributes` writes them; read back through `parseAccessEntry`, so a stored row
 *   obeys the same rules as an imported one);
 * - `parent_key` (`dnKey` of the parent DN, NULL for a one-RDN DN; indexed for the children
 *   check and `resourcesOf`) and `unique_name` (`uniqueNameOf`: `role:<name>` for roles and
 *   role sets, `site:<host>:<port>` for sites; UNIQUE where not NULL), both derived.
 *
 * Each write reads and writes inside one transaction (BEGIN IMMEDIATE, or a savepoint inside
 * the caller's transaction). Every statement is prepared with parameters.
 */
import type { DatabaseSync, SQLOutputValue } from 'node:sqlite';
import type {
  AccessEntry,
  AccessEntryKind,
  AccessEntryOf,
  SsoResource,
  SsoSite,
} from '../../sso/core/access-control.ts';
import {
  ACCESS_ENTRY_KINDS,
  accessEntryAttributes,
  dnKey,
  parentDn,
  parentProblem,
  parseAccessEntry,
  uniqueNameOf,
} from '../../sso/core/access-control.ts';
import { SsoError } from '../../sso/core/errors.ts';
import type { AccessControlRepository } from '../../sso/ports/access-control-repository.ts';
import { atomically } from './database.ts';

type Row = Record<string, SQLOutputValue>;

function corrupt(what: string, cause?: unknown): Error {
  return new Error(`corrupt store: sso_entries ${what}`, cause === undefined ? {} : { cause });
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/** SQLITE_CONSTRAINT_UNIQUE and SQLITE_CONSTRAINT_PRIMARYKEY. */
function isUniqueViolation(e: unknown): boolean {
  if (!(e instanceof Error) || !('errcode' in e)) return false;
  return e.errcode === 2067 || e.errcode === 1555;
}

function isKind(v: SQLOutputValue | undefined): v is AccessEntryKind {
  return ACCESS_ENTRY_KINDS.some((k) => k === v);
}

function decodeAttributes(text: string): Map<string, string[]> {
  const raw: unknown = JSON.parse(text);
  if (!Array.isArray(raw)) throw corrupt('attributes');
  const out = new Map<string, string[]>();
  for (const pair of raw as unknown[]) {
    if (!Array.isArray(pair) || pair.length !== 2) throw corrupt('attributes');
    const items: readonly unknown[] = pair;
    const [name, values] = items;
    if (typeof name !== 'string' || !Array.isArray(values)) throw corrupt('attributes');
    const texts: string[] = [];
    for (const v of values as unknown[]) {
      if (typeof v !== 'string') throw corrupt(`attribute ${name}`);
      texts.push(v);
    }
    out.set(name, texts);
  }
  return out;
}

function toEntry(r: Row): AccessEntry {
  const dn = r['dn'];
  const kind = r['kind'];
  const attributes = r['attributes'];
  if (typeof dn !== 'string' || typeof attributes !== 'string' || !isKind(kind)) {
    throw corrupt('row');
  }
  let e: AccessEntry;
  try {
    e = parseAccessEntry({ dn, attributes: decodeAttributes(attributes) });
  } catch (cause) {
    throw corrupt(`entry ${dn}`, cause);
  }
  if (e.kind !== kind) throw corrupt(`kind of ${dn}`);
  return e;
}

const encodeAttributes = (e: AccessEntry): string => JSON.stringify([...accessEntryAttributes(e)]);

const parentKey = (dn: string): string | null => {
  const p = parentDn(dn);
  return p === undefined ? null : dnKey(p);
};

/** `dn_key` order in UTF-16 code units, as the memory adapter sorts (SQLite sorts UTF-8 bytes). */
function sortByKey<T extends AccessEntry>(entries: T[]): T[] {
  const keyed = entries.map((e) => [dnKey(e.dn), e] as const);
  keyed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return keyed.map(([, e]) => e);
}

function isEntryOf<K extends AccessEntryKind>(kind: K) {
  return (e: AccessEntry): e is AccessEntryOf<K> => e.kind === kind;
}

export class SqliteAccessControlRepository implements AccessControlRepository {
  readonly #db: DatabaseSync;

  /** `db` comes from `openDatabase` (WAL, synchronous FULL, busy_timeout) or the caller. */
  constructor(db: DatabaseSync) {
    this.#db = db;
    db.exec(`
      CREATE TABLE IF NOT EXISTS sso_entries (
        dn_key TEXT PRIMARY KEY,
        dn TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('container', 'site', 'role', 'roleSet', 'resource')),
        parent_key TEXT,
        unique_name TEXT,
        attributes TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS sso_entries_parent ON sso_entries(parent_key);
      CREATE UNIQUE INDEX IF NOT EXISTS sso_entries_unique_name
        ON sso_entries(unique_name) WHERE unique_name IS NOT NULL;
    `);
  }

  /** Runs `fn` atomically ({@link atomically}) as the port's promise. */
  #atomic(fn: () => void): Promise<void> {
    try {
      atomically(this.#db, fn);
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(asError(e));
    }
  }

  #row(key: string): Row | undefined {
    return this.#db
      .prepare('SELECT dn, kind, attributes FROM sso_entries WHERE dn_key = ?')
      .get(key);
  }

  /** `SSO_ENTRY_EXISTS` naming the holder when another entry than `key` holds the name. */
  #checkName(entry: AccessEntry, key: string): void {
    const name = uniqueNameOf(entry);
    if (name === undefined) return;
    const holder = this.#db
      .prepare('SELECT dn FROM sso_entries WHERE unique_name = ? AND dn_key <> ?')
      .get(name, key);
    if (holder !== undefined) {
      const by = typeof holder['dn'] === 'string' ? holder['dn'] : '?';
      throw new SsoError('SSO_ENTRY_EXISTS', `${name.replace(/^[a-z]+:/, '')} is taken by ${by}`);
    }
  }

  #all(sql: string, ...params: string[]): AccessEntry[] {
    return sortByKey(
      this.#db
        .prepare(sql)
        .all(...params)
        .map(toEntry),
    );
  }

  find(dn: string): Promise<AccessEntry | undefined> {
    try {
      const r = this.#row(dnKey(dn));
      return Promise.resolve(r === undefined ? undefined : toEntry(r));
    } catch (e) {
      return Promise.reject(asError(e));
    }
  }

  add(entry: AccessEntry): Promise<void> {
    return this.#atomic(() => {
      const key = dnKey(entry.dn);
      if (this.#row(key) !== undefined) {
        throw new SsoError('SSO_ENTRY_EXISTS', `DN exists: ${entry.dn}`);
      }
      this.#checkName(entry, key);
      const pk = parentKey(entry.dn);
      const pr = pk === null ? undefined : this.#row(pk);
      const problem = parentProblem(entry, pr === undefined ? undefined : toEntry(pr));
      if (problem !== undefined) {
        throw new SsoError('SSO_ENTRY_PARENT_INVALID', `${entry.dn}: ${problem}`);
      }
      try {
        this.#db
          .prepare(
            `INSERT INTO sso_entries (dn_key, dn, kind, parent_key, unique_name, attributes)
             VALUES (?, ?, ?, ?, ?, ?)`,
          )
          .run(key, entry.dn, entry.kind, pk, uniqueNameOf(entry) ?? null, encodeAttributes(entry));
      } catch (e) {
        // Only a concurrent writer can get here (the checks above ran in this transaction).
        if (isUniqueViolation(e)) {
          throw new SsoError('SSO_ENTRY_EXISTS', `DN or name exists: ${entry.dn}`, { cause: e });
        }
        throw e;
      }
    });
  }

  replace(entry: AccessEntry): Promise<void> {
    return this.#atomic(() => {
      const key = dnKey(entry.dn);
      const r = this.#row(key);
      if (r === undefined) throw new SsoError('SSO_ENTRY_NOT_FOUND', `no entry ${entry.dn}`);
      if (r['kind'] !== entry.kind) {
        throw new SsoError(
          'SSO_ATTRIBUTE_INVALID',
          `objectClass: ${entry.dn} is a ${String(r['kind'])}; its kind cannot change`,
          { attribute: 'objectClass' },
        );
      }
      this.#checkName(entry, key);
      this.#db
        .prepare('UPDATE sso_entries SET dn = ?, unique_name = ?, attributes = ? WHERE dn_key = ?')
        .run(entry.dn, uniqueNameOf(entry) ?? null, encodeAttributes(entry), key);
    });
  }

  delete(dn: string): Promise<void> {
    return this.#atomic(() => {
      const key = dnKey(dn);
      if (this.#row(key) === undefined) throw new SsoError('SSO_ENTRY_NOT_FOUND', `no entry ${dn}`);
      const child = this.#db
        .prepare('SELECT dn FROM sso_entries WHERE parent_key = ? LIMIT 1')
        .get(key);
      if (child !== undefined) {
        const below = typeof child['dn'] === 'string' ? child['dn'] : '?';
        throw new SsoError('SSO_ENTRY_HAS_CHILDREN', `${dn} has entries below it (${below})`);
      }
      this.#db.prepare('DELETE FROM sso_entries WHERE dn_key = ?').run(key);
    });
  }

  list(): Promise<readonly AccessEntry[]>;
  list<K extends AccessEntryKind>(kind: K): Promise<readonly AccessEntryOf<K>[]>;
  list(kind?: AccessEntryKind): Promise<readonly AccessEntry[]> {
    try {
      return Promise.resolve(
        kind === undefined
          ? this.#all('SELECT dn, kind, attributes FROM sso_entries')
          : this.#all('SELECT dn, kind, attributes FROM sso_entries WHERE kind = ?', kind),
      );
    } catch (e) {
      return Promise.reject(asError(e));
    }
  }

  sites(): Promise<readonly SsoSite[]> {
    try {
      const rows = this.#all("SELECT dn, kind, attributes FROM sso_entries WHERE kind = 'site'");
      return Promise.resolve(rows.filter(isEntryOf('site')));
    } catch (e) {
      return Promise.reject(asError(e));
    }
  }

  resourcesOf(siteDn: string): Promise<readonly SsoResource[]> {
    try {
      const rows = this.#all(
        "SELECT dn, kind, attributes FROM sso_entries WHERE parent_key = ? AND kind = 'resource'",
        dnKey(siteDn),
      );
      return Promise.resolve(rows.filter(isEntryOf('resource')));
    } catch (e) {
      return Promise.reject(asError(e));
    }
  }
}
