/**
 * Password sign-on against Active Directory (`repository.ldap.mode: ad`): the repository server
 * checks the password by a bind as the user (`UserRepository.passwordVerifier`) instead of a
 * hash, with the rules of every other password sign-on — the same refusals and access-log
 * lines, lockout counted where Sekisho may count (the SSO schema extension, or Redis), AD's own
 * lock and disabled/expired accounts honoured, and one bind for every attempt with a password
 * (unknown, locked or disabled users and refused passwords bind as an entry that does not
 * exist), so that time tells none of them from a wrong password.
 *
 * slapd holds AD-style entries with passwords (tests/helpers/ad-directory.ts), logs its binds
 * (`stats`) and accepts an unauthenticated bind as anonymous, as AD does.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { isRepositoryUnavailable, SsoError } from '../../../src/sso/core/errors.ts';
import { userDn, type SsoUser } from '../../../src/sso/core/user.ts';
import type { UserRepository } from '../../../src/sso/ports/user-repository.ts';
import { PublishingUserRepository } from '../../../src/main/cluster.ts';
import type { Invalidation } from '../../../src/storage/redis/invalidation-bus.ts';
import { RedisLockoutUserRepository } from '../../../src/storage/redis/lockout-user-repository.ts';
import { toFileTime } from '../../../src/storage/ldap/active-directory.ts';
import { LdapPool } from '../../../src/storage/ldap/connection.ts';
import { LdapUserRepository } from '../../../src/storage/ldap/user-store.ts';
import { AD_USERS, adUser, startAdSlapd } from '../../helpers/ad-directory.ts';
import { prefixes, redisClients, startRedis, type RedisServer } from '../../helpers/redis.ts';
import { simpleBinds } from '../../helpers/slapd.ts';
import { NOW, authLine, repoLine, rig, systemLine, type Rig } from './harness.ts';

const PW = 'Right-pw-1';
const EXTENSION = ['top', 'person', 'organizationalPerson', 'user', 'ssoUser'];

const slapd = await startAdSlapd(
  [
    adUser('Alice', { password: PW, lines: ['memberOf: CN=Staff,OU=Groups,DC=corp,DC=test'] }),
    // Locked by AD ten minutes before the rig's clock.
    adUser('Bob', {
      password: PW,
      lines: [`lockoutTime: ${toFileTime(new Date(NOW.getTime() - 600_000))}`],
    }),
    adUser('Carol', { password: PW, lines: ['userAccountControl: 514'] }),
    adUser('Dave', { password: PW, lines: ['accountExpires: 116444736000000000'] }),
    adUser('Erin', {
      password: PW,
      classes: EXTENSION,
      lines: ['ssoFailureCount: 0', 'ssoUserStatus: good'],
    }),
    adUser('Frank', {
      password: PW,
      classes: EXTENSION,
      lines: ['ssoFailureCount: 0', 'ssoUserStatus: good'],
    }),
  ],
  { stats: true, allowUnauthenticatedBind: true },
);
after(() => slapd.close());

const pools: LdapPool[] = [];
after(() => Promise.all(pools.map((p) => p.close())));
function adRepository(): LdapUserRepository {
  const pool = new LdapPool({
    url: slapd.ldapsUrl,
    ca: readFileSync(slapd.caFile, 'utf8'),
    bindDn: slapd.serviceDn,
    bindPassword: slapd.servicePassword,
    timeoutMs: 1000,
  });
  pools.push(pool);
  return new LdapUserRepository({ pool, userBase: AD_USERS, mode: 'ad' });
}

const directory = adRepository();
const dn: Record<string, string> = {};
before(async () => {
  for (const uid of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']) {
    const u: SsoUser | undefined = await directory.findByUid(uid);
    assert.ok(u, uid);
    dn[uid] = u.dn;
  }
});

const adRig = (repository: UserRepository = directory): Promise<Rig> =>
  rig({ repository, policy: { maxFailureCount: 3 } });

/** The binds slapd logged while `fn` ran (lower-cased DNs). */
async function bindsDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const before = simpleBinds(slapd.log()).length;
  await fn();
  for (let i = 0; i < 100 && simpleBinds(slapd.log()).length === before; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise((r) => setTimeout(r, 20));
  return simpleBinds(slapd.log()).slice(before);
}
const nobody = /^cn=[0-9a-f]{32},ou=users,dc=corp,dc=test$/;

async function ssoFailureCount(uid: string): Promise<number | undefined> {
  return (await directory.findByUid(uid))?.ssoFailureCount;
}

void describe('repository server on Active Directory: passwords by bind', () => {
  void it('the right password signs on, by a bind and no hash', async () => {
    const r = await adRig();
    const result = await r.signOn({ uid: 'alice', password: PW });
    assert.equal(result.ok, true);
    assert.deepEqual(result.user.ssoRoleName, ['Staff']);
    assert.deepEqual(r.repositoryLines, [
      repoLine(dn['alice']!, 'Authentication(basicAuth) succeeded.'),
    ]);
    assert.equal(r.argon2id.calls.length, 0, 'no argon2id: the directory checked');
  });

  void it('a wrong password: the refusal of a wrong password; without the SSO schema nothing is counted here', async () => {
    const r = await adRig();
    const result = await r.signOn({ uid: 'alice', password: 'wrong' });
    assert.equal(result.ok, false);
    assert.equal(result.cause, 'invalid');
    assert.equal(result.prompt, 'password');
    // AD counts the failed bind itself (badPwdCount): Sekisho wrote nothing, so it logs no
    // count and no Modification.
    assert.deepEqual(r.lines, [
      repoLine(dn['alice']!, 'Authentication(basicAuth) failed. (Invalid ID or password)'),
      authLine(
        dn['alice']!,
        'Authentication(basicAuth) failed. (Authentication by ID and password is required)',
      ),
    ]);
    assert.deepEqual(r.system.lines, []);
  });

  void it('with the SSO schema extension a wrong password is counted in the directory and locks', async () => {
    const r = await adRig();
    const erin = dn['erin']!;
    for (const [i, expected] of [
      'Count up failure count',
      'Count up failure count',
      'User was locked',
    ].entries()) {
      r.clear();
      const result = await r.signOn({ uid: 'erin', password: `wrong-${i}` });
      assert.equal(result.ok, false);
      assert.equal(
        r.repositoryLines[0],
        repoLine(erin, `Authentication(basicAuth) failed. (${expected})`),
      );
    }
    assert.equal(r.repositoryLines[1], repoLine(erin, 'Modification succeeded. (Locked)'));
    assert.deepEqual(r.system.lines, [
      systemLine(`WARNING sso01060 User was locked. UserID=(erin) DN=(${erin})`),
    ]);
    assert.equal((await directory.findByUid('erin'))?.ssoUserStatus, 'locked');
    // Locked: even the right password is not tried as Erin.
    r.clear();
    let ok: boolean | undefined;
    const binds = await bindsDuring(async () => {
      ok = (await r.signOn({ uid: 'erin', password: PW })).ok;
    });
    assert.equal(ok, false);
    assert.deepEqual(r.repositoryLines, [
      repoLine(erin, 'Authentication(basicAuth) failed. (Already locked)'),
    ]);
    assert.equal(binds.length, 1);
    assert.match(binds[0]!, nobody);
  });

  void it('an empty password is refused and never sent (this directory would take it as anonymous)', async () => {
    const r = await adRig();
    let binds = await bindsDuring(async () => {
      const result = await r.authenticate({ uid: 'alice', password: '' });
      assert.equal(result.outcome.outcome, 'failed');
      assert.equal(result.outcome.reason, 'wrong_password');
    });
    assert.equal(binds.length, 1);
    assert.match(binds[0]!, nobody);
    // It is a wrong password like any other: counted where Sekisho counts.
    r.clear();
    binds = await bindsDuring(() => r.authenticate({ uid: 'frank', password: '' }));
    assert.match(binds[0]!, nobody);
    assert.deepEqual(r.repositoryLines, [
      repoLine(dn['frank']!, 'Authentication(basicAuth) failed. (Count up failure count)'),
      repoLine(dn['frank']!, 'Modification succeeded. (Count up failure count)'),
    ]);
    assert.equal(await ssoFailureCount('frank'), 1);
    // The right password after it signs on and resets the count.
    assert.equal((await r.signOn({ uid: 'frank', password: PW })).ok, true);
    assert.equal(await ssoFailureCount('frank'), 0);
  });

  void it('unknown and hostile user IDs are refused; a user ID that is a DN binds as no one', async () => {
    const r = await adRig();
    for (const uid of [
      'nobody',
      dn['alice']!,
      'CN=Alice',
      '*',
      'alice)(sAMAccountName=*',
      'alice\0',
      'a'.repeat(5000),
    ]) {
      r.clear();
      const binds = await bindsDuring(async () => {
        const result = await r.authenticate({ uid, password: PW });
        assert.equal(result.outcome.outcome === 'failed' && result.outcome.reason, 'unknown_user');
      });
      assert.deepEqual(r.repositoryLines, [
        repoLine(
          uid.replace('\0', '\\x00'),
          'Authentication(basicAuth) failed. (Invalid ID or password)',
        ),
      ]);
      assert.equal(binds.length, 1, uid);
      assert.match(binds[0]!, nobody, uid);
    }
  });

  void it("AD's lock and disabled or expired accounts refuse even the right password, untried", async () => {
    const r = await adRig();
    const rows: [string, string][] = [
      ['bob', 'Already locked'],
      ['carol', 'Outside validity period'],
      ['dave', 'Outside validity period'],
    ];
    for (const [uid, supplementary] of rows) {
      r.clear();
      const binds = await bindsDuring(async () => {
        assert.equal((await r.signOn({ uid, password: PW })).ok, false);
      });
      assert.equal(
        r.repositoryLines[0],
        repoLine(dn[uid]!, `Authentication(basicAuth) failed. (${supplementary})`),
      );
      assert.equal(r.repositoryLines.length, 1, 'nothing counted, nothing released');
      assert.equal(binds.length, 1, uid);
      assert.match(binds[0]!, nobody, uid);
    }
  });

  void it('a release by lock-out-time writes nothing to AD and says nothing was released; an administrator unlock is refused', async () => {
    // Bob's AD lock is ten minutes old; Sekisho's lock-out-time of one minute says it has
    // passed. AD's lock is AD's: nothing is released here (the bind then says whether AD
    // still holds it — this slapd does not, so the right password signs on).
    const r = await rig({
      repository: directory,
      policy: { maxFailureCount: 3, lockOutTimeMinutes: 1 },
    });
    const result = await r.signOn({ uid: 'bob', password: PW });
    assert.equal(result.ok, true);
    assert.deepEqual(r.repositoryLines, [
      repoLine(dn['bob']!, 'Authentication(basicAuth) succeeded.'),
    ]);
    assert.deepEqual(r.system.lines, [], 'no sso09001: no lock was released');
    await assert.rejects(
      r.repository.unlock('bob', '192.0.2.9'),
      (e: unknown) => e instanceof SsoError && e.code === 'SSO_REPOSITORY_READ_ONLY',
    );
    assert.deepEqual(r.system.lines, []);
    assert.equal((await directory.findByUid('bob'))?.ssoUserStatus, 'locked');
  });

  void it('timing: every attempt with a password costs exactly one bind, and no argon2id', async () => {
    const r = await adRig();
    const attempts: [string, string, 'user' | 'nobody'][] = [
      ['alice', PW, 'user'],
      ['alice', 'wrong', 'user'],
      ['alice', '', 'nobody'],
      ['alice', `${PW}\0`, 'nobody'],
      ['alice', 'x'.repeat(64 * 1024), 'nobody'],
      ['nobody', PW, 'nobody'],
      ['bob', PW, 'nobody'],
      ['carol', PW, 'nobody'],
    ];
    for (const [uid, password, as] of attempts) {
      const binds = await bindsDuring(() => r.authenticate({ uid, password }));
      assert.equal(binds.length, 1, `${uid} ${password.length}`);
      if (as === 'user') assert.equal(binds[0], dn[uid]!.toLowerCase());
      else assert.match(binds[0]!, nobody);
    }
    assert.equal(r.argon2id.calls.length, 0);
  });

  void it('the directory down between the lookup and the bind: unavailable, nothing counted', async () => {
    // The real repository; slapd is stopped the moment the server asks for the bind.
    const users = new Proxy<UserRepository>(directory, {
      get(target, key) {
        if (key === 'passwordVerifier') {
          const v = target.passwordVerifier!;
          return {
            verify: async (...args: Parameters<typeof v.verify>) => {
              await slapd.stop();
              return v.verify(...args);
            },
            dummyVerify: (p: string) => v.dummyVerify(p),
          };
        }
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function'
          ? (value as (...a: unknown[]) => unknown).bind(target)
          : value;
      },
    });
    const r = await adRig(users);
    try {
      await assert.rejects(
        r.authenticate({ uid: 'frank', password: 'wrong' }),
        (e: unknown) => isRepositoryUnavailable(e) && e.reason === 'connect',
      );
      assert.deepEqual(r.repositoryLines, [
        repoLine(
          'frank',
          'Authentication(basicAuth) failed. (Connection to SSO Repository failed)',
        ),
      ]);
      assert.deepEqual(r.system.lines, [
        systemLine('ERROR sso01040 Access to SSO Repository failed. Code=(0x01)'),
      ]);
    } finally {
      await slapd.start();
    }
    assert.equal(
      await ssoFailureCount('frank'),
      0,
      'a failure that could not be checked is not counted',
    );
  });
});

void describe('Active Directory in a cluster: the counters in Redis', () => {
  let redis: RedisServer;
  const clients = redisClients();
  const prefix = prefixes('sekisho-ad');
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    clients.disconnectAll();
    await redis.stop();
  });

  void it('wrapped as a node wraps it, AD users are counted and locked in Redis', async () => {
    const published: Invalidation[] = [];
    const users = new PublishingUserRepository(
      new RedisLockoutUserRepository(directory, await clients.connect(redis), { prefix: prefix() }),
      (m) => {
        published.push(m);
        return Promise.resolve();
      },
    );
    assert.ok(users.passwordVerifier, 'both wrappers pass the verifier on');
    const r = await adRig(users);
    const alice = dn['alice']!;
    for (const expected of [
      'Count up failure count',
      'Count up failure count',
      'User was locked',
    ]) {
      r.clear();
      assert.equal((await r.signOn({ uid: 'alice', password: 'wrong' })).ok, false);
      assert.equal(
        r.repositoryLines[0],
        repoLine(alice, `Authentication(basicAuth) failed. (${expected})`),
      );
    }
    assert.deepEqual(published, [{ kind: 'user', dn: alice }]);
    r.clear();
    assert.equal((await r.signOn({ uid: 'alice', password: PW })).ok, false);
    assert.deepEqual(r.repositoryLines, [
      repoLine(alice, 'Authentication(basicAuth) failed. (Already locked)'),
    ]);
    // AD itself was not written to; released in Redis, the right password signs on again.
    assert.equal((await directory.findByUid('alice'))?.ssoUserStatus, 'good');
    await users.unlock(userDn(alice));
    assert.equal((await r.signOn({ uid: 'alice', password: PW })).ok, true);
  });
});
