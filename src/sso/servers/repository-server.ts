/**
 * The repository server (shared/reference/sso-interstage.md §1 "Components"): authenticates users
 * on behalf of authentication servers against the SSO repository, keeps the lockout state, and
 * writes the repository server's access log (§2, §3.1, §4.1) and the system log.
 *
 * One `authenticate` call is one request of an authentication server. It follows the protocol of
 * src/sso/core/authenticate.ts: look the user up (by user ID and/or certificate), spend exactly
 * one argon2id whenever a password was presented (the real one or a dummy: unknown users cost
 * what known ones cost; on a repository that verifies passwords itself,
 * `UserRepository.passwordVerifier` — Active Directory — one bind, real or dummy), decide with
 * `decideAttempt`, then apply the lockout action through the repository's atomic operations,
 * whose result — not the state read before — decides the supplementary information, so that
 * 100 parallel wrong passwords lock the user exactly once.
 *
 * This process is the update system (更新系): lockout writes are its own, and each one is also
 * recorded as a `Modification succeeded.` line with the update-system supplementary (seed 003).
 */
import type { SsoUser } from '../core/user.ts';
import { isRepositoryUnavailable, SsoError, type RepositoryFailureReason } from '../core/errors.ts';
import type { CertMappingAttribute } from '../core/user.ts';
import type {
  AttemptInput,
  AttemptOutcome,
  AuthSupplementaryId,
  LogResult,
} from '../core/authenticate.ts';
import {
  decideAttempt,
  failureSupplementary,
  presentedMethod,
  shouldVerifyPassword,
  verdictInput,
} from '../core/authenticate.ts';
import type { LockoutPolicy } from '../core/lockout.ts';
import type { PasswordHasher } from '../core/password.ts';
import type { PresentedCertificate } from '../core/certificate-mapping.ts';
import { mappingValue, matchStoredCertificate } from '../core/certificate-mapping.ts';
import type { UserRepository } from '../ports/user-repository.ts';
import type { SessionManager } from './session-manager.ts';
import type {
  RepositoryRecord,
  Supplementary,
  SystemLog,
  UserIdentification,
} from '../../logs/index.ts';

/** The attribute a password sign-on's user ID is searched by (`alternative-uid-attribute`). */
export type UidAttribute = 'uid' | CertMappingAttribute;

export interface RepositoryServerOptions {
  readonly users: UserRepository;
  readonly hasher: PasswordHasher;
  /** The lockout policy now (read at each request, so a configuration change applies at once). */
  readonly policy: () => LockoutPolicy;
  /** `certificate-mapping-attribute`. */
  readonly certificateMappingAttribute: CertMappingAttribute;
  /** `certificate-identification`: also compare with the stored certificate. */
  readonly compareStoredCertificate: boolean;
  /** `alternative-uid-attribute`; default `uid`. */
  readonly uidAttribute?: UidAttribute;
  /** `repository-user-search-base`: users outside it are not found; undefined = everywhere. */
  readonly userSearchBase?: string | undefined;
  /** Writes one repository access-log line. */
  readonly log: (record: RepositoryRecord) => void;
  readonly systemLog: SystemLog;
  /** Whether session management is on (adds `SessionID="…"` to every line). */
  readonly sessionManagement?: boolean;
  /**
   * Session management hosted by this repository server: a successful authentication signs the
   * user on (one sign-on per user ID) and the line carries the new session's ID.
   */
  readonly sessions?: Pick<SessionManager, 'signOn'> | undefined;
  readonly now?: () => Date;
}

/** One authentication request from an authentication server. */
export interface RepositoryAuthRequest {
  readonly uid?: string | undefined;
  readonly password?: string | undefined;
  /** The client certificate, already verified against the trusted CAs by the TLS layer. */
  readonly certificate?: PresentedCertificate | undefined;
  /** IP address of the browser. */
  readonly client: string | undefined;
  /** IP address of the requesting authentication server. */
  readonly authServer: string | undefined;
  readonly sessionId?: string | undefined;
}

/** What session management made of a successful authentication. */
export type SessionOutcome =
  | { readonly kind: 'created'; readonly sessionId: string }
  /** Already signed on elsewhere: the user may confirm a forced sign-on of `pendingId`. */
  | {
      readonly kind: 'conflict';
      readonly pendingId: string;
      readonly existing: { readonly client: string | undefined; readonly createdAt: Date };
    }
  /** Already signed on elsewhere and forced sign-on is not allowed. */
  | { readonly kind: 'refused' };

export interface RepositoryAuthResult {
  readonly outcome: AttemptOutcome;
  /** With session management, for a successful authentication. */
  readonly session?: SessionOutcome | undefined;
  /** Who the lines are about (DN, user ID, or the certificate). */
  readonly identification: UserIdentification | undefined;
  /** Set when the user was found but is not one user (duplicate user ID or mapping value). */
  readonly notUnique: boolean;
}

const lower = (s: string): string => s.toLowerCase();

/**
 * The access-log supplementary (§4.1) and sso01040 code (J-M1040: 0x01 not ready, 0x02 LDAP
 * protocol error; 0x03 and 0x04 are Sekisho's) of each reason the repository failed.
 */
const REPOSITORY_FAILURES = {
  connect: { supplementary: 'REPOSITORY_CONNECT_FAILED', code: '0x01' },
  protocol: { supplementary: 'ABNORMAL_REPOSITORY_ACCESS', code: '0x02' },
  bind: { supplementary: 'REPOSITORY_AUTHENTICATION_FAILED', code: '0x03' },
  timeout: { supplementary: 'REPOSITORY_TIMEOUT', code: '0x04' },
} as const satisfies Record<
  RepositoryFailureReason,
  { supplementary: Supplementary; code: string }
>;

/** The certificate as the log identifies it when it names no single user (§7 Q3). */
export function certificateIdentification(cert: PresentedCertificate): UserIdentification {
  return {
    kind: 'certificate',
    serial: cert.serialNumber,
    issuerDn: cert.issuerDn,
    subjectDn: cert.subjectDn,
  };
}

export class RepositoryServer {
  readonly #o: RepositoryServerOptions;
  readonly #now: () => Date;
  readonly #base: string | undefined;

  constructor(options: RepositoryServerOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
    const base = options.userSearchBase?.trim();
    this.#base = base === undefined || base === '' ? undefined : lower(base);
  }

  /** Whether a user's DN lies at or under the user search base. */
  #inBase(user: SsoUser): boolean {
    if (this.#base === undefined) return true;
    const dn = lower(user.dn);
    return dn === this.#base || dn.endsWith(',' + this.#base);
  }

  async #byUid(uid: string): Promise<{ user: SsoUser | undefined; notUnique: boolean }> {
    const attribute = this.#o.uidAttribute ?? 'uid';
    if (attribute === 'uid') {
      const user = await this.#o.users.findByUid(uid);
      if (user !== undefined)
        return { user: this.#inBase(user) ? user : undefined, notUnique: false };
      // findByUid answers undefined for duplicates too: tell them apart for the log.
      const all = (await this.#o.users.findByCertificate('uid', uid)).filter((u) =>
        this.#inBase(u),
      );
      return { user: undefined, notUnique: all.length > 1 };
    }
    const found = (await this.#o.users.findByCertificate(attribute, uid)).filter((u) =>
      this.#inBase(u),
    );
    return { user: found.length === 1 ? found[0] : undefined, notUnique: found.length > 1 };
  }

  async #byCertificate(
    cert: PresentedCertificate,
  ): Promise<{ user: SsoUser | undefined; notUnique: boolean }> {
    const attribute = this.#o.certificateMappingAttribute;
    const value = mappingValue(cert, attribute);
    if (value === undefined) return { user: undefined, notUnique: false };
    const found = (await this.#o.users.findByCertificate(attribute, value)).filter((u) =>
      this.#inBase(u),
    );
    return { user: found.length === 1 ? found[0] : undefined, notUnique: found.length > 1 };
  }

  /**
   * With update and reference servers (`UserRepository.findCurrent`), the found user as the
   * update server holds it: the lookup may have been served by a lagging consumer, and a lock,
   * a new password or a deletion made on the update server must hold at once. When the update
   * server does not answer, the consumer's copy is used: no lock can be written meanwhile
   * anyway (a wrong password then fails with SSO_REPOSITORY_UNAVAILABLE), and sign-on stays
   * available — the bound is the lag the consumer had when the update server went down.
   */
  async #current(user: SsoUser): Promise<SsoUser | undefined> {
    const users = this.#o.users;
    if (users.findCurrent === undefined) return user;
    try {
      const current = await users.findCurrent(user.dn);
      return current === undefined || !this.#inBase(current) ? undefined : current;
    } catch (e) {
      if (isRepositoryUnavailable(e)) return user;
      throw e;
    }
  }

  #line(
    req: RepositoryAuthRequest,
    user: UserIdentification | undefined,
    result: RepositoryRecord['result'],
    supplementary: Supplementary | undefined,
  ): void {
    this.#o.log({
      log: 'repository',
      time: this.#now(),
      authServer: req.authServer,
      client: req.client,
      user,
      result,
      supplementary,
      sessionManagement: this.#o.sessionManagement ?? false,
      sessionId: req.sessionId,
    });
  }

  #modification(
    req: RepositoryAuthRequest,
    user: SsoUser,
    supplementary: Supplementary | undefined,
  ): void {
    this.#line(
      req,
      { kind: 'dn', value: user.dn },
      { token: 'Modification', outcome: 'succeeded' },
      supplementary,
    );
  }

  /**
   * Authenticates one request; never throws for anything the client sent. When the SSO
   * repository itself fails (`SSO_REPOSITORY_UNAVAILABLE`), the request is logged as
   * `Authentication(<method>) failed.` with the supplementary of the reason (§4.1) and the
   * system log gets sso01040; the error is then rethrown for the caller to answer "service
   * unavailable" (no user was authenticated, no lockout state changed here).
   */
  async authenticate(req: RepositoryAuthRequest): Promise<RepositoryAuthResult> {
    try {
      return await this.#authenticate(req);
    } catch (e) {
      if (isRepositoryUnavailable(e)) this.#repositoryFailed(req, e.reason);
      throw e;
    }
  }

  #repositoryFailed(req: RepositoryAuthRequest, reason: RepositoryFailureReason): void {
    const { supplementary, code } = REPOSITORY_FAILURES[reason];
    const identification: UserIdentification | undefined =
      req.uid !== undefined
        ? { kind: 'uid', value: req.uid }
        : req.certificate !== undefined
          ? certificateIdentification(req.certificate)
          : undefined;
    this.#line(
      req,
      identification,
      { token: `Authentication(${RepositoryServer.methodOf(req)})`, outcome: 'failed' },
      supplementary,
    );
    this.#o.systemLog.write('sso01040', code);
  }

  async #authenticate(req: RepositoryAuthRequest): Promise<RepositoryAuthResult> {
    const now = this.#now();
    const policy = this.#o.policy();
    const presented = {
      password: req.password !== undefined,
      certificate: req.certificate !== undefined,
    };
    const byUid =
      req.uid === undefined ? { user: undefined, notUnique: false } : await this.#byUid(req.uid);
    const byCert =
      req.certificate === undefined
        ? { user: undefined, notUnique: false }
        : await this.#byCertificate(req.certificate);

    // The user: by user ID when one was given (the password names it), else by certificate.
    // A certificate and a user ID that name two different users identify nobody (J-MUID).
    let user = req.uid === undefined ? byCert.user : byUid.user;
    if (user !== undefined) user = await this.#current(user);
    let conflict = false;
    if (
      user !== undefined &&
      byCert.user !== undefined &&
      lower(byCert.user.dn) !== lower(user.dn)
    ) {
      user = undefined;
      conflict = true;
    }
    const notUnique = byUid.notUnique || byCert.notUnique || conflict;
    let certificateMatches: boolean | undefined;
    if (req.certificate !== undefined) {
      certificateMatches =
        user !== undefined &&
        byCert.user !== undefined &&
        lower(byCert.user.dn) === lower(user.dn) &&
        (!this.#o.compareStoredCertificate || matchStoredCertificate(user, req.certificate));
    }

    // A repository that verifies passwords itself (Active Directory: a bind as the user)
    // replaces the hasher, with the same rule: one verification or one dummy per password.
    const verifier = this.#o.users.passwordVerifier;
    const base = {
      user,
      presented,
      certificateMatches,
      policy,
      now,
      passwordCheck: verifier === undefined ? ('stored' as const) : ('repository' as const),
    };
    let password: Pick<AttemptInput, 'passwordMatches' | 'passwordRefusal'> = {
      passwordMatches: undefined,
    };
    if (req.password !== undefined) {
      if (verifier !== undefined) {
        password =
          user !== undefined && shouldVerifyPassword(base)
            ? verdictInput(await verifier.verify(user, req.password))
            : verdictInput(await verifier.dummyVerify(req.password));
      } else if (
        user !== undefined &&
        user.userPassword !== undefined &&
        shouldVerifyPassword(base)
      ) {
        try {
          password = {
            passwordMatches: await this.#o.hasher.verifyPassword(req.password, user.userPassword),
          };
        } catch {
          // An unreadable stored hash (its cost was spent by the hasher): a failed attempt.
          password = { passwordMatches: false };
        }
      } else {
        await this.#o.hasher.dummyVerify(req.password);
      }
    }
    const decided = decideAttempt({ ...base, ...password });

    const identification: UserIdentification | undefined =
      user !== undefined
        ? { kind: 'dn', value: user.dn }
        : req.uid !== undefined
          ? { kind: 'uid', value: req.uid }
          : req.certificate !== undefined
            ? certificateIdentification(req.certificate)
            : undefined;

    const pending: Supplementary[] = [];
    const outcome = await this.#apply(decided, user, pending);
    let session: SessionOutcome | undefined;
    let sessionId = req.sessionId;
    if (outcome.outcome === 'succeeded' && this.#o.sessions !== undefined) {
      const r = await this.#o.sessions.signOn(
        outcome.user,
        req.client,
        req.authServer,
        outcome.method,
      );
      if (r.kind === 'created') {
        session = { kind: 'created', sessionId: r.session.id };
        sessionId = r.session.id;
      } else if (r.kind === 'conflict') {
        session = {
          kind: 'conflict',
          pendingId: r.pending.id,
          existing: { client: r.existing.client, createdAt: r.existing.createdAt },
        };
        sessionId = r.pending.id;
      } else {
        // Session management wrote `Authentication(<method>) failed. (Already signed on)`.
        for (const s of pending)
          this.#modification({ ...req, sessionId: r.existing.id }, outcome.user, s);
        return {
          outcome,
          identification: { kind: 'dn', value: outcome.user.dn },
          notUnique: false,
          session: { kind: 'refused' },
        };
      }
    }
    if (outcome.repositoryLog !== undefined) {
      const log: LogResult = outcome.repositoryLog;
      let supplementary: AuthSupplementaryId | 'USER_NOT_IDENTIFIED' | undefined =
        log.supplementary;
      if (outcome.outcome === 'failed' && notUnique) supplementary = 'USER_NOT_IDENTIFIED';
      this.#line(
        { ...req, sessionId },
        identification,
        { token: `Authentication(${log.method})`, outcome: log.result },
        supplementary,
      );
    }
    // The update system's own writes follow the authentication line that caused them.
    if (user !== undefined)
      for (const s of pending) this.#modification({ ...req, sessionId }, user, s);
    return {
      outcome,
      identification,
      notUnique,
      session,
    };
  }

  /** Applies the lockout action; returns the outcome with the final supplementary. */
  async #apply(
    decided: AttemptOutcome,
    user: SsoUser | undefined,
    modifications: Supplementary[],
  ): Promise<AttemptOutcome> {
    if (user === undefined || decided.lockout === 'none') return decided;
    const users = this.#o.users;
    const released = (): void => {
      this.#o.systemLog.write('sso09001', user.uid, user.dn);
    };
    switch (decided.lockout) {
      case 'release': {
        // Concurrent attempts may all have read the expired lock: the one whose atomic
        // release replaced it records the release.
        const previous = await users.unlock(user.dn);
        // Nothing released where the repository keeps no lockout state (AD's lock stands).
        if (previous.locked && previous.unrecorded !== true) {
          released();
          modifications.push('RESET_FAILURE_COUNT');
        }
        return decided;
      }
      case 'reset': {
        const previous = await users.resetFailures(user.dn);
        if (previous.unrecorded === true) return decided;
        if (previous.locked) released();
        if (previous.locked || previous.failureCount > 0) modifications.push('RESET_FAILURE_COUNT');
        return decided;
      }
      case 'record_failure': {
        const recorded = await users.recordFailure(user.dn, this.#o.policy(), this.#now());
        if (recorded.unrecorded === true) {
          // Nothing counted here (Active Directory without the SSO schema extension: the
          // directory counts the failed bind): no count, no lock, no Modification line.
          if (decided.outcome !== 'failed' || decided.repositoryLog === undefined) return decided;
          return {
            ...decided,
            repositoryLog: { ...decided.repositoryLog, supplementary: 'WRONG_ID_OR_PASSWORD' },
          };
        }
        if (recorded.released) released();
        const supplementary = failureSupplementary(recorded.event);
        switch (recorded.event) {
          case 'counted':
            modifications.push('COUNT_UP_FAILURE_COUNT_UPDATE');
            break;
          case 'locked':
            modifications.push('USER_LOCKED_UPDATE');
            this.#o.systemLog.write('sso01060', user.uid, user.dn);
            break;
          case 'already_locked':
            modifications.push('ALREADY_LOCKED_UPDATE');
            break;
          default: {
            const never: never = recorded.event;
            return never;
          }
        }
        if (decided.outcome !== 'failed' || decided.repositoryLog === undefined) return decided;
        return {
          ...decided,
          repositoryLog: { ...decided.repositoryLog, supplementary },
        };
      }
      default: {
        const never: never = decided.lockout;
        return never;
      }
    }
  }

  /**
   * Releases a user's lock by administrator (console [Release User Lock], EG-204): status
   * good, failure count 0. Recorded as `Modification succeeded. (Failure count reset)` with the
   * authentication-server field `unknown` (not a request of an authentication server) and in
   * the system log — when there was something to release: a user neither locked nor with
   * failures is left as is and nothing is written. Returns the user, or undefined when no
   * single user has this user ID.
   */
  async unlock(uid: string, client: string | undefined): Promise<SsoUser | undefined> {
    const user = await this.#o.users.findByUid(uid);
    if (user === undefined) return undefined;
    const previous = await this.#o.users.unlock(user.dn);
    if (previous.unrecorded === true) {
      throw new SsoError(
        'SSO_REPOSITORY_READ_ONLY',
        `the lock of ${user.uid} is kept by the directory (Active Directory without the SSO schema extension): unlock the account there`,
      );
    }
    if (previous.locked || previous.failureCount > 0) {
      this.#o.systemLog.write('sso09002', user.uid, user.dn);
      this.#modification({ client, authServer: undefined }, user, 'RESET_FAILURE_COUNT');
    }
    return user;
  }

  /**
   * A request that could not be accepted (seed 003: "利用者の認証処理、またはアクセス制御情報の
   * 更新の受付に失敗した場合"): written `Bad request Received failed.` with its cause. The
   * system log gets sso01051 when the caller is not a known authentication server.
   */
  badRequest(
    from: { readonly authServer: string | undefined; readonly client: string | undefined },
    supplementary: 'INVALID_REQUEST' | 'REQUEST_FROM_INCOMPATIBLE_SERVER',
  ): void {
    this.#line(
      { authServer: from.authServer, client: from.client },
      undefined,
      { token: 'Bad request Received', outcome: 'failed' },
      supplementary,
    );
    if (supplementary === 'REQUEST_FROM_INCOMPATIBLE_SERVER') {
      this.#o.systemLog.write('sso01051', 'Authenticate', from.authServer ?? 'unknown');
    }
  }

  /**
   * Role information was updated by an administrator (the console's [Update Role
   * information], EG-209; here import-ldif changing roles or role sets): `RoleInfoUpd
   * succeeded.` with the authentication-server field `unknown`.
   */
  roleInfoUpdated(client: string | undefined): void {
    this.#line(
      { authServer: undefined, client },
      undefined,
      { token: 'RoleInfoUpd', outcome: 'succeeded' },
      undefined,
    );
  }

  /**
   * An administrator changed the SSO repository (the console or a management command: a user
   * created, changed or deleted): `Modification succeeded.` about the entry's DN, with the
   * authentication-server field `unknown` (not a request of an authentication server, EG-208)
   * and the administrator's client address.
   */
  modified(dn: string, client: string | undefined): void {
    this.#line(
      { authServer: undefined, client },
      { kind: 'dn', value: dn },
      { token: 'Modification', outcome: 'succeeded' },
      undefined,
    );
  }

  /** The service ID was regenerated (`ssoupsid`, seed 003): `Service ID update succeeded.` */
  serviceIdUpdated(client: string | undefined): void {
    this.#line(
      { authServer: undefined, client },
      undefined,
      { token: 'Service ID update', outcome: 'succeeded' },
      undefined,
    );
  }

  /** The method token of a request, for callers that log before asking. */
  static methodOf(req: RepositoryAuthRequest): ReturnType<typeof presentedMethod> {
    return presentedMethod({
      password: req.password !== undefined,
      certificate: req.certificate !== undefined,
    });
  }
}
