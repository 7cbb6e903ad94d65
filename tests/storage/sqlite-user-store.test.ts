/**
 * SqliteUserRepository: the UserRepository contract on a fresh database file per case, every
 * attribute surviving the database and a reopening of the file, two connections (and two
 * threads) on one file keeping the lockout compare-and-set correct, and hostile values stored
 * and found verbatim.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { after, describe, it } from 'node:test';

import { SsoError } from '../../src/sso/core/errors.ts';
import { lockoutPolicy } from '../../src/sso/core/lockout.ts';
import { newSsoUser, userDn } from '../../src/sso/core/user.ts';
import { openDatabase } from '../../src/storage/sqlite/database.ts';
import { SqliteUserRepository } from '../../src/storage/sqlite/user-store.ts';
import { describeUserRepositoryContract } from '../sso/core/user-repository-contract.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'sekisho-user-store-'));
  dirs.push(d);
  return d;
}

describeUserRepositoryContract('sqlite', () => {
  const db = openDatabase(tempDir());
  return Promise.resolve({
    repo: new SqliteUserRepository(db),
    close: () => {
      db.close();
      return Promise.resolve();
    },
  });
});

const T0 = new Date('2030-01-01T00:00:00.123Z');

function full() {
  return newSsoUser('uid=full,ou=User,o=example', 'full', {
    objectClass: ['top', 'inetOrgPerson', 'ssoUser', 'extraClass'],
    userPassword: '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA',
    ssoAuthType: 'basicAuthAndCertAuth',
    ssoNotBefore: new Date('2029-12-31T23:59:59.999Z'),
    ssoNotAfter: new Date('2031-06-30T12:00:00Z'),
    ssoCredentialTTL: 0,
    ssoUserStatus: 'locked',
    ssoFailureCount: 4,
    ssoLockTimeStamp: T0,
    ssoRoleName: ['admin', 'ロール'],
    cn: ['Full User', 'full user'],
    sn: ['User'],
    mail: ['full@example.com', 'FULL@example.org'],
    employeeNumber: 'E-1',
    serialNumber: 'S/N 42',
    dnQualifier: 'q',
    userCertificate: [new Uint8Array([0x30, 0x82, 0, 255, 1]), new Uint8Array([])],
  });
}

void describe('SqliteUserRepository', () => {
  void it('round-trips every attribute and survives reopening the file', async () => {
    const dir = tempDir();
    const u = full();
    const db1 = openDatabase(dir);
    await new SqliteUserRepository(db1).add(u);
    db1.close();

    const db2 = openDatabase(dir);
    try {
      const repo = new SqliteUserRepository(db2);
      assert.deepEqual(await repo.findByDn(u.dn), u);
      assert.deepEqual(await repo.findByUid('full'), u);
      assert.deepEqual(await repo.findByCertificate('cn', 'FULL USER'), [u]);
      assert.deepEqual(await repo.findByCertificate('mail', 'full@EXAMPLE.org'), [u]);
      assert.deepEqual(await repo.findByCertificate('serialNumber', 's/n 42'), [u]);
      assert.deepEqual(await repo.findByCertificate('dnQualifier', 'Q'), [u]);
      assert.deepEqual(await repo.findByCertificate('uid', 'FULL'), [u]);
      assert.deepEqual((await repo.listUsers({ cursor: undefined, limit: 10 })).items, [u]);
      const policy = lockoutPolicy({ maxFailureCount: 5 });
      assert.equal((await repo.recordFailure(u.dn, policy, T0)).event, 'already_locked');
    } finally {
      db2.close();
    }
  });

  void it('modify keeps the lockout state and re-indexes the mapping values', async () => {
    const db = openDatabase(tempDir());
    try {
      const repo = new SqliteUserRepository(db);
      const u = full();
      await repo.add(u);
      const m = await repo.modify(u.dn, { mail: ['new@example.com'], employeeNumber: undefined });
      assert.equal(m.ssoFailureCount, 4);
      assert.equal(m.ssoUserStatus, 'locked');
      assert.deepEqual(await repo.findByDn(u.dn), m);
      assert.deepEqual(await repo.findByCertificate('mail', 'full@example.com'), []);
      assert.deepEqual(await repo.findByCertificate('employeeNumber', 'E-1'), []);
      assert.deepEqual(await repo.findByCertificate('mail', 'NEW@example.com'), [m]);
      await repo.add(newSsoUser('uid=other,o=example', 'other'));
      await assert.rejects(
        repo.modify(userDn('uid=other,o=example'), { uid: 'full' }),
        (e: unknown) => e instanceof SsoError && e.code === 'SSO_USER_EXISTS',
      );
      await repo.delete(u.dn);
      assert.deepEqual(await repo.findByCertificate('mail', 'new@example.com'), []);
      const n = db.prepare('SELECT count(*) AS n FROM sso_user_cert_map').get() as { n: number };
      assert.equal(n.n, 1); // other's uid only
    } finally {
      db.close();
    }
  });

  void it('uid is unique case-insensitively (LDAP), found case-sensitively (port)', async () => {
    const db = openDatabase(tempDir());
    try {
      const repo = new SqliteUserRepository(db);
      await repo.add(newSsoUser('uid=alice,o=example', 'alice'));
      await assert.rejects(
        repo.add(newSsoUser('uid=alice2,o=example', 'ALICE')),
        (e: unknown) => e instanceof SsoError && e.code === 'SSO_USER_EXISTS',
      );
      assert.equal(await repo.findByUid('ALICE'), undefined);
      assert.equal((await repo.findByUid('alice'))?.uid, 'alice');
    } finally {
      db.close();
    }
  });

  void it('runs inside the caller’s transaction (savepoint) and rolls back with it', async () => {
    const db = openDatabase(tempDir());
    try {
      const repo = new SqliteUserRepository(db);
      db.exec('BEGIN');
      await repo.add(newSsoUser('uid=a,o=example', 'a'));
      await assert.rejects(repo.add(newSsoUser('uid=b,o=example', 'a')));
      assert.ok(db.isTransaction);
      db.exec('ROLLBACK');
      assert.equal(await repo.findByUid('a'), undefined);
      assert.deepEqual(await repo.findByCertificate('uid', 'a'), []);
    } finally {
      db.close();
    }
  });

  void it('stores and finds hostile values verbatim', async () => {
    const db = openDatabase(tempDir());
    try {
      const repo = new SqliteUserRepository(db);
      const cases = [
        newSsoUser(`uid=x' OR 1=1 --,o=example`, `x' OR 1=1 --`, { mail: [`'; DROP TABLE x;--`] }),
        newSsoUser('cn="O\'Brien; \\"q\\"",o=example', `"); DELETE FROM sso_users; --`, {
          cn: ['%_*\\'],
        }),
        newSsoUser('uid=ユーザー😀,o=例え', 'ユーザー😀', {
          cn: ['Ünïcødé 名前'],
          employeeNumber: '\u202e\u200b',
        }),
      ];
      for (const u of cases) await repo.add(u);
      for (const u of cases) {
        assert.deepEqual(await repo.findByUid(u.uid), u);
        assert.deepEqual(await repo.findByDn(u.dn), u);
        assert.deepEqual(await repo.findByCertificate('uid', u.uid), [u]);
      }
      assert.deepEqual(await repo.findByCertificate('mail', `'; drop table x;--`), [cases[0]]);
      assert.deepEqual(await repo.findByCertificate('cn', '%_*\\'), [cases[1]]);
      assert.deepEqual(await repo.findByCertificate('cn', '%'), []);
      assert.deepEqual(await repo.findByCertificate('employeeNumber', '\u202e\u200b'), [cases[2]]);
      assert.equal(await repo.findByUid(`' OR 1=1 --`), undefined);
      assert.equal(await repo.findByUid('%'), undefined);
      assert.equal((await repo.listUsers({ cursor: undefined, limit: 10 })).items.length, 3);
      const page = await repo.listUsers({ cursor: `' OR 1=1 --`, limit: 10 });
      assert.ok(page.items.length <= 3);
    } finally {
      db.close();
    }
  });

  void it('two connections on one file: interleaved parallel failures lock exactly once', async () => {
    const dir = tempDir();
    const dbA = openDatabase(dir);
    const dbB = openDatabase(dir);
    try {
      const a = new SqliteUserRepository(dbA);
      const b = new SqliteUserRepository(dbB);
      const u = newSsoUser('uid=shared,o=example', 'shared');
      await a.add(u);
      assert.equal((await b.findByUid('shared'))?.dn, u.dn);

      // Strictly alternating calls: each sees the other's writes.
      const policy3 = lockoutPolicy({ maxFailureCount: 3 });
      const seq: string[] = [];
      for (let i = 0; i < 4; i++) {
        seq.push((await (i % 2 ? b : a).recordFailure(u.dn, policy3, T0)).event);
      }
      assert.deepEqual(seq, ['counted', 'counted', 'locked', 'already_locked']);
      await b.unlock(u.dn);
      assert.equal((await a.findByDn(u.dn))?.ssoUserStatus, 'good');

      // Parallel: every read of one connection races the writes of the other.
      const policy = lockoutPolicy({ maxFailureCount: 5 });
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) => (i % 2 ? b : a).recordFailure(u.dn, policy, T0)),
      );
      const count = (e: string) => results.filter((r) => r.event === e).length;
      assert.equal(count('locked'), 1);
      assert.equal(count('counted'), 4);
      assert.equal(count('already_locked'), 95);
      for (const r of results) assert.ok(r.state.failureCount <= 5);
      const seen = await b.findByDn(u.dn);
      assert.ok(seen);
      assert.equal(seen.ssoFailureCount, 5);
      assert.equal(seen.ssoUserStatus, 'locked');

      // Threshold 0: no lockout, and no failure lost between the connections.
      await a.resetFailures(u.dn);
      const none = lockoutPolicy({ maxFailureCount: 0 });
      await Promise.all(
        Array.from({ length: 100 }, (_, i) => (i % 3 ? b : a).recordFailure(u.dn, none, T0)),
      );
      assert.equal((await a.findByDn(u.dn))?.ssoFailureCount, 100);
    } finally {
      dbA.close();
      dbB.close();
    }
  });

  void it('four threads on one file: no failure lost, one lock', async () => {
    const dir = tempDir();
    const db = openDatabase(dir);
    const u = newSsoUser('uid=threads,o=example', 'threads');
    const v = newSsoUser('uid=threads2,o=example', 'threads2');
    try {
      const repo = new SqliteUserRepository(db);
      await repo.add(u);
      await repo.add(v);
      const storeUrl = pathToFileURL(path.resolve('src/storage/sqlite/user-store.ts')).href;
      const dbUrl = pathToFileURL(path.resolve('src/storage/sqlite/database.ts')).href;
      const lockUrl = pathToFileURL(path.resolve('src/sso/core/lockout.ts')).href;
      const code = `
        const { workerData, parentPort } = require('node:worker_threads');
        (async () => {
          const { SqliteUserRepository } = await import(${JSON.stringify(storeUrl)});
          const { openDatabase } = await import(${JSON.stringify(dbUrl)});
          const { lockoutPolicy } = await import(${JSON.stringify(lockUrl)});
          const db = openDatabase(workerData.dir);
          const repo = new SqliteUserRepository(db);
          const events = [];
          const now = new Date(0);
          for (let i = 0; i < 50; i++) {
            await repo.recordFailure(workerData.counted, lockoutPolicy({ maxFailureCount: 0 }), now);
            const r = await repo.recordFailure(workerData.locked, lockoutPolicy({ maxFailureCount: 7 }), now);
            events.push(r.event);
          }
          db.close();
          parentPort.postMessage(events);
        })().catch((e) => { throw e; });
      `;
      const runs = Array.from(
        { length: 4 },
        () =>
          new Promise<string[]>((resolve, reject) => {
            const w = new Worker(code, {
              eval: true,
              workerData: { dir, counted: u.dn, locked: v.dn },
            });
            w.once('message', (m: string[]) => {
              resolve(m);
            });
            w.once('error', reject);
          }),
      );
      const events = (await Promise.all(runs)).flat();
      assert.equal((await repo.findByDn(u.dn))?.ssoFailureCount, 200);
      assert.equal(events.filter((e) => e === 'locked').length, 1);
      assert.equal(events.filter((e) => e === 'counted').length, 6);
      const locked = await repo.findByDn(v.dn);
      assert.ok(locked);
      assert.equal(locked.ssoFailureCount, 7);
      assert.equal(locked.ssoUserStatus, 'locked');
    } finally {
      db.close();
    }
  });
});
