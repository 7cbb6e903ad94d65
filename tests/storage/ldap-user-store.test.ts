/**
 * LdapUserRepository against a real slapd (tests/helpers/slapd.ts): the UserRepository
 * contract over LDAPS and over StartTLS, bound as a service account (not the root DN).
 */
import { after } from 'node:test';
import { readFileSync } from 'node:fs';
import { LdapPool } from '../../src/storage/ldap/connection.ts';
import { LdapUserRepository } from '../../src/storage/ldap/user-store.ts';
import { startSlapd } from '../helpers/slapd.ts';
import { describeUserRepositoryContract } from '../sso/core/user-repository-contract.ts';

// The null suffix: the contract's DNs (o=example) are top-level entries of the directory.
const slapd = await startSlapd({ suffix: '' });
after(() => slapd.close());
const ca = readFileSync(slapd.caFile, 'utf8');

/** An empty user tree: o=example and ou=User,o=example, as an administrator prepares it. */
async function freshTree(): Promise<void> {
  await slapd.removeTree('o=example');
  await slapd.addEntries([
    { dn: 'o=example', attributes: { objectClass: ['top', 'organization'], o: 'example' } },
    { dn: 'ou=User,o=example', attributes: { objectClass: 'organizationalUnit', ou: 'User' } },
  ]);
}

for (const [name, url, startTls] of [
  ['ldaps', slapd.ldapsUrl, false],
  ['StartTLS', slapd.url, true],
] as const) {
  describeUserRepositoryContract(`ldap (${name})`, async () => {
    await freshTree();
    const pool = new LdapPool({
      url,
      startTls,
      ca,
      bindDn: slapd.serviceDn,
      bindPassword: slapd.servicePassword,
    });
    return {
      repo: new LdapUserRepository({ pool, userBase: 'o=example' }),
      close: () => pool.close(),
    };
  });
}
