// The pure session rules: identifiers, policy, checkSession's order and bounds, openSession.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { Session } from '../../../src/sso/core/session.ts';
import {
  DEFAULT_SESSION_POLICY,
  PENDING_CONFIRMATION_MINUTES,
  SESSION_ID_CHARS,
  checkSession,
  isSessionId,
  newSessionId,
  openSession,
  sessionPolicy,
} from '../../../src/sso/core/session.ts';
import { newSsoUser } from '../../../src/sso/core/user.ts';

const T0 = new Date('2030-06-01T12:00:00Z');
const at = (minutes: number): Date => new Date(T0.getTime() + minutes * 60_000);
const user = newSsoUser('uid=tarou,ou=users,o=example', 'tarou');

function session(fields: Partial<Session> = {}): Session {
  return { ...openSession(user, '192.0.2.7', T0, 0, 'active'), ...fields };
}

void describe('session identifiers', () => {
  void it('are 43 canonical base64url characters, all distinct', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const id = newSessionId();
      assert.equal(id.length, SESSION_ID_CHARS);
      assert.ok(isSessionId(id), id);
      assert.equal(Buffer.from(id, 'base64url').toString('base64url'), id);
      seen.add(id);
    }
    assert.equal(seen.size, 2000);
  });

  void it('refuses every other shape', () => {
    const good = newSessionId();
    const bad: unknown[] = [
      undefined,
      null,
      42,
      '',
      good.slice(1),
      good + 'A',
      ` ${good.slice(1)}`,
      good.slice(0, 42) + '=',
      good.slice(0, 41) + '+' + good.slice(42),
      good.slice(0, 41) + '/' + good.slice(42),
      good.slice(0, 42) + 'B', // non-zero padding bits: not the canonical encoding
      good.slice(0, 42) + 'é',
      good.slice(0, 41) + '\n' + good.slice(42),
      'ddzWs+4zVLhd3PbPzaanr7CgITETe9qZwYoAXzRvu9NO9KBWXpasM4', // the seed's format (54 chars)
      [good],
      { toString: () => good },
    ];
    for (const b of bad) assert.equal(isSessionId(b), false, String(b));
    assert.equal(isSessionId(good.slice(0, 42) + 'A'), true);
    assert.equal(isSessionId(good.slice(0, 42) + '8'), true);
  });
});

void describe('sessionPolicy', () => {
  void it('defaults: 30 minutes idle, 480 minutes lifetime, no forced sign-on', () => {
    assert.deepEqual(sessionPolicy(), {
      idleTimeoutMinutes: 30,
      maxLifetimeMinutes: 480,
      forcedSignOn: false,
    });
    assert.deepEqual(DEFAULT_SESSION_POLICY, sessionPolicy());
    assert.ok(Object.isFrozen(sessionPolicy({ forcedSignOn: true })));
  });

  void it('refuses durations that are not integers 0–525600', () => {
    for (const v of [-1, 1.5, Number.NaN, Infinity, 525_601]) {
      assert.throws(() => sessionPolicy({ idleTimeoutMinutes: v }), RangeError);
      assert.throws(() => sessionPolicy({ maxLifetimeMinutes: v }), RangeError);
    }
    assert.equal(sessionPolicy({ maxLifetimeMinutes: 0 }).maxLifetimeMinutes, 0);
  });
});

void describe('checkSession', () => {
  const policy = sessionPolicy({ idleTimeoutMinutes: 30, maxLifetimeMinutes: 480 });

  void it('idle timeout counts from the last use, bound inclusive', () => {
    const s = session({ lastUsedAt: at(100) });
    assert.deepEqual(checkSession(s, policy, at(129)), { ok: true });
    assert.deepEqual(checkSession(s, policy, new Date(at(130).getTime() - 1)), { ok: true });
    assert.deepEqual(checkSession(s, policy, at(130)), { ok: false, reason: 'idle_timeout' });
  });

  void it('maximum lifetime counts from creation, whatever the use', () => {
    const s = session({ lastUsedAt: at(479) });
    assert.deepEqual(checkSession(s, policy, at(479)), { ok: true });
    assert.deepEqual(checkSession(s, policy, at(480)), { ok: false, reason: 'expired' });
  });

  void it('re-authentication is due at reauthAt', () => {
    const s = session({ reauthAt: at(60), lastUsedAt: at(59) });
    assert.deepEqual(checkSession(s, policy, at(59)), { ok: true });
    assert.deepEqual(checkSession(s, policy, at(60)), { ok: false, reason: 'reauth_required' });
  });

  void it('order: expired, then reauth_required, then idle_timeout', () => {
    const s = session({ reauthAt: at(60) });
    // At 500 minutes all three apply; at 61 re-authentication and idle (lastUsedAt = T0 … 31).
    assert.deepEqual(checkSession(s, policy, at(500)), { ok: false, reason: 'expired' });
    assert.deepEqual(checkSession(s, policy, at(61)), { ok: false, reason: 'reauth_required' });
  });

  void it('0 means none', () => {
    const none = sessionPolicy({ idleTimeoutMinutes: 0, maxLifetimeMinutes: 0 });
    assert.deepEqual(checkSession(session(), none, at(525_600 * 10)), { ok: true });
  });

  void it('a pending forced sign-on waits PENDING_CONFIRMATION_MINUTES at most', () => {
    const none = sessionPolicy({ idleTimeoutMinutes: 0, maxLifetimeMinutes: 0 });
    const p = session({ state: 'pending_forced' });
    assert.deepEqual(checkSession(p, none, at(PENDING_CONFIRMATION_MINUTES - 1)), { ok: true });
    assert.deepEqual(checkSession(p, none, at(PENDING_CONFIRMATION_MINUTES)), {
      ok: false,
      reason: 'expired',
    });
  });
});

void describe('openSession', () => {
  void it('reauthAt = now + the effective ssoCredentialTTL; 0 = none', () => {
    const cases: [number | undefined, number, number | undefined][] = [
      [undefined, 120, 120],
      [undefined, 0, undefined],
      [0, 120, undefined],
      [10, 120, 30],
      [90, 120, 90],
      [5000, 120, 1440],
    ];
    for (const [ttl, dflt, expected] of cases) {
      const u = newSsoUser('uid=x,o=example', 'x', { ssoCredentialTTL: ttl });
      const s = openSession(u, undefined, T0, dflt, 'active');
      assert.deepEqual(s.reauthAt, expected === undefined ? undefined : at(expected), `${ttl}`);
    }
  });

  void it('fills every field from the user and the instant', () => {
    const s = openSession(user, '2001:db8::1', T0, 0, 'pending_forced');
    assert.ok(isSessionId(s.id));
    assert.deepEqual(
      { ...s, id: 'x' },
      {
        id: 'x',
        uid: 'tarou',
        dn: user.dn,
        client: '2001:db8::1',
        createdAt: T0,
        lastUsedAt: T0,
        authenticatedAt: T0,
        reauthAt: undefined,
        state: 'pending_forced',
      },
    );
    assert.throws(() => openSession(user, undefined, T0, -1, 'active'), RangeError);
  });
});
