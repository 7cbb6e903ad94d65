/**
 * ReplicatedUserRepository: the SSO users over one update-type repository server (an LDAP
 * provider) and reference-type ones (its syncrepl consumers), as the reference describes
 * (shared/reference/sso-interstage.md §1, EG-53, EG-56).
 *
 * - Reads (`findByUid`, `findByDn`, `findByCertificate`, `listUsers`, `searchUsers`) go to the first reference
 *   server that answers, in the configured order, and finally to the update server.
 * - Writes (`add`, `modify`, `delete`, and the lockout writes `recordFailure`, `resetFailures`,
 *   `unlock`) go to the update server only, and so do the reads they are made of: the lockout
 *   compare-and-set reads the state it compares on the update server, never on a consumer that
 *   may lag. `findCurrent` reads a user there too, for the repository server to decide a
 *   sign-on on the entry locks are written to (one base-scope read per sign-on that found a
 *   user; the searches by user ID or certificate stay on the reference servers).
 *
 * Failover policy: ./failover.ts (only SSO_REPOSITORY_UNAVAILABLE moves a read on; a failed
 * reference server is skipped for `retryAfterMs`; the update server is never skipped).
 *
 * Lag. A consumer in refreshAndPersist mode normally holds a change milliseconds after the
 * provider made it; a consumer that lost its provider holds what it had, until it reconnects
 * (syncrepl `retry`). During that lag a read may return the previous state of an entry:
 * a password changed on the provider still accepts the old one on that consumer, a user
 * deleted there is still found (the lockout writes then answer SSO_USER_NOT_FOUND). Lockout
 * is not affected (see above). `docs/ldap.md` "Update and reference servers" states the bounds.
 */
import { FailoverReads, type FailoverOptions, type ServerEndpoint } from './failover.ts';
import type { LockoutPolicy } from '../../sso/core/lockout.ts';
import type { CertMappingAttribute, SsoUser, UserDn } from '../../sso/core/user.ts';
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

export { DEFAULT_RETRY_AFTER_MS, type FailoverEvent } from './failover.ts';

/** A server of the set: its repository and a name for events (its URL). */
export type RepositoryServerEndpoint = ServerEndpoint<UserRepository>;

/** The servers, the back-off and the observer of the reads (./failover.ts). */
export type ReplicatedUserRepositoryOptions = FailoverOptions<UserRepository>;

export class ReplicatedUserRepository implements UserRepository {
  readonly #reads: FailoverReads<UserRepository>;
  readonly #update: RepositoryServerEndpoint;

  constructor(options: ReplicatedUserRepositoryOptions) {
    this.#reads = new FailoverReads(options);
    this.#update = options.update;
    if (options.update.repo.passwordVerifier !== undefined) {
      // A bind as the user: the update server first, the others when it is unavailable.
      const check = <T>(what: string, fn: (v: PasswordVerifier) => Promise<T>): Promise<T> =>
        this.#reads.read(
          what,
          (repo) => {
            const v = repo.passwordVerifier;
            if (v === undefined) throw new Error(`${what}: a server of the set has no verifier`);
            return fn(v);
          },
          true,
        );
      this.passwordVerifier = {
        verify: (user, password) => check('verify password', (v) => v.verify(user, password)),
        dummyVerify: (password) => check('verify password', (v) => v.dummyVerify(password)),
      };
    }
  }

  readonly passwordVerifier?: PasswordVerifier;

  #read<T>(operation: string, fn: (repo: UserRepository) => Promise<T>): Promise<T> {
    return this.#reads.read(operation, fn);
  }

  findByUid(uid: string): Promise<SsoUser | undefined> {
    return this.#read('find user by ID', (r) => r.findByUid(uid));
  }

  findByDn(dn: UserDn): Promise<SsoUser | undefined> {
    return this.#read('read user', (r) => r.findByDn(dn));
  }

  findByCertificate(attribute: CertMappingAttribute, value: string): Promise<readonly SsoUser[]> {
    return this.#read('find user by certificate', (r) => r.findByCertificate(attribute, value));
  }

  listUsers(page: PageRequest): Promise<Page<SsoUser>> {
    return this.#read('list users', (r) => r.listUsers(page));
  }

  searchUsers(search: UserSearch): Promise<UserSearchResult> {
    return this.#read('search users', (r) => r.searchUsers(search));
  }

  add(user: SsoUser): Promise<void> {
    return this.#update.repo.add(user);
  }

  modify(dn: UserDn, changes: UserChanges): Promise<SsoUser> {
    return this.#update.repo.modify(dn, changes);
  }

  delete(dn: UserDn): Promise<void> {
    return this.#update.repo.delete(dn);
  }

  recordFailure(dn: UserDn, policy: LockoutPolicy, now: Date): Promise<RecordedFailure> {
    return this.#update.repo.recordFailure(dn, policy, now);
  }

  resetFailures(dn: UserDn): Promise<ReplacedLockout> {
    return this.#update.repo.resetFailures(dn);
  }

  unlock(dn: UserDn): Promise<ReplacedLockout> {
    return this.#update.repo.unlock(dn);
  }

  /**
   * The user as the update server holds it (undefined when it is not there): the repository
   * server decides a sign-on on this entry, so that a lagging consumer cannot show a locked
   * user as unlocked (nor accept a replaced password, nor a deleted user).
   * SSO_REPOSITORY_UNAVAILABLE when the update server does not answer.
   */
  findCurrent(dn: UserDn): Promise<SsoUser | undefined> {
    return this.#update.repo.findByDn(dn);
  }
}
