/**
 * Sessions of session management (shared/reference/sso-interstage.md §1 "Session management",
 * J-SES, J-FSO, J-IDLE): one session per signed-on browser, held by the session-management server
 * that the repository server (update system) hosts (J-SES2).
 *
 * Pure rules: the session identifier, the session value, the policy (idle monitoring, maximum
 * lifetime, forced sign-on) and `checkSession`, which says whether a session may still be used.
 * Storage is behind the `SessionStore` port (src/sso/ports/session-store.ts); the service that
 * applies the rules and writes the logs is src/sso/servers/session-manager.ts.
 */
import { randomBytes } from 'node:crypto';
import type { SsoUser, UserDn } from './user.ts';
import { effectiveCredentialTtl } from './user.ts';

/** A session identifier: 32 random bytes, base64url without padding (43 characters). */
export type SessionId = string & { readonly __brand: 'SessionId' };

/** Random bytes in a session identifier. */
export const SESSION_ID_BYTES = 32;
/** Characters of a session identifier: ⌈32 × 8 / 6⌉. */
export const SESSION_ID_CHARS = 43;

/**
 * 42 free base64url characters, then one that carries the last 4 bits of the 32nd byte and two
 * zero bits: only the 16 characters whose 6-bit value is a multiple of 4. So every accepted
 * string is the one canonical encoding of 32 bytes.
 */
const SESSION_ID_SHAPE = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

/** A new session identifier from the operating system's CSPRNG (256 bits). */
export function newSessionId(): SessionId {
  return randomBytes(SESSION_ID_BYTES).toString('base64url') as SessionId;
}

/**
 * Whether `s` has the exact shape of a session identifier: a string of 43 base64url characters,
 * canonical (the unused low bits of the last character are zero). Anything else — other lengths,
 * `+`, `/`, `=`, whitespace, non-ASCII, non-strings — is refused before any store is asked.
 */
export function isSessionId(s: unknown): s is SessionId {
  return typeof s === 'string' && SESSION_ID_SHAPE.test(s);
}

/**
 * The states of a session:
 * - `active`: the user is signed on with this browser;
 * - `pending_forced`: the user authenticated in a second browser while signed on in another,
 *   and is being asked to confirm a forced sign-on (J-FSO); not usable until confirmed.
 */
export const SESSION_STATES = ['active', 'pending_forced'] as const;
export type SessionState = (typeof SESSION_STATES)[number];

/** One session. */
export interface Session {
  readonly id: SessionId;
  /** The user ID signed on (one active session per user ID). */
  readonly uid: string;
  readonly dn: UserDn;
  /** IP address of the browser that signed on, as reported; undefined when unknown. */
  readonly client: string | undefined;
  readonly createdAt: Date;
  /** Last successful validation (idle monitoring counts from here). */
  readonly lastUsedAt: Date;
  /** When the user authenticated for this session. */
  readonly authenticatedAt: Date;
  /**
   * When re-authentication becomes due: `authenticatedAt` + the effective `ssoCredentialTTL`
   * (EG-319); undefined when the interval is 0 (none).
   */
  readonly reauthAt: Date | undefined;
  readonly state: SessionState;
}

/** The session-management settings (J-SES, J-IDLE, J-FSO). */
export interface SessionPolicy {
  /** Idle monitoring: minutes without a validation after which a session ends; 0 = none. */
  readonly idleTimeoutMinutes: number;
  /** Maximum lifetime of a session from its creation, minutes; 0 = none. */
  readonly maxLifetimeMinutes: number;
  /**
   * Forced sign-on ([サインオン] > [強制サインオン] = 許可する): when true a second browser of a
   * signed-on user may confirm a sign-on that ends the first session; when false it is refused.
   */
  readonly forcedSignOn: boolean;
}

/** Defaults: 30 minutes idle, 8 hours lifetime, forced sign-on not allowed. */
export const DEFAULT_SESSION_POLICY: SessionPolicy = Object.freeze({
  idleTimeoutMinutes: 30,
  maxLifetimeMinutes: 480,
  forcedSignOn: false,
});

/** Upper bound of the two durations, minutes (one year): keeps every instant a valid Date. */
export const MAX_SESSION_MINUTES = 525_600;

/**
 * How long a `pending_forced` session waits for the user's answer before it counts as expired,
 * minutes. Not a setting of the original (whose confirmation page is not documented further):
 * an unanswered confirmation page must not hold a session open under `maxLifetimeMinutes` 0.
 */
export const PENDING_CONFIRMATION_MINUTES = 10;

function minutes(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 0 || v > MAX_SESSION_MINUTES) {
    throw new RangeError(`${name} must be an integer 0–${MAX_SESSION_MINUTES} (minutes), got ${v}`);
  }
  return v;
}

/** A frozen policy from `fields` over the defaults; RangeError for a duration out of range. */
export function sessionPolicy(fields: Partial<SessionPolicy> = {}): SessionPolicy {
  const p = { ...DEFAULT_SESSION_POLICY, ...fields };
  return Object.freeze({
    idleTimeoutMinutes: minutes('idleTimeoutMinutes', p.idleTimeoutMinutes),
    maxLifetimeMinutes: minutes('maxLifetimeMinutes', p.maxLifetimeMinutes),
    forcedSignOn: p.forcedSignOn,
  });
}

/** Why a session can no longer be used. */
export const SESSION_END_REASONS = ['idle_timeout', 'expired', 'reauth_required'] as const;
export type SessionEndReason = (typeof SESSION_END_REASONS)[number];

export type SessionCheck =
  { readonly ok: true } | { readonly ok: false; readonly reason: SessionEndReason };

const MINUTE = 60_000;

/**
 * Whether `s` may still be used at `now`. Checked in this order, the first that applies wins:
 * 1. `expired`: `now ≥ createdAt + maxLifetimeMinutes` (when non-zero), or a `pending_forced`
 *    session `now ≥ createdAt + PENDING_CONFIRMATION_MINUTES`;
 * 2. `reauth_required`: `now ≥ reauthAt` (the re-authentication interval has elapsed);
 * 3. `idle_timeout`: `now ≥ lastUsedAt + idleTimeoutMinutes` (when non-zero).
 * Every bound is inclusive of the instant it names: at exactly the limit the session is over.
 */
export function checkSession(s: Session, policy: SessionPolicy, now: Date): SessionCheck {
  const t = now.getTime();
  const created = s.createdAt.getTime();
  if (policy.maxLifetimeMinutes > 0 && t >= created + policy.maxLifetimeMinutes * MINUTE) {
    return { ok: false, reason: 'expired' };
  }
  if (s.state === 'pending_forced' && t >= created + PENDING_CONFIRMATION_MINUTES * MINUTE) {
    return { ok: false, reason: 'expired' };
  }
  if (s.reauthAt !== undefined && t >= s.reauthAt.getTime()) {
    return { ok: false, reason: 'reauth_required' };
  }
  if (
    policy.idleTimeoutMinutes > 0 &&
    t >= s.lastUsedAt.getTime() + policy.idleTimeoutMinutes * MINUTE
  ) {
    return { ok: false, reason: 'idle_timeout' };
  }
  return { ok: true };
}

/**
 * A new session for `user`, authenticated at `now`, with a fresh identifier. `reauthAt` is `now`
 * + the effective `ssoCredentialTTL` (the user's value clamped to 30–1440, or
 * `defaultCredentialTtlMinutes` when the user has none; 0 = none).
 */
export function openSession(
  user: SsoUser,
  client: string | undefined,
  now: Date,
  defaultCredentialTtlMinutes: number,
  state: SessionState,
): Session {
  if (!Number.isSafeInteger(defaultCredentialTtlMinutes) || defaultCredentialTtlMinutes < 0) {
    throw new RangeError(
      `defaultCredentialTtlMinutes must be a non-negative integer, got ${defaultCredentialTtlMinutes}`,
    );
  }
  const ttl = effectiveCredentialTtl(user, defaultCredentialTtlMinutes);
  const at = new Date(now.getTime());
  return {
    id: newSessionId(),
    uid: user.uid,
    dn: user.dn,
    client,
    createdAt: at,
    lastUsedAt: at,
    authenticatedAt: at,
    reauthAt: ttl === 0 ? undefined : new Date(at.getTime() + ttl * MINUTE),
    state,
  };
}
