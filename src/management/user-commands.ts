/**
 * SSO repository management commands: `import-ldif` and `export-ldif`.
 *
 *   npx sekisho import-ldif -file directory.ldif
 *   npx sekisho export-ldif [-file directory.ldif]
 *
 * Records are routed by object class: `ssoUser` entries go to the user repository, roles, role
 * sets, sites, resources and their containers (src/sso/core/access-control.ts) to the
 * access-control repository; any other class is refused. Import reads the whole LDIF, validates
 * every record against the store as it will be after the records before it (adds must not exist
 * and must sit under an acceptable parent, modify and delete targets must exist, deletes must not
 * leave entries below them), hashes clear-text passwords, and only then writes. Errors name the
 * record number and DN. Export writes parents before children, so its output imports into an
 * empty store (and into LDAP).
 */
import { UsageError } from '../cli/args.ts';
import {
  accessEntryAttributes,
  dnDepth,
  dnKey,
  parentDn,
  parentProblem,
  parseAccessEntry,
  uniqueNameOf,
  type AccessEntry,
} from '../sso/core/access-control.ts';
import { SsoError } from '../sso/core/errors.ts';
import { hashPassword, parseStoredHash } from '../sso/core/password.ts';
import { parseSsoUser, toAttributes, type SsoUser, type UserDn } from '../sso/core/user.ts';
import {
  DEFAULT_LDIF_LIMITS,
  formatLdif,
  parseLdif,
  type LdifAddRecord,
  type LdifModification,
  type LdifModifyRecord,
  type LdifRecord,
  type LdifValue,
} from '../sso/ldif/index.ts';
import type { AccessControlRepository } from '../sso/ports/access-control-repository.ts';
import type { UserChanges, UserRepository } from '../sso/ports/user-repository.ts';
import type { ManagementCommand } from './commands.ts';
import type { ManagementServices } from './context.ts';
import type { CommandResult } from './output.ts';
import { str } from './options.ts';

/** DNs are compared case-insensitively, as the repositories do. */
const key = (dn: string): string => dn.toLowerCase();

/** Attribute names as {@link toAttributes} writes them, by lower-case name (`;binary` folded). */
const KNOWN_ATTRIBUTES: ReadonlyMap<string, string> = new Map(
  [
    'objectClass',
    'uid',
    'cn',
    'sn',
    'userPassword',
    'ssoAuthType',
    'ssoNotBefore',
    'ssoNotAfter',
    'ssoCredentialTTL',
    'ssoUserStatus',
    'ssoFailureCount',
    'ssoLockTimeStamp',
    'ssoRoleName',
    'mail',
    'employeeNumber',
    'serialNumber',
    'dnQualifier',
    'userCertificate;binary',
  ].map((n) => [n.toLowerCase().replace(/;binary$/, ''), n]),
);

const LOCKOUT_ATTRIBUTES = new Set(['ssofailurecount', 'ssouserstatus', 'ssolocktimestamp']);

type Values = (string | Uint8Array)[];

/** An SsoError of a record: same code and attribute, message prefixed with record and DN. */
function atRecord(no: number, dn: string, e: unknown): unknown {
  if (!(e instanceof SsoError)) return e;
  return new SsoError(e.code, `record ${no} (${dn}): ${e.message}`, {
    cause: e,
    ...(e.attribute === undefined ? {} : { attribute: e.attribute }),
  });
}

function invalid(no: number, dn: string, attribute: string, why: string): SsoError {
  return new SsoError('SSO_ATTRIBUTE_INVALID', `record ${no} (${dn}): ${why}`, { attribute });
}

/** The canonical attribute name of an LDIF attribute description; throws for unknown ones. */
function canonicalName(no: number, dn: string, name: string): string {
  const c = KNOWN_ATTRIBUTES.get(name.toLowerCase().replace(/;binary$/, ''));
  if (c === undefined) {
    throw invalid(no, dn, name, `attribute ${JSON.stringify(name)} is not stored by Sekisho`);
  }
  return c;
}

function sameValue(a: string | Uint8Array, b: string | Uint8Array): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return Buffer.from(a).equals(b);
}

/**
 * A userPassword value as it is stored: `{SCHEME}…` and `$argon2id$…` values are kept verbatim
 * once they parse (refused schemes and malformed hashes are errors); anything else is clear text
 * and is hashed with argon2id.
 */
async function storedPassword(no: number, dn: string, v: LdifValue): Promise<LdifValue> {
  if (typeof v !== 'string') return v; // parseSsoUser refuses a binary password
  if (/^\{[A-Za-z0-9-]+\}/.test(v) || v.startsWith('$argon2id$')) {
    try {
      parseStoredHash(v);
    } catch (e) {
      throw atRecord(no, dn, e);
    }
    return v;
  }
  return hashPassword(v);
}

const isSsoUserClass = (c: LdifValue): boolean =>
  typeof c === 'string' && c.toLowerCase() === 'ssouser';

function parseUser(no: number, dn: string, attributes: Map<string, Values>): SsoUser {
  // A modify may not turn a user into another kind of entry.
  if (!(attributes.get('objectClass') ?? []).some(isSsoUserClass)) {
    throw invalid(no, dn, 'objectClass', 'a user entry must keep objectClass ssoUser');
  }
  try {
    return parseSsoUser({ dn, attributes });
  } catch (e) {
    throw atRecord(no, dn, e);
  }
}

function parseEntry(no: number, dn: string, attributes: Map<string, Values>): AccessEntry {
  try {
    return parseAccessEntry({ dn, attributes });
  } catch (e) {
    throw atRecord(no, dn, e);
  }
}

async function addAttributes(no: number, r: LdifAddRecord): Promise<Map<string, Values>> {
  const out = new Map<string, Values>();
  for (const a of r.attributes) {
    const name = canonicalName(no, r.dn, a.name);
    const value = name === 'userPassword' ? await storedPassword(no, r.dn, a.value) : a.value;
    const list = out.get(name);
    if (list === undefined) out.set(name, [value]);
    else list.push(value);
  }
  return out;
}

/** The attributes of an access-control add record, names as written (the parser folds case). */
function entryAttributes(r: LdifAddRecord): Map<string, Values> {
  const out = new Map<string, Values>();
  for (const a of r.attributes) {
    const list = out.get(a.name);
    if (list === undefined) out.set(a.name, [a.value]);
    else list.push(a.value);
  }
  return out;
}

/** How a modify record names attributes: users by the §5.1 table, other entries by use. */
interface Naming {
  /** The name under which `attrs` holds (or will hold) the attribute. */
  readonly canonical: (attrs: ReadonlyMap<string, Values>, name: string) => string;
  /** Whether a userPassword value is hashed on the way in. */
  readonly hashPasswords: boolean;
}

function userNaming(no: number, dn: string): Naming {
  return { canonical: (_, name) => canonicalName(no, dn, name), hashPasswords: true };
}

const ENTRY_NAMING: Naming = {
  canonical: (attrs, name) => {
    const lower = name.toLowerCase();
    return [...attrs.keys()].find((k) => k.toLowerCase() === lower) ?? name;
  },
  hashPasswords: false,
};

/** Applies the modifications of one record to an entry's attributes (LDAP semantics). */
async function applyModifications(
  no: number,
  dn: string,
  attrs: Map<string, Values>,
  changes: readonly LdifModification[],
  naming: Naming,
): Promise<Map<string, Values>> {
  for (const m of changes) {
    const name = naming.canonical(attrs, m.attribute);
    const values: Values = [];
    for (const v of m.values) {
      const hash = naming.hashPasswords && name === 'userPassword' && m.op !== 'delete';
      values.push(hash ? await storedPassword(no, dn, v) : v);
    }
    const current = attrs.get(name) ?? [];
    switch (m.op) {
      case 'add': {
        for (const v of values) {
          if (current.some((c) => sameValue(c, v))) {
            throw invalid(no, dn, name, `${name} already has the value to add`);
          }
        }
        attrs.set(name, [...current, ...values]);
        break;
      }
      case 'replace':
        if (values.length === 0) attrs.delete(name);
        else attrs.set(name, values);
        break;
      case 'delete': {
        if (current.length === 0) throw invalid(no, dn, name, `${name} is absent`);
        if (values.length === 0) {
          attrs.delete(name);
          break;
        }
        const left = current.filter((c) => !values.some((v) => sameValue(c, v)));
        if (current.length - left.length !== values.length) {
          throw invalid(no, dn, name, `${name} lacks a value to delete`);
        }
        if (left.length === 0) attrs.delete(name);
        else attrs.set(name, left);
        break;
      }
      default: {
        const never: never = m.op;
        return never;
      }
    }
  }
  return attrs;
}

/** Every attribute {@link UserRepository.modify} may replace, from a user. */
function modifiable(u: SsoUser): Required<UserChanges> {
  return {
    objectClass: u.objectClass,
    uid: u.uid,
    userPassword: u.userPassword,
    ssoAuthType: u.ssoAuthType,
    ssoNotBefore: u.ssoNotBefore,
    ssoNotAfter: u.ssoNotAfter,
    ssoCredentialTTL: u.ssoCredentialTTL,
    ssoRoleName: u.ssoRoleName,
    cn: u.cn,
    sn: u.sn,
    mail: u.mail,
    employeeNumber: u.employeeNumber,
    serialNumber: u.serialNumber,
    dnQualifier: u.dnQualifier,
    userCertificate: u.userCertificate,
  };
}

type Step =
  | { readonly kind: 'add'; readonly user: SsoUser }
  | {
      readonly kind: 'modify';
      readonly dn: UserDn;
      readonly changes: UserChanges | undefined;
      readonly unlock: boolean;
    }
  | { readonly kind: 'delete'; readonly dn: UserDn }
  | { readonly kind: 'addEntry'; readonly entry: AccessEntry }
  | { readonly kind: 'replaceEntry'; readonly entry: AccessEntry }
  | { readonly kind: 'deleteEntry'; readonly dn: string };

const parentKeyOf = (dn: string): string | undefined => {
  const p = parentDn(dn);
  return p === undefined ? undefined : dnKey(p);
};

/** The store as it will be after the records validated so far. */
class Overlay {
  readonly #users: UserRepository;
  readonly #access: AccessControlRepository;
  /** By DN key: the user after earlier records, or null when an earlier record deleted it. */
  readonly #changed = new Map<string, SsoUser | null>();
  /** Every access-control entry by `dnKey`, read once and then kept up to date. */
  #entries: Map<string, AccessEntry> | undefined;
  /** The DNs of the stored users, read on the first delete of an entry. */
  #storedUserDns: string[] | undefined;

  constructor(users: UserRepository, access: AccessControlRepository) {
    this.#users = users;
    this.#access = access;
  }

  async get(dn: string): Promise<SsoUser | undefined> {
    const k = key(dn);
    if (this.#changed.has(k)) return this.#changed.get(k) ?? undefined;
    return this.#users.findByDn(dn as UserDn);
  }
  set(dn: string, user: SsoUser | null): void {
    this.#changed.set(key(dn), user);
  }
  /** Whether another entry than `dn` holds `uid`. */
  async uidTaken(uid: string, dn: string): Promise<boolean> {
    const k = key(dn);
    for (const [other, u] of this.#changed) {
      if (other !== k && u !== null && u.uid === uid) return true;
    }
    const stored = await this.#users.findByUid(uid);
    if (stored === undefined) return false;
    const sk = key(stored.dn);
    return sk !== k && !this.#changed.has(sk);
  }

  async entries(): Promise<Map<string, AccessEntry>> {
    this.#entries ??= new Map((await this.#access.list()).map((e) => [dnKey(e.dn), e]));
    return this.#entries;
  }
  async entry(dn: string): Promise<AccessEntry | undefined> {
    return (await this.entries()).get(dnKey(dn));
  }
  /** The entry other than `entry` itself that holds its role name or site address. */
  async nameHolder(entry: AccessEntry): Promise<AccessEntry | undefined> {
    const name = uniqueNameOf(entry);
    if (name === undefined) return undefined;
    const k = dnKey(entry.dn);
    for (const [other, e] of await this.entries()) {
      if (other !== k && uniqueNameOf(e) === name) return e;
    }
    return undefined;
  }
  /** The DN of one entry (access-control entry or user) right below `dn`, if any. */
  async child(dn: string): Promise<string | undefined> {
    const k = dnKey(dn);
    for (const e of (await this.entries()).values()) {
      if (parentKeyOf(e.dn) === k) return e.dn;
    }
    for (const u of this.#changed.values()) {
      if (u !== null && parentKeyOf(u.dn) === k) return u.dn;
    }
    if (this.#storedUserDns === undefined) {
      const dns: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await this.#users.listUsers({ cursor, limit: 1000 });
        dns.push(...page.items.map((u) => u.dn));
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      this.#storedUserDns = dns;
    }
    return this.#storedUserDns.find((d) => !this.#changed.has(key(d)) && parentKeyOf(d) === k);
  }
}

function exists(no: number, dn: string, why: string): SsoError {
  return new SsoError('SSO_USER_EXISTS', `record ${no} (${dn}): ${why}`);
}

function entryExists(no: number, dn: string, why: string): SsoError {
  return new SsoError('SSO_ENTRY_EXISTS', `record ${no} (${dn}): ${why}`);
}

function badParent(no: number, dn: string, why: string): SsoError {
  return new SsoError('SSO_ENTRY_PARENT_INVALID', `record ${no} (${dn}): ${why}`);
}

function notFound(no: number, dn: string): SsoError {
  return new SsoError('SSO_USER_NOT_FOUND', `record ${no}: no user or other entry ${dn}`);
}

/**
 * Where an entry may sit: under nothing known, a container, or (a resource only) a site; never
 * under a user. The parent may come from the store or from an earlier record.
 */
async function checkParent(
  no: number,
  overlay: Overlay,
  child: AccessEntry | SsoUser,
): Promise<void> {
  const parent = parentDn(child.dn);
  if (parent === undefined) return;
  const user = await overlay.get(parent);
  if (user !== undefined) throw badParent(no, child.dn, `the parent ${user.dn} is a user`);
  const entry = await overlay.entry(parent);
  const problem =
    'kind' in child
      ? parentProblem(child, entry)
      : entry === undefined || entry.kind === 'container'
        ? undefined
        : `a user sits under a container, not under a ${entry.kind} (${entry.dn})`;
  if (problem !== undefined) throw badParent(no, child.dn, problem);
}

async function planAdd(no: number, r: LdifAddRecord, overlay: Overlay): Promise<Step> {
  const classes = r.attributes
    .filter((a) => a.name.toLowerCase() === 'objectclass')
    .map((a) => a.value);
  if (classes.some(isSsoUserClass)) {
    const user = parseUser(no, r.dn, await addAttributes(no, r));
    if ((await overlay.get(r.dn)) !== undefined) throw exists(no, r.dn, 'the DN exists');
    const taken = await overlay.entry(r.dn);
    if (taken !== undefined) throw entryExists(no, r.dn, `the DN is a ${taken.kind}`);
    if (await overlay.uidTaken(user.uid, r.dn)) {
      throw exists(no, r.dn, `uid ${JSON.stringify(user.uid)} is taken`);
    }
    await checkParent(no, overlay, user);
    overlay.set(r.dn, user);
    return { kind: 'add', user };
  }
  const entry = parseEntry(no, r.dn, entryAttributes(r));
  if ((await overlay.entry(r.dn)) !== undefined) throw entryExists(no, r.dn, 'the DN exists');
  if ((await overlay.get(r.dn)) !== undefined) throw entryExists(no, r.dn, 'the DN is a user');
  const holder = await overlay.nameHolder(entry);
  if (holder !== undefined) {
    const what = entry.kind === 'site' ? `${entry.host}:${entry.port}` : `the name of ${holder.dn}`;
    throw entryExists(no, r.dn, `${what} is taken (by ${holder.dn})`);
  }
  await checkParent(no, overlay, entry);
  (await overlay.entries()).set(dnKey(r.dn), entry);
  return { kind: 'addEntry', entry };
}

async function planModifyUser(
  no: number,
  r: LdifModifyRecord,
  before: SsoUser,
  overlay: Overlay,
): Promise<Step> {
  const attrs = await applyModifications(
    no,
    before.dn,
    toAttributes(before),
    r.changes,
    userNaming(no, before.dn),
  );
  const after = parseUser(no, before.dn, attrs);
  if (after.uid !== before.uid && (await overlay.uidTaken(after.uid, before.dn))) {
    throw exists(no, r.dn, `uid ${JSON.stringify(after.uid)} is taken`);
  }
  // The port changes the lockout attributes only through its lockout methods: a record
  // may clear the lockout state (unlock), not set it.
  const lockoutChanged =
    after.ssoFailureCount !== before.ssoFailureCount ||
    after.ssoUserStatus !== before.ssoUserStatus ||
    after.ssoLockTimeStamp?.getTime() !== before.ssoLockTimeStamp?.getTime();
  if (
    lockoutChanged &&
    (after.ssoFailureCount !== 0 ||
      after.ssoUserStatus !== 'good' ||
      after.ssoLockTimeStamp !== undefined)
  ) {
    throw invalid(
      no,
      r.dn,
      'ssoUserStatus',
      'the lockout attributes (ssoFailureCount, ssoUserStatus, ssoLockTimeStamp) can only be cleared',
    );
  }
  const touchesOthers = r.changes.some(
    (m) => !LOCKOUT_ATTRIBUTES.has(canonicalName(no, r.dn, m.attribute).toLowerCase()),
  );
  overlay.set(before.dn, after);
  return {
    kind: 'modify',
    dn: before.dn,
    changes: touchesOthers ? modifiable(after) : undefined,
    unlock: lockoutChanged,
  };
}

async function planModifyEntry(
  no: number,
  r: LdifModifyRecord,
  before: AccessEntry,
  overlay: Overlay,
): Promise<Step> {
  const attrs = await applyModifications(
    no,
    before.dn,
    new Map<string, Values>(accessEntryAttributes(before)),
    r.changes,
    ENTRY_NAMING,
  );
  const after = parseEntry(no, before.dn, attrs);
  if (after.kind !== before.kind) {
    throw invalid(no, r.dn, 'objectClass', `a ${before.kind} cannot become a ${after.kind}`);
  }
  const holder = await overlay.nameHolder(after);
  if (holder !== undefined) throw entryExists(no, r.dn, `the name is taken by ${holder.dn}`);
  (await overlay.entries()).set(dnKey(before.dn), after);
  return { kind: 'replaceEntry', entry: after };
}

/** Validates every record (no writes) and returns the steps to apply in order. */
async function plan(
  records: readonly LdifRecord[],
  users: UserRepository,
  access: AccessControlRepository,
): Promise<Step[]> {
  const overlay = new Overlay(users, access);
  const steps: Step[] = [];
  for (const [i, r] of records.entries()) {
    const no = i + 1;
    switch (r.changetype) {
      case 'add':
        steps.push(await planAdd(no, r, overlay));
        break;
      case 'modify': {
        const user = await overlay.get(r.dn);
        if (user !== undefined) {
          steps.push(await planModifyUser(no, r, user, overlay));
          break;
        }
        const entry = await overlay.entry(r.dn);
        if (entry === undefined) throw notFound(no, r.dn);
        steps.push(await planModifyEntry(no, r, entry, overlay));
        break;
      }
      case 'delete': {
        const user = await overlay.get(r.dn);
        if (user !== undefined) {
          overlay.set(user.dn, null);
          steps.push({ kind: 'delete', dn: user.dn });
          break;
        }
        const entry = await overlay.entry(r.dn);
        if (entry === undefined) throw notFound(no, r.dn);
        const below = await overlay.child(entry.dn);
        if (below !== undefined) {
          throw new SsoError(
            'SSO_ENTRY_HAS_CHILDREN',
            `record ${no} (${r.dn}): ${below} is below it; delete it first`,
          );
        }
        (await overlay.entries()).delete(dnKey(entry.dn));
        steps.push({ kind: 'deleteEntry', dn: entry.dn });
        break;
      }
      default: {
        const never: never = r;
        return never;
      }
    }
  }
  return steps;
}

async function importLdif(
  text: string,
  services: ManagementServices,
  client: string | undefined,
): Promise<CommandResult> {
  const { users, accessControl } = services;
  // Parse and validate everything first: any error here leaves the store untouched.
  const records = parseLdif(text);
  const steps = await plan(records, users, accessControl);
  // The ports have no transaction: a storage failure part-way through leaves the earlier steps
  // applied (they were all validated, so only an I/O or concurrent-change failure can do so).
  let added = 0;
  let modified = 0;
  let deleted = 0;
  let roleInfo = false;
  const isRoleInfo = (e: { kind: string } | undefined) =>
    e?.kind === 'role' || e?.kind === 'roleSet';
  for (const s of steps) {
    switch (s.kind) {
      case 'add':
        await users.add(s.user);
        added++;
        break;
      case 'modify':
        if (s.changes !== undefined) await users.modify(s.dn, s.changes);
        if (s.unlock) await users.unlock(s.dn);
        modified++;
        break;
      case 'delete':
        await users.delete(s.dn);
        deleted++;
        break;
      case 'addEntry':
        await accessControl.add(s.entry);
        roleInfo ||= isRoleInfo(s.entry);
        added++;
        break;
      case 'replaceEntry':
        await accessControl.replace(s.entry);
        roleInfo ||= isRoleInfo(s.entry);
        modified++;
        break;
      case 'deleteEntry':
        roleInfo ||= isRoleInfo(await accessControl.find(s.dn));
        await accessControl.delete(s.dn);
        deleted++;
        break;
      default: {
        const never: never = s;
        return never;
      }
    }
  }
  // Roles or role sets changed: the console's [Update Role information] (EG-209).
  if (roleInfo) services.sso?.roleInfoUpdated(client);
  return {
    output: {
      kind: 'message',
      lines: [`${added} entries added, ${modified} modified, ${deleted} deleted`],
    },
  };
}

function addRecord(dn: string, attributes: Map<string, Values>): LdifAddRecord {
  return {
    changetype: 'add',
    dn,
    attributes: [...attributes].flatMap(([name, values]) =>
      values.map((value) => ({ name, value })),
    ),
  };
}

/** Export order of the access-control kinds: every parent before its children. */
const EXPORT_ORDER = ['container', 'site', 'role', 'roleSet', 'resource'] as const;

/**
 * Every entry as LDIF add records: containers (shallowest first), sites, roles, role sets,
 * resources, then users; within a kind in the repositories' order.
 */
async function exportRecords(services: ManagementServices): Promise<LdifAddRecord[]> {
  const out: LdifAddRecord[] = [];
  const entries = await services.accessControl.list();
  for (const kind of EXPORT_ORDER) {
    const ofKind = entries
      .filter((e) => e.kind === kind)
      .map((e, i) => ({ e, i, depth: dnDepth(e.dn) }))
      .sort((a, b) => a.depth - b.depth || a.i - b.i);
    for (const { e } of ofKind) out.push(addRecord(e.dn, accessEntryAttributes(e)));
  }
  let cursor: string | undefined;
  do {
    const page = await services.users.listUsers({ cursor, limit: 1000 });
    for (const u of page.items) out.push(addRecord(u.dn, toAttributes(u)));
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return out;
}

/** Largest LDIF file imported: the LDIF reader's own default limit (16 MiB). */
export const MAX_LDIF_BYTES = DEFAULT_LDIF_LIMITS.maxBytes;

export const USER_COMMANDS: Record<string, ManagementCommand> = {
  'import-ldif': {
    maxBodyBytes: MAX_LDIF_BYTES + 64 * 1024,
    summary:
      'add, modify and delete SSO users, roles, role sets, sites, resources and containers from an LDIF file (all records or none validated)',
    spec: {
      options: {
        file: {
          kind: 'string',
          arg: 'FILE',
          help: 'the LDIF file (content or change records; see docs/ldif.md for the entries accepted)',
          required: true,
          file: 'read',
          maxBytes: MAX_LDIF_BYTES,
        },
      },
    },
    run: async (a, ctx) => {
      const text = str(a, 'file');
      if (text === undefined) throw new UsageError('-file FILE is required');
      return importLdif(text, ctx.services, ctx.client);
    },
  },
  'export-ldif': {
    summary:
      'write every SSO repository entry as LDIF, parents first (passwords as their stored hashes)',
    spec: {
      options: {
        file: {
          kind: 'string',
          arg: 'FILE',
          help: 'write the LDIF to FILE instead of standard output',
          file: 'write',
        },
      },
    },
    run: async (a, ctx) => {
      const records = await exportRecords(ctx.services);
      const text = formatLdif(records);
      return str(a, 'file') === undefined
        ? { output: { kind: 'text', text } }
        : {
            output: { kind: 'message', lines: [`${records.length} entries exported`] },
            file: text,
          };
    },
  },
};
