/**
 * The decision of one sign-on attempt (shared/reference/sso-interstage.md §1 "Authentication
 * methods", "Lockout", "User validity period"), pure: the caller looks the user up, checks the
 * certificate and the password, and applies the returned lockout action through the repository.
 *
 * Order of checks for a known user: object class `ssoUser` → lock (auto release) → validity
 * period → `ssoAuthType` against what was presented → certificate → password.
 *
 * The caller's protocol, so that timing reveals nothing:
 * 1. look the user up (by uid, or by certificate mapping);
 * 2. if {@link shouldVerifyPassword} is true, `verifyPassword(password, user.userPassword)`;
 *    otherwise, when a password was presented, `dummyVerify(password)` — for unknown users,
 *    locked users, users outside their validity period and every other early failure, so that
 *    every attempt with a password costs one argon2id. Where the repository verifies passwords
 *    itself (`passwordCheck: 'repository'`, `UserRepository.passwordVerifier`: a bind as the
 *    user in Active Directory), the same with its `verify` and `dummyVerify`: every attempt
 *    with a password costs one bind;
 * 3. {@link decideAttempt} with the result (a repository's verdict other than match and
 *    mismatch goes in `passwordRefusal`);
 * 4. apply `lockout`: `record_failure` → `UserRepository.recordFailure` (atomic; its event gives
 *    the final supplementary through {@link failureSupplementary}), `reset` →
 *    `resetFailures`, `release` → `unlock`;
 * 5. write the access-log lines from `repositoryLog` and `authenticationLog`.
 */
import type { FailureEvent, LockoutPolicy } from './lockout.ts';
import { isLocked, lockoutStateOf, onPasswordFailure } from './lockout.ts';
import type { SsoUser } from './user.ts';
import { hasSsoUserClass } from './user.ts';

/** Method tokens of `Authentication(<method>)` in the access logs (J-RA92, EG-209). */
export const AUTH_METHOD_TOKENS = [
  'basicAuth',
  'certAuth',
  'basicAuthAndCertAuth',
  'unknown',
] as const;
export type AuthMethodToken = (typeof AUTH_METHOD_TOKENS)[number];

/**
 * Supplementary ids this module emits; each is an id of the catalogue in src/logs/supplementary.ts
 * (checked by tests/sso/core/authenticate.test.ts; src/sso/core does not import src/logs).
 */
export const AUTH_SUPPLEMENTARY_IDS = [
  'ALREADY_LOCKED',
  'AUTH_TYPE_MISMATCH',
  'AUTH_TYPE_MISMATCH_PASSWORD_REQUIRED',
  'COUNT_UP_FAILURE_COUNT',
  'USER_LOCKED',
  'OUT_OF_VALIDITY_PERIOD',
  'WRONG_ID_OR_PASSWORD',
  'NO_CREDENTIALS',
  'PASSWORD_AUTH_REQUIRED',
  'CERT_AUTH_REQUIRED',
  'PASSWORD_EXPIRED',
] as const;
export type AuthSupplementaryId = (typeof AUTH_SUPPLEMENTARY_IDS)[number];

/** Why an attempt failed (for the operational log and tests; never shown to the client). */
export const FAILURE_REASONS = [
  'no_credentials',
  'unknown_user',
  'not_sso_user',
  'locked',
  'outside_validity_period',
  'type_mismatch',
  'no_password_stored',
  'wrong_password',
  'wrong_certificate',
  'password_expired',
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/**
 * The answer of a repository that verifies passwords itself (`UserRepository.passwordVerifier`,
 * src/sso/ports/user-repository.ts: Active Directory, by a bind as the user):
 * - `match`, `mismatch`: the password is right or wrong (a mismatch is counted, as a wrong
 *   password checked against `userPassword` is);
 * - `no_password`: the entry has no password to check (not counted, as no `userPassword`);
 * - `no_such_user`: the entry is gone since it was read (not counted, as an unknown user);
 * - `locked`: the directory has locked the account (AD 775);
 * - `disabled`: the account is disabled, expired or may not sign on now (AD 533, 701, 530,
 *   531): outside its validity period, as ACCOUNTDISABLE and accountExpires make it;
 * - `password_expired`: the password was right but has expired or must be changed first
 *   (AD 532, 773): no sign-on until the user changes it in the directory.
 */
export const PASSWORD_VERDICTS = [
  'match',
  'mismatch',
  'no_password',
  'no_such_user',
  'locked',
  'disabled',
  'password_expired',
] as const;
export type PasswordVerdict = (typeof PASSWORD_VERDICTS)[number];
/** A verdict that is neither a match nor a plain mismatch. */
export type PasswordRefusal = Exclude<PasswordVerdict, 'match' | 'mismatch'>;

/** How a verdict enters {@link AttemptInput}: `passwordMatches` and `passwordRefusal`. */
export function verdictInput(verdict: PasswordVerdict): {
  readonly passwordMatches: boolean;
  readonly passwordRefusal: PasswordRefusal | undefined;
} {
  return {
    passwordMatches: verdict === 'match',
    passwordRefusal: verdict === 'match' || verdict === 'mismatch' ? undefined : verdict,
  };
}

/**
 * What the repository must persist: `none`; `release` (an expired lock, released lazily);
 * `record_failure` (one password failure, atomically, which also releases an expired lock);
 * `reset` (password success: count 0, status good).
 */
export const LOCKOUT_ACTIONS = ['none', 'release', 'record_failure', 'reset'] as const;
export type LockoutAction = (typeof LOCKOUT_ACTIONS)[number];

/** One access-log result. */
export interface LogResult {
  readonly method: AuthMethodToken;
  readonly result: 'succeeded' | 'failed';
  readonly supplementary: AuthSupplementaryId | undefined;
}

/** What the browser presented. */
export interface Presented {
  readonly password: boolean;
  readonly certificate: boolean;
}

export interface AttemptInput {
  /** The user found by uid or by certificate mapping; undefined when none (or not unique). */
  readonly user: SsoUser | undefined;
  readonly presented: Presented;
  /**
   * The certificate check: valid, mapped to this user, and equal to the stored certificate when
   * `certificate-identification` is on. Ignored when no certificate was presented.
   */
  readonly certificateMatches: boolean | undefined;
  /**
   * Who checks passwords: `stored` (the default) — the caller, against `user.userPassword`;
   * `repository` — the repository itself (`UserRepository.passwordVerifier`), so that a user
   * needs no stored `userPassword`.
   */
  readonly passwordCheck?: 'stored' | 'repository' | undefined;
  /**
   * `verifyPassword` of the presented password against `user.userPassword` (or the repository's
   * verdict, through {@link verdictInput}), run only when {@link shouldVerifyPassword} said so;
   * `undefined` where a check was due is a mismatch.
   */
  readonly passwordMatches: boolean | undefined;
  /** The repository's verdict when it was a refusal other than a wrong password. */
  readonly passwordRefusal?: PasswordRefusal | undefined;
  readonly policy: LockoutPolicy;
  readonly now: Date;
}

/** What the authentication server asks for next. */
export type Prompt = 'password' | 'certificate' | undefined;

export type AttemptOutcome =
  | {
      readonly outcome: 'succeeded';
      readonly method: Exclude<AuthMethodToken, 'unknown'>;
      readonly user: SsoUser;
      readonly repositoryLog: LogResult;
      readonly lockout: LockoutAction;
      /** An expired lock was released by this attempt (system log, EG-41). */
      readonly released: boolean;
    }
  | {
      readonly outcome: 'failed';
      readonly reason: FailureReason;
      /** Undefined when the repository was not asked (nothing presented). */
      readonly repositoryLog: LogResult | undefined;
      readonly authenticationLog: LogResult;
      readonly lockout: LockoutAction;
      readonly released: boolean;
      readonly prompt: Prompt;
    };

/** The supplementary id of a password failure once the repository has applied it. */
export function failureSupplementary(event: FailureEvent): AuthSupplementaryId {
  switch (event) {
    case 'counted':
      return 'COUNT_UP_FAILURE_COUNT';
    case 'locked':
      return 'USER_LOCKED';
    case 'already_locked':
      return 'ALREADY_LOCKED';
    default: {
      const never: never = event;
      return never;
    }
  }
}

/** The method token of what was presented, before the user's type is known. */
export function presentedMethod(presented: Presented): AuthMethodToken {
  if (presented.password && presented.certificate) return 'basicAuthAndCertAuth';
  if (presented.password) return 'basicAuth';
  if (presented.certificate) return 'certAuth';
  return 'unknown';
}

/** Bounds of `ssoNotBefore`/`ssoNotAfter` (EG-125): 2000-01-01T00:00:00Z – 2037-12-31T23:59:59Z. */
export const VALIDITY_MIN = new Date(Date.UTC(2000, 0, 1, 0, 0, 0));
export const VALIDITY_MAX = new Date(Date.UTC(2037, 11, 31, 23, 59, 59));

/**
 * Whether `now` is inside the user's validity period: `ssoNotBefore ≤ now ≤ ssoNotAfter`, both
 * ends inclusive, absent ends open. Equal or inverted ends, and ends outside
 * {@link VALIDITY_MIN}–{@link VALIDITY_MAX}, are never valid (§1).
 */
export function withinValidity(user: SsoUser, now: Date): boolean {
  const nb = user.ssoNotBefore?.getTime();
  const na = user.ssoNotAfter?.getTime();
  for (const t of [nb, na]) {
    if (t !== undefined && (t < VALIDITY_MIN.getTime() || t > VALIDITY_MAX.getTime())) {
      return false;
    }
  }
  if (nb !== undefined && na !== undefined && nb >= na) return false;
  const n = now.getTime();
  return (nb === undefined || n >= nb) && (na === undefined || n <= na);
}

type Route =
  | { readonly kind: 'password'; readonly method: 'basicAuth' | 'basicAuthAndCertAuth' }
  | { readonly kind: 'certificate_ok' }
  | {
      readonly kind: 'fail';
      readonly reason: FailureReason;
      readonly method: AuthMethodToken;
      readonly supplementary: AuthSupplementaryId;
      readonly prompt: Prompt;
    };

/** The rules of `ssoAuthType` × presented credentials, for a user that passed lock and validity. */
function route(user: SsoUser, presented: Presented, certificateMatches: boolean): Route {
  const wrongCert = (method: AuthMethodToken): Route => ({
    kind: 'fail',
    reason: 'wrong_certificate',
    method,
    supplementary: 'WRONG_ID_OR_PASSWORD',
    prompt: 'password',
  });
  const mismatch = (
    method: AuthMethodToken,
    supplementary: AuthSupplementaryId,
    prompt: Prompt,
  ): Route => ({ kind: 'fail', reason: 'type_mismatch', method, supplementary, prompt });
  const { password, certificate } = presented;
  switch (user.ssoAuthType) {
    case 'basicAuth':
      if (password) return { kind: 'password', method: 'basicAuth' };
      return mismatch('certAuth', 'AUTH_TYPE_MISMATCH_PASSWORD_REQUIRED', 'password');
    case 'certAuth':
      if (certificate)
        return certificateMatches ? { kind: 'certificate_ok' } : wrongCert('certAuth');
      return mismatch('basicAuth', 'AUTH_TYPE_MISMATCH', 'certificate');
    case 'basicAuthAndCertAuth':
      // Certificate first, then password (§1): a certificate step alone is a type mismatch.
      if (!certificate) return mismatch('basicAuth', 'AUTH_TYPE_MISMATCH', 'certificate');
      if (!certificateMatches) return wrongCert(password ? 'basicAuthAndCertAuth' : 'certAuth');
      if (!password) return mismatch('certAuth', 'AUTH_TYPE_MISMATCH', 'password');
      return { kind: 'password', method: 'basicAuthAndCertAuth' };
    case 'basicAuthOrCertAuth':
      if (certificate && certificateMatches) return { kind: 'certificate_ok' };
      if (password) return { kind: 'password', method: 'basicAuth' };
      return wrongCert('certAuth');
    default: {
      const never: never = user.ssoAuthType;
      return never;
    }
  }
}

function promptSupplementary(prompt: Prompt): AuthSupplementaryId | undefined {
  if (prompt === 'password') return 'PASSWORD_AUTH_REQUIRED';
  if (prompt === 'certificate') return 'CERT_AUTH_REQUIRED';
  return undefined;
}

function failed(
  reason: FailureReason,
  method: AuthMethodToken,
  supplementary: AuthSupplementaryId,
  extra: { lockout?: LockoutAction; released?: boolean; prompt?: Prompt } = {},
): AttemptOutcome {
  const prompt = extra.prompt;
  return {
    outcome: 'failed',
    reason,
    repositoryLog: { method, result: 'failed', supplementary },
    authenticationLog: { method, result: 'failed', supplementary: promptSupplementary(prompt) },
    lockout: extra.lockout ?? 'none',
    released: extra.released ?? false,
    prompt,
  };
}

/**
 * Whether the caller must verify the presented password for this attempt (otherwise it runs
 * `dummyVerify` when a password was presented). False for unknown, non-ssoUser, locked,
 * out-of-period users, users with no stored password, and routes that do not use the password.
 */
export function shouldVerifyPassword(
  input: Omit<AttemptInput, 'passwordMatches' | 'passwordRefusal'>,
): boolean {
  const { user, presented, policy, now } = input;
  if (user === undefined || !presented.password) return false;
  if (input.passwordCheck !== 'repository' && user.userPassword === undefined) return false;
  if (!hasSsoUserClass(user)) return false;
  if (isLocked(lockoutStateOf(user), policy, now).locked) return false;
  if (!withinValidity(user, now)) return false;
  return route(user, presented, input.certificateMatches === true).kind === 'password';
}

/**
 * The outcome of an attempt that presented nothing: the repository is not asked; the
 * authentication server writes `(User's ID/password and certificate do not exist)` (J-AS8).
 */
export const NO_CREDENTIALS_OUTCOME: AttemptOutcome = Object.freeze({
  outcome: 'failed',
  reason: 'no_credentials',
  repositoryLog: undefined,
  authenticationLog: Object.freeze({
    method: 'unknown',
    result: 'failed',
    supplementary: 'NO_CREDENTIALS',
  }),
  lockout: 'none',
  released: false,
  prompt: 'password',
});

/**
 * A password that could not be checked (no stored password) or that the repository refused for
 * the account's state, not for the password itself: the outcome the same state read from the
 * entry would have given, never counted as a failure.
 */
function refused(
  refusal: PasswordRefusal,
  method: AuthMethodToken,
  lockout: LockoutAction,
  released: boolean,
): AttemptOutcome {
  switch (refusal) {
    case 'no_password':
      return failed('no_password_stored', method, 'WRONG_ID_OR_PASSWORD', {
        lockout,
        released,
        prompt: 'password',
      });
    case 'no_such_user':
      // Gone since it was read: nothing to persist about it.
      return failed('unknown_user', method, 'WRONG_ID_OR_PASSWORD', { prompt: 'password' });
    case 'locked':
      return failed('locked', method, 'ALREADY_LOCKED', { lockout, released });
    case 'disabled':
      return failed('outside_validity_period', method, 'OUT_OF_VALIDITY_PERIOD', {
        lockout,
        released,
      });
    case 'password_expired':
      return failed('password_expired', method, 'PASSWORD_EXPIRED', { lockout, released });
    default: {
      const never: never = refusal;
      return never;
    }
  }
}

/** Decides one sign-on attempt. Pure: reads nothing but its input. */
export function decideAttempt(input: AttemptInput): AttemptOutcome {
  const { user, presented, policy, now } = input;
  if (!presented.password && !presented.certificate) return NO_CREDENTIALS_OUTCOME;
  const asked = presentedMethod(presented);
  if (user === undefined) {
    return failed('unknown_user', asked, 'WRONG_ID_OR_PASSWORD', { prompt: 'password' });
  }
  if (!hasSsoUserClass(user)) {
    return failed('not_sso_user', asked, 'WRONG_ID_OR_PASSWORD', { prompt: 'password' });
  }
  const state = lockoutStateOf(user);
  const lock = isLocked(state, policy, now);
  if (lock.locked) return failed('locked', asked, 'ALREADY_LOCKED');
  const released = lock.released;
  const baseLockout: LockoutAction = released ? 'release' : 'none';
  if (!withinValidity(user, now)) {
    return failed('outside_validity_period', asked, 'OUT_OF_VALIDITY_PERIOD', {
      lockout: baseLockout,
      released,
    });
  }
  const r = route(user, presented, input.certificateMatches === true);
  switch (r.kind) {
    case 'fail':
      return failed(r.reason, r.method, r.supplementary, {
        lockout: baseLockout,
        released,
        prompt: r.prompt,
      });
    case 'certificate_ok':
      return {
        outcome: 'succeeded',
        method: 'certAuth',
        user,
        repositoryLog: { method: 'certAuth', result: 'succeeded', supplementary: undefined },
        lockout: baseLockout,
        released,
      };
    case 'password': {
      const refusal =
        input.passwordCheck === 'repository'
          ? input.passwordRefusal
          : user.userPassword === undefined
            ? 'no_password'
            : undefined;
      if (refusal !== undefined) return refused(refusal, r.method, baseLockout, released);
      if (input.passwordMatches === true) {
        const dirty = released || state.failureCount > 0 || state.locked;
        return {
          outcome: 'succeeded',
          method: r.method,
          user,
          repositoryLog: { method: r.method, result: 'succeeded', supplementary: undefined },
          lockout: dirty ? 'reset' : 'none',
          released,
        };
      }
      // The expected event from the state read; the repository's atomic recordFailure has the
      // final word (failureSupplementary of its event).
      const expected = onPasswordFailure(state, policy, now).event;
      return failed('wrong_password', r.method, failureSupplementary(expected), {
        lockout: 'record_failure',
        released,
        prompt: 'password',
      });
    }
    default: {
      const never: never = r;
      return never;
    }
  }
}
