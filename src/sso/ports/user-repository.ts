/**
 * The port through which the SSO domain reads and writes user entries. Adapters (memory here;
 * sqlite and LDAP in src/storage) implement it and run the contract suite
 * tests/sso/core/user-repository-contract.ts.
 *
 * Errors are `SsoError`s: `SSO_USER_NOT_FOUND` for an operation on a DN that does not
 * exist, `SSO_USER_EXISTS` when `add` meets a DN or uid already present.
 */
import type { PasswordVerdict } from '../core/authenticate.ts';
import type { FailureTransition, LockoutPolicy, LockoutState } from '../core/lockout.ts';
import type { CertMappingAttribute, SsoUser, UserDn } from '../core/user.ts';

/** A page request of {@link UserRepository.listUsers}. */
export interface PageRequest {
  /** Opaque cursor from the previous page; undefined for the first page. */
  readonly cursor: string | undefined;
  /** Maximum users in the page, 1–1000. */
  readonly limit: number;
  /**
   * Only users whose `uid` or one of whose `cn` values starts with this are wanted (compared
   * case-insensitively, as {@link UserSearch.prefix}; at most {@link MAX_SEARCH_PREFIX}
   * characters). A narrowing that a repository applies where it makes pages cheaper — a
   * directory searches by it, with its index, instead of enumerating every user — and may
   * ignore: the pages may hold other users too (callers that want only matches filter with
   * {@link matchesPrefix}), never fewer. The cursor is the same with or without it.
   */
  readonly prefix?: string | undefined;
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Cursor of the next page; undefined on the last page. */
  readonly nextCursor: string | undefined;
}

/** A request of {@link UserRepository.searchUsers}. */
export interface UserSearch {
  /**
   * Users whose `uid` or one of whose `cn` values starts with this, compared
   * case-insensitively; empty = every user. At most 256 characters.
   */
  readonly prefix: string;
  /** Maximum users returned, 1–1000. */
  readonly limit: number;
}

export interface UserSearchResult {
  /** Matching users, sorted by user ID (case-insensitively, then exactly, then by DN). */
  readonly items: readonly SsoUser[];
  /**
   * More users match than `limit`: `items` holds `limit` of them — the first ones in that order
   * on the embedded store, any ones on a directory (which stops after `limit` + 1 matches
   * instead of sorting them all). A search narrows rather than pages: refine the prefix.
   */
  readonly truncated: boolean;
}

/** Longest {@link UserSearch.prefix}, characters. */
export const MAX_SEARCH_PREFIX = 256;

/** Whether `user` matches a search prefix (lower-cased). */
export function matchesPrefix(user: SsoUser, lowerPrefix: string): boolean {
  return (
    user.uid.toLowerCase().startsWith(lowerPrefix) ||
    user.cn.some((c) => c.toLowerCase().startsWith(lowerPrefix))
  );
}

/** The order of {@link UserSearchResult.items}. */
export function bySearchOrder(a: SsoUser, b: SsoUser): number {
  const cmp = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
  return (
    cmp(a.uid.toLowerCase(), b.uid.toLowerCase()) ||
    cmp(a.uid, b.uid) ||
    cmp(a.dn.toLowerCase(), b.dn.toLowerCase())
  );
}

/** Refuses a malformed search (RangeError), as `listUsers` does a malformed page. */
export function checkSearch(search: UserSearch): void {
  if (!Number.isSafeInteger(search.limit) || search.limit < 1 || search.limit > 1000) {
    throw new RangeError(`limit must be 1–1000: ${search.limit}`);
  }
  if (search.prefix.length > MAX_SEARCH_PREFIX || !search.prefix.isWellFormed()) {
    throw new RangeError(`prefix must be at most ${MAX_SEARCH_PREFIX} characters of text`);
  }
}

/** The modifiable attributes; the lockout attributes change only through the lockout methods. */
export type UserChanges = Partial<
  Omit<SsoUser, 'dn' | 'ssoFailureCount' | 'ssoUserStatus' | 'ssoLockTimeStamp'>
>;

/** The result of {@link UserRepository.recordFailure}. */
export interface RecordedFailure extends FailureTransition {
  /** The state before the transition (as compared). */
  readonly previous: LockoutState;
  /**
   * True when the repository keeps no lockout state for this user and wrote nothing (Active
   * Directory without the SSO schema extension: the directory's own lockout policy counts the
   * failed bind); `state` and `event` are then only what the transition would have been, and
   * the caller records no count and no lock.
   */
  readonly unrecorded?: boolean;
}

/**
 * The lockout state a reset or release replaced. `unrecorded`: the repository does not keep
 * this user's lockout state (Active Directory without the SSO schema extension: AD's own lock
 * stands), so nothing was written and there is nothing to log as released or reset.
 */
export type ReplacedLockout = LockoutState & { readonly unrecorded?: boolean };

/**
 * Password verification by the repository itself, for a repository that cannot hand out
 * password hashes (Active Directory: `unicodePwd` is write-only): the directory checks the
 * password. The repository server then calls these instead of the hasher, following the same
 * timing rule (src/sso/core/authenticate.ts): every attempt with a password costs one
 * `verify` or one `dummyVerify`, which cost the same.
 *
 * Neither method logs, keeps or echoes the password; both reject with
 * `SSO_REPOSITORY_UNAVAILABLE` when the directory cannot answer.
 */
export interface PasswordVerifier {
  /** The directory's verdict on `password` for `user` (found by this repository). */
  verify(user: SsoUser, password: string): Promise<PasswordVerdict>;
  /**
   * Spends what {@link verify} costs — against no account — and resolves `mismatch`: for
   * unknown users, locked users and every other attempt whose password is not checked.
   */
  dummyVerify(password: string): Promise<'mismatch'>;
}

export interface UserRepository {
  /**
   * The user whose `uid` equals `uid` (exact, case-sensitive), or undefined. When several entries
   * carry it the result is undefined too: a duplicate uid must not authenticate (J-MUID).
   */
  findByUid(uid: string): Promise<SsoUser | undefined>;

  /** The user with this DN (compared case-insensitively), or undefined. */
  findByDn(dn: UserDn): Promise<SsoUser | undefined>;

  /**
   * Users any of whose values of `attribute` equals `value` case-insensitively (these attributes
   * are case-insensitive, §5.1). Returns every match; the caller requires exactly one (J-MUID).
   */
  findByCertificate(attribute: CertMappingAttribute, value: string): Promise<readonly SsoUser[]>;

  /** Stores a new user; `SSO_USER_EXISTS` when the DN or the uid is taken. */
  add(user: SsoUser): Promise<void>;

  /** Replaces the given attributes; returns the updated user. `SSO_USER_NOT_FOUND` if absent. */
  modify(dn: UserDn, changes: UserChanges): Promise<SsoUser>;

  /** Removes the user; `SSO_USER_NOT_FOUND` if absent. */
  delete(dn: UserDn): Promise<void>;

  /**
   * Applies `onPasswordFailure(state, policy, now)` (src/sso/core/lockout.ts) atomically:
   * read the lockout state, compute the transition, and write it only if the stored state is
   * still the one read — a compare-and-set on `ssoFailureCount`, `ssoUserStatus` and
   * `ssoLockTimeStamp` (LDAP: modify with `delete: ssoFailureCount: <old>` + `add: <new>`, which
   * fails when the old value is gone; SQL: `UPDATE … WHERE failure_count = ? AND status = ? …`)
   * — retrying from the read on conflict. Guarantees, for any interleaving of concurrent calls:
   * every call is counted once; exactly one call returns `locked` per lock; the count never
   * exceeds `policy.maxFailureCount` (when non-zero); calls on a locked user return
   * `already_locked` and change nothing. `SSO_USER_NOT_FOUND` if absent.
   */
  recordFailure(dn: UserDn, policy: LockoutPolicy, now: Date): Promise<RecordedFailure>;

  /**
   * A successful password authentication: failure count 0, status good, lock time removed
   * (`onSuccess`). Idempotent. Resolves the lockout state it replaced, read and written
   * atomically, so that of concurrent calls exactly one sees a given lock (and records its
   * release). `SSO_USER_NOT_FOUND` if absent.
   */
  resetFailures(dn: UserDn): Promise<ReplacedLockout>;

  /**
   * Releases a lock (manual [Release User Lock], or the lazy automatic release): status good,
   * count 0, lock time removed (`release`). Idempotent; resolves the state it replaced,
   * atomically, like {@link resetFailures}. `SSO_USER_NOT_FOUND` if absent.
   */
  unlock(dn: UserDn): Promise<ReplacedLockout>;

  /**
   * Users in a stable order (by DN, case-insensitively), a page at a time. A walk through the
   * pages shows every user that exists from its first page to its last exactly once; a user
   * added meanwhile may be missing (a directory serves the later pages of a walk from the
   * enumeration of its first page, for a while: docs/ldap.md "Listing users").
   */
  listUsers(page: PageRequest): Promise<Page<SsoUser>>;

  /**
   * Users by the start of their user ID or common name (the console's search box), at most
   * `limit`; see {@link UserSearchResult} for the order and what `truncated` means. RangeError
   * for a limit outside 1–1000 or a prefix over {@link MAX_SEARCH_PREFIX} characters.
   */
  searchUsers(search: UserSearch): Promise<UserSearchResult>;

  /**
   * Only where reads may be served by replicas that lag (update and reference servers,
   * src/storage/ldap/replicated-user-repository.ts): the user with this DN as the store that
   * is written to holds it now, or undefined. The repository server decides a sign-on on it,
   * so that a lock (or a new password, or a deletion) is never bypassed through a stale copy.
   * Absent on a repository whose reads are always current.
   */
  findCurrent?(dn: UserDn): Promise<SsoUser | undefined>;

  /**
   * Only on a repository that verifies passwords itself (Active Directory, by a bind as the
   * user): the repository server uses it instead of comparing with `userPassword`, which such
   * a repository never returns. Wrappers pass it on. Absent everywhere else.
   */
  readonly passwordVerifier?: PasswordVerifier;
}
