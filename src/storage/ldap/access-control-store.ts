/**
 * LdapAccessControlRepository: roles, role sets, sites, resources and their containers as the
 * directory entries they are in an Interstage-style SSO repository (`ssoRole`, `ssoRoleSet`,
 * `domain` + `ssoSite`, `ssoResource`, `organizationalUnit`/`organization`/`domain`/`dcObject`)
 * at or under `base`, through a {@link LdapPool} (`AccessControlRepository`,
 * src/sso/ports/access-control-repository.ts). An operator can load and read them with the
 * usual LDAP tools; entries of other classes under the base are not access-control entries and
 * are left alone.
 *
 * Where the port and LDAP differ, the port wins:
 * - **An absent parent is allowed** by the port (the top of a tree, or a container kept
 *   elsewhere), while a directory entry needs its parent. The repository then creates the
 *   missing ancestors (at or under the base) as placeholders — `ssoPlaceholder` +
 *   `extensibleObject` with the naming attribute only — which no read returns. Adding an entry
 *   at a placeholder's DN turns the placeholder into it, in one modify with the Relax Rules
 *   control (draft-zeilenga-ldap-relax; the structural class changes), which OpenLDAP allows to
 *   a service account with `manage` access on the base. Deleting the last entry below a
 *   placeholder deletes the placeholder too.
 * - **Unique names** (role and role-set names, case-insensitively; site host and port) are
 *   checked by a search before the write. Two nodes adding the same name at the same instant
 *   can both succeed; `slapo-unique` on `cn` of ssoRole/ssoRoleSet closes that (docs/ldap.md).
 * - **A changed DN spelling** in `replace` renames the entry's first RDN (modify DN); the
 *   spelling of the parents is theirs.
 *
 * Reads parse every entry with `parseAccessEntry`, so an entry obeys the same rules as an
 * imported one; `list`, `sites` and `resourcesOf` leave out entries that do not parse (an
 * operator's foreign entry under the base), `find` reports them.
 */
import {
  AlreadyExistsError,
  AndFilter,
  Attribute,
  Change,
  Control,
  EqualityFilter,
  InvalidDNSyntaxError,
  NoSuchObjectError,
  NotAllowedOnNonLeafError,
  NotFilter,
  OrFilter,
  PresenceFilter,
  type Client,
  type Entry,
  type Filter,
} from 'ldapts';
import type {
  AccessEntry,
  AccessEntryKind,
  AccessEntryOf,
  SsoResource,
  SsoSite,
} from '../../sso/core/access-control.ts';
import {
  accessEntryAttributes,
  dnKey,
  parentDn,
  parentProblem,
  parseAccessEntry,
  uniqueNameOf,
} from '../../sso/core/access-control.ts';
import { SsoError } from '../../sso/core/errors.ts';
import type { AccessControlRepository } from '../../sso/ports/access-control-repository.ts';
import type { LdapPool } from './connection.ts';
import { firstRdn, isAtOrUnder } from './dn.ts';
import { toUserEntry } from './user-store.ts';

/** The Relax Rules control (OpenLDAP: 1.3.6.1.4.1.4203.666.5.12). */
export const RELAX_RULES_OID = '1.3.6.1.4.1.4203.666.5.12';
/** The object class of a placeholder for an absent parent. */
export const PLACEHOLDER_CLASS = 'ssoPlaceholder';

const ACCESS_CLASSES = [
  'ssoRole',
  'ssoRoleSet',
  'ssoSite',
  'ssoResource',
  'organizationalUnit',
  'organization',
  'domain',
  'dcObject',
] as const;

const oc = (value: string): EqualityFilter =>
  new EqualityFilter({ attribute: 'objectClass', value });

/** Entries that are access-control entries (not placeholders). */
const ACCESS_FILTER: Filter = new AndFilter({
  filters: [
    new OrFilter({ filters: ACCESS_CLASSES.map(oc) }),
    new NotFilter({ filter: oc(PLACEHOLDER_CLASS) }),
  ],
});

const ANY: Filter = new PresenceFilter({ attribute: 'objectClass' });

const isPlaceholder = (e: Entry): boolean =>
  classesOf(e).some((c) => c.toLowerCase() === PLACEHOLDER_CLASS.toLowerCase());

function classesOf(e: Entry): string[] {
  for (const [k, v] of Object.entries(e)) {
    if (k.toLowerCase() === 'objectclass') return (Array.isArray(v) ? v : [v]).map(String);
  }
  return [];
}

function sortByKey<T extends AccessEntry>(entries: T[]): T[] {
  const keyed = entries.map((e) => [dnKey(e.dn), e] as const);
  keyed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return keyed.map(([, e]) => e);
}

function isEntryOf<K extends AccessEntryKind>(kind: K) {
  return (e: AccessEntry): e is AccessEntryOf<K> => e.kind === kind;
}

const notFound = (dn: string): SsoError => new SsoError('SSO_ENTRY_NOT_FOUND', `no entry ${dn}`);

function toLdapAttributes(attrs: Map<string, string[]>): Attribute[] {
  return [...attrs].map(([type, values]) => new Attribute({ type, values }));
}

function relax(): Control {
  return new Control(RELAX_RULES_OID, { critical: true });
}

export interface LdapAccessControlRepositoryOptions {
  readonly pool: LdapPool;
  /** DN at or under which the access-control entries live. */
  readonly base: string;
}

export class LdapAccessControlRepository implements AccessControlRepository {
  readonly #pool: LdapPool;
  readonly #base: string;

  constructor(options: LdapAccessControlRepositoryOptions) {
    this.#pool = options.pool;
    this.#base = options.base;
  }

  #search(
    client: Client,
    base: string,
    scope: 'base' | 'one' | 'sub',
    filter: Filter,
    attributes: string[] = ['*'],
  ): Promise<Entry[]> {
    return client
      .search(base, {
        scope,
        filter,
        attributes,
        ...(scope === 'base' ? {} : { paged: { pageSize: 500 } }),
      })
      .then(
        (r) => r.searchEntries,
        (e: unknown) => {
          if (e instanceof NoSuchObjectError || e instanceof InvalidDNSyntaxError) return [];
          throw e;
        },
      );
  }

  /** The raw entry at `dn` (placeholder or not), or undefined. */
  async #raw(client: Client, dn: string): Promise<Entry | undefined> {
    if (!isAtOrUnder(dn, this.#base)) return undefined;
    const [e] = await this.#search(client, dn, 'base', ANY, ['*']);
    return e;
  }

  /** The entry at `dn` when it is an access-control entry; throws when it does not parse. */
  async #find(client: Client, dn: string): Promise<AccessEntry | undefined> {
    if (!isAtOrUnder(dn, this.#base)) return undefined;
    const [e] = await this.#search(client, dn, 'base', ACCESS_FILTER);
    return e === undefined ? undefined : parseAccessEntry(toUserEntry(e));
  }

  /** Every parseable access-control entry under `base` at `scope` matching `filter`. */
  async #all(
    client: Client,
    base: string,
    scope: 'one' | 'sub',
    filter: Filter,
  ): Promise<AccessEntry[]> {
    const out: AccessEntry[] = [];
    for (const e of await this.#search(client, base, scope, filter)) {
      try {
        out.push(parseAccessEntry(toUserEntry(e)));
      } catch {
        // A foreign entry under the base: not an access-control entry (module comment).
      }
    }
    return sortByKey(out);
  }

  /** `SSO_ENTRY_EXISTS` naming the holder when another entry holds `entry`'s unique name. */
  async #checkName(client: Client, entry: AccessEntry): Promise<void> {
    const name = uniqueNameOf(entry);
    if (name === undefined) return;
    let filter: Filter;
    if (entry.kind === 'role' || entry.kind === 'roleSet') {
      filter = new AndFilter({
        filters: [
          new OrFilter({ filters: [oc('ssoRole'), oc('ssoRoleSet')] }),
          new EqualityFilter({ attribute: 'cn', value: entry.cn }),
        ],
      });
    } else if (entry.kind === 'site') {
      filter = new AndFilter({
        filters: [oc('ssoSite'), new EqualityFilter({ attribute: 'dc', value: entry.dc })],
      });
    } else {
      return;
    }
    const key = dnKey(entry.dn);
    const holder = (await this.#all(client, this.#base, 'sub', filter)).find(
      (e) => uniqueNameOf(e) === name && dnKey(e.dn) !== key,
    );
    if (holder !== undefined) {
      throw new SsoError(
        'SSO_ENTRY_EXISTS',
        `${name.replace(/^[a-z]+:/, '')} is taken by ${holder.dn}`,
      );
    }
  }

  find(dn: string): Promise<AccessEntry | undefined> {
    return this.#pool.run('read access-control entry', (c) => this.#find(c, dn));
  }

  add(entry: AccessEntry): Promise<void> {
    const key = dnKey(entry.dn);
    if (!isAtOrUnder(entry.dn, this.#base)) {
      return Promise.reject(
        new SsoError('SSO_ATTRIBUTE_INVALID', `dn: ${entry.dn} is not under ${this.#base}`, {
          attribute: 'dn',
        }),
      );
    }
    return this.#pool.run('add access-control entry', async (c) => {
      const existing = await this.#raw(c, entry.dn);
      if (existing !== undefined && !isPlaceholder(existing)) {
        throw new SsoError('SSO_ENTRY_EXISTS', `DN exists: ${entry.dn}`);
      }
      await this.#checkName(c, entry);
      const parent = parentDn(entry.dn);
      const parentEntry = parent === undefined ? undefined : await this.#find(c, parent);
      const problem = parentProblem(entry, parentEntry);
      if (problem !== undefined) {
        throw new SsoError('SSO_ENTRY_PARENT_INVALID', `${entry.dn}: ${problem}`);
      }
      const attrs = accessEntryAttributes(entry);
      if (existing !== undefined) {
        // Turn the placeholder into the entry (its structural class changes: Relax Rules).
        const changes = [...attrs].map(
          ([type, values]) =>
            new Change({ operation: 'replace', modification: new Attribute({ type, values }) }),
        );
        await c.modify(existing.dn, changes, relax());
        return;
      }
      await this.#ensureAncestors(c, entry.dn);
      try {
        await c.add(entry.dn, toLdapAttributes(attrs));
      } catch (e) {
        if (e instanceof AlreadyExistsError) {
          throw new SsoError('SSO_ENTRY_EXISTS', `DN exists: ${entry.dn} (${key})`, { cause: e });
        }
        throw e;
      }
    });
  }

  /** Adds placeholders for the absent ancestors of `dn` at or under the base, top down. */
  async #ensureAncestors(c: Client, dn: string): Promise<void> {
    const missing: string[] = [];
    for (let p = parentDn(dn); p !== undefined && isAtOrUnder(p, this.#base); p = parentDn(p)) {
      if ((await this.#raw(c, p)) !== undefined) break;
      missing.unshift(p);
    }
    for (const p of missing) {
      const { avas } = firstRdn(p);
      const attrs = new Map<string, string[]>([
        ['objectClass', [PLACEHOLDER_CLASS, 'extensibleObject']],
      ]);
      for (const a of avas) attrs.set(a.type, [...(attrs.get(a.type) ?? []), a.value]);
      try {
        await c.add(p, toLdapAttributes(attrs));
      } catch (e) {
        if (!(e instanceof AlreadyExistsError)) throw e; // another writer made it meanwhile
      }
    }
  }

  replace(entry: AccessEntry): Promise<void> {
    return this.#pool.run('replace access-control entry', async (c) => {
      const raw = await this.#raw(c, entry.dn);
      if (raw === undefined || isPlaceholder(raw)) throw notFound(entry.dn);
      const current = await this.#find(c, entry.dn);
      if (current === undefined) throw notFound(entry.dn);
      if (current.kind !== entry.kind) {
        throw new SsoError(
          'SSO_ATTRIBUTE_INVALID',
          `objectClass: ${entry.dn} is a ${current.kind}; its kind cannot change`,
          { attribute: 'objectClass' },
        );
      }
      await this.#checkName(c, entry);
      const next = accessEntryAttributes(entry);
      const nextNames = new Set([...next.keys()].map((k) => k.toLowerCase()));
      const changes: Change[] = [];
      let classesChange = false;
      for (const [name, values] of Object.entries(raw)) {
        // (ldapts lists the requested `*` with no values.)
        if (name === 'dn' || values.length === 0 || nextNames.has(name.toLowerCase())) continue;
        changes.push(
          new Change({
            operation: 'delete',
            modification: new Attribute({ type: name, values: [] }),
          }),
        );
      }
      for (const [type, values] of next) {
        if (type.toLowerCase() === 'objectclass') {
          const had = new Set(classesOf(raw).map((x) => x.toLowerCase()));
          const has = new Set(values.map((x) => x.toLowerCase()));
          classesChange = had.size !== has.size || [...has].some((x) => !had.has(x));
        }
        changes.push(
          new Change({ operation: 'replace', modification: new Attribute({ type, values }) }),
        );
      }
      // A new spelling of the first RDN (same DN by dnKey): rename first, then modify.
      let dn = raw.dn;
      const newRdn = firstRdn(entry.dn).text;
      if (firstRdn(raw.dn).text !== newRdn) {
        const parent = parentDn(raw.dn);
        dn = parent === undefined ? newRdn : `${newRdn},${parent}`;
        await c.modifyDN(raw.dn, dn);
      }
      await c.modify(dn, changes, classesChange ? relax() : undefined);
    });
  }

  delete(dn: string): Promise<void> {
    return this.#pool.run('delete access-control entry', async (c) => {
      const raw = await this.#raw(c, dn);
      if (raw === undefined || isPlaceholder(raw)) throw notFound(dn);
      const below = await this.#search(c, raw.dn, 'one', ANY, ['1.1']);
      if (below.length > 0) {
        // Name a real entry below (a placeholder always has one).
        const [real] = await this.#search(c, raw.dn, 'sub', ACCESS_FILTER, ['1.1']);
        const shown = [real, ...below].find(
          (e) => e !== undefined && dnKey(e.dn) !== dnKey(raw.dn),
        );
        throw new SsoError(
          'SSO_ENTRY_HAS_CHILDREN',
          `${dn} has entries below it (${shown?.dn ?? '?'})`,
        );
      }
      try {
        await c.del(raw.dn);
      } catch (e) {
        if (e instanceof NotAllowedOnNonLeafError) {
          throw new SsoError('SSO_ENTRY_HAS_CHILDREN', `${dn} has entries below it`, { cause: e });
        }
        if (e instanceof NoSuchObjectError) throw notFound(dn);
        throw e;
      }
      // Placeholders that now hold nothing go too.
      for (
        let p = parentDn(raw.dn);
        p !== undefined && isAtOrUnder(p, this.#base);
        p = parentDn(p)
      ) {
        const pe = await this.#raw(c, p);
        if (pe === undefined || !isPlaceholder(pe)) break;
        try {
          await c.del(pe.dn);
        } catch (e) {
          if (e instanceof NotAllowedOnNonLeafError || e instanceof NoSuchObjectError) break;
          throw e;
        }
      }
    });
  }

  list(): Promise<readonly AccessEntry[]>;
  list<K extends AccessEntryKind>(kind: K): Promise<readonly AccessEntryOf<K>[]>;
  list(kind?: AccessEntryKind): Promise<readonly AccessEntry[]> {
    return this.#pool.run('list access-control entries', async (c) => {
      const all = await this.#all(c, this.#base, 'sub', ACCESS_FILTER);
      return kind === undefined ? all : all.filter((e) => e.kind === kind);
    });
  }

  async sites(): Promise<readonly SsoSite[]> {
    return (await this.list()).filter(isEntryOf('site'));
  }

  resourcesOf(siteDn: string): Promise<readonly SsoResource[]> {
    if (!isAtOrUnder(siteDn, this.#base)) return Promise.resolve([]);
    return this.#pool.run('list resources', async (c) =>
      (
        await this.#all(
          c,
          siteDn,
          'one',
          new AndFilter({ filters: [oc('ssoResource'), ACCESS_FILTER] }),
        )
      ).filter(isEntryOf('resource')),
    );
  }
}
