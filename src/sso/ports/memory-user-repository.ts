/**
 * An in-memory {@link UserRepository} for tests and development. Each method reads and writes
 * within one synchronous section, so JavaScript's run-to-completion makes every operation atomic;
 * `recordFailure` nevertheless follows the compare-and-set protocol of the port (with an awaited
 * gap between the read and the write, so that concurrent calls really interleave) to serve as the
 * reference implementation of it.
 */
import { SsoError } from '../core/errors.ts';
import type { LockoutPolicy, LockoutState } from '../core/lockout.ts';
import {
  lockoutAttributes,
  lockoutStateOf,
  onPasswordFailure,
  release,
  sameLockoutState,
} from '../core/lockout.ts';
import type { CertMappingAttribute, SsoUser, UserDn } from '../core/user.ts';
import { mappingValues } from '../core/user.ts';
import type {
  Page,
  PageRequest,
  RecordedFailure,
  UserChanges,
  UserRepository,
  UserSearch,
  UserSearchResult,
} from './user-repository.ts';
import { MAX_SEARCH_PREFIX, bySearchOrder, checkSearch, matchesPrefix } from './user-repository.ts';

const key = (dn: string): string => dn.toLowerCase();

function notFound(dn: string): SsoError {
  return new SsoError('SSO_USER_NOT_FOUND', `no user ${dn}`);
}

export class MemoryUserRepository implements UserRepository {
  readonly #users = new Map<string, SsoUser>();

  #get(dn: UserDn): SsoUser {
    const u = this.#users.get(key(dn));
    if (u === undefined) throw notFound(dn);
    return u;
  }

  findByUid(uid: string): Promise<SsoUser | undefined> {
    const found = [...this.#users.values()].filter((u) => u.uid === uid);
    return Promise.resolve(found.length === 1 ? found[0] : undefined);
  }

  findByDn(dn: UserDn): Promise<SsoUser | undefined> {
    return Promise.resolve(this.#users.get(key(dn)));
  }

  findByCertificate(attribute: CertMappingAttribute, value: string): Promise<readonly SsoUser[]> {
    const v = value.toLowerCase();
    return Promise.resolve(
      [...this.#users.values()].filter((u) =>
        mappingValues(u, attribute).some((x) => x.toLowerCase() === v),
      ),
    );
  }

  add(user: SsoUser): Promise<void> {
    if (this.#users.has(key(user.dn))) {
      return Promise.reject(new SsoError('SSO_USER_EXISTS', `DN exists: ${user.dn}`));
    }
    for (const u of this.#users.values()) {
      if (u.uid === user.uid) {
        return Promise.reject(new SsoError('SSO_USER_EXISTS', `uid exists: ${user.uid}`));
      }
    }
    this.#users.set(key(user.dn), user);
    return Promise.resolve();
  }

  modify(dn: UserDn, changes: UserChanges): Promise<SsoUser> {
    try {
      const before = this.#get(dn);
      if (changes.uid !== undefined && changes.uid !== before.uid) {
        for (const u of this.#users.values()) {
          if (u.uid === changes.uid) throw new SsoError('SSO_USER_EXISTS', `uid exists: ${u.uid}`);
        }
      }
      const after: SsoUser = { ...before, ...changes };
      this.#users.set(key(dn), after);
      return Promise.resolve(after);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  delete(dn: UserDn): Promise<void> {
    if (!this.#users.delete(key(dn))) return Promise.reject(notFound(dn));
    return Promise.resolve();
  }

  async recordFailure(dn: UserDn, policy: LockoutPolicy, now: Date): Promise<RecordedFailure> {
    for (;;) {
      const read = lockoutStateOf(this.#get(dn));
      const transition = onPasswordFailure(read, policy, now);
      // Let other calls run between the read and the write, as a remote store would.
      await Promise.resolve();
      const current = this.#get(dn);
      if (!sameLockoutState(lockoutStateOf(current), read)) continue; // lost the race: retry
      if (transition.event !== 'already_locked') {
        this.#users.set(key(dn), { ...current, ...lockoutAttributes(transition.state) });
      }
      return { ...transition, previous: read };
    }
  }

  resetFailures(dn: UserDn): Promise<LockoutState> {
    return this.unlock(dn);
  }

  unlock(dn: UserDn): Promise<LockoutState> {
    try {
      const u = this.#get(dn);
      const previous = lockoutStateOf(u);
      this.#users.set(key(dn), { ...u, ...lockoutAttributes(release(previous)) });
      return Promise.resolve(previous);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  listUsers(page: PageRequest): Promise<Page<SsoUser>> {
    if (!Number.isSafeInteger(page.limit) || page.limit < 1 || page.limit > 1000) {
      return Promise.reject(new RangeError(`limit must be 1–1000: ${page.limit}`));
    }
    const prefix = page.prefix ?? '';
    if (prefix.length > MAX_SEARCH_PREFIX || !prefix.isWellFormed()) {
      return Promise.reject(
        new RangeError(`prefix must be at most ${MAX_SEARCH_PREFIX} characters`),
      );
    }
    const lower = prefix.toLowerCase();
    const all = [...this.#users.entries()]
      .filter(([, u]) => prefix === '' || matchesPrefix(u, lower))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const start = page.cursor === undefined ? 0 : all.findIndex(([k]) => k > page.cursor!);
    const from = start < 0 ? all.length : start;
    const slice = all.slice(from, from + page.limit);
    const last = slice.at(-1);
    const nextCursor = from + page.limit < all.length && last !== undefined ? last[0] : undefined;
    return Promise.resolve({ items: slice.map(([, u]) => u), nextCursor });
  }

  searchUsers(search: UserSearch): Promise<UserSearchResult> {
    try {
      checkSearch(search);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    const p = search.prefix.toLowerCase();
    const found = [...this.#users.values()].filter((u) => matchesPrefix(u, p)).sort(bySearchOrder);
    return Promise.resolve({
      items: found.slice(0, search.limit),
      truncated: found.length > search.limit,
    });
  }
}
