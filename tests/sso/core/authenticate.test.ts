import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SUPPLEMENTARY } from '../../../src/logs/supplementary.ts';
import type {
  AttemptInput,
  AttemptOutcome,
  PasswordVerdict,
} from '../../../src/sso/core/authenticate.ts';
import {
  AUTH_SUPPLEMENTARY_IDS,
  PASSWORD_VERDICTS,
  decideAttempt,
  failureSupplementary,
  shouldVerifyPassword,
  verdictInput,
} from '../../../src/sso/core/authenticate.ts';
import { lockoutPolicy } from '../../../src/sso/core/lockout.ts';
import type { SsoAuthType, SsoUser } from '../../../src/sso/core/user.ts';
import { newSsoUser } from '../../../src/sso/core/user.ts';

const NOW = new Date('2030-06-01T12:00:00Z');
const policy = lockoutPolicy({ maxFailureCount: 3, lockOutTimeMinutes: 30 });

function user(fields: Partial<SsoUser> = {}): SsoUser {
  return newSsoUser('uid=u,o=example', 'u', { userPassword: '$argon2id$stored', ...fields });
}

function attempt(over: Partial<AttemptInput>): AttemptOutcome {
  return decideAttempt({
    user: user(),
    presented: { password: true, certificate: false },
    certificateMatches: undefined,
    passwordMatches: true,
    policy,
    now: NOW,
    ...over,
  });
}

/** [method token, result, supplementary] of the repository line ('-' = no repository line). */
function line(o: AttemptOutcome): string {
  const r = o.repositoryLog;
  return r === undefined ? '-' : `${r.method} ${r.result} ${r.supplementary ?? ''}`.trim();
}

void describe('supplementary ids', () => {
  void it('every id the decision emits exists in the catalogue of src/logs', () => {
    for (const id of AUTH_SUPPLEMENTARY_IDS) assert.ok(id in SUPPLEMENTARY, id);
  });
  void it('failure events map to catalogue entries of a failed repository result', () => {
    for (const e of ['counted', 'locked', 'already_locked'] as const) {
      const entry = SUPPLEMENTARY[failureSupplementary(e)];
      assert.equal(entry.outcome, 'failed');
      assert.ok(entry.logs.includes('repository'));
    }
  });
});

void describe('ssoAuthType × presented credentials', () => {
  type P = 'pw' | 'cert' | 'both';
  const presented = (p: P) => ({ password: p !== 'cert', certificate: p !== 'pw' });
  // [type, presented, certificate ok, password ok, expected line, lockout, prompt]
  const rows: [SsoAuthType, P, boolean, boolean, string, string, string][] = [
    ['basicAuth', 'pw', false, true, 'basicAuth succeeded', 'none', ''],
    [
      'basicAuth',
      'pw',
      false,
      false,
      'basicAuth failed COUNT_UP_FAILURE_COUNT',
      'record_failure',
      'password',
    ],
    [
      'basicAuth',
      'cert',
      true,
      true,
      'certAuth failed AUTH_TYPE_MISMATCH_PASSWORD_REQUIRED',
      'none',
      'password',
    ],
    ['basicAuth', 'both', true, true, 'basicAuth succeeded', 'none', ''],
    [
      'basicAuth',
      'both',
      false,
      false,
      'basicAuth failed COUNT_UP_FAILURE_COUNT',
      'record_failure',
      'password',
    ],
    ['certAuth', 'pw', false, true, 'basicAuth failed AUTH_TYPE_MISMATCH', 'none', 'certificate'],
    ['certAuth', 'cert', true, false, 'certAuth succeeded', 'none', ''],
    ['certAuth', 'cert', false, false, 'certAuth failed WRONG_ID_OR_PASSWORD', 'none', 'password'],
    ['certAuth', 'both', true, false, 'certAuth succeeded', 'none', ''],
    ['certAuth', 'both', false, true, 'certAuth failed WRONG_ID_OR_PASSWORD', 'none', 'password'],
    [
      'basicAuthAndCertAuth',
      'pw',
      false,
      true,
      'basicAuth failed AUTH_TYPE_MISMATCH',
      'none',
      'certificate',
    ],
    [
      'basicAuthAndCertAuth',
      'cert',
      true,
      false,
      'certAuth failed AUTH_TYPE_MISMATCH',
      'none',
      'password',
    ],
    [
      'basicAuthAndCertAuth',
      'cert',
      false,
      false,
      'certAuth failed WRONG_ID_OR_PASSWORD',
      'none',
      'password',
    ],
    ['basicAuthAndCertAuth', 'both', true, true, 'basicAuthAndCertAuth succeeded', 'none', ''],
    [
      'basicAuthAndCertAuth',
      'both',
      true,
      false,
      'basicAuthAndCertAuth failed COUNT_UP_FAILURE_COUNT',
      'record_failure',
      'password',
    ],
    [
      'basicAuthAndCertAuth',
      'both',
      false,
      true,
      'basicAuthAndCertAuth failed WRONG_ID_OR_PASSWORD',
      'none',
      'password',
    ],
    ['basicAuthOrCertAuth', 'pw', false, true, 'basicAuth succeeded', 'none', ''],
    [
      'basicAuthOrCertAuth',
      'pw',
      false,
      false,
      'basicAuth failed COUNT_UP_FAILURE_COUNT',
      'record_failure',
      'password',
    ],
    ['basicAuthOrCertAuth', 'cert', true, false, 'certAuth succeeded', 'none', ''],
    [
      'basicAuthOrCertAuth',
      'cert',
      false,
      false,
      'certAuth failed WRONG_ID_OR_PASSWORD',
      'none',
      'password',
    ],
    ['basicAuthOrCertAuth', 'both', true, false, 'certAuth succeeded', 'none', ''],
    ['basicAuthOrCertAuth', 'both', false, true, 'basicAuth succeeded', 'none', ''],
    [
      'basicAuthOrCertAuth',
      'both',
      false,
      false,
      'basicAuth failed COUNT_UP_FAILURE_COUNT',
      'record_failure',
      'password',
    ],
  ];
  for (const [type, p, certOk, pwOk, expected, lockout, prompt] of rows) {
    void it(`${type} + ${p} (cert ${certOk ? 'ok' : 'bad'}, password ${pwOk ? 'ok' : 'bad'}) → ${expected}`, () => {
      const input = {
        user: user({ ssoAuthType: type }),
        presented: presented(p),
        certificateMatches: p === 'pw' ? undefined : certOk,
        policy,
        now: NOW,
      };
      const verify = shouldVerifyPassword(input);
      const o = decideAttempt({ ...input, passwordMatches: verify ? pwOk : undefined });
      assert.equal(line(o), expected);
      assert.equal(o.lockout, lockout);
      if (o.outcome === 'failed') {
        assert.equal(o.prompt ?? '', prompt);
        const auth = {
          password: 'PASSWORD_AUTH_REQUIRED',
          certificate: 'CERT_AUTH_REQUIRED',
          '': undefined,
        }[prompt];
        assert.equal(o.authenticationLog.supplementary, auth);
      } else {
        assert.equal(prompt, '');
      }
      // The password is verified exactly when the outcome depends on it.
      assert.equal(
        verify,
        / COUNT_UP_FAILURE_COUNT$/.test(expected) ||
          (expected.endsWith('succeeded') && expected.startsWith('basicAuth')),
      );
    });
  }

  void it('nothing presented: no repository line, NO_CREDENTIALS in the authentication log', () => {
    const o = attempt({ user: undefined, presented: { password: false, certificate: false } });
    assert.equal(line(o), '-');
    assert.equal(o.outcome, 'failed');
    assert.deepEqual(o.authenticationLog, {
      method: 'unknown',
      result: 'failed',
      supplementary: 'NO_CREDENTIALS',
    });
  });
});

void describe('unknown and invalid users', () => {
  void it('unknown user: WRONG_ID_OR_PASSWORD, nothing to persist, password not verified (caller runs dummyVerify)', () => {
    const input = {
      user: undefined,
      presented: { password: true, certificate: false },
      certificateMatches: undefined,
      policy,
      now: NOW,
    };
    assert.equal(shouldVerifyPassword(input), false);
    const o = decideAttempt({ ...input, passwordMatches: undefined });
    assert.equal(line(o), 'basicAuth failed WRONG_ID_OR_PASSWORD');
    assert.equal(o.lockout, 'none');
  });
  void it('entry without the ssoUser object class fails', () => {
    const o = attempt({ user: user({ objectClass: ['top', 'person'] }) });
    assert.equal(line(o), 'basicAuth failed WRONG_ID_OR_PASSWORD');
  });
  void it('a user without userPassword fails and is not counted', () => {
    const o = attempt({ user: user({ userPassword: undefined }), passwordMatches: undefined });
    assert.equal(line(o), 'basicAuth failed WRONG_ID_OR_PASSWORD');
    assert.equal(o.lockout, 'none');
  });
});

void describe('lock', () => {
  const locked = (minutesAgo: number) =>
    user({
      ssoUserStatus: 'locked',
      ssoFailureCount: 3,
      ssoLockTimeStamp: new Date(NOW.getTime() - minutesAgo * 60_000),
    });

  void it('a locked user fails with ALREADY_LOCKED before the password is tried, any method', () => {
    for (const presented of [
      { password: true, certificate: false },
      { password: false, certificate: true },
    ]) {
      const input = { user: locked(5), presented, certificateMatches: true, policy, now: NOW };
      assert.equal(shouldVerifyPassword(input), false);
      const o = decideAttempt({ ...input, passwordMatches: undefined });
      assert.match(line(o), / failed ALREADY_LOCKED$/);
      assert.equal(o.lockout, 'none');
    }
  });
  void it('after lock-out-time the lock is released at the attempt: success resets', () => {
    const o = attempt({ user: locked(30) });
    assert.equal(line(o), 'basicAuth succeeded');
    assert.equal(o.released, true);
    assert.equal(o.lockout, 'reset');
  });
  void it('after lock-out-time a wrong password counts from zero', () => {
    const o = attempt({ user: locked(31), passwordMatches: false });
    assert.equal(line(o), 'basicAuth failed COUNT_UP_FAILURE_COUNT');
    assert.equal(o.released, true);
    assert.equal(o.lockout, 'record_failure');
  });
  void it('a released certificate sign-on persists the release only', () => {
    const o = attempt({
      user: locked(31),
      presented: { password: false, certificate: true },
      certificateMatches: true,
    });
    assert.equal(line(o), 'certAuth succeeded');
    assert.equal(o.lockout, 'release');
  });
  void it('the threshold-reaching failure is logged USER_LOCKED', () => {
    const o = attempt({ user: user({ ssoFailureCount: 2 }), passwordMatches: false });
    assert.equal(line(o), 'basicAuth failed USER_LOCKED');
  });
  void it('a password success with earlier failures resets the count', () => {
    assert.equal(attempt({ user: user({ ssoFailureCount: 2 }) }).lockout, 'reset');
  });
});

void describe('validity period', () => {
  const at = (iso: string) => new Date(iso);
  const nb = at('2030-06-01T00:00:00Z');
  const na = at('2030-06-30T23:59:59Z');
  const cases: [string, Partial<SsoUser>, Date, boolean][] = [
    ['exactly at notBefore', { ssoNotBefore: nb, ssoNotAfter: na }, nb, true],
    [
      '1 ms before notBefore',
      { ssoNotBefore: nb, ssoNotAfter: na },
      new Date(nb.getTime() - 1),
      false,
    ],
    ['exactly at notAfter', { ssoNotBefore: nb, ssoNotAfter: na }, na, true],
    [
      '1 ms after notAfter',
      { ssoNotBefore: nb, ssoNotAfter: na },
      new Date(na.getTime() + 1),
      false,
    ],
    ['open start', { ssoNotAfter: na }, at('2001-01-01T00:00:00Z'), true],
    ['open end', { ssoNotBefore: nb }, at('2099-01-01T00:00:00Z'), true],
    ['equal ends', { ssoNotBefore: nb, ssoNotAfter: nb }, nb, false],
    ['inverted ends', { ssoNotBefore: na, ssoNotAfter: nb }, nb, false],
    ['end beyond 2037-12-31T23:59:59Z', { ssoNotAfter: at('2038-01-01T00:00:00Z') }, nb, false],
    ['start before 2000', { ssoNotBefore: at('1999-12-31T23:59:59Z') }, nb, false],
  ];
  for (const [name, fields, now, ok] of cases) {
    void it(`${name} → ${ok ? 'succeeded' : 'OUT_OF_VALIDITY_PERIOD'}`, () => {
      const input = {
        user: user(fields),
        presented: { password: true, certificate: false },
        certificateMatches: undefined,
        policy,
        now,
      };
      assert.equal(shouldVerifyPassword(input), ok);
      const o = decideAttempt({ ...input, passwordMatches: ok ? true : undefined });
      assert.equal(line(o), ok ? 'basicAuth succeeded' : 'basicAuth failed OUT_OF_VALIDITY_PERIOD');
    });
  }
});

void describe('passwords checked by the repository (Active Directory bind)', () => {
  // An AD user: no userPassword; the repository's verdict decides.
  const adUser = (fields: Partial<SsoUser> = {}) => user({ userPassword: undefined, ...fields });
  const byRepository = (verdict: PasswordVerdict, fields: Partial<SsoUser> = {}) =>
    attempt({ user: adUser(fields), passwordCheck: 'repository', ...verdictInput(verdict) });

  void it('the password is checked although no userPassword is stored', () => {
    const input = {
      user: adUser(),
      presented: { password: true, certificate: false },
      certificateMatches: undefined,
      policy,
      now: NOW,
    };
    assert.equal(shouldVerifyPassword(input), false, 'stored: nothing to compare');
    assert.equal(shouldVerifyPassword({ ...input, passwordCheck: 'repository' }), true);
    // Still not for a locked user, nor one outside its validity period: dummyVerify then.
    for (const u of [
      adUser({ ssoUserStatus: 'locked', ssoLockTimeStamp: NOW }),
      adUser({ ssoNotAfter: new Date(0) }),
    ]) {
      assert.equal(shouldVerifyPassword({ ...input, user: u, passwordCheck: 'repository' }), false);
    }
  });

  void it('match signs on; mismatch is a wrong password, counted as ever', () => {
    assert.equal(line(byRepository('match')), 'basicAuth succeeded');
    assert.equal(byRepository('match', { ssoFailureCount: 2 }).lockout, 'reset');
    const wrong = byRepository('mismatch');
    assert.equal(line(wrong), 'basicAuth failed COUNT_UP_FAILURE_COUNT');
    assert.equal(wrong.lockout, 'record_failure');
    assert.equal(wrong.outcome === 'failed' && wrong.reason, 'wrong_password');
    assert.equal(
      line(byRepository('mismatch', { ssoFailureCount: 2 })),
      'basicAuth failed USER_LOCKED',
    );
  });

  void it("the directory's refusals take the outcome of the same account state, uncounted", () => {
    const rows: [PasswordVerdict, string, string][] = [
      ['no_password', 'no_password_stored', 'basicAuth failed WRONG_ID_OR_PASSWORD'],
      ['no_such_user', 'unknown_user', 'basicAuth failed WRONG_ID_OR_PASSWORD'],
      ['locked', 'locked', 'basicAuth failed ALREADY_LOCKED'],
      ['disabled', 'outside_validity_period', 'basicAuth failed OUT_OF_VALIDITY_PERIOD'],
      ['password_expired', 'password_expired', 'basicAuth failed PASSWORD_EXPIRED'],
    ];
    for (const [verdict, reason, expected] of rows) {
      const o = byRepository(verdict);
      assert.equal(line(o), expected, verdict);
      assert.equal(o.outcome === 'failed' && o.reason, reason, verdict);
      assert.equal(o.lockout, 'none', verdict);
    }
    // An expired lock released at this attempt is persisted whatever the directory said.
    const lockedLongAgo = { ssoUserStatus: 'locked' as const, ssoLockTimeStamp: new Date(0) };
    assert.equal(byRepository('disabled', lockedLongAgo).lockout, 'release');
  });

  void it('a refusal is ignored where the password is checked by Sekisho', () => {
    const o = attempt({ passwordMatches: true, passwordRefusal: 'locked' });
    assert.equal(line(o), 'basicAuth succeeded');
  });

  void it('every verdict is one of PASSWORD_VERDICTS and enters the input one way', () => {
    for (const v of PASSWORD_VERDICTS) {
      const i = verdictInput(v);
      assert.equal(i.passwordMatches, v === 'match');
      assert.equal(i.passwordRefusal, v === 'match' || v === 'mismatch' ? undefined : v);
    }
  });
});
