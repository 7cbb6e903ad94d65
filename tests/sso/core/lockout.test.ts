import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SsoError } from '../../../src/sso/core/errors.ts';
import type { LockoutState } from '../../../src/sso/core/lockout.ts';
import {
  UNLOCKED,
  isLocked,
  lockoutPolicy,
  onPasswordFailure,
  onSuccess,
  release,
} from '../../../src/sso/core/lockout.ts';

const T0 = new Date('2030-01-01T00:00:00Z');
const min = (n: number) => new Date(T0.getTime() + n * 60_000);

void describe('lockout', () => {
  void it('defaults: threshold 5, no automatic release', () => {
    assert.deepEqual({ ...lockoutPolicy() }, { maxFailureCount: 5, lockOutTimeMinutes: undefined });
    assert.throws(
      () => lockoutPolicy({ maxFailureCount: -1 }),
      (e) => e instanceof SsoError && e.code === 'SSO_LOCKOUT_POLICY_INVALID',
    );
    assert.throws(
      () => lockoutPolicy({ lockOutTimeMinutes: 0 }),
      (e) => e instanceof SsoError,
    );
  });

  void it('counts to the threshold, locks once with the lock time, then already_locked', () => {
    const policy = lockoutPolicy({ maxFailureCount: 3 });
    let s: LockoutState = UNLOCKED;
    const events: string[] = [];
    for (let i = 0; i < 5; i++) {
      const t = onPasswordFailure(s, policy, min(i));
      events.push(t.event);
      s = t.state;
    }
    assert.deepEqual(events, ['counted', 'counted', 'locked', 'already_locked', 'already_locked']);
    assert.deepEqual(s, { failureCount: 3, locked: true, lockTimestamp: min(2) });
  });

  void it('success resets the count', () => {
    const policy = lockoutPolicy();
    const s = onPasswordFailure(UNLOCKED, policy, T0).state;
    assert.equal(s.failureCount, 1);
    assert.deepEqual(onSuccess(s), UNLOCKED);
  });

  void it('without lock-out-time a lock never releases by itself; manual release clears it', () => {
    const policy = lockoutPolicy({ maxFailureCount: 1 });
    const s = onPasswordFailure(UNLOCKED, policy, T0).state;
    assert.deepEqual(isLocked(s, policy, min(1e6)), { locked: true, released: false });
    assert.deepEqual(release(s), UNLOCKED);
  });

  void it('releases at the first attempt at or after lock-out-time, and not a moment before', () => {
    const policy = lockoutPolicy({ maxFailureCount: 1, lockOutTimeMinutes: 30 });
    const s = onPasswordFailure(UNLOCKED, policy, T0).state;
    assert.deepEqual(isLocked(s, policy, new Date(min(30).getTime() - 1)), {
      locked: true,
      released: false,
    });
    assert.deepEqual(isLocked(s, policy, min(30)), { locked: false, released: true });
    const after = onPasswordFailure(
      s,
      lockoutPolicy({ maxFailureCount: 3, lockOutTimeMinutes: 30 }),
      min(31),
    );
    assert.equal(after.released, true);
    assert.equal(after.event, 'counted');
    assert.equal(after.state.failureCount, 1);
  });

  void it('threshold 0 disables locking but still counts', () => {
    const policy = lockoutPolicy({ maxFailureCount: 0 });
    let s: LockoutState = UNLOCKED;
    for (let i = 0; i < 10; i++) s = onPasswordFailure(s, policy, T0).state;
    assert.deepEqual(s, { failureCount: 10, locked: false, lockTimestamp: undefined });
  });

  void it('property: any sequence of failures/successes never counts past the threshold and locks only on the threshold-reaching failure', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.boolean(), { maxLength: 60 }),
        (max, steps) => {
          const policy = lockoutPolicy({ maxFailureCount: max });
          let s: LockoutState = UNLOCKED;
          for (const fail of steps) {
            if (fail) {
              const t = onPasswordFailure(s, policy, T0);
              assert.ok(t.state.failureCount <= max);
              assert.equal(t.event === 'locked', !s.locked && s.failureCount === max - 1);
              s = t.state;
            } else if (!isLocked(s, policy, T0).locked) {
              s = onSuccess(s);
            }
          }
        },
      ),
    );
  });
});
