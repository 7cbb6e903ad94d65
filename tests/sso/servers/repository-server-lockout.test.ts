/**
 * Lockout through the repository server (reference §1 "Lockout", §4.1): counted failures,
 * the lock with its system-log message sso01060, `Already locked` without a password check
 * being counted, the lazy automatic release (sso09001), the administrator's release (sso09002),
 * the reset on success — with the exact lines — and the concurrency requirement: 100
 * parallel wrong passwords lock the user exactly once, on SQLite and in memory.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import { parseRepositoryLine } from '../../../src/logs/index.ts';
import { formatGeneralizedTime } from '../../../src/sso/core/user.ts';
import { SqliteUserRepository } from '../../../src/storage/sqlite/user-store.ts';
import {
  ADAPTERS,
  NOW,
  PASSWORD,
  TAROU_DN,
  TS,
  WRONG,
  authLine,
  closeRepositories,
  repoLine,
  rig,
  sqliteConnection,
  systemLine,
  tarou,
  testCerts,
} from './harness.ts';

after(closeRepositories);

const F = (supp: string) => `Authentication(basicAuth) failed. (${supp})`;
const COUNTED = [
  repoLine(TAROU_DN, F('Count up failure count')),
  repoLine(TAROU_DN, 'Modification succeeded. (Count up failure count)'),
  authLine(TAROU_DN, F('Authentication by ID and password is required')),
];
const LOCKED = [
  repoLine(TAROU_DN, F('User was locked')),
  repoLine(TAROU_DN, 'Modification succeeded. (Locked)'),
  authLine(TAROU_DN, F('Authentication by ID and password is required')),
];
const ALREADY = [
  repoLine(TAROU_DN, F('Already locked')),
  authLine(TAROU_DN, 'Authentication(basicAuth) failed.'),
];
const SSO01060 = systemLine(`WARNING sso01060 User was locked. UserID=(tarou) DN=(${TAROU_DN})`);
const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000);

for (const adapter of ADAPTERS) {
  void describe(`lockout (${adapter}), password-max-failure-count 3, lock-out-time 30`, () => {
    void it('failures 1 and 2 count, the 3rd locks; then every attempt is Already locked', async () => {
      const r = await rig({ adapter, users: [await tarou()] });
      for (const n of [1, 2]) {
        r.clear();
        const result = await r.signOn({ uid: 'tarou', password: WRONG });
        assert.deepEqual(r.lines, COUNTED, `failure ${n}`);
        assert.ok(!result.ok && !result.lockedNow);
        assert.equal((await r.users.findByUid('tarou'))?.ssoFailureCount, n);
        assert.deepEqual(r.system.lines, []);
      }
      r.clear();
      const third = await r.signOn({ uid: 'tarou', password: WRONG });
      assert.deepEqual(r.lines, LOCKED);
      assert.ok(!third.ok && third.lockedNow);
      assert.deepEqual(r.system.lines, [SSO01060]);
      const locked = await r.users.findByUid('tarou');
      assert.equal(locked?.ssoUserStatus, 'locked');
      assert.equal(locked.ssoFailureCount, 3);
      assert.equal(formatGeneralizedTime(locked.ssoLockTimeStamp!), '20300601120000Z');

      // Right password, wrong password, later: Already locked, one argon2id each (a dummy:
      // the password is not checked), nothing counted, nothing written to the repository.
      for (const [password, at] of [
        [PASSWORD, NOW],
        [WRONG, NOW],
        [PASSWORD, minutes(29)],
      ] as const) {
        r.clear();
        r.setNow(at);
        const result = await r.signOn({ uid: 'tarou', password });
        const ts = at === NOW ? TS : '[2030/06/01 21:29:00 +0900]';
        assert.deepEqual(
          r.lines,
          ALREADY.map((l) => l.replace(TS, ts)),
        );
        assert.deepEqual(result, {
          ok: false,
          method: 'basicAuth',
          cause: 'locked',
          prompt: undefined,
          lockedNow: false,
        });
        assert.equal(r.argon2id.calls.length, 1);
        assert.deepEqual(r.system.lines, []);
        assert.deepEqual(await r.users.findByUid('tarou'), locked);
      }
    });

    void it('a certificate does not get past the lock either', async () => {
      const certs = await testCerts();
      const r = await rig({
        adapter,
        users: [
          await tarou({ ssoUserStatus: 'locked', ssoFailureCount: 3, ssoLockTimeStamp: NOW }),
        ],
      });
      await r.signOn({ certificate: certs.tarou });
      assert.deepEqual(r.lines, [
        repoLine(TAROU_DN, 'Authentication(certAuth) failed. (Already locked)'),
        authLine(TAROU_DN, 'Authentication(certAuth) failed.'),
      ]);
      assert.equal(r.argon2id.calls.length, 0);
    });

    void it('lock-out-time releases the lock at the first attempt after the period', async () => {
      const r = await rig({ adapter, users: [await tarou()] });
      for (let i = 0; i < 3; i++) await r.signOn({ uid: 'tarou', password: WRONG });
      r.clear();
      r.setNow(new Date(minutes(30).getTime() - 1000));
      await r.signOn({ uid: 'tarou', password: PASSWORD });
      assert.deepEqual(
        r.lines,
        ALREADY.map((l) => l.replace(TS, '[2030/06/01 21:29:59 +0900]')),
      );
      r.clear();
      r.setNow(minutes(30));
      const result = await r.signOn({ uid: 'tarou', password: PASSWORD });
      assert.ok(result.ok);
      const ts = '[2030/06/01 21:30:00 +0900]';
      assert.deepEqual(r.lines, [
        repoLine(TAROU_DN, 'Authentication(basicAuth) succeeded.', ts),
        repoLine(TAROU_DN, 'Modification succeeded. (Failure count reset)', ts),
        authLine(TAROU_DN, 'Authentication(basicAuth) succeeded.', ts),
      ]);
      assert.deepEqual(r.system.lines, [
        systemLine(
          `INFO sso09001 User lock was released automatically. UserID=(tarou) DN=(${TAROU_DN})`,
          '2030-06-01T21:30:00.000+09:00',
        ),
      ]);
      const released = await r.users.findByUid('tarou');
      assert.deepEqual(
        [released?.ssoUserStatus, released?.ssoFailureCount, released?.ssoLockTimeStamp],
        ['good', 0, undefined],
      );
    });

    void it('a certificate after the period releases the lock too', async () => {
      const certs = await testCerts();
      const r = await rig({
        adapter,
        users: [
          await tarou({ ssoUserStatus: 'locked', ssoFailureCount: 3, ssoLockTimeStamp: NOW }),
        ],
        now: minutes(31),
      });
      const result = await r.signOn({ certificate: certs.tarou });
      assert.ok(result.ok);
      const ts = '[2030/06/01 21:31:00 +0900]';
      assert.deepEqual(r.lines, [
        repoLine(TAROU_DN, 'Authentication(certAuth) succeeded.', ts),
        repoLine(TAROU_DN, 'Modification succeeded. (Failure count reset)', ts),
        authLine(TAROU_DN, 'Authentication(certAuth) succeeded.', ts),
      ]);
      assert.equal(r.system.lines.length, 1);
      assert.match(r.system.lines[0]!, / INFO sso09001 /);
      assert.equal((await r.users.findByUid('tarou'))?.ssoUserStatus, 'good');
    });

    void it('a wrong password after the period releases the lock and counts 1', async () => {
      const r = await rig({
        adapter,
        users: [
          await tarou({ ssoUserStatus: 'locked', ssoFailureCount: 3, ssoLockTimeStamp: NOW }),
        ],
        now: minutes(30),
      });
      await r.signOn({ uid: 'tarou', password: WRONG });
      const ts = '[2030/06/01 21:30:00 +0900]';
      assert.deepEqual(
        r.lines,
        COUNTED.map((l) => l.replace(TS, ts)),
      );
      assert.deepEqual(r.system.lines, [
        systemLine(
          `INFO sso09001 User lock was released automatically. UserID=(tarou) DN=(${TAROU_DN})`,
          '2030-06-01T21:30:00.000+09:00',
        ),
      ]);
      const u = await r.users.findByUid('tarou');
      assert.deepEqual([u?.ssoUserStatus, u?.ssoFailureCount], ['good', 1]);
    });

    void it('without lock-out-time the lock stays', async () => {
      const r = await rig({
        adapter,
        users: [
          await tarou({ ssoUserStatus: 'locked', ssoFailureCount: 3, ssoLockTimeStamp: NOW }),
        ],
        policy: { maxFailureCount: 3, lockOutTimeMinutes: undefined },
        now: new Date('2037-12-31T00:00:00Z'),
      });
      await r.signOn({ uid: 'tarou', password: PASSWORD });
      assert.match(r.repositoryLines[0]!, /\(Already locked\) \|$/);
      assert.deepEqual(r.system.lines, []);
    });

    void it('the administrator releases a lock: sso09002 and a Modification line', async () => {
      const r = await rig({ adapter, users: [await tarou()] });
      for (let i = 0; i < 3; i++) await r.signOn({ uid: 'tarou', password: WRONG });
      r.clear();
      const u = await r.repository.unlock('tarou', '198.51.100.1');
      assert.equal(u?.dn, TAROU_DN);
      assert.deepEqual(r.lines, [
        `unknown - 198.51.100.1 ${TS} - "${TAROU_DN}" Modification succeeded. (Failure count reset) |`,
      ]);
      assert.deepEqual(r.system.lines, [
        systemLine(
          `INFO sso09002 User lock was released by the administrator. UserID=(tarou) DN=(${TAROU_DN})`,
        ),
      ]);
      const after = await r.users.findByUid('tarou');
      assert.deepEqual(
        [after?.ssoUserStatus, after?.ssoFailureCount, after?.ssoLockTimeStamp],
        ['good', 0, undefined],
      );
      r.clear();
      assert.ok((await r.signOn({ uid: 'tarou', password: PASSWORD })).ok);
      assert.equal(r.lines.length, 2, 'a clean success writes no Modification line');

      // Nothing to release (good, no failures): nothing is written.
      r.clear();
      assert.equal((await r.repository.unlock('tarou', undefined))?.dn, TAROU_DN);
      assert.deepEqual([r.lines, r.system.lines], [[], []]);
      r.clear();
      assert.equal(await r.repository.unlock('nosuchuser', '198.51.100.1'), undefined);
      assert.deepEqual([r.lines, r.system.lines], [[], []]);
    });

    void it('a success resets the count', async () => {
      const r = await rig({ adapter, users: [await tarou()] });
      for (let i = 0; i < 2; i++) await r.signOn({ uid: 'tarou', password: WRONG });
      r.clear();
      assert.ok((await r.signOn({ uid: 'tarou', password: PASSWORD })).ok);
      assert.deepEqual(r.lines, [
        repoLine(TAROU_DN, 'Authentication(basicAuth) succeeded.'),
        repoLine(TAROU_DN, 'Modification succeeded. (Failure count reset)'),
        authLine(TAROU_DN, 'Authentication(basicAuth) succeeded.'),
      ]);
      assert.deepEqual(r.system.lines, []);
      assert.equal((await r.users.findByUid('tarou'))?.ssoFailureCount, 0);
      // Two more failures do not lock: the count started again from 0.
      for (let i = 0; i < 2; i++) await r.signOn({ uid: 'tarou', password: WRONG });
      assert.equal((await r.users.findByUid('tarou'))?.ssoUserStatus, 'good');
      r.clear();
      await r.signOn({ uid: 'tarou', password: WRONG });
      assert.deepEqual(r.lines, LOCKED);
    });

    void it('password-max-failure-count 0 counts but never locks', async () => {
      const r = await rig({
        adapter,
        users: [await tarou()],
        policy: { maxFailureCount: 0, lockOutTimeMinutes: 30 },
      });
      for (let i = 0; i < 7; i++) {
        r.clear();
        await r.signOn({ uid: 'tarou', password: WRONG });
        assert.deepEqual(r.lines, COUNTED);
      }
      const u = await r.users.findByUid('tarou');
      assert.deepEqual([u?.ssoUserStatus, u?.ssoFailureCount], ['good', 7]);
      assert.deepEqual(r.system.lines, []);
    });
  });
}

for (const adapter of ADAPTERS) {
  void describe(`concurrency (${adapter}), password-max-failure-count 5`, () => {
    void it('100 parallel wrong passwords for one user lock it exactly once', async () => {
      const r = await rig({
        adapter,
        users: [await tarou()],
        policy: { maxFailureCount: 5, lockOutTimeMinutes: 30 },
      });
      const results = await Promise.all(
        Array.from({ length: 100 }, () => r.signOn({ uid: 'tarou', password: WRONG })),
      );
      assert.equal(results.filter((x) => !x.ok && x.lockedNow).length, 1);
      assert.ok(results.every((x) => !x.ok));
      assert.equal(r.argon2id.calls.length, 100, 'one argon2id per attempt');
      assert.deepEqual(r.system.lines, [SSO01060]);
      const u = await r.users.findByUid('tarou');
      assert.deepEqual([u?.ssoUserStatus, u?.ssoFailureCount], ['locked', 5]);

      const supps = (lines: string[], token: string) =>
        lines
          .map((l) => parseRepositoryLine(l)!)
          .filter((p) => p.token === token)
          .map((p) => p.supplementary);
      const auth = supps(r.repositoryLines, 'Authentication(basicAuth)');
      assert.equal(auth.length, 100);
      // In the order written: 4 counted, then the lock, then only Already locked.
      assert.deepEqual(auth.slice(0, 5), [
        'Count up failure count',
        'Count up failure count',
        'Count up failure count',
        'Count up failure count',
        'User was locked',
      ]);
      assert.deepEqual(new Set(auth.slice(5)), new Set(['Already locked']));
      // The update system's own lines: 4 counts, 1 lock; a call that reached the compare-and-set
      // after the lock reports it as Already locked; nothing else.
      const mods = supps(r.repositoryLines, 'Modification');
      assert.equal(mods.filter((s) => s === 'Count up failure count').length, 4);
      assert.equal(mods.filter((s) => s === 'Locked').length, 1);
      assert.equal(
        mods.filter(
          (s) => s !== 'Count up failure count' && s !== 'Locked' && s !== 'Already locked',
        ).length,
        0,
      );
      assert.equal(r.authenticationLines.length, 100);
    });
  });
}

void describe('concurrency across two SQLite connections on one file', () => {
  void it('two repository servers, 50 parallel wrong passwords each: one lock', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-sso-servers-'));
    const a = await rig({
      repository: new SqliteUserRepository(sqliteConnection(dir)),
      users: [await tarou()],
      policy: { maxFailureCount: 5, lockOutTimeMinutes: 30 },
    });
    const b = await rig({
      repository: new SqliteUserRepository(sqliteConnection(dir)),
      policy: { maxFailureCount: 5, lockOutTimeMinutes: 30 },
    });
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        (i % 2 === 0 ? a : b).signOn({ uid: 'tarou', password: WRONG }),
      ),
    );
    assert.deepEqual([...a.system.lines, ...b.system.lines], [SSO01060]);
    const lines = [...a.repositoryLines, ...b.repositoryLines];
    const count = (text: string) => lines.filter((l) => l.endsWith(text)).length;
    assert.equal(count('Authentication(basicAuth) failed. (Count up failure count) |'), 4);
    assert.equal(count('Authentication(basicAuth) failed. (User was locked) |'), 1);
    assert.equal(count('Authentication(basicAuth) failed. (Already locked) |'), 95);
    const u = await a.users.findByUid('tarou');
    assert.deepEqual([u?.ssoUserStatus, u?.ssoFailureCount], ['locked', 5]);
  });
});

void describe('concurrency at the end of the lock period', () => {
  for (const adapter of ADAPTERS) {
    void it(`${adapter}: parallel attempts after lock-out-time record one release`, async () => {
      const r = await rig({
        adapter,
        users: [
          await tarou({ ssoUserStatus: 'locked', ssoFailureCount: 3, ssoLockTimeStamp: NOW }),
        ],
        now: minutes(31),
      });
      await Promise.all([
        r.signOn({ uid: 'tarou', password: PASSWORD }),
        r.signOn({ uid: 'tarou', password: PASSWORD }),
      ]);
      // One lock, one release: sso09001 once, one `Failure count reset` (as sso01060 is
      // written once per lock).
      assert.equal(r.system.lines.filter((l) => l.includes(' sso09001 ')).length, 1);
      assert.equal(
        r.repositoryLines.filter((l) =>
          l.endsWith('Modification succeeded. (Failure count reset) |'),
        ).length,
        1,
      );
    });
  }
});
