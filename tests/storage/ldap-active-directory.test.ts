/**
 * LdapUserRepository in Active Directory mode, against slapd holding AD-style entries
 * (tests/fixtures/ldap/ad-lite.schema, since slapd lacks AD's schema): the user ID is
 * sAMAccountName (uid ignored), roles come from memberOf (a group DN counts as its CN, a
 * mapping table wins), lockoutTime locks, ACCOUNTDISABLE and accountExpires end the validity,
 * writes are refused, and lockout is written only to entries with the SSO schema extension
 * (on others `recordFailure` says it recorded nothing). Passwords: ldap-ad-password.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { SsoError } from '../../src/sso/core/errors.ts';
import { isLocked, lockoutPolicy, lockoutStateOf } from '../../src/sso/core/lockout.ts';
import { newSsoUser, userDn } from '../../src/sso/core/user.ts';
import { withinValidity } from '../../src/sso/core/authenticate.ts';
import { adEntryToUser, toFileTime } from '../../src/storage/ldap/active-directory.ts';
import { LdapPool } from '../../src/storage/ldap/connection.ts';
import { LdapUserRepository } from '../../src/storage/ldap/user-store.ts';
import { AD_USERS, adUser, startAdSlapd } from '../helpers/ad-directory.ts';

const LOCKED_AT = new Date('2030-03-01T10:00:00Z');
const EXPIRES = new Date('2031-01-01T00:00:00Z');
const NOW = new Date('2030-06-01T00:00:00Z');
const USERS = AD_USERS;

const slapd = await startAdSlapd([
  adUser('Alice', {
    lines: [
      'memberOf: CN=Finance,OU=Groups,DC=corp,DC=test',
      'memberOf: CN=Admins,OU=Groups,DC=corp,DC=test',
      'memberOf: CN=A group name far longer than thirty-two bytes,OU=Groups,DC=corp,DC=test',
      'uid: not-alice',
      'lockoutTime: 0',
      'accountExpires: 9223372036854775807',
    ],
  }),
  adUser('Bob', { lines: [`lockoutTime: ${toFileTime(LOCKED_AT)}`] }),
  adUser('Carol', { lines: ['userAccountControl: 514'] }),
  adUser('Dave', { lines: [`accountExpires: ${toFileTime(EXPIRES)}`] }),
  adUser('Erin', {
    lines: ['ssoFailureCount: 0', 'ssoUserStatus: good', 'ssoRoleName: auditors'],
    classes: ['top', 'person', 'organizationalPerson', 'user', 'ssoUser'],
  }),
]);
after(() => slapd.close());

const pool = new LdapPool({
  url: slapd.ldapsUrl,
  ca: readFileSync(slapd.caFile, 'utf8'),
  bindDn: slapd.serviceDn,
  bindPassword: slapd.servicePassword,
});
after(() => pool.close());
const repo = new LdapUserRepository({
  pool,
  userBase: USERS,
  mode: 'ad',
  roleMapping: new Map([['CN=Admins,OU=Groups,DC=corp,DC=test', ['sekisho-admin', 'staff']]]),
});

void describe('LdapUserRepository, mode ad', () => {
  void it('finds by sAMAccountName, ignores uid, maps groups to roles', async () => {
    const alice = await repo.findByUid('alice');
    assert.ok(alice);
    assert.equal(alice.dn.toLowerCase(), `cn=alice,${USERS}`.toLowerCase());
    assert.equal(alice.uid, 'alice');
    assert.equal(await repo.findByUid('not-alice'), undefined);
    assert.deepEqual(alice.ssoRoleName, ['Finance', 'sekisho-admin', 'staff']);
    assert.ok(alice.objectClass.includes('ssoUser'), 'the user class stands for ssoUser');
    assert.equal(alice.userPassword, undefined);
    assert.equal(alice.ssoUserStatus, 'good');
    assert.equal(alice.ssoNotAfter, undefined);
    assert.deepEqual(
      (await repo.findByCertificate('uid', 'ALICE')).map((u) => u.dn),
      [alice.dn],
    );
    assert.equal((await repo.listUsers({ cursor: undefined, limit: 10 })).items.length, 5);
  });

  void it('lockoutTime locks; ACCOUNTDISABLE and accountExpires end the validity', async () => {
    const policy = lockoutPolicy({ maxFailureCount: 3 });
    const bob = await repo.findByUid('bob');
    assert.ok(bob);
    assert.equal(bob.ssoUserStatus, 'locked');
    assert.equal(bob.ssoLockTimeStamp?.getTime(), LOCKED_AT.getTime());
    assert.equal(isLocked(lockoutStateOf(bob), policy, NOW).locked, true);
    const carol = await repo.findByUid('carol');
    assert.ok(carol);
    assert.equal(carol.ssoNotAfter?.getTime(), 0);
    assert.equal(withinValidity(carol, NOW), false);
    const dave = await repo.findByUid('dave');
    assert.ok(dave);
    assert.equal(dave.ssoNotAfter?.getTime(), EXPIRES.getTime());
    assert.equal(withinValidity(dave, NOW), true);
    assert.equal(withinValidity(dave, new Date('2031-02-01T00:00:00Z')), false);
  });

  void it('a lock in force follows msDS-User-Account-Control-Computed where AD returns it', () => {
    // AD keeps lockoutTime after its lockout duration (until the next logon); the constructed
    // attribute (UF_LOCKOUT, 0x10) says whether the lock holds now. slapd has no such
    // attribute, so this is the mapping alone, on entries as AD returns them.
    const at = toFileTime(LOCKED_AT);
    const entry = (extra: Record<string, string>) => ({
      dn: `CN=Zed,${AD_USERS}`,
      attributes: new Map<string, string[]>([
        ['objectClass', ['top', 'person', 'organizationalPerson', 'user']],
        ['sAMAccountName', ['zed']],
        ['cn', ['Zed']],
        ...Object.entries(extra).map(([k, v]): [string, string[]] => [k, [v]]),
      ]),
    });
    const mapping = { roleAttribute: 'memberOf', roleMapping: new Map() };
    const status = (extra: Record<string, string>) => {
      const u = adEntryToUser(entry(extra), mapping);
      return [u.ssoUserStatus, u.ssoLockTimeStamp?.getTime()];
    };
    // Expired lock: lockoutTime still set, the computed flags clear.
    assert.deepEqual(status({ lockoutTime: at, 'msDS-User-Account-Control-Computed': '0' }), [
      'good',
      undefined,
    ]);
    assert.deepEqual(status({ lockoutTime: at, 'msDS-User-Account-Control-Computed': '16' }), [
      'locked',
      LOCKED_AT.getTime(),
    ]);
    assert.deepEqual(status({ 'msDS-User-Account-Control-Computed': '16' }), ['locked', 0]);
    // Without the attribute (or with a value that is no number) lockoutTime decides.
    assert.deepEqual(status({ lockoutTime: at }), ['locked', LOCKED_AT.getTime()]);
    assert.deepEqual(status({ lockoutTime: at, 'msDS-User-Account-Control-Computed': 'x16' }), [
      'locked',
      LOCKED_AT.getTime(),
    ]);
    assert.deepEqual(status({}), ['good', undefined]);
  });

  void it('writes lockout only with the SSO schema extension; never adds or changes users', async () => {
    const policy = lockoutPolicy({ maxFailureCount: 2 });
    const alice = await repo.findByUid('alice');
    assert.ok(alice);
    const unwritten = await repo.recordFailure(alice.dn, policy, NOW);
    assert.equal(unwritten.event, 'counted');
    assert.equal(unwritten.unrecorded, true, 'says that it counted nothing');
    assert.equal((await repo.findByDn(alice.dn))?.ssoFailureCount, 0, 'nothing written to AD');
    const erin = await repo.findByUid('erin');
    assert.ok(erin);
    assert.deepEqual(erin.ssoRoleName, ['auditors']);
    const counted = await repo.recordFailure(erin.dn, policy, NOW);
    assert.equal(counted.event, 'counted');
    assert.equal(counted.unrecorded, undefined);
    assert.equal((await repo.recordFailure(erin.dn, policy, NOW)).event, 'locked');
    assert.equal((await repo.findByDn(erin.dn))?.ssoUserStatus, 'locked');
    assert.equal((await repo.unlock(erin.dn)).locked, true);
    const readOnly = (e: unknown) => e instanceof SsoError && e.code === 'SSO_REPOSITORY_READ_ONLY';
    await assert.rejects(repo.add(newSsoUser(`CN=New,${USERS}`, 'new')), readOnly);
    await assert.rejects(repo.modify(userDn(alice.dn), { cn: ['x'] }), readOnly);
    await assert.rejects(repo.delete(userDn(alice.dn)), readOnly);
  });
});
