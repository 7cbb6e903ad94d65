/**
 * Session management (shared/reference/sso-interstage.md §1 "Session management"): the
 * session-management server that the repository server (update system) hosts when session
 * management is enabled (J-SES2). It keeps one sign-on per user ID, offers forced sign-on with a
 * confirmation (J-FSO), ends idle, expired and re-authentication-due sessions (J-IDLE), signs
 * users off and lets the administrator force a sign-off (`ssosignoff`, J-SOFF).
 *
 * It writes two logs:
 * - the session-management log (J-SML, §3.4): one line per change of a session —
 *   `Registration`, `Modification` (forced sign-on confirmed), `Deletion(sign-off)`,
 *   `Deletion(forced-sign-on)` (forced sign-on cancelled), `Deletion(forced-sign-off)`, and the
 *   PROPOSAL kinds `Deletion(idle-timeout)` / `Deletion(expired)` (§7 Q4) with the cause in the
 *   supplementary information; variable information `UserID="…"`;
 * - the repository server's access log (§3.1): `Session validation`, `Session modification`
 *   (forced sign-on requested), `Revocation` (sign-off, forced sign-on cancelled), and
 *   `Authentication(<method>) failed. (Already signed on)` for a second browser refused.
 *
 * Every change goes through one atomic operation of the store, and only the caller that the
 * store hands the session to logs its end: 50 concurrent validations of a timed-out session
 * delete it once and write one deletion line. Identifiers that do not have the exact shape of a
 * session identifier are refused before the store is asked, and logged as `unknown`.
 */
import type {
  AuthMethod,
  RepositoryRecord,
  ResultTokenOf,
  SessionRecord,
  Supplementary,
  UserIdentification,
} from '../../logs/index.ts';
import { authenticationToken } from '../../logs/index.ts';
import type { Session, SessionEndReason, SessionId, SessionPolicy } from '../core/session.ts';
import { checkSession, isSessionId, openSession } from '../core/session.ts';
import type { SsoUser } from '../core/user.ts';
import type { SessionStore } from '../ports/session-store.ts';

export interface SessionManagerOptions {
  readonly store: SessionStore;
  /** The policy now (read at each operation, so a configuration change applies at once). */
  readonly policy: () => SessionPolicy;
  /** The authentication server's default re-authentication interval, minutes (0 = none). */
  readonly defaultCredentialTtlMinutes: number;
  /** Writes one session-management log line (J-SML). */
  readonly logSession: (record: SessionRecord) => void;
  /** Writes one repository access-log line. */
  readonly logRepository: (record: RepositoryRecord) => void;
  /** `SessionID="…"` on the repository lines; default true (this service is session management). */
  readonly sessionManagement?: boolean;
  readonly now?: () => Date;
}

/** Where a request came from, for the repository lines (`unknown` when absent). */
export interface SessionRequestOrigin {
  /** IP address of the browser. */
  readonly client?: string | undefined;
  /** IP address of the requesting authentication server. */
  readonly authServer?: string | undefined;
}

export type SignOnResult =
  | { readonly kind: 'created'; readonly session: Session }
  /** Forced sign-on allowed: `pending` waits for the user's confirmation (its id in the form). */
  | { readonly kind: 'conflict'; readonly existing: Session; readonly pending: Session }
  /** Forced sign-on not allowed: the second browser is refused. */
  | { readonly kind: 'refused'; readonly existing: Session };

export type ForcedSignOnResult =
  | { readonly ok: true; readonly session: Session; readonly replaced: readonly Session[] }
  | { readonly ok: false; readonly reason: 'not_found' | SessionEndReason };

export type CancelResult =
  | { readonly ok: true; readonly session: Session }
  | { readonly ok: false; readonly reason: 'not_found' };

export const VALIDATION_FAILURES = [
  'not_found',
  'idle_timeout',
  'expired',
  'reauth_required',
  'other_user',
] as const;
export type ValidationFailure = (typeof VALIDATION_FAILURES)[number];

export type ValidationResult =
  | { readonly ok: true; readonly session: Session }
  | { readonly ok: false; readonly reason: ValidationFailure };

export type ForcedSignOffTarget = { readonly sessionId: string } | { readonly uid: string };

/**
 * How each end of a session is written: session-log token and cause, repository cause. The
 * repository causes are the seed's own entries (its list is the original's, kept as it is):
 * `Idle timeout`, `Session expired` (for the re-authentication interval too); the session log
 * tells the three apart. Requests for a session that is not there, or not active, get
 * `Invalid session state`; a session presented with another user ID, `Invalid request`.
 */
const ENDS = {
  idle_timeout: {
    token: 'Deletion(idle-timeout)',
    sessionCause: 'SESSION_LOG_IDLE_TIMEOUT',
    repositoryCause: 'IDLE_TIMEOUT',
  },
  expired: {
    token: 'Deletion(expired)',
    sessionCause: 'SESSION_LOG_EXPIRED',
    repositoryCause: 'SESSION_EXPIRED',
  },
  reauth_required: {
    token: 'Deletion(expired)',
    sessionCause: 'SESSION_LOG_REAUTHENTICATION_REQUIRED',
    repositoryCause: 'SESSION_EXPIRED',
  },
} as const satisfies Record<
  SessionEndReason,
  {
    readonly token: ResultTokenOf<'session'>;
    readonly sessionCause: Supplementary;
    readonly repositoryCause: Supplementary;
  }
>;

/** A bounded number of rounds for sign-on against concurrent sign-ons of the same user. */
const SIGN_ON_ROUNDS = 5;

const dnOf = (s: Session): UserIdentification => ({ kind: 'dn', value: s.dn });

export class SessionManager {
  readonly #o: SessionManagerOptions;
  readonly #now: () => Date;

  constructor(options: SessionManagerOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
  }

  #session(
    time: Date,
    sessionId: string | undefined,
    token: ResultTokenOf<'session'>,
    ok: boolean,
    userId: string | undefined,
    supplementary?: Supplementary,
  ): void {
    this.#o.logSession({
      log: 'session',
      time,
      sessionId,
      result: { token, outcome: ok ? 'succeeded' : 'failed' },
      supplementary,
      userId,
    });
  }

  #repository(
    time: Date,
    origin: SessionRequestOrigin,
    user: UserIdentification | undefined,
    sessionId: string | undefined,
    token: ResultTokenOf<'repository'>,
    ok: boolean,
    supplementary?: Supplementary,
  ): void {
    this.#o.logRepository({
      log: 'repository',
      time,
      authServer: origin.authServer,
      client: origin.client,
      user,
      result: { token, outcome: ok ? 'succeeded' : 'failed' },
      supplementary,
      sessionManagement: this.#o.sessionManagement ?? true,
      sessionId,
    });
  }

  /** Deletes a session that can no longer be used; logs the deletion if this call removed it. */
  async #end(s: Session, reason: SessionEndReason, now: Date): Promise<boolean> {
    const gone = await this.#o.store.delete(s.id);
    if (gone === undefined) return false;
    const end = ENDS[reason];
    this.#session(now, gone.id, end.token, true, gone.uid, end.sessionCause);
    return true;
  }

  /**
   * Signs `user` on from a browser (after the repository server authenticated them with
   * `method`). Sessions of the user that can no longer be used are deleted first (and logged).
   * With no other usable active session a session is created (`Registration succeeded.`).
   * Otherwise, with forced sign-on allowed, a `pending_forced` session is registered for the
   * confirmation page (`conflict`); without it the sign-on is refused, written to the repository
   * log as `Authentication(<method>) failed. (Already signed on)` with the existing session's ID.
   */
  async signOn(
    user: SsoUser,
    client: string | undefined,
    authServer: string | undefined,
    method: AuthMethod = 'unknown',
  ): Promise<SignOnResult> {
    for (let round = 0; round < SIGN_ON_ROUNDS; round++) {
      const now = this.#now();
      const policy = this.#o.policy();
      let existing: Session | undefined;
      for (const s of await this.#o.store.byUid(user.uid)) {
        const check = checkSession(s, policy, now);
        if (!check.ok) await this.#end(s, check.reason, now);
        else if (s.state === 'active') existing ??= s;
      }
      if (existing === undefined) {
        const session = openSession(
          user,
          client,
          now,
          this.#o.defaultCredentialTtlMinutes,
          'active',
        );
        // false: another browser of the user signed on meanwhile; look again.
        if (!(await this.#o.store.create(session))) continue;
        this.#session(now, session.id, 'Registration', true, session.uid);
        return { kind: 'created', session };
      }
      if (!policy.forcedSignOn) {
        this.#repository(
          now,
          { client, authServer },
          { kind: 'dn', value: user.dn },
          existing.id,
          authenticationToken(method),
          false,
          'ALREADY_SIGNED_ON',
        );
        return { kind: 'refused', existing };
      }
      const pending = openSession(
        user,
        client,
        now,
        this.#o.defaultCredentialTtlMinutes,
        'pending_forced',
      );
      if (!(await this.#o.store.create(pending))) continue;
      this.#session(now, pending.id, 'Registration', true, pending.uid);
      return { kind: 'conflict', existing, pending };
    }
    throw new Error(`sign-on of ${user.uid} kept meeting concurrent sign-ons`);
  }

  /**
   * The user answered "yes" on the confirmation page: the user's other active sessions are
   * deleted and the pending one becomes active, in one atomic step of the store (so of two
   * concurrent confirmations exactly one succeeds). Logs `Modification succeeded.` (J-SML: the
   * forced sign-on; the old session's removal is part of it) and `Session modification
   * succeeded.`; a pending session that waited too long is deleted (`Deletion(expired)`).
   */
  async confirmForcedSignOn(
    pendingId: string,
    origin: SessionRequestOrigin = {},
  ): Promise<ForcedSignOnResult> {
    const now = this.#now();
    const id = isSessionId(pendingId) ? pendingId : undefined;
    const fail = (
      s: Session | undefined,
      reason: 'not_found' | SessionEndReason,
      cause: Supplementary,
    ): ForcedSignOnResult => {
      this.#session(now, id, 'Modification', false, s?.uid);
      this.#repository(
        now,
        origin,
        s === undefined ? undefined : dnOf(s),
        id,
        'Session modification',
        false,
        cause,
      );
      return { ok: false, reason };
    };
    if (id === undefined) return fail(undefined, 'not_found', 'SESSION_STATE_INVALID');
    const s = await this.#o.store.get(id);
    if (s === undefined) return fail(undefined, 'not_found', 'SESSION_STATE_INVALID');
    if (s.state !== 'pending_forced') return fail(s, 'not_found', 'SESSION_STATE_INVALID');
    const check = checkSession(s, this.#o.policy(), now);
    if (!check.ok) {
      await this.#end(s, check.reason, now);
      return fail(s, check.reason, ENDS[check.reason].repositoryCause);
    }
    const done = await this.#o.store.activate(id, now);
    // Undefined: a concurrent confirmation or cancellation took it first.
    if (done === undefined) return fail(s, 'not_found', 'SESSION_STATE_INVALID');
    this.#session(now, id, 'Modification', true, done.session.uid);
    this.#repository(now, origin, dnOf(done.session), id, 'Session modification', true);
    return { ok: true, session: done.session, replaced: done.replaced };
  }

  /**
   * The user answered "no" on the confirmation page: the pending session is deleted
   * (`Deletion(forced-sign-on) succeeded.`, the manual's wording for a cancelled forced sign-on;
   * repository `Revocation succeeded.`). The existing session is untouched.
   */
  async cancelForcedSignOn(
    pendingId: string,
    origin: SessionRequestOrigin = {},
  ): Promise<CancelResult> {
    const now = this.#now();
    const id = isSessionId(pendingId) ? pendingId : undefined;
    const gone = id === undefined ? undefined : await this.#o.store.delete(id, 'pending_forced');
    if (gone === undefined) {
      this.#session(now, id, 'Deletion(forced-sign-on)', false, undefined);
      this.#repository(now, origin, undefined, id, 'Revocation', false, 'SESSION_STATE_INVALID');
      return { ok: false, reason: 'not_found' };
    }
    this.#session(now, gone.id, 'Deletion(forced-sign-on)', true, gone.uid);
    this.#repository(now, origin, dnOf(gone), gone.id, 'Revocation', true);
    return { ok: true, session: gone };
  }

  /**
   * Checks that session `id` is an active, usable session of `uid` (the user ID of the
   * credential that carries it) and records the use (idle monitoring restarts). A session that
   * can no longer be used is deleted and the deletion logged by whichever concurrent call
   * removed it. Writes `Session validation succeeded.` or `failed. (<cause>)` to the repository
   * log, with the session ID (`unknown` when `id` is not shaped like one).
   */
  async validate(
    id: string,
    uid: string,
    client: string | undefined,
    authServer?: string,
  ): Promise<ValidationResult> {
    const now = this.#now();
    const origin = { client, authServer };
    const sid: SessionId | undefined = isSessionId(id) ? id : undefined;
    const fail = (
      user: UserIdentification,
      reason: ValidationFailure,
      cause: Supplementary,
    ): ValidationResult => {
      this.#repository(now, origin, user, sid, 'Session validation', false, cause);
      return { ok: false, reason };
    };
    const claimed: UserIdentification = { kind: 'uid', value: uid };
    if (sid === undefined) return fail(claimed, 'not_found', 'SESSION_STATE_INVALID');
    const s = await this.#o.store.get(sid);
    if (s === undefined) return fail(claimed, 'not_found', 'SESSION_STATE_INVALID');
    if (s.uid !== uid) return fail(claimed, 'other_user', 'INVALID_REQUEST');
    if (s.state !== 'active') return fail(dnOf(s), 'not_found', 'SESSION_STATE_INVALID');
    const check = checkSession(s, this.#o.policy(), now);
    if (!check.ok) {
      await this.#end(s, check.reason, now);
      return fail(dnOf(s), check.reason, ENDS[check.reason].repositoryCause);
    }
    // False: signed off (or forced off) between the read and now.
    if (!(await this.#o.store.touch(sid, now))) {
      return fail(dnOf(s), 'not_found', 'SESSION_STATE_INVALID');
    }
    this.#repository(now, origin, dnOf(s), sid, 'Session validation', true);
    const lastUsedAt =
      now.getTime() > s.lastUsedAt.getTime() ? new Date(now.getTime()) : s.lastUsedAt;
    return { ok: true, session: { ...s, lastUsedAt } };
  }

  /**
   * The user signs off: the active session is deleted (`Deletion(sign-off) succeeded.`,
   * repository `Revocation succeeded.`). Resolves the deleted session, or undefined (logged as
   * failed with `(Invalid session state)`).
   */
  async signOff(id: string, origin: SessionRequestOrigin = {}): Promise<Session | undefined> {
    const now = this.#now();
    const sid = isSessionId(id) ? id : undefined;
    const gone = sid === undefined ? undefined : await this.#o.store.delete(sid, 'active');
    if (gone === undefined) {
      this.#session(now, sid, 'Deletion(sign-off)', false, undefined);
      this.#repository(now, origin, undefined, sid, 'Revocation', false, 'SESSION_STATE_INVALID');
      return undefined;
    }
    this.#session(now, gone.id, 'Deletion(sign-off)', true, gone.uid);
    this.#repository(now, origin, dnOf(gone), gone.id, 'Revocation', true);
    return gone;
  }

  /**
   * Idle monitoring without a request: deletes every session that can no longer be used (each
   * logged as its kind of deletion), a page at a time. For a periodic timer; resolves how many
   * this call deleted.
   */
  async sweep(): Promise<number> {
    const now = this.#now();
    const policy = this.#o.policy();
    let cursor: string | undefined;
    let ended = 0;
    do {
      const page = await this.#o.store.list({ cursor, limit: 500 });
      for (const s of page.items) {
        const check = checkSession(s, policy, now);
        if (!check.ok && (await this.#end(s, check.reason, now))) ended++;
      }
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return ended;
  }

  /**
   * The SSO administrator signs a session, or every session of a user ID, off (`ssosignoff -s` /
   * `-u`, J-SOFF): each deleted session (active or pending) is logged `Deletion(forced-sign-off)
   * succeeded.`; when there is none, one `Deletion(forced-sign-off) failed.` line. Resolves the
   * deleted sessions, oldest first.
   */
  async forcedSignOff(target: ForcedSignOffTarget): Promise<readonly Session[]> {
    const now = this.#now();
    let gone: readonly Session[];
    if ('sessionId' in target) {
      const sid = isSessionId(target.sessionId) ? target.sessionId : undefined;
      const s = sid === undefined ? undefined : await this.#o.store.delete(sid);
      if (s === undefined) {
        this.#session(now, sid, 'Deletion(forced-sign-off)', false, undefined);
        return [];
      }
      gone = [s];
    } else {
      gone = await this.#o.store.deleteByUid(target.uid);
      if (gone.length === 0) {
        this.#session(now, undefined, 'Deletion(forced-sign-off)', false, target.uid);
        return [];
      }
    }
    for (const s of gone) this.#session(now, s.id, 'Deletion(forced-sign-off)', true, s.uid);
    return gone;
  }
}
