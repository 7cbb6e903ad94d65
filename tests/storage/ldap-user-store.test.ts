/**
 * LdapUserRepository against a real slapd (tests/helpers/slapd.ts): the UserRepository
 * contract over LDAPS and over StartTLS, bound as a service account (not the root DN); every
 * attribute surviving the directory; two pools (two nodes) keeping the lockout
 * compare-and-set; filter and DN injection; and each failure reason: wrong CA (connect), wrong
 * service password (bind), a hung server (timeout), slapd stopped (connect) and restarted
 * (recovery without a new object).
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { isRepositoryUnavailable, SsoError } from '../../src/sso/core/errors.ts';
import { lockoutPolicy } from '../../src/sso/core/lockout.ts';
import { newSsoUser, userDn } from '../../src/sso/core/user.ts';
import { childDn } from '../../src/storage/ldap/dn.ts';
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

const T0 = new Date('2030-01-01T00:00:00Z');

function pool(options: Partial<ConstructorParameters<typeof LdapPool>[0]> = {}): LdapPool {
  return new LdapPool({
    url: slapd.ldapsUrl,
    ca,
    bindDn: slapd.serviceDn,
    bindPassword: slapd.servicePassword,
    ...options,
  });
}

function user(uid: string, fields: Parameters<typeof newSsoUser>[2] = {}) {
  return newSsoUser(childDn('uid', uid, 'ou=User,o=example'), uid, {
    cn: [uid],
    sn: [uid],
    ...fields,
  });
}

function unavailable(reason: string) {
  return (e: unknown): boolean => isRepositoryUnavailable(e) && e.reason === reason;
}

void describe('LdapUserRepository', () => {
  void it('round-trips every attribute, a certificate included', async () => {
    await freshTree();
    const p = pool();
    try {
      const repo = new LdapUserRepository({ pool: p, userBase: 'o=example' });
      const der = new X509Certificate(readFileSync(path.join(slapd.dir, 'pki', 'client.crt'))).raw;
      const u = user('full', {
        objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson', 'ssoUser'],
        userPassword: '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA',
        ssoAuthType: 'basicAuthAndCertAuth',
        ssoNotBefore: new Date('2029-12-31T23:59:59Z'),
        ssoNotAfter: new Date('2031-06-30T12:00:00Z'),
        ssoCredentialTTL: 0,
        ssoUserStatus: 'locked',
        ssoFailureCount: 4,
        ssoLockTimeStamp: T0,
        ssoRoleName: ['admin', 'ロール'],
        cn: ['Full User', 'full user 2'],
        mail: ['full@example.com', 'FULL@example.org'],
        employeeNumber: 'E-1',
        serialNumber: 'S/N 42',
        dnQualifier: 'q',
        userCertificate: [new Uint8Array(der)],
      });
      await repo.add(u);
      assert.deepEqual(await repo.findByDn(u.dn), u);
      assert.deepEqual(await repo.findByCertificate('serialNumber', 's/n 42'), [u]);
      const m = await repo.modify(u.dn, { mail: ['new@example.com'], employeeNumber: undefined });
      assert.equal(m.ssoFailureCount, 4);
      assert.deepEqual(m.mail, ['new@example.com']);
      assert.equal(m.employeeNumber, undefined);
    } finally {
      await p.close();
    }
  });

  void it('two pools (two nodes): 100 interleaved failures lock exactly once, none lost', async () => {
    await freshTree();
    const a = pool();
    const b = pool({ url: slapd.url, startTls: true });
    try {
      const ra = new LdapUserRepository({ pool: a, userBase: 'o=example' });
      const rb = new LdapUserRepository({ pool: b, userBase: 'o=example' });
      const u = user('shared');
      await ra.add(u);
      const policy = lockoutPolicy({ maxFailureCount: 5 });
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) => (i % 2 ? rb : ra).recordFailure(u.dn, policy, T0)),
      );
      const count = (e: string) => results.filter((r) => r.event === e).length;
      assert.deepEqual([count('counted'), count('locked'), count('already_locked')], [4, 1, 95]);
      await ra.resetFailures(u.dn);
      const none = lockoutPolicy({ maxFailureCount: 0 });
      await Promise.all(
        Array.from({ length: 60 }, (_, i) => (i % 3 ? rb : ra).recordFailure(u.dn, none, T0)),
      );
      assert.equal((await rb.findByDn(u.dn))?.ssoFailureCount, 60);
    } finally {
      await a.close();
      await b.close();
    }
  });

  void it('filter injection: hostile user IDs find nobody, and no other user', async () => {
    await freshTree();
    const p = pool();
    try {
      const repo = new LdapUserRepository({ pool: p, userBase: 'o=example' });
      await repo.add(user('alice'));
      await repo.add(user('admin'));
      const hostile = [
        '*',
        '*)(uid=*))(|(uid=*',
        'admin)(|(objectClass=*)',
        'alice\0',
        '\0',
        '\\2a',
        'a'.repeat(64 * 1024),
        'ad*',
        '\ud800',
      ];
      for (const uid of hostile) {
        assert.equal(await repo.findByUid(uid), undefined, JSON.stringify(uid.slice(0, 40)));
        assert.deepEqual(await repo.findByCertificate('uid', uid), []);
        assert.deepEqual(await repo.findByCertificate('mail', uid), []);
      }
      // The same values stored as user IDs are found as themselves, verbatim.
      for (const uid of ['*)(uid=*))(|(uid=*', 'admin)(|(objectClass=*)', '\\2a']) {
        const u = user(uid);
        await repo.add(u);
        assert.deepEqual(await repo.findByUid(uid), u);
      }
      assert.equal((await repo.findByUid('alice'))?.uid, 'alice');
    } finally {
      await p.close();
    }
  });

  void it('DN injection: a composed DN escapes; an unescaped one is refused', async () => {
    await freshTree();
    await slapd.addEntries([
      {
        dn: 'ou=Admins,ou=User,o=example',
        attributes: { objectClass: 'organizationalUnit', ou: 'Admins' },
      },
    ]);
    const p = pool();
    try {
      const repo = new LdapUserRepository({ pool: p, userBase: 'o=example' });
      const evil = 'alice,ou=Admins';
      const u = user(evil);
      assert.equal(u.dn, 'uid=alice\\,ou=Admins,ou=User,o=example');
      await repo.add(u);
      assert.deepEqual(await repo.findByUid(evil), u);
      const root = await slapd.rootClient();
      try {
        const below = await root.search('ou=Admins,ou=User,o=example', { scope: 'one' });
        assert.deepEqual(below.searchEntries, []);
      } finally {
        await root.unbind();
      }
      // Spliced without escaping, the DN names another entry than the uid: refused.
      const spliced = newSsoUser('uid=bob,ou=Admins,ou=User,o=example', 'bob,ou=Admins', {
        cn: ['b'],
        sn: ['b'],
      });
      await assert.rejects(
        repo.add(spliced),
        (e: unknown) =>
          e instanceof SsoError && e.code === 'SSO_ATTRIBUTE_INVALID' && e.attribute === 'dn',
      );
      await assert.rejects(
        repo.add(newSsoUser('uid=x,o=elsewhere', 'x', { cn: ['x'], sn: ['x'] })),
        (e: unknown) => e instanceof SsoError && e.code === 'SSO_ATTRIBUTE_INVALID',
      );
      assert.equal(await repo.findByDn(userDn('uid=bob,ou=Admins,ou=User,o=example')), undefined);
    } finally {
      await p.close();
    }
  });

  void it('a walk of listUsers enumerates once: its later pages skip new users, drop deleted ones', async () => {
    await freshTree();
    const p = pool();
    try {
      const reusing = new LdapUserRepository({ pool: p, userBase: 'o=example' });
      const fresh = new LdapUserRepository({
        pool: p,
        userBase: 'o=example',
        enumerationReuseMs: 0,
      });
      for (const uid of ['b', 'd', 'f', 'h']) await reusing.add(user(uid));
      const uids = (items: readonly { uid: string }[]) => items.map((u) => u.uid);
      const first = await reusing.listUsers({ cursor: undefined, limit: 2 });
      const again = await fresh.listUsers({ cursor: undefined, limit: 2 });
      assert.deepEqual(uids(first.items), ['b', 'd']);
      assert.equal(again.nextCursor, first.nextCursor, 'one cursor, whichever way a page is read');
      // Meanwhile: one user added after the cursor, one deleted.
      await reusing.add(user('e'));
      await reusing.delete(userDn(user('f').dn));
      const next = await reusing.listUsers({ cursor: first.nextCursor, limit: 2 });
      assert.deepEqual(uids(next.items), ['h'], "this walk's enumeration: no e, f gone");
      assert.equal(next.nextCursor, undefined);
      const now = await fresh.listUsers({ cursor: again.nextCursor, limit: 2 });
      assert.deepEqual(uids(now.items), ['e', 'h'], 'enumerated again: e is there');
      // A new walk starts from a new enumeration.
      assert.deepEqual(uids((await reusing.listUsers({ cursor: undefined, limit: 10 })).items), [
        'b',
        'd',
        'e',
        'h',
      ]);
    } finally {
      await p.close();
    }
  });

  void it('listUsers with a prefix asks the directory for the matches only', async () => {
    await freshTree();
    const p = pool();
    try {
      const repo = new LdapUserRepository({ pool: p, userBase: 'o=example' });
      for (const uid of ['alice', 'bob', 'alfred', 'carol']) await repo.add(user(uid));
      await repo.add(user('zed', { cn: ['Alan Zed'] }));
      const page = await repo.listUsers({ cursor: undefined, limit: 10, prefix: 'AL' });
      assert.deepEqual(
        page.items.map((u) => u.uid),
        ['alfred', 'alice', 'zed'],
      );
      assert.deepEqual(
        (await repo.listUsers({ cursor: undefined, limit: 10, prefix: '*' })).items,
        [],
      );
      await assert.rejects(
        repo.listUsers({ cursor: undefined, limit: 10, prefix: 'x'.repeat(257) }),
        RangeError,
      );
    } finally {
      await p.close();
    }
  });

  void it('refuses plain LDAP unless loopback and allow-plaintext', () => {
    const base = { bindDn: 'cn=x', bindPassword: 'y' };
    assert.throws(() => new LdapPool({ ...base, url: slapd.url }), /without TLS refused/);
    assert.throws(
      () => new LdapPool({ ...base, url: 'ldap://ldap.example.com', allowPlaintext: true }),
      /without TLS refused/,
    );
    assert.ok(new LdapPool({ ...base, url: slapd.url, allowPlaintext: true }));
    assert.throws(
      () => new LdapPool({ ...base, url: 'http://127.0.0.1' }),
      /ldap:\/\/ or ldaps:\/\//,
    );
  });
});

void describe('LdapUserRepository when the directory fails', () => {
  void it('a wrong CA: reason connect (the certificate is always checked)', async () => {
    const p = pool({ ca: readFileSync(path.join(slapd.dir, 'pki', 'other-ca.crt'), 'utf8') });
    try {
      const repo = new LdapUserRepository({ pool: p, userBase: 'o=example' });
      await assert.rejects(repo.findByUid('alice'), unavailable('connect'));
    } finally {
      await p.close();
    }
  });

  void it('a wrong service password: reason bind', async () => {
    const p = pool({ bindPassword: 'wrong' });
    try {
      const repo = new LdapUserRepository({ pool: p, userBase: 'o=example' });
      await assert.rejects(repo.findByUid('alice'), unavailable('bind'));
    } finally {
      await p.close();
    }
  });

  void it('a server that accepts and never answers: reason timeout, within the time', async () => {
    const sockets = new Set<net.Socket>();
    const hung = net.createServer((s) => {
      sockets.add(s);
      s.on('data', () => undefined); // reads, never writes
    });
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    const { port } = hung.address() as net.AddressInfo;
    try {
      for (const [url, startTls] of [
        [`ldaps://127.0.0.1:${port}`, false],
        [`ldap://127.0.0.1:${port}`, true],
      ] as const) {
        const p = pool({ url, startTls, timeoutMs: 400 });
        try {
          const repo = new LdapUserRepository({ pool: p, userBase: 'o=example' });
          const t0 = Date.now();
          await assert.rejects(repo.findByUid('alice'), unavailable('timeout'));
          const took = Date.now() - t0;
          assert.ok(took >= 350 && took < 2000, `${url}: ${took} ms`);
        } finally {
          await p.close();
        }
      }
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => hung.close(r));
    }
  });

  void it('slapd stopped: reason connect at once; restarted: the same object works again', async () => {
    await freshTree();
    const p = pool({ timeoutMs: 2000 });
    try {
      const repo = new LdapUserRepository({ pool: p, userBase: 'o=example' });
      const u = user('carol');
      await repo.add(u);
      assert.equal((await repo.findByUid('carol'))?.dn, u.dn);
      await slapd.stop();
      const t0 = Date.now();
      await assert.rejects(repo.findByUid('carol'), unavailable('connect'));
      await assert.rejects(repo.recordFailure(u.dn, lockoutPolicy(), T0), unavailable('connect'));
      assert.ok(Date.now() - t0 < 2000);
      await slapd.start();
      assert.equal((await repo.findByUid('carol'))?.dn, u.dn);
      assert.equal((await repo.recordFailure(u.dn, lockoutPolicy(), T0)).event, 'counted');
    } finally {
      await p.close();
    }
  });
});
