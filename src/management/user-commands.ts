/**
 * SSO user management commands: `import-ldif` and `export-ldif`.
 *
 *   npx sekisho import-ldif -file users.ldif
 *   npx sekisho export-ldif [-file users.ldif]
 *
 * Import reads the whole LDIF, validates every record against the store as it will be after the
 * records before it (adds must not exist, modify and delete targets must), hashes clear-text
 * passwords, and only then writes. Errors name the record number and DN.
 */
import { UsageError, type ParsedArgs } from '../cli/args.ts';
import { SsoError } from '../sso/core/errors.ts';
import { hashPassword, parseStoredHash } from '../sso/core/password.ts';
import { parseSsoUser, toAttributes, type SsoUser, type UserDn } from '../sso/core/user.ts';
import {
  DEFAULT_LDIF_LIMITS,
  formatLdif,
  parseLdif,
  type LdifAddRecord,
  type LdifModification,
  type LdifRecord,
  type LdifValue,
} from '../sso/ldif/index.ts';
import type { UserChanges, UserRepository } from '../sso/ports/user-repository.ts';
import type { ManagementCommand } from './commands.ts';
import type { CommandResult } from './output.ts';

const str = (a: ParsedArgs, name: string): string | undefined => {
  const v = a.options.get(name);
  return typeof v === 'string' ? v : undefined;
};

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

function parseUser(no: number, dn: string, attributes: Map<string, Values>): SsoUser {
  // The object class first, so that a group or resource entry gets this message.
  const classes = attributes.get('objectClass') ?? [];
  if (!classes.some((c) => typeof c === 'string' && c.toLowerCase() === 'ssouser')) {
    throw invalid(
      no,
      dn,
      'objectClass',
      'only ssoUser entries are supported until roles and resources arrive',
    );
  }
  try {
    return parseSsoUser({ dn, attributes });
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

/** Applies the modifications of one record to a user's attributes (LDAP semantics). */
async function applyModifications(
  no: number,
  user: SsoUser,
  changes: readonly LdifModification[],
): Promise<Map<string, Values>> {
  const attrs = toAttributes(user);
  for (const m of changes) {
    const name = canonicalName(no, user.dn, m.attribute);
    const values: Values = [];
    for (const v of m.values) {
      values.push(
        name === 'userPassword' && m.op !== 'delete' ? await storedPassword(no, user.dn, v) : v,
      );
    }
    const current = attrs.get(name) ?? [];
    switch (m.op) {
      case 'add': {
        for (const v of values) {
          if (current.some((c) => sameValue(c, v))) {
            throw invalid(no, user.dn, name, `${name} already has the value to add`);
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
        if (current.length === 0) throw invalid(no, user.dn, name, `${name} is absent`);
        if (values.length === 0) {
          attrs.delete(name);
          break;
        }
        const left = current.filter((c) => !values.some((v) => sameValue(c, v)));
        if (current.length - left.length !== values.length) {
          throw invalid(no, user.dn, name, `${name} lacks a value to delete`);
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
  | { readonly kind: 'delete'; readonly dn: UserDn };

/** The store as it will be after the records validated so far. */
class Overlay {
  readonly #users: UserRepository;
  /** By DN key: the user after earlier records, or null when an earlier record deleted it. */
  readonly #changed = new Map<string, SsoUser | null>();
  constructor(users: UserRepository) {
    this.#users = users;
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
}

function exists(no: number, dn: string, why: string): SsoError {
  return new SsoError('SSO_USER_EXISTS', `record ${no} (${dn}): ${why}`);
}

/** Validates every record (no writes) and returns the steps to apply in order. */
async function plan(records: readonly LdifRecord[], users: UserRepository): Promise<Step[]> {
  const overlay = new Overlay(users);
  const steps: Step[] = [];
  for (const [i, r] of records.entries()) {
    const no = i + 1;
    switch (r.changetype) {
      case 'add': {
        const user = parseUser(no, r.dn, await addAttributes(no, r));
        if ((await overlay.get(r.dn)) !== undefined) throw exists(no, r.dn, 'the DN exists');
        if (await overlay.uidTaken(user.uid, r.dn)) {
          throw exists(no, r.dn, `uid ${JSON.stringify(user.uid)} is taken`);
        }
        overlay.set(r.dn, user);
        steps.push({ kind: 'add', user });
        break;
      }
      case 'modify': {
        const before = await overlay.get(r.dn);
        if (before === undefined) {
          throw new SsoError('SSO_USER_NOT_FOUND', `record ${no}: no user ${r.dn}`);
        }
        const after = parseUser(no, before.dn, await applyModifications(no, before, r.changes));
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
        steps.push({
          kind: 'modify',
          dn: before.dn,
          changes: touchesOthers ? modifiable(after) : undefined,
          unlock: lockoutChanged,
        });
        break;
      }
      case 'delete': {
        const before = await overlay.get(r.dn);
        if (before === undefined) {
          throw new SsoError('SSO_USER_NOT_FOUND', `record ${no}: no user ${r.dn}`);
        }
        overlay.set(before.dn, null);
        steps.push({ kind: 'delete', dn: before.dn });
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

async function importLdif(text: string, users: UserRepository): Promise<CommandResult> {
  // Parse and validate everything first: any error here leaves the store untouched.
  const records = parseLdif(text);
  const steps = await plan(records, users);
  // The port has no transaction: a storage failure part-way through leaves the earlier steps
  // applied (they were all validated, so only an I/O or concurrent-change failure can do so).
  let added = 0;
  let modified = 0;
  let deleted = 0;
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
      default: {
        const never: never = s;
        return never;
      }
    }
  }
  return {
    output: {
      kind: 'message',
      lines: [`${added} entries added, ${modified} modified, ${deleted} deleted`],
    },
  };
}

/** Every user, in the repository's order, as LDIF add records. */
async function exportRecords(users: UserRepository): Promise<LdifAddRecord[]> {
  const out: LdifAddRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await users.listUsers({ cursor, limit: 1000 });
    for (const u of page.items) {
      out.push({
        changetype: 'add',
        dn: u.dn,
        attributes: [...toAttributes(u)].flatMap(([name, values]) =>
          values.map((value) => ({ name, value })),
        ),
      });
    }
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return out;
}

/** Largest LDIF file imported: the LDIF reader's own default limit (16 MiB). */
export const MAX_LDIF_BYTES = DEFAULT_LDIF_LIMITS.maxBytes;

export const USER_COMMANDS: Record<string, ManagementCommand> = {
  'import-ldif': {
    maxBodyBytes: MAX_LDIF_BYTES + 64 * 1024,
    summary: 'add, modify and delete SSO users from an LDIF file (all records or none validated)',
    spec: {
      options: {
        file: {
          kind: 'string',
          arg: 'FILE',
          help: 'the LDIF file (content or change records of ssoUser entries)',
          required: true,
          file: 'read',
          maxBytes: MAX_LDIF_BYTES,
        },
      },
    },
    run: async (a, ctx) => {
      const text = str(a, 'file');
      if (text === undefined) throw new UsageError('-file FILE is required');
      return importLdif(text, ctx.services.users);
    },
  },
  'export-ldif': {
    summary: 'write every SSO user as LDIF (passwords as their stored hashes)',
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
      const records = await exportRecords(ctx.services.users);
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
