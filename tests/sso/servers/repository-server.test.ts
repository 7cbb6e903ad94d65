/**
 * RepositoryServer: the seed's example lines reproduced exactly, the user validity period,
 * user lookup (duplicates, the ssoUser object class, the user search base, the alternative uid
 * attribute), certificate mapping and `certificate-identification` = compare-stored — each with
 * the exact repository and authentication lines, on the memory and the SQLite repository.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  MemorySystemLog,
  SUPPLEMENTARY,
  parseCertificateIdentification,
  parseRepositoryLine,
} from '../../../src/logs/index.ts';
import type { RepositoryRecord } from '../../../src/logs/index.ts';
import { createPasswordHasher } from '../../../src/sso/core/password.ts';
import type { SsoUser } from '../../../src/sso/core/user.ts';
import { newSsoUser } from '../../../src/sso/core/user.ts';
import { MemoryUserRepository } from '../../../src/sso/ports/memory-user-repository.ts';
import { AuthenticationServer } from '../../../src/sso/servers/authentication-server.ts';
import { RepositoryServer } from '../../../src/sso/servers/repository-server.ts';
import type { Certs } from './harness.ts';
import {
  ADAPTERS,
  LIGHT,
  NOW,
  PASSWORD,
  TAROU_DN,
  TAROU_MAIL,
  WRONG,
  authLine,
  certField,
  closeRepositories,
  lineOf,
  repoLine,
  rig,
  snapshot,
  storedHash,
  tarou,
  testCerts,
  user,
} from './harness.ts';

let certs: Certs;
before(async () => {
  certs = await testCerts();
});
after(closeRepositories);

const NEED_PW = 'Authentication by ID and password is required';

void describe("the seed's example lines (J-EX, EG-210), reproduced from equivalent input", () => {
  const DN = 'cn=Fujitsu Tarou,ou=User,ou=interstage,o=fujitsu,dc=com';
  const SEED =
    '10.131.201.10 - 10.131.201.199 [2002/09/11 20:28:22 +0900] - "cn=Fujitsu Tarou,ou=User,ou=interstage,o=fujitsu,dc=com" Authentication(basicAuth) succeeded. |';
  const SID = 'ddzWs+4zVLhd3PbPzaanr7CgITETe9qZwYoAXzRvu9NO9KBWXpasM4';

  async function server(sessionManagement: boolean) {
    const lines: string[] = [];
    const users = new MemoryUserRepository();
    await users.add(newSsoUser(DN, 'tarou', { userPassword: await storedHash() }));
    await users.add(
      newSsoUser('cn=User001,ou=User,ou=interstage,o=fujitsu,dc=com', 'user001', {
        userPassword: await storedHash(),
      }),
    );
    const repository = new RepositoryServer({
      users,
      hasher: createPasswordHasher({ params: LIGHT }),
      policy: () => ({ maxFailureCount: 5, lockOutTimeMinutes: undefined }),
      certificateMappingAttribute: 'mail',
      compareStoredCertificate: false,
      log: (r: RepositoryRecord) => lines.push(lineOf(r)),
      systemLog: new MemorySystemLog(),
      sessionManagement,
      now: () => new Date('2002-09-11T11:28:22Z'),
    });
    return { lines, repository };
  }
  const request = { client: '10.131.201.199', authServer: '10.131.201.10' };

  void it('Authentication(basicAuth) succeeded.', async () => {
    const { lines, repository } = await server(false);
    const r = await repository.authenticate({ ...request, uid: 'tarou', password: PASSWORD });
    assert.equal(r.outcome.outcome, 'succeeded');
    assert.deepEqual(lines, [SEED]);
  });

  void it('with session management: SessionID="…" before the terminator', async () => {
    const { lines, repository } = await server(true);
    await repository.authenticate({ ...request, uid: 'tarou', password: PASSWORD, sessionId: SID });
    assert.deepEqual(lines, [SEED.replace(/ \|$/, ` SessionID="${SID}" |`)]);
    assert.equal(parseRepositoryLine(lines[0]!)?.sessionId, SID);
  });

  void it('EG-210: Authentication(basicAuth) failed. (Count up failure count)', async () => {
    const { lines, repository } = await server(false);
    await repository.authenticate({ ...request, uid: 'user001', password: WRONG });
    assert.equal(
      lines[0],
      '10.131.201.10 - 10.131.201.199 [2002/09/11 20:28:22 +0900] - "cn=User001,ou=User,ou=interstage,o=fujitsu,dc=com" Authentication(basicAuth) failed. (Count up failure count) |',
    );
  });

  void it('the same line through the authentication server', async () => {
    const { lines, repository } = await server(false);
    const auth = new AuthenticationServer({
      repository: { address: '10.131.201.88', authenticate: (q) => repository.authenticate(q) },
      credentialKey: () => Promise.resolve(new Uint8Array(32)),
      defaultCredentialTtlMinutes: 0,
      log: (r) => lines.push(lineOf(r)),
      now: () => new Date('2002-09-11T11:28:22Z'),
    });
    const result = await auth.signOn({
      uid: 'tarou',
      password: PASSWORD,
      client: '10.131.201.199',
      businessServer: '10.131.201.34',
      self: '10.131.201.10',
    });
    assert.ok(result.ok);
    assert.deepEqual(lines, [
      SEED,
      `10.131.201.199 - 10.131.201.34 - 10.131.201.88 [2002/09/11 20:28:22 +0900] - "${DN}" Authentication(basicAuth) succeeded. |`,
    ]);
  });
});

void describe('user validity period (ssoNotBefore / ssoNotAfter)', () => {
  void it('the catalogue text', () => {
    assert.equal(SUPPLEMENTARY.OUT_OF_VALIDITY_PERIOD.text, 'Outside validity period');
    assert.deepEqual(SUPPLEMENTARY.OUT_OF_VALIDITY_PERIOD.logs, ['repository']);
  });

  const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);
  const DAY = 86_400;
  const cases: [string, Date | undefined, Date | undefined, boolean][] = [
    ['before the period', at(1), at(DAY), false],
    ['inside the period', at(-DAY), at(DAY), true],
    ['after the period', at(-DAY), at(-1), false],
    ['at ssoNotBefore (inclusive)', NOW, at(DAY), true],
    ['at ssoNotAfter (inclusive)', at(-DAY), NOW, true],
    ['equal ends, now on them', NOW, NOW, false],
    ['equal ends, elsewhere', at(DAY), at(DAY), false],
    ['inverted ends', at(DAY), at(-DAY), false],
    ['only ssoNotBefore, passed', at(-1), undefined, true],
    ['only ssoNotBefore, ahead', at(1), undefined, false],
    ['only ssoNotAfter, ahead', undefined, at(1), true],
    ['only ssoNotAfter, passed', undefined, at(-1), false],
    ['ssoNotAfter beyond 2037-12-31T23:59:59Z', undefined, new Date('2038-01-01T00:00:00Z'), false],
    ['ssoNotBefore before 2000-01-01', new Date('1999-12-31T23:59:59Z'), undefined, false],
  ];
  for (const adapter of ADAPTERS) {
    for (const [name, nb, na, valid] of cases) {
      void it(`${adapter}: ${name} → ${valid ? 'succeeded' : 'Outside validity period'}`, async () => {
        const r = await rig({
          adapter,
          users: [await tarou({ ssoNotBefore: nb, ssoNotAfter: na })],
        });
        const result = await r.signOn({ uid: 'tarou', password: PASSWORD });
        assert.equal(r.argon2id.calls.length, 1);
        if (valid) {
          assert.ok(result.ok);
          return;
        }
        assert.deepEqual(r.lines, [
          repoLine(TAROU_DN, 'Authentication(basicAuth) failed. (Outside validity period)'),
          authLine(TAROU_DN, 'Authentication(basicAuth) failed.'),
        ]);
        assert.deepEqual(result, {
          ok: false,
          method: 'basicAuth',
          cause: 'outside_validity_period',
          prompt: undefined,
          lockedNow: false,
        });
        // A wrong password outside the period is not counted either (it is not checked).
        r.clear();
        await r.signOn({ uid: 'tarou', password: WRONG });
        assert.equal(r.repositoryLines.length, 1);
        assert.match(r.repositoryLines[0]!, /\(Outside validity period\) \|$/);
        assert.equal((await r.users.findByUid('tarou'))?.ssoFailureCount, 0);
      });
    }
  }
});

void describe('user lookup', () => {
  for (const adapter of ADAPTERS) {
    void describe(adapter, () => {
      void it('an unknown user ID is written as given', async () => {
        const r = await rig({ adapter, users: [await tarou()] });
        const result = await r.signOn({ uid: 'nosuchuser', password: PASSWORD });
        assert.deepEqual(r.lines, [
          repoLine('nosuchuser', 'Authentication(basicAuth) failed. (Invalid ID or password)'),
          authLine('nosuchuser', `Authentication(basicAuth) failed. (${NEED_PW})`),
        ]);
        assert.ok(!result.ok && result.cause === 'invalid' && result.prompt === 'password');
      });

      void it('user IDs match exactly: another case is another (unknown) user', async () => {
        const r = await rig({ adapter, users: [await tarou()] });
        await r.signOn({ uid: 'Tarou', password: PASSWORD });
        assert.equal(
          r.repositoryLines[0],
          repoLine('Tarou', 'Authentication(basicAuth) failed. (Invalid ID or password)'),
        );
      });

      void it('the repository refuses a second entry with the same uid', async () => {
        // So duplicate user IDs reach the server only through another attribute (below).
        const r = await rig({ adapter, users: [await tarou()] });
        await assert.rejects(r.users.add(await user('cn=Other,ou=User,o=example', 'tarou')), {
          code: 'SSO_USER_EXISTS',
        });
      });

      void it('a duplicate user ID (alternative-uid-attribute mail) identifies nobody', async () => {
        const shared = 'shared@example.com';
        const r = await rig({
          adapter,
          uidAttribute: 'mail',
          users: [
            await user('cn=A,ou=User,o=example', 'a', { mail: [shared] }),
            await user('cn=B,ou=User,o=example', 'b', { mail: [shared.toUpperCase()] }),
          ],
        });
        const before = await snapshot(r.users);
        const result = await r.signOn({ uid: shared, password: PASSWORD });
        assert.deepEqual(r.lines, [
          repoLine(shared, 'Authentication(basicAuth) failed. (User cannot be identified)'),
          authLine(shared, `Authentication(basicAuth) failed. (${NEED_PW})`),
        ]);
        assert.ok(!result.ok && result.cause === 'invalid');
        assert.equal(r.argon2id.calls.length, 1);
        assert.deepEqual(await snapshot(r.users), before);
      });

      void it('a certificate whose mapping value two users hold identifies nobody', async () => {
        const r = await rig({
          adapter,
          users: [
            await tarou({ ssoAuthType: 'certAuth' }),
            await user('cn=Tarou Two,ou=User,o=example', 'tarou2', {
              mail: [TAROU_MAIL],
              ssoAuthType: 'certAuth',
            }),
          ],
        });
        await r.signOn({ certificate: certs.tarou });
        const who = certField(certs.tarou);
        assert.deepEqual(r.lines, [
          repoLine(who, 'Authentication(certAuth) failed. (User cannot be identified)'),
          authLine(who, `Authentication(certAuth) failed. (${NEED_PW})`),
        ]);
        const field = parseRepositoryLine(r.repositoryLines[0]!)!.user;
        assert.deepEqual(parseCertificateIdentification(field), {
          serial: certs.tarou.serialNumber,
          issuerDn: certs.tarou.issuerDn,
          subjectDn: certs.tarou.subjectDn,
        });
      });

      void it('a user ID and a certificate naming two users identify nobody', async () => {
        const r = await rig({
          adapter,
          users: [
            await tarou({ ssoAuthType: 'basicAuthAndCertAuth' }),
            await user('cn=Hanako,ou=User,o=example', 'hanako', {
              mail: ['hanako@example.com'],
              ssoAuthType: 'basicAuthAndCertAuth',
            }),
          ],
        });
        const result = await r.signOn({
          uid: 'tarou',
          password: PASSWORD,
          certificate: certs.hanako,
        });
        assert.deepEqual(r.lines, [
          repoLine(
            'tarou',
            'Authentication(basicAuthAndCertAuth) failed. (User cannot be identified)',
          ),
          authLine('tarou', `Authentication(basicAuthAndCertAuth) failed. (${NEED_PW})`),
        ]);
        assert.ok(!result.ok && result.cause === 'invalid');
        assert.equal(r.argon2id.calls.length, 1);
      });

      void it('an entry without the ssoUser object class is refused', async () => {
        const r = await rig({
          adapter,
          users: [await tarou({ objectClass: ['top', 'person', 'inetOrgPerson'] })],
        });
        const result = await r.signOn({ uid: 'tarou', password: PASSWORD });
        assert.deepEqual(r.lines, [
          repoLine(TAROU_DN, 'Authentication(basicAuth) failed. (Invalid ID or password)'),
          authLine(TAROU_DN, `Authentication(basicAuth) failed. (${NEED_PW})`),
        ]);
        assert.ok(!result.ok && result.cause === 'invalid');
        assert.equal(r.argon2id.calls.length, 1);
        // Case-insensitive, as LDAP object classes are.
        const r2 = await rig({
          adapter,
          users: [await tarou({ objectClass: ['top', 'inetOrgPerson', 'SSOUSER'] })],
        });
        assert.ok((await r2.signOn({ uid: 'tarou', password: PASSWORD })).ok);
      });

      void it('a user outside repository-user-search-base is not found', async () => {
        const users: SsoUser[] = [
          await tarou(),
          await user('cn=Staff,ou=Staff,o=example', 'staff', { mail: ['hanako@example.com'] }),
          await user('cn=Trick,xou=User,o=example', 'trick'),
        ];
        const r = await rig({
          adapter,
          users,
          userSearchBase: 'OU=user,O=Example',
        });
        assert.ok((await r.signOn({ uid: 'tarou', password: PASSWORD })).ok);
        r.clear();
        await r.signOn({ uid: 'staff', password: PASSWORD });
        await r.signOn({ uid: 'trick', password: PASSWORD });
        await r.signOn({ certificate: certs.hanako });
        assert.deepEqual(r.repositoryLines, [
          repoLine('staff', 'Authentication(basicAuth) failed. (Invalid ID or password)'),
          repoLine('trick', 'Authentication(basicAuth) failed. (Invalid ID or password)'),
          repoLine(
            certField(certs.hanako),
            'Authentication(certAuth) failed. (Invalid ID or password)',
          ),
        ]);
        assert.equal(r.argon2id.calls.length, 2);
      });

      void it('the search base itself and an empty search base', async () => {
        const r = await rig({
          adapter,
          users: [await user('ou=User,o=example', 'base')],
          userSearchBase: 'ou=User,o=example',
        });
        assert.ok((await r.signOn({ uid: 'base', password: PASSWORD })).ok);
        const r2 = await rig({ adapter, users: [await tarou()], userSearchBase: '  ' });
        assert.ok((await r2.signOn({ uid: 'tarou', password: PASSWORD })).ok);
      });

      void it('alternative-uid-attribute mail: the mail address is the user ID', async () => {
        const r = await rig({ adapter, uidAttribute: 'mail', users: [await tarou()] });
        const ok = await r.signOn({ uid: 'Tarou@Example.COM', password: PASSWORD });
        assert.ok(ok.ok);
        assert.equal(ok.claims.uid, 'tarou');
        assert.deepEqual(r.lines, [
          repoLine(TAROU_DN, 'Authentication(basicAuth) succeeded.'),
          authLine(TAROU_DN, 'Authentication(basicAuth) succeeded.'),
        ]);
        r.clear();
        await r.signOn({ uid: 'tarou', password: PASSWORD });
        assert.equal(
          r.repositoryLines[0],
          repoLine('tarou', 'Authentication(basicAuth) failed. (Invalid ID or password)'),
        );
      });

      void it('certificate-mapping-attribute cn maps by the subject CN', async () => {
        const r = await rig({
          adapter,
          certificateMappingAttribute: 'cn',
          users: [await tarou({ ssoAuthType: 'certAuth' })],
        });
        const result = await r.signOn({ certificate: certs.tarou });
        assert.ok(result.ok);
        assert.equal(result.claims.method, 'certAuth');
      });
    });
  }
});

void describe('certificate-identification compare-stored', () => {
  for (const adapter of ADAPTERS) {
    void it(`${adapter}: the stored certificate succeeds, another with the same mail fails`, async () => {
      const r = await rig({
        adapter,
        compareStoredCertificate: true,
        users: [await tarou({ ssoAuthType: 'certAuth', userCertificate: [certs.tarou.der] })],
      });
      assert.equal(certs.tarouOther.sanEmails[0], TAROU_MAIL);
      const ok = await r.signOn({ certificate: certs.tarou });
      assert.ok(ok.ok);
      assert.deepEqual(r.lines, [
        repoLine(TAROU_DN, 'Authentication(certAuth) succeeded.'),
        authLine(TAROU_DN, 'Authentication(certAuth) succeeded.'),
      ]);
      r.clear();
      const bad = await r.signOn({ certificate: certs.tarouOther });
      assert.deepEqual(r.lines, [
        repoLine(TAROU_DN, 'Authentication(certAuth) failed. (Invalid ID or password)'),
        authLine(TAROU_DN, `Authentication(certAuth) failed. (${NEED_PW})`),
      ]);
      assert.ok(!bad.ok && bad.cause === 'invalid' && bad.prompt === 'password');
      assert.equal((await r.users.findByUid('tarou'))?.ssoFailureCount, 0);
    });

    void it(`${adapter}: without compare-stored the mapping value alone decides`, async () => {
      const r = await rig({
        adapter,
        users: [await tarou({ ssoAuthType: 'certAuth', userCertificate: [certs.tarou.der] })],
      });
      assert.ok((await r.signOn({ certificate: certs.tarouOther })).ok);
    });

    void it(`${adapter}: compare-stored with no stored certificate fails`, async () => {
      const r = await rig({
        adapter,
        compareStoredCertificate: true,
        users: [await tarou({ ssoAuthType: 'certAuth' })],
      });
      assert.ok(!(await r.signOn({ certificate: certs.tarou })).ok);
      assert.match(
        r.repositoryLines[0]!,
        /Authentication\(certAuth\) failed\. \(Invalid ID or password\) \|$/,
      );
    });

    void it(`${adapter}: compare-stored with basicAuthAndCertAuth`, async () => {
      const r = await rig({
        adapter,
        compareStoredCertificate: true,
        users: [
          await tarou({ ssoAuthType: 'basicAuthAndCertAuth', userCertificate: [certs.tarou.der] }),
        ],
      });
      assert.ok(
        (await r.signOn({ uid: 'tarou', password: PASSWORD, certificate: certs.tarou })).ok,
      );
      r.clear();
      await r.signOn({ uid: 'tarou', password: PASSWORD, certificate: certs.tarouOther });
      assert.equal(
        r.repositoryLines[0],
        repoLine(TAROU_DN, 'Authentication(basicAuthAndCertAuth) failed. (Invalid ID or password)'),
      );
    });
  }
});
