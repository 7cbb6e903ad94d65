/**
 * Lockout after consecutive password failures (shared/reference/sso-interstage.md §1 "Lockout",
 * §6 `password-max-failure-count`, `lock-out-time`), as a pure state machine. The clock is the
 * `now` argument; nothing here reads the time or stores anything.
 *
 * Storage must apply {@link onPasswordFailure} atomically (see `UserRepository.recordFailure` in
 * src/sso/ports/user-repository.ts): read the state, compute the next one, and write it only if
 * `ssoFailureCount`, `ssoUserStatus` and `ssoLockTimeStamp` are still what was read
 * (compare-and-set), retrying on conflict. Then N concurrent failures count N times, the lock is
 * set by exactly one of them, and the count never passes the threshold.
 */
import { SsoError } from './errors.ts';

/** The lockout attributes of a user (`ssoFailureCount`, `ssoUserStatus`, `ssoLockTimeStamp`). */
export interface LockoutState {
  readonly failureCount: number;
  readonly locked: boolean;
  /** When the lock was set; undefined when not locked. */
  readonly lockTimestamp: Date | undefined;
}

/** Lockout settings. */
export interface LockoutPolicy {
  /**
   * `password-max-failure-count`: consecutive password failures that lock the user. Default 5;
   * 0 disables lockout (failures are still counted).
   */
  readonly maxFailureCount: number;
  /**
   * `lock-out-time`, minutes after the lock at which the next attempt releases it. Undefined
   * (the default) = no automatic release; only an administrator unlocks.
   */
  readonly lockOutTimeMinutes: number | undefined;
}

export const DEFAULT_LOCKOUT_POLICY: LockoutPolicy = Object.freeze({
  maxFailureCount: 5,
  lockOutTimeMinutes: undefined,
});

/** The state of a user that never failed. */
export const UNLOCKED: LockoutState = Object.freeze({
  failureCount: 0,
  locked: false,
  lockTimestamp: undefined,
});

/** What a password failure did. */
export const FAILURE_EVENTS = ['counted', 'locked', 'already_locked'] as const;
export type FailureEvent = (typeof FAILURE_EVENTS)[number];

export interface FailureTransition {
  readonly state: LockoutState;
  readonly event: FailureEvent;
  /** True when an expired lock was released by this attempt before it was counted. */
  readonly released: boolean;
}

/** Validates a policy; throws `SSO_LOCKOUT_POLICY_INVALID`. */
export function lockoutPolicy(input: Partial<LockoutPolicy> = {}): LockoutPolicy {
  const maxFailureCount = input.maxFailureCount ?? DEFAULT_LOCKOUT_POLICY.maxFailureCount;
  const lockOutTimeMinutes = input.lockOutTimeMinutes;
  if (!Number.isSafeInteger(maxFailureCount) || maxFailureCount < 0) {
    throw new SsoError('SSO_LOCKOUT_POLICY_INVALID', `maxFailureCount: ${maxFailureCount}`);
  }
  if (
    lockOutTimeMinutes !== undefined &&
    (!Number.isSafeInteger(lockOutTimeMinutes) || lockOutTimeMinutes < 1)
  ) {
    throw new SsoError('SSO_LOCKOUT_POLICY_INVALID', `lockOutTimeMinutes: ${lockOutTimeMinutes}`);
  }
  return Object.freeze({ maxFailureCount, lockOutTimeMinutes });
}

/** The instant a lock is released automatically, or undefined when it never is. */
export function releaseTime(state: LockoutState, policy: LockoutPolicy): Date | undefined {
  if (!state.locked || policy.lockOutTimeMinutes === undefined) return undefined;
  // A lock without a timestamp (set by hand in the directory) counts as set at the epoch, so
  // that lock-out-time releases it at the next attempt rather than never.
  const since = state.lockTimestamp?.getTime() ?? 0;
  return new Date(since + policy.lockOutTimeMinutes * 60_000);
}

/**
 * Whether the user is locked at `now`. `released` is true when a lock existed but lock-out-time
 * has passed (at or after the release instant): the caller persists {@link release}`(state)` —
 * the lazy release at the first attempt after the period (EG-41, J-UNL) — and records it.
 */
export function isLocked(
  state: LockoutState,
  policy: LockoutPolicy,
  now: Date,
): { readonly locked: boolean; readonly released: boolean } {
  if (!state.locked) return { locked: false, released: false };
  const at = releaseTime(state, policy);
  if (at !== undefined && now.getTime() >= at.getTime()) return { locked: false, released: true };
  return { locked: true, released: false };
}

/**
 * One failed password authentication. A locked user stays as is (`already_locked`; the count is
 * not touched); an expired lock is released first and the failure then counts from zero. The
 * failure that reaches `maxFailureCount` locks the user with `now` as the lock time; the count
 * never exceeds the threshold.
 */
export function onPasswordFailure(
  state: LockoutState,
  policy: LockoutPolicy,
  now: Date,
): FailureTransition {
  const lock = isLocked(state, policy, now);
  if (lock.locked) return { state, event: 'already_locked', released: false };
  const from = lock.released ? UNLOCKED : state;
  const threshold = policy.maxFailureCount;
  if (threshold === 0) {
    return {
      state: { ...from, failureCount: from.failureCount + 1 },
      event: 'counted',
      released: lock.released,
    };
  }
  const failureCount = Math.min(from.failureCount + 1, threshold);
  if (failureCount >= threshold) {
    return {
      state: { failureCount, locked: true, lockTimestamp: new Date(now.getTime()) },
      event: 'locked',
      released: lock.released,
    };
  }
  return {
    state: { failureCount, locked: false, lockTimestamp: undefined },
    event: 'counted',
    released: lock.released,
  };
}

/** A successful password authentication: the count returns to 0 (callers check the lock first). */
export function onSuccess(_state: LockoutState): LockoutState {
  return UNLOCKED;
}

/** Manual release ([Release User Lock], EG-204): unlocks and clears the failure count. */
export function release(_state: LockoutState): LockoutState {
  return UNLOCKED;
}

/** Whether two states are equal (the compare of a compare-and-set). */
export function sameLockoutState(a: LockoutState, b: LockoutState): boolean {
  return (
    a.failureCount === b.failureCount &&
    a.locked === b.locked &&
    a.lockTimestamp?.getTime() === b.lockTimestamp?.getTime()
  );
}

/** The lockout attributes of a user as a {@link LockoutState}. */
export function lockoutStateOf(user: {
  readonly ssoFailureCount: number;
  readonly ssoUserStatus: 'good' | 'locked';
  readonly ssoLockTimeStamp: Date | undefined;
}): LockoutState {
  return {
    failureCount: user.ssoFailureCount,
    locked: user.ssoUserStatus === 'locked',
    lockTimestamp: user.ssoUserStatus === 'locked' ? user.ssoLockTimeStamp : undefined,
  };
}

/** The user attributes that store a {@link LockoutState}. */
export function lockoutAttributes(state: LockoutState): {
  ssoFailureCount: number;
  ssoUserStatus: 'good' | 'locked';
  ssoLockTimeStamp: Date | undefined;
} {
  return {
    ssoFailureCount: state.failureCount,
    ssoUserStatus: state.locked ? 'locked' : 'good',
    ssoLockTimeStamp: state.locked ? state.lockTimestamp : undefined,
  };
}
