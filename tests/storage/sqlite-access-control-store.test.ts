/**
 * SqliteAccessControlRepository: the AccessControlRepository contract on a fresh database file
 * per case, entries surviving a reopening of the file, a second connection seeing the writes,
 * the caller's transaction, and damaged rows reported as corruption rather than trusted.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { parseAccessEntry, type AccessEntry } from '../../src/sso/core/access-control.ts';
import { SsoError } from '../../src/sso/core/errors.ts';
import { SqliteAccessControlRepository } from '../../src/storage/sqlite/access-control-store.ts';
import { openDatabase } from '../../src/storage/sqlite/database.ts';
import { describeAccessControlRepositoryContract } from '../sso/core/access-control-repository-contract.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'sekisho-access-store-'));
  dirs.push(d);
  return d;
}

describeAccessControlRepositoryContract('sqlite', () => {
  const db = openDatabase(tempDir());
  return Promise.resolve({
    repo: new SqliteAccessControlRepository(db),
    close: () => {
      db.close();
      return Promise.resolve();
    },
  });
});

function parsed(dn: string, attrs: Record<string, string | string[]>): AccessEntry {
  return parseAccessEntry({
    dn,
    attributes: new Map(
      Object.entries(attrs).map(([k, v]) => [k, typeof v === 'string' ? [v] : v] as const),
    ),
  });
}

const TREE = [
  parsed('o=x', { objectClass: ['top', 'organization'], o: 'x', description: 'ロール 😀' }),
  parsed('dc=www,o=x', {
    objectClass: ['top', 'domain', 'ssoSite'],
    dc: 'www',
    ssoPortNumber: '8443',
  }),
  parsed('cn=/admin/,dc=www,o=x', {
    objectClass: 'ssoResource',
    cn: '/admin/',
    ssoRoleName: ['a', 'b'],
  }),
  parsed('cn=a,o=x', { objectClass: 'ssoRole', cn: 'a' }),
  parsed('cn=s,o=x', { objectClass: 'ssoRoleSet', cn: 's', ssoRoleName: ['a'] }),
];

void describe('SqliteAccessControlRepository', () => {
  void it('every kind survives reopening the file; a second connection sees the writes', async () => {
    const dir = tempDir();
    const db1 = openDatabase(dir);
    const db2 = openDatabase(dir);
    try {
      const a = new SqliteAccessControlRepository(db1);
      const b = new SqliteAccessControlRepository(db2);
      for (const e of TREE) await a.add(e);
      assert.deepEqual(await b.find('cn=/admin/,dc=www,o=x'), TREE[2]);
      await assert.rejects(
        b.add(TREE[3]!),
        (e: unknown) => e instanceof SsoError && e.code === 'SSO_ENTRY_EXISTS',
      );
    } finally {
      db1.close();
      db2.close();
    }
    const db3 = openDatabase(dir);
    try {
      const repo = new SqliteAccessControlRepository(db3);
      for (const e of TREE) assert.deepEqual(await repo.find(e.dn), e);
      assert.equal((await repo.list()).length, TREE.length);
      assert.deepEqual(await repo.resourcesOf('DC=WWW,O=X'), [TREE[2]]);
    } finally {
      db3.close();
    }
  });

  void it('runs inside the caller’s transaction (savepoint) and rolls back with it', async () => {
    const db = openDatabase(tempDir());
    try {
      const repo = new SqliteAccessControlRepository(db);
      db.exec('BEGIN');
      await repo.add(TREE[0]!);
      await assert.rejects(repo.add(TREE[0]!));
      assert.ok(db.isTransaction);
      db.exec('ROLLBACK');
      assert.deepEqual(await repo.list(), []);
    } finally {
      db.close();
    }
  });

  void it('a damaged row is reported as corruption, not returned', async () => {
    const db = openDatabase(tempDir());
    try {
      const repo = new SqliteAccessControlRepository(db);
      await repo.add(TREE[3]!);
      const damage = (attributes: string, kind = 'role') =>
        db
          .prepare('UPDATE sso_entries SET attributes = ?, kind = ? WHERE dn_key = ?')
          .run(attributes, kind, 'cn=a,o=x');
      for (const [attributes, kind] of [
        ['{}', 'role'],
        ['[["cn", [1]]]', 'role'],
        ['[["objectClass", ["ssoRole"]], ["cn", ["b"]]]', 'role'],
        ['[["objectClass", ["ssoRole"]], ["cn", ["a"]]]', 'roleSet'],
        ['[["objectClass", ["groupOfNames"]], ["cn", ["a"]]]', 'role'],
      ] as const) {
        damage(attributes, kind);
        await assert.rejects(repo.find('cn=a,o=x'), /corrupt store/, attributes);
        await assert.rejects(repo.list(), /corrupt store/);
      }
    } finally {
      db.close();
    }
  });
});
