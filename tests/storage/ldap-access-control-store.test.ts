/**
 * LdapAccessControlRepository against a real slapd: the AccessControlRepository contract
 * (over LDAPS, as the service account), and what the contract cannot see — that an absent
 * parent leaves only invisible placeholders, which go again with the last entry below them.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { NoSuchObjectError } from 'ldapts';
import type { SsoRole } from '../../src/sso/core/access-control.ts';
import { LdapAccessControlRepository } from '../../src/storage/ldap/access-control-store.ts';
import { LdapPool } from '../../src/storage/ldap/connection.ts';
import { startSlapd } from '../helpers/slapd.ts';
import { describeAccessControlRepositoryContract } from '../sso/core/access-control-repository-contract.ts';

// The null suffix: the contract adds o=example itself, as a top-level entry.
const slapd = await startSlapd({ suffix: '' });
after(() => slapd.close());
const ca = readFileSync(slapd.caFile, 'utf8');

function open(): { repo: LdapAccessControlRepository; pool: LdapPool } {
  const pool = new LdapPool({
    url: slapd.ldapsUrl,
    ca,
    bindDn: slapd.serviceDn,
    bindPassword: slapd.servicePassword,
  });
  return { repo: new LdapAccessControlRepository({ pool, base: 'o=example' }), pool };
}

describeAccessControlRepositoryContract('ldap (ldaps)', async () => {
  await slapd.removeTree('o=example');
  const { repo, pool } = open();
  return { repo, close: () => pool.close() };
});

void describe('LdapAccessControlRepository placeholders', () => {
  void it('an entry under absent parents leaves placeholders no read returns, removed with it', async () => {
    await slapd.removeTree('o=example');
    const { repo, pool } = open();
    try {
      const role: SsoRole = { kind: 'role', dn: 'cn=Solo,ou=deep,ou=roles,o=example', cn: 'Solo' };
      await repo.add(role);
      assert.deepEqual(await repo.list(), [role]);
      assert.equal(await repo.find('ou=deep,ou=roles,o=example'), undefined);
      const root = await slapd.rootClient();
      try {
        const { searchEntries } = await root.search('o=example', {
          scope: 'sub',
          attributes: ['objectClass'],
        });
        assert.equal(searchEntries.length, 4); // o=example, ou=roles, ou=deep (placeholders) + the role
        await repo.delete(role.dn);
        await assert.rejects(
          root.search('o=example', { scope: 'base' }),
          (e: unknown) => e instanceof NoSuchObjectError,
        );
      } finally {
        await root.unbind();
      }
    } finally {
      await pool.close();
    }
  });
});
