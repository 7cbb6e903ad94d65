/**
 * LdapUserRepository: the SSO users in an LDAP directory — OpenLDAP with schema/sekisho.schema,
 * or Active Directory (`mode: 'ad'`, src/storage/ldap/active-directory.ts) — through a
 * {@link LdapPool} (`UserRepository`, src/sso/ports/user-repository.ts).
 *
 * Users are the entries under `userBase` that carry `uid` (AD: `objectClass=user` with a
 * `sAMAccountName`). DNs are the directory's own; a user is stored at the DN it is given, which
 * must lie under `userBase` and whose first RDN must name the entry (the directory refuses
 * `uid=alice,…` for a uid `alice,ou=Admins`: compose DNs with `childDn`, which escapes).
 *
 * Every filter is an ldapts filter object (the value travels as a BER octet string, never as
 * filter text); user IDs and mapping values that no directory could hold (NUL, over
 * {@link MAX_LOOKUP_LENGTH} characters, lone surrogates) find nobody without a request.
 *
 * Lockout (`recordFailure`, `resetFailures`, `unlock`) is a compare-and-set in one modify
 * request: for each of ssoFailureCount, ssoUserStatus and ssoLockTimeStamp, `delete` of the
 * exact value read and `add` of the new one (for a value that was absent: `add`, which fails
 * on a single-valued attribute that has a value meanwhile; for one absent before and after:
 * `add` + `delete` of a placeholder, asserting the absence). A modify is atomic in LDAP, so
 * when another node changed the state in between the request fails as a whole (noSuchAttribute
 * or constraintViolation) and the call re-reads and retries. Two pools (two nodes) on one
 * directory therefore obey the port's guarantees. Active Directory without the SSO schema
 * extension is not written to (`recordFailure` then answers `unrecorded`): see `docs/ldap.md`.
 *
 * Passwords in Active Directory (`passwordVerifier`, mode `ad` only): AD never returns a
 * password hash, so the password is checked by a simple bind as the user's DN — the DN this
 * repository read, never one built from the user ID — on a connection of its own
 * (`LdapPool.bindAs`: the pool's TLS settings, never a pooled service connection), and AD's
 * answer is read by `adBindVerdict`. A password that must not be sent is refused without being
 * sent: empty (a simple bind with a DN and no password is an unauthenticated bind, RFC 4513
 * §5.1.2, which AD accepts as anonymous), with NUL, not well-formed UTF-16, or over
 * {@link MAX_BIND_PASSWORD_BYTES}. Timing: `verify` and `dummyVerify` each make exactly one
 * bind whatever the input — `dummyVerify`, and `verify` of a refused password, bind as an
 * entry that does not exist (`cn=<random>,<user base>`) — so that an unknown user, a locked
 * user and a wrong password cost Sekisho the same.
 *
 * `listUsers` pages by a sorted cursor, not by the paged-results control: the DNs under the
 * base are enumerated (attributes `1.1`, with the paged-results control underneath only so
 * that size limits do not cut the enumeration; with a prefix, only those the directory finds
 * by its substring index), sorted by the lower-cased DN, and the page after the cursor (the
 * last DN of the previous page) is read. A paged-results cookie is bound to one connection and
 * one search, so it cannot be the port's cursor across a pool, nodes or minutes; the DN cursor
 * can, and concurrent changes never repeat or skip a user that stays. The enumeration of a
 * walk's first page serves its following pages for a minute, so that a walk costs one
 * enumeration, not one per page.
 */
import {
  AlreadyExistsError,
  AndFilter,
  Attribute,
  Change,
  ConstraintViolationError,
  EqualityFilter,
  InvalidDNSyntaxError,
  InvalidSyntaxError,
  NamingViolationError,
  NoSuchAttributeError,
  NoSuchObjectError,
  NotAllowedOnNonLeafError,
  ObjectClassViolationError,
  OrFilter,
  PresenceFilter,
  ResultCodeError,
  SubstringFilter,
  TypeOrValueExistsError,
  UndefinedTypeError,
  type Client,
  type Entry,
  type Filter,
} from 'ldapts';
import { randomBytes } from 'node:crypto';
import type { PasswordVerdict } from '../../sso/core/authenticate.ts';
import { SsoError, SsoRepositoryUnavailableError } from '../../sso/core/errors.ts';
import {
  lockoutAttributes,
  onPasswordFailure,
  type LockoutPolicy,
  type LockoutState,
} from '../../sso/core/lockout.ts';
import {
  formatGeneralizedTime,
  mappingValues,
  parseGeneralizedTime,
  parseSsoUser,
  toAttributes,
  type CertMappingAttribute,
  type SsoUser,
  type UserDn,
  type UserEntry,
} from '../../sso/core/user.ts';
import type {
  Page,
  PageRequest,
  PasswordVerifier,
  RecordedFailure,
  ReplacedLockout,
  UserChanges,
  UserRepository,
  UserSearch,
  UserSearchResult,
} from '../../sso/ports/user-repository.ts';
import {
  MAX_SEARCH_PREFIX,
  bySearchOrder,
  checkSearch,
  matchesPrefix,
} from '../../sso/ports/user-repository.ts';
import {
  AD_ATTRIBUTES,
  adBindVerdict,
  adEntryToUser,
  hasSsoExtension,
} from './active-directory.ts';
import type { LdapPool } from './connection.ts';
import { canonicalDn, firstRdn, isAtOrUnder, type Ava } from './dn.ts';

/** Longest user ID or mapping value looked up, characters. */
export const MAX_LOOKUP_LENGTH = 1024;
/** Compare-and-set attempts before giving up (only a pathological storm gets there). */
const MAX_CAS_ATTEMPTS = 1000;
/** Page size of the DN enumeration of `listUsers`. */
const ENUMERATION_PAGE = 500;
/** How long the enumeration of a walk's first page serves its following pages, ms. */
export const ENUMERATION_REUSE_MS = 60_000;

/** The DNs of a `listUsers` walk, sorted by `keys` (their lower-cased text). */
interface Enumeration {
  readonly prefix: string;
  /** When it was made (Date.now()). */
  readonly at: number;
  readonly dns: readonly string[];
  readonly keys: readonly string[];
}

/** The index of the first key greater than `cursor` in sorted `keys` (binary search). */
function firstAfter(keys: readonly string[], cursor: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! <= cursor) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Longest password sent in a bind, UTF-8 bytes: AD passwords are at most 256 characters (and
 * the sign-on form takes 1,024 bytes); anything longer is a wrong password without asking.
 */
export const MAX_BIND_PASSWORD_BYTES = 4096;

/**
 * Whether a password may be sent in a bind: not empty (an unauthenticated bind, which a
 * directory may accept), no NUL (which C code on the other side could cut the password at),
 * well-formed UTF-16 (a lone surrogate would be sent as U+FFFD, another password), and at most
 * {@link MAX_BIND_PASSWORD_BYTES}.
 */
export function bindablePassword(password: string): boolean {
  return (
    password !== '' &&
    !password.includes('\0') &&
    password.isWellFormed() &&
    Buffer.byteLength(password, 'utf8') <= MAX_BIND_PASSWORD_BYTES
  );
}

export type LdapMode = 'openldap' | 'ad';

export interface LdapUserRepositoryOptions {
  readonly pool: LdapPool;
  /** DN under which users live (and are searched). */
  readonly userBase: string;
  /** Default `openldap`. */
  readonly mode?: LdapMode;
  /** AD: the attribute roles are read from; default `memberOf`. */
  readonly roleAttribute?: string;
  /** AD: attribute value → role names (values compared case-insensitively). */
  readonly roleMapping?: ReadonlyMap<string, readonly string[]> | undefined;
  /**
   * How long the enumeration of a `listUsers` walk's first page serves its following pages,
   * ms; default {@link ENUMERATION_REUSE_MS}; 0 = every page enumerates again.
   */
  readonly enumerationReuseMs?: number;
}

const SSO_ATTRIBUTES = [
  'objectClass',
  'uid',
  'userPassword',
  'ssoAuthType',
  'ssoNotBefore',
  'ssoNotAfter',
  'ssoCredentialTTL',
  'ssoUserStatus',
  'ssoFailureCount',
  'ssoLockTimeStamp',
  'ssoRoleName',
  'cn',
  'sn',
  'mail',
  'employeeNumber',
  'serialNumber',
  'dnQualifier',
  'userCertificate;binary',
];

const LOCKOUT_ATTRIBUTES = ['ssoFailureCount', 'ssoUserStatus', 'ssoLockTimeStamp'] as const;
type LockoutAttribute = (typeof LOCKOUT_ATTRIBUTES)[number];
/** Values written and removed in the same request to assert that an attribute is absent. */
const ABSENCE_PROBE: Record<LockoutAttribute, string> = {
  ssoFailureCount: '0',
  ssoUserStatus: 'good',
  ssoLockTimeStamp: '19700101000000Z',
};

/** A value no directory entry could hold, or a lone surrogate (not UTF-8 encodable). */
function unsearchable(value: string): boolean {
  return (
    value.length === 0 ||
    value.length > MAX_LOOKUP_LENGTH ||
    value.includes('\0') ||
    !value.isWellFormed()
  );
}

function notFound(dn: string): SsoError {
  return new SsoError('SSO_USER_NOT_FOUND', `no user ${dn}`);
}

const attributeOf = (e: ResultCodeError, fallback: string): string =>
  /attribute '([A-Za-z0-9;-]+)'/.exec(e.message)?.[1] ??
  /^([A-Za-z0-9;-]+): value #/.exec(e.message)?.[1] ??
  fallback;

/** An LDAP result of a write, as the port's error (or undefined: not a request problem). */
function writeError(e: unknown, dn: string): SsoError | undefined {
  if (!(e instanceof ResultCodeError)) return undefined;
  if (e instanceof AlreadyExistsError) {
    return new SsoError('SSO_USER_EXISTS', `DN exists: ${dn}`, { cause: e });
  }
  if (e instanceof ConstraintViolationError && /not unique/i.test(e.message)) {
    // slapo-unique on uid.
    return new SsoError('SSO_USER_EXISTS', `uid exists (${e.message})`, { cause: e });
  }
  if (e instanceof ObjectClassViolationError) {
    const missing = /requires attribute '([^']+)'/.exec(e.message)?.[1];
    return missing !== undefined
      ? new SsoError('SSO_ATTRIBUTE_MISSING', `${missing}: required by the object classes`, {
          cause: e,
          attribute: missing,
        })
      : new SsoError('SSO_ATTRIBUTE_INVALID', `objectClass: ${e.message}`, {
          cause: e,
          attribute: 'objectClass',
        });
  }
  if (e instanceof NamingViolationError) {
    return new SsoError('SSO_ATTRIBUTE_INVALID', `dn: the first RDN of ${dn} must name the entry`, {
      cause: e,
      attribute: 'dn',
    });
  }
  if (e instanceof InvalidDNSyntaxError) {
    return new SsoError('SSO_ATTRIBUTE_INVALID', `dn: not a DN: ${JSON.stringify(dn)}`, {
      cause: e,
      attribute: 'dn',
    });
  }
  if (e instanceof NoSuchObjectError) {
    return new SsoError('SSO_ATTRIBUTE_INVALID', `dn: the parent of ${dn} does not exist`, {
      cause: e,
      attribute: 'dn',
    });
  }
  if (
    e instanceof InvalidSyntaxError ||
    e instanceof UndefinedTypeError ||
    e instanceof ConstraintViolationError ||
    e instanceof TypeOrValueExistsError ||
    e.code === 69 // objectClassModsProhibited
  ) {
    const attribute = attributeOf(e, 'objectClass');
    return new SsoError('SSO_ATTRIBUTE_INVALID', `${attribute}: ${e.message}`, {
      cause: e,
      attribute,
    });
  }
  if (e instanceof NotAllowedOnNonLeafError) {
    return new SsoError('SSO_ENTRY_HAS_CHILDREN', `${dn} has entries below it`, { cause: e });
  }
  return undefined;
}

/**
 * The first RDN must name the entry: each of its values is a value of the entry. slapd would
 * otherwise add the RDN value itself — `uid=bob,ou=Admins,…` for a uid `bob,ou=Admins` (a DN
 * spliced without escaping) would become a second uid `bob`, in another branch.
 */
function checkNaming(user: SsoUser): void {
  let avas: Ava[];
  try {
    avas = firstRdn(user.dn).avas;
  } catch {
    throw new SsoError('SSO_ATTRIBUTE_INVALID', `dn: not a DN: ${JSON.stringify(user.dn)}`, {
      attribute: 'dn',
    });
  }
  const attrs = toAttributes(user);
  for (const a of avas) {
    const values = [...attrs].find(([k]) => k.toLowerCase() === a.type.toLowerCase())?.[1] ?? [];
    if (!values.some((v) => typeof v === 'string' && v.toLowerCase() === a.value.toLowerCase())) {
      throw new SsoError(
        'SSO_ATTRIBUTE_INVALID',
        `dn: the first RDN of ${user.dn} must name the entry (${a.type}: ${JSON.stringify(a.value)} is not a value of it); compose DNs with escaping`,
        { attribute: 'dn' },
      );
    }
  }
}

/** The values of an ldapts entry attribute as an array. */
function valuesOf(v: Entry[string] | undefined): (string | Buffer)[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** An ldapts search entry as the domain's {@link UserEntry}. */
export function toUserEntry(e: Entry): UserEntry {
  const attributes = new Map<string, (string | Uint8Array)[]>();
  for (const [name, v] of Object.entries(e)) {
    // ldapts lists every requested attribute, with no values when the entry lacks it.
    if (name === 'dn' || valuesOf(v).length === 0) continue;
    attributes.set(
      name,
      valuesOf(v).map((x) => (typeof x === 'string' ? x : new Uint8Array(x))),
    );
  }
  return { dn: canonicalDn(e.dn), attributes };
}

const first = (e: Entry, name: string): string | undefined => {
  for (const [k, v] of Object.entries(e)) {
    if (k.toLowerCase() !== name.toLowerCase()) continue;
    const x = valuesOf(v)[0];
    return typeof x === 'string' ? x : x?.toString('utf8');
  }
  return undefined;
};

/** The lockout values as stored (text, for the compare-and-set) and as a state. */
interface StoredLockout {
  readonly raw: Readonly<Record<LockoutAttribute, string | undefined>>;
  readonly state: LockoutState;
}

function readLockout(e: Entry): StoredLockout {
  const raw = {
    ssoFailureCount: first(e, 'ssoFailureCount'),
    ssoUserStatus: first(e, 'ssoUserStatus'),
    ssoLockTimeStamp: first(e, 'ssoLockTimeStamp'),
  };
  const count = raw.ssoFailureCount === undefined ? 0 : Number(raw.ssoFailureCount);
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new SsoError('SSO_ATTRIBUTE_INVALID', `ssoFailureCount: ${raw.ssoFailureCount}`, {
      attribute: 'ssoFailureCount',
    });
  }
  const locked = raw.ssoUserStatus?.toLowerCase() === 'locked';
  const ts =
    raw.ssoLockTimeStamp === undefined ? undefined : parseGeneralizedTime(raw.ssoLockTimeStamp);
  return { raw, state: { failureCount: count, locked, lockTimestamp: locked ? ts : undefined } };
}

/** The modify request that moves `from` to `to` only if the entry still holds `from`. */
function compareAndSet(
  from: StoredLockout['raw'],
  to: Readonly<Record<LockoutAttribute, string | undefined>>,
): Change[] {
  const changes: Change[] = [];
  const change = (operation: 'add' | 'delete', type: string, values: string[]): void => {
    changes.push(new Change({ operation, modification: new Attribute({ type, values }) }));
  };
  for (const a of LOCKOUT_ATTRIBUTES) {
    const old = from[a];
    const next = to[a];
    if (old !== undefined) {
      change('delete', a, [old]);
      if (next !== undefined) change('add', a, [next]);
    } else if (next !== undefined) {
      change('add', a, [next]);
    } else {
      change('add', a, [ABSENCE_PROBE[a]]);
      change('delete', a, []);
    }
  }
  return changes;
}

function lockoutText(state: LockoutState): Record<LockoutAttribute, string | undefined> {
  const s = lockoutAttributes(state);
  return {
    ssoFailureCount: String(s.ssoFailureCount),
    ssoUserStatus: s.ssoUserStatus,
    ssoLockTimeStamp:
      s.ssoLockTimeStamp === undefined ? undefined : formatGeneralizedTime(s.ssoLockTimeStamp),
  };
}

/** Whether a failed compare-and-set lost a race (re-read and retry). */
const lostRace = (e: unknown): boolean =>
  e instanceof NoSuchAttributeError ||
  e instanceof ConstraintViolationError ||
  e instanceof TypeOrValueExistsError;

const byKey = <T extends { dn: string }>(a: T, b: T): number => {
  const x = a.dn.toLowerCase();
  const y = b.dn.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
};

function toLdapAttributes(attrs: Map<string, (string | Uint8Array)[]>): Attribute[] {
  return [...attrs].map(([type, values]) =>
    values.every((v) => typeof v === 'string')
      ? new Attribute({ type, values: values })
      : new Attribute({
          type,
          values: values.map((v) => (typeof v === 'string' ? Buffer.from(v) : Buffer.from(v))),
        }),
  );
}

export class LdapUserRepository implements UserRepository {
  readonly #pool: LdapPool;
  readonly #base: string;
  readonly #ad: boolean;
  readonly #roleAttribute: string;
  readonly #roleMapping: ReadonlyMap<string, readonly string[]>;
  readonly #attributes: string[];

  /** Active Directory only: the password checked by a bind as the user (module comment). */
  readonly passwordVerifier?: PasswordVerifier;

  /** The last enumeration of `listUsers`, for the following pages of its walk. */
  #enumeration: Enumeration | undefined;
  readonly #reuseMs: number;
  #forget: ReturnType<typeof setTimeout> | undefined;

  constructor(options: LdapUserRepositoryOptions) {
    this.#pool = options.pool;
    this.#base = options.userBase;
    this.#ad = options.mode === 'ad';
    this.#reuseMs = options.enumerationReuseMs ?? ENUMERATION_REUSE_MS;
    this.#roleAttribute = options.roleAttribute ?? 'memberOf';
    this.#roleMapping = new Map(
      [...(options.roleMapping ?? new Map<string, readonly string[]>())].map(([k, v]) => [
        k.toLowerCase(),
        v,
      ]),
    );
    this.#attributes = this.#ad
      ? [
          ...SSO_ATTRIBUTES.filter((a) => a !== 'uid' && a !== 'userPassword'),
          ...AD_ATTRIBUTES,
          this.#roleAttribute,
        ]
      : SSO_ATTRIBUTES;
    if (this.#ad) this.passwordVerifier = this.#bindVerifier();
  }

  #bindVerifier(): PasswordVerifier {
    const pool = this.#pool;
    // Binds that cost what a user's bind costs and can succeed for nobody: an entry that does
    // not exist, and (for a password that is not sent) a password nobody typed.
    const nobody = `cn=${randomBytes(16).toString('hex')},${this.#base}`;
    const filler = randomBytes(24).toString('base64url');
    const dummy = async (password: string): Promise<'mismatch'> => {
      await pool.bindAs(nobody, bindablePassword(password) ? password : filler);
      return 'mismatch';
    };
    return {
      verify: async (user: SsoUser, password: string): Promise<PasswordVerdict> => {
        if (!bindablePassword(password)) return dummy(password);
        if (!isAtOrUnder(user.dn, this.#base)) {
          await dummy(password);
          return 'no_such_user';
        }
        return adBindVerdict(await pool.bindAs(user.dn, password));
      },
      dummyVerify: dummy,
    };
  }

  /** The attribute holding the user ID. */
  get #uidAttribute(): string {
    return this.#ad ? 'sAMAccountName' : 'uid';
  }

  /** Entries that are users. */
  #userFilter(extra?: Filter): Filter {
    const filters: Filter[] = this.#ad
      ? [
          new EqualityFilter({ attribute: 'objectClass', value: 'user' }),
          new PresenceFilter({ attribute: 'sAMAccountName' }),
        ]
      : [new PresenceFilter({ attribute: 'uid' })];
    if (extra !== undefined) filters.push(extra);
    return filters.length === 1 ? filters[0]! : new AndFilter({ filters });
  }

  #toUser(e: Entry): SsoUser {
    const entry = toUserEntry(e);
    return this.#ad
      ? adEntryToUser(entry, { roleAttribute: this.#roleAttribute, roleMapping: this.#roleMapping })
      : parseSsoUser(entry);
  }

  /** Whether lockout state may be written to this entry. */
  #writable(e: Entry): boolean {
    return !this.#ad || hasSsoExtension(toUserEntry(e));
  }

  #search(
    client: Client,
    base: string,
    scope: 'base' | 'sub',
    filter: Filter,
    attributes: string[] = this.#attributes,
  ): Promise<Entry[]> {
    return client
      .search(base, {
        scope,
        filter,
        attributes,
        explicitBufferAttributes: ['userCertificate;binary', 'userCertificate'],
        // Underneath only, so that a server size limit cannot cut a subtree search short.
        ...(scope === 'sub' ? { paged: { pageSize: ENUMERATION_PAGE } } : {}),
      })
      .then(
        (r) => r.searchEntries,
        (e: unknown) => {
          // A base that does not exist (or is no DN) holds nobody.
          if (e instanceof NoSuchObjectError || e instanceof InvalidDNSyntaxError) return [];
          throw e;
        },
      );
  }

  /** The raw entry of a user DN (under the base, a user), or undefined. */
  async #entry(dn: string, attributes = this.#attributes): Promise<Entry | undefined> {
    if (!isAtOrUnder(dn, this.#base)) return undefined;
    const entries = await this.#pool.run('read user', (c) =>
      this.#search(c, dn, 'base', this.#userFilter(), attributes),
    );
    return entries[0];
  }

  async findByUid(uid: string): Promise<SsoUser | undefined> {
    if (unsearchable(uid)) return undefined;
    const entries = await this.#pool.run('find user by ID', (c) =>
      this.#search(
        c,
        this.#base,
        'sub',
        this.#userFilter(new EqualityFilter({ attribute: this.#uidAttribute, value: uid })),
      ),
    );
    // The directory matches case-insensitively; the port wants the exact user ID.
    const users = entries.map((e) => this.#toUser(e)).filter((u) => u.uid === uid);
    return users.length === 1 ? users[0] : undefined;
  }

  async findByDn(dn: UserDn): Promise<SsoUser | undefined> {
    const e = await this.#entry(dn);
    return e === undefined ? undefined : this.#toUser(e);
  }

  async findByCertificate(
    attribute: CertMappingAttribute,
    value: string,
  ): Promise<readonly SsoUser[]> {
    if (unsearchable(value)) return [];
    const ldapAttribute = attribute === 'uid' ? this.#uidAttribute : attribute;
    const entries = await this.#pool.run('find user by certificate', (c) =>
      this.#search(
        c,
        this.#base,
        'sub',
        this.#userFilter(new EqualityFilter({ attribute: ldapAttribute, value })),
      ),
    );
    const v = value.toLowerCase();
    return entries
      .map((e) => this.#toUser(e))
      .filter((u) => mappingValues(u, attribute).some((x) => x.toLowerCase() === v))
      .sort(byKey);
  }

  #readOnly(what: string): SsoError {
    return new SsoError(
      'SSO_REPOSITORY_READ_ONLY',
      `${what}: Active Directory users are managed in Active Directory, not through Sekisho`,
    );
  }

  async add(user: SsoUser): Promise<void> {
    if (this.#ad) throw this.#readOnly('add');
    if (!isAtOrUnder(user.dn, this.#base)) {
      throw new SsoError('SSO_ATTRIBUTE_INVALID', `dn: ${user.dn} is not under ${this.#base}`, {
        attribute: 'dn',
      });
    }
    await this.#pool.run('add user', async (c) => {
      const taken = await this.#search(
        c,
        this.#base,
        'sub',
        this.#userFilter(new EqualityFilter({ attribute: 'uid', value: user.uid })),
        ['1.1'],
      );
      if (taken.length > 0) {
        throw new SsoError('SSO_USER_EXISTS', `uid exists: ${user.uid} (${taken[0]!.dn})`);
      }
      checkNaming(user);
      try {
        await c.add(user.dn, toLdapAttributes(toAttributes(user)));
      } catch (e) {
        throw writeError(e, user.dn) ?? e;
      }
    });
  }

  async modify(dn: UserDn, changes: UserChanges): Promise<SsoUser> {
    if (this.#ad) throw this.#readOnly('modify');
    const e = await this.#entry(dn);
    if (e === undefined) throw notFound(dn);
    const before = this.#toUser(e);
    const next: SsoUser = {
      ...before,
      ...changes,
      dn: before.dn,
      ssoFailureCount: before.ssoFailureCount,
      ssoUserStatus: before.ssoUserStatus,
      ssoLockTimeStamp: before.ssoLockTimeStamp,
    };
    checkNaming(next);
    const old = toAttributes(before);
    const now = toAttributes(next);
    const ldapChanges: Change[] = [];
    const same = (
      a: readonly (string | Uint8Array)[] | undefined,
      b: readonly (string | Uint8Array)[] | undefined,
    ): boolean =>
      JSON.stringify(
        (a ?? []).map((x) => (typeof x === 'string' ? x : Buffer.from(x).toString('base64'))),
      ) ===
      JSON.stringify(
        (b ?? []).map((x) => (typeof x === 'string' ? x : Buffer.from(x).toString('base64'))),
      );
    for (const name of new Set([...old.keys(), ...now.keys()])) {
      if (LOCKOUT_ATTRIBUTES.some((a) => a === name)) continue;
      if (same(old.get(name), now.get(name))) continue;
      const [attr] = toLdapAttributes(new Map([[name, now.get(name) ?? []]]));
      ldapChanges.push(new Change({ operation: 'replace', modification: attr! }));
    }
    await this.#pool.run('modify user', async (c) => {
      if (next.uid !== before.uid) {
        const taken = await this.#search(
          c,
          this.#base,
          'sub',
          this.#userFilter(new EqualityFilter({ attribute: 'uid', value: next.uid })),
          ['1.1'],
        );
        if (taken.some((t) => t.dn.toLowerCase() !== before.dn.toLowerCase())) {
          throw new SsoError('SSO_USER_EXISTS', `uid exists: ${next.uid}`);
        }
      }
      if (ldapChanges.length === 0) return;
      try {
        await c.modify(before.dn, ldapChanges);
      } catch (err) {
        if (err instanceof NoSuchObjectError) throw notFound(dn);
        throw writeError(err, dn) ?? err;
      }
    });
    const after = await this.findByDn(before.dn);
    if (after === undefined) throw notFound(dn);
    return after;
  }

  async delete(dn: UserDn): Promise<void> {
    if (this.#ad) throw this.#readOnly('delete');
    const e = await this.#entry(dn, ['1.1']);
    if (e === undefined) throw notFound(dn);
    await this.#pool.run('delete user', async (c) => {
      try {
        await c.del(e.dn);
      } catch (err) {
        if (err instanceof NoSuchObjectError) throw notFound(dn);
        throw writeError(err, dn) ?? err;
      }
    });
  }

  /**
   * Reads the lockout state of `dn` and writes `decide(state)` by compare-and-set, retrying on
   * a lost race. `decide` returns undefined to write nothing. On an entry that may not be
   * written (AD without the SSO schema extension) nothing is, and `unwritten` marks the result.
   */
  async #casLoop<T>(
    dn: UserDn,
    what: string,
    decide: (stored: StoredLockout) => { write: LockoutState | undefined; result: T },
    unwritten: (result: T) => T = (result) => result,
  ): Promise<T> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const e = await this.#entry(dn, [...this.#attributes]);
      if (e === undefined) throw notFound(dn);
      const stored = this.#ad
        ? { raw: readLockout(e).raw, state: adState(this.#toUser(e)) }
        : readLockout(e);
      const { write, result } = decide(stored);
      if (!this.#writable(e)) return unwritten(result);
      if (write === undefined) return result;
      const ok = await this.#pool.run(what, async (c) => {
        try {
          await c.modify(e.dn, compareAndSet(stored.raw, lockoutText(write)));
          return true;
        } catch (err) {
          if (lostRace(err)) return false;
          if (err instanceof NoSuchObjectError) throw notFound(dn);
          throw err;
        }
      });
      if (ok) return result;
    }
    throw new SsoRepositoryUnavailableError(
      'protocol',
      `${what}: ${MAX_CAS_ATTEMPTS} compare-and-set attempts on ${dn} all lost a race`,
    );
  }

  recordFailure(dn: UserDn, policy: LockoutPolicy, now: Date): Promise<RecordedFailure> {
    return this.#casLoop(
      dn,
      'record failure',
      (stored) => {
        const previous = stored.state;
        const transition = onPasswordFailure(previous, policy, now);
        return {
          write: transition.event === 'already_locked' ? undefined : transition.state,
          result: { ...transition, previous },
        };
      },
      // AD without the SSO schema extension: nothing is counted here (AD counts the bind).
      (result) => ({ ...result, unrecorded: true }),
    );
  }

  resetFailures(dn: UserDn): Promise<ReplacedLockout> {
    return this.unlock(dn);
  }

  unlock(dn: UserDn): Promise<ReplacedLockout> {
    return this.#casLoop<ReplacedLockout>(
      dn,
      'unlock',
      (stored) => ({
        write: { failureCount: 0, locked: false, lockTimestamp: undefined },
        result: stored.state,
      }),
      // AD without the SSO schema extension: AD's lock stands; nothing was released here.
      (result) => ({ ...result, unrecorded: true }),
    );
  }

  /**
   * The DNs of the users (those matching `prefix`, when given, by the directory's index),
   * sorted by their lower-cased text: one subtree search asking for no attribute (`1.1`).
   */
  async #enumerate(prefix: string): Promise<Enumeration> {
    const dns = await this.#pool.run('list users', (c) =>
      this.#search(c, this.#base, 'sub', this.#userFilter(this.#prefixFilter(prefix)), ['1.1']),
    );
    const sorted = dns
      .map((e) => ({ dn: e.dn, key: e.dn.toLowerCase() }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return {
      prefix,
      at: Date.now(),
      dns: sorted.map((x) => x.dn),
      keys: sorted.map((x) => x.key),
    };
  }

  /** `(|(uid=PREFIX*)(cn=PREFIX*))` (AD: sAMAccountName), or nothing for the empty prefix. */
  #prefixFilter(prefix: string): Filter | undefined {
    if (prefix === '') return undefined;
    return new OrFilter({
      filters: [this.#uidAttribute, 'cn'].map(
        (attribute) => new SubstringFilter({ attribute, initial: prefix }),
      ),
    });
  }

  /**
   * A page after the cursor (the lower-cased DN of the previous page's last user). The first
   * page of a walk enumerates the DNs under the base — all of them, or with `prefix` those the
   * directory finds by its index — which costs O(users) (O(matches)); the following pages of
   * the walk are served from that enumeration while it is younger than `enumerationReuseMs`
   * (default {@link ENUMERATION_REUSE_MS}), so that they cost O(page): one base-scope read per
   * user of the page. A user deleted since is left out (its read finds nothing); one added
   * since is not in this walk. LDAP offers no cheaper way that slapd and AD both support
   * without configuration: see
   * docs/ldap.md "Listing users".
   */
  async listUsers(page: PageRequest): Promise<Page<SsoUser>> {
    if (!Number.isSafeInteger(page.limit) || page.limit < 1 || page.limit > 1000) {
      throw new RangeError(`limit must be 1–1000: ${page.limit}`);
    }
    const prefix = page.prefix ?? '';
    if (prefix.length > MAX_SEARCH_PREFIX || !prefix.isWellFormed()) {
      throw new RangeError(`prefix must be at most ${MAX_SEARCH_PREFIX} characters of text`);
    }
    let list = this.#enumeration;
    if (
      page.cursor === undefined ||
      list?.prefix !== prefix ||
      Date.now() - list.at >= this.#reuseMs
    ) {
      list = await this.#enumerate(prefix);
      this.#keep(list);
    }
    const from = page.cursor === undefined ? 0 : firstAfter(list.keys, page.cursor);
    const slice = list.dns.slice(from, from + page.limit);
    const users = await Promise.all(slice.map((dn) => this.#entry(dn)));
    const items = users.filter((e): e is Entry => e !== undefined).map((e) => this.#toUser(e));
    const more = from + page.limit < list.keys.length;
    return { items, nextCursor: more ? list.keys[from + page.limit - 1] : undefined };
  }

  /** Keeps an enumeration for the next pages of its walk, and lets it go when it is stale. */
  #keep(list: Enumeration): void {
    clearTimeout(this.#forget);
    if (this.#reuseMs <= 0) return;
    this.#enumeration = list;
    this.#forget = setTimeout(() => {
      if (this.#enumeration === list) this.#enumeration = undefined;
    }, this.#reuseMs);
    this.#forget.unref();
  }

  /**
   * One subtree search `(&(uid=*)(|(uid=PREFIX*)(cn=PREFIX*)))` (the prefix travels as a BER
   * substring, never as filter text) with a size limit of `limit` + 1: the directory stops
   * after that many matches, so a page costs O(limit) entries whatever the directory's size —
   * with a `sub` (or `subinitial`) index on uid and cn the candidates are found by index too
   * (docs/ldap.md). The matches are then sorted here; when more than `limit` match, which
   * `limit` come back is the directory's choice (see UserSearchResult.truncated).
   */
  async searchUsers(search: UserSearch): Promise<UserSearchResult> {
    checkSearch(search);
    const p = search.prefix;
    const filter = this.#userFilter(this.#prefixFilter(p));
    const entries = await this.#pool.run('search users', (c) =>
      c
        .search(this.#base, {
          scope: 'sub',
          filter,
          attributes: this.#attributes,
          explicitBufferAttributes: ['userCertificate;binary', 'userCertificate'],
          sizeLimit: search.limit + 1,
        })
        .then(
          (r) => r.searchEntries,
          (e: unknown) => {
            if (e instanceof NoSuchObjectError || e instanceof InvalidDNSyntaxError) return [];
            throw e;
          },
        ),
    );
    const lower = p.toLowerCase();
    // The directory's matching rules are its own: keep what the port's rule matches.
    const found = entries
      .map((e) => this.#toUser(e))
      .filter((u) => matchesPrefix(u, lower))
      .sort(bySearchOrder);
    return { items: found.slice(0, search.limit), truncated: entries.length > search.limit };
  }
}

/** The lockout state an AD user's mapping gives (lockoutTime, or the SSO attributes). */
function adState(u: SsoUser): LockoutState {
  const locked = u.ssoUserStatus === 'locked';
  return {
    failureCount: u.ssoFailureCount,
    locked,
    lockTimestamp: locked ? u.ssoLockTimeStamp : undefined,
  };
}
