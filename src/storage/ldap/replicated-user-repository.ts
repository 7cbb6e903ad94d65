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
 * Failover policy. Only `SSO_REPOSITORY_UNAVAILABLE` (connect, bind, timeout, protocol) moves a
 * read to the next server; any other answer (a user not found, an invalid value) is the
 * answer. A reference server that failed is skipped for `retryAfterMs` (default
 * {@link DEFAULT_RETRY_AFTER_MS}): reads meanwhile go to the next one without paying its
 * connect timeout on every request. After that the next read tries it again, in its place in
 * the order (so reads return to it once it is back). When every server not backing off has
 * failed, the servers still backing off are tried as a last resort before the read fails —
 * better one slow answer than a refused sign-on. The update server is never skipped.
 *
 * Lag. A consumer in refreshAndPersist mode normally holds a change milliseconds after the
 * provider made it; a consumer that lost its provider holds what it had, until it reconnects
 * (syncrepl `retry`). During that lag a read may return the previous state of an entry:
 * a password changed on the provider still accepts the old one on that consumer, a user
 * deleted there is still found (the lockout writes then answer SSO_USER_NOT_FOUND). Lockout
 * is not affected (see above). `docs/ldap.md` "Update and reference servers" states the bounds.
 */
import { isRepositoryUnavailable, SsoRepositoryUnavailableError } from '../../sso/core/errors.ts';
import type { LockoutPolicy, LockoutState } from '../../sso/core/lockout.ts';
import type { CertMappingAttribute, SsoUser, UserDn } from '../../sso/core/user.ts';
import type {
  Page,
  PageRequest,
  PasswordVerifier,
  RecordedFailure,
  UserChanges,
  UserRepository,
  UserSearch,
  UserSearchResult,
} from '../../sso/ports/user-repository.ts';

/** Default milliseconds a failed reference server is skipped. */
export const DEFAULT_RETRY_AFTER_MS = 10_000;

/** A server of the set: its repository and a name for events (its URL). */
export interface RepositoryServerEndpoint {
  readonly name: string;
  readonly repo: UserRepository;
}

/** What happened to a read (for operational logs and tests). */
export type FailoverEvent =
  | {
      readonly kind: 'unavailable';
      readonly server: string;
      readonly operation: string;
      readonly error: SsoRepositoryUnavailableError;
    }
  | { readonly kind: 'served'; readonly server: string; readonly operation: string };

export interface ReplicatedUserRepositoryOptions {
  /** The update-type server (the provider). */
  readonly update: RepositoryServerEndpoint;
  /** The reference-type servers (consumers), in the order reads try them. */
  readonly references: readonly RepositoryServerEndpoint[];
  /** Milliseconds a failed reference server is skipped; default {@link DEFAULT_RETRY_AFTER_MS}. */
  readonly retryAfterMs?: number;
  /** Called for every failed attempt and for the server that served each read. */
  readonly onEvent?: (event: FailoverEvent) => void;
  readonly now?: () => number;
}

export class ReplicatedUserRepository implements UserRepository {
  readonly #update: RepositoryServerEndpoint;
  readonly #references: readonly RepositoryServerEndpoint[];
  readonly #retryAfterMs: number;
  readonly #onEvent: ((event: FailoverEvent) => void) | undefined;
  readonly #now: () => number;
  /** Reference server name → time (ms) until which it is skipped. */
  readonly #backoff = new Map<string, number>();

  constructor(options: ReplicatedUserRepositoryOptions) {
    this.#update = options.update;
    this.#references = options.references;
    this.#retryAfterMs = options.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS;
    this.#onEvent = options.onEvent;
    this.#now = options.now ?? Date.now;
    if (options.update.repo.passwordVerifier !== undefined) {
      const check = <T>(what: string, fn: (v: PasswordVerifier) => Promise<T>): Promise<T> =>
        this.#updateFirst(what, (repo) => {
          const v = repo.passwordVerifier;
          if (v === undefined) throw new Error(`${what}: a server of the set has no verifier`);
          return fn(v);
        });
      this.passwordVerifier = {
        verify: (user, password) => check('verify password', (v) => v.verify(user, password)),
        dummyVerify: (password) => check('verify password', (v) => v.dummyVerify(password)),
      };
    }
  }

  readonly passwordVerifier?: PasswordVerifier;

  /** The order a read tries the servers in now. */
  #readOrder(): RepositoryServerEndpoint[] {
    const now = this.#now();
    const ready: RepositoryServerEndpoint[] = [];
    const waiting: RepositoryServerEndpoint[] = [];
    for (const r of this.#references) {
      const until = this.#backoff.get(r.name);
      if (until !== undefined && until > now) waiting.push(r);
      else ready.push(r);
    }
    return [...ready, this.#update, ...waiting];
  }

  /** The update server, then (when it is unavailable) the others in read order. */
  #updateFirst<T>(operation: string, fn: (repo: UserRepository) => Promise<T>): Promise<T> {
    const rest = this.#readOrder().filter((s) => s !== this.#update);
    return this.#tryInOrder([this.#update, ...rest], operation, fn);
  }

  #read<T>(operation: string, fn: (repo: UserRepository) => Promise<T>): Promise<T> {
    return this.#tryInOrder(this.#readOrder(), operation, fn);
  }

  async #tryInOrder<T>(
    order: readonly RepositoryServerEndpoint[],
    operation: string,
    fn: (repo: UserRepository) => Promise<T>,
  ): Promise<T> {
    let last: SsoRepositoryUnavailableError | undefined;
    for (const server of order) {
      try {
        const result = await fn(server.repo);
        if (server !== this.#update) this.#backoff.delete(server.name);
        this.#onEvent?.({ kind: 'served', server: server.name, operation });
        return result;
      } catch (e) {
        if (!isRepositoryUnavailable(e)) throw e;
        last = e;
        if (server !== this.#update) {
          this.#backoff.set(server.name, this.#now() + this.#retryAfterMs);
        }
        this.#onEvent?.({ kind: 'unavailable', server: server.name, operation, error: e });
      }
    }
    // Every server failed: the last failure is the reason reported.
    throw last ?? new SsoRepositoryUnavailableError('connect', `${operation}: no server`);
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

  resetFailures(dn: UserDn): Promise<LockoutState> {
    return this.#update.repo.resetFailures(dn);
  }

  unlock(dn: UserDn): Promise<LockoutState> {
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
