/**
 * Timing and user enumeration (src/sso/core/authenticate.ts "The caller's protocol"): every
 * attempt that presents a password costs exactly one argon2id at the configured parameters,
 * whether the user is known, unknown, locked, outside its validity period, not an ssoUser, not
 * unique, outside the search base, or has no usable stored password — counted by wrapping the
 * real `nodeArgon2id` engine.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { parseCertificateIdentification, parseRepositoryLine } from '../../../src/logs/index.ts';
import { DEFAULT_ARGON2ID_PARAMS, createPasswordHasher } from '../../../src/sso/core/password.ts';
import type { Certs, RigOptions } from './harness.ts';
import {
  ADAPTERS,
  LIGHT,
  NOW,
  PASSWORD,
  WRONG,
  closeRepositories,
  engineParams,
  rig,
  snapshot,
  tarou,
  testCerts,
  user,
} from './harness.ts';

let certs: Certs;
before(async () => {
  certs = await testCerts();
});
after(closeRepositories);

const ENGINE_LIGHT = engineParams(LIGHT);

function ssha(password: string): string {
  const salt = Buffer.from('0123456789abcdef');
  const digest = createHash('sha1').update(password).update(salt).digest();
  return '{SSHA}' + Buffer.concat([digest, salt]).toString('base64');
}

interface Case {
  readonly name: string;
  readonly options: () => Promise<RigOptions>;
  readonly uid: string;
  readonly password: string;
  /** The supplementary of the repository line, for the record. */
  readonly supplementary: string;
}

const CASES: readonly Case[] = [
  {
    name: 'a known user with a wrong password',
    options: async () => ({ users: [await tarou()] }),
    uid: 'tarou',
    password: WRONG,
    supplementary: 'Count up failure count',
  },
  {
    name: 'a known user with the right password',
    options: async () => ({ users: [await tarou()] }),
    uid: 'tarou',
    password: PASSWORD,
    supplementary: '',
  },
  {
    name: 'an unknown user',
    options: async () => ({ users: [await tarou()] }),
    uid: 'nosuchuser',
    password: PASSWORD,
    supplementary: 'Invalid ID or password',
  },
  {
    name: 'a locked user (right password)',
    options: async () => ({
      users: [await tarou({ ssoUserStatus: 'locked', ssoFailureCount: 3, ssoLockTimeStamp: NOW })],
    }),
    uid: 'tarou',
    password: PASSWORD,
    supplementary: 'Already locked',
  },
  {
    name: 'a user outside its validity period',
    options: async () => ({
      users: [await tarou({ ssoNotAfter: new Date('2030-01-01T00:00:00Z') })],
    }),
    uid: 'tarou',
    password: PASSWORD,
    supplementary: 'Outside validity period',
  },
  {
    name: 'an entry without the ssoUser object class',
    options: async () => ({ users: [await tarou({ objectClass: ['top', 'inetOrgPerson'] })] }),
    uid: 'tarou',
    password: PASSWORD,
    supplementary: 'Invalid ID or password',
  },
  {
    name: 'a duplicate user ID',
    options: async () => ({
      uidAttribute: 'mail',
      users: [
        await user('cn=A,ou=User,o=example', 'a', { mail: ['dup@example.com'] }),
        await user('cn=B,ou=User,o=example', 'b', { mail: ['dup@example.com'] }),
      ],
    }),
    uid: 'dup@example.com',
    password: PASSWORD,
    supplementary: 'User cannot be identified',
  },
  {
    name: 'a user outside the search base',
    options: async () => ({ users: [await tarou()], userSearchBase: 'ou=Staff,o=example' }),
    uid: 'tarou',
    password: PASSWORD,
    supplementary: 'Invalid ID or password',
  },
  {
    name: 'a certAuth user presenting a password',
    options: async () => ({ users: [await tarou({ ssoAuthType: 'certAuth' })] }),
    uid: 'tarou',
    password: PASSWORD,
    supplementary: 'Authentication type mismatch',
  },
  {
    name: 'a user without userPassword',
    options: async () => ({ users: [await tarou({ userPassword: undefined })] }),
    uid: 'tarou',
    password: PASSWORD,
    supplementary: 'Invalid ID or password',
  },
  {
    name: 'a refused stored value (plain text)',
    options: async () => ({ users: [await tarou({ userPassword: PASSWORD })] }),
    uid: 'tarou',
    password: PASSWORD,
    supplementary: 'Count up failure count',
  },
  {
    name: 'a legacy {SSHA} value (right password)',
    options: async () => ({ users: [await tarou({ userPassword: ssha(PASSWORD) })] }),
    uid: 'tarou',
    password: PASSWORD,
    supplementary: '',
  },
];

for (const adapter of ADAPTERS) {
  void describe(`one argon2id per password attempt (${adapter})`, () => {
    for (const c of CASES) {
      void it(c.name, async () => {
        const r = await rig({ ...(await c.options()), adapter });
        const before = await snapshot(r.users);
        await r.signOn({ uid: c.uid, password: c.password });
        assert.deepEqual(r.argon2id.calls, [ENGINE_LIGHT]);
        const line = parseRepositoryLine(r.repositoryLines[0]!);
        assert.equal(line?.supplementary ?? '', c.supplementary);
        if (c.supplementary !== 'Count up failure count' && c.supplementary !== '') {
          assert.deepEqual(await snapshot(r.users), before, 'nothing stored changes');
        }
      });
    }

    void it('a certificate-only attempt costs none', async () => {
      const r = await rig({ adapter, users: [await tarou({ ssoAuthType: 'certAuth' })] });
      assert.ok((await r.signOn({ certificate: certs.tarou })).ok);
      await r.signOn({ certificate: certs.nobody });
      assert.equal(r.argon2id.calls.length, 0);
    });

    void it('a certificate that maps to nobody is written as serial, issuer and subject', async () => {
      const r = await rig({ adapter, users: [await tarou()] });
      await r.signOn({ certificate: certs.nobody, password: PASSWORD });
      assert.equal(r.argon2id.calls.length, 1);
      const parsed = parseRepositoryLine(r.repositoryLines[0]!);
      assert.equal(parsed?.supplementary, 'Invalid ID or password');
      assert.deepEqual(parseCertificateIdentification(parsed.user), {
        serial: certs.nobody.serialNumber,
        issuerDn: 'CN=Sekisho Test CA',
        subjectDn: 'CN=Nobody',
      });
    });
  });
}

void describe('the dummy costs what a real verification costs (default parameters)', () => {
  void it('unknown, locked and known users all run argon2id at the configured parameters', async () => {
    const hash = await createPasswordHasher().hashPassword(PASSWORD);
    const r = await rig({
      params: DEFAULT_ARGON2ID_PARAMS,
      users: [
        await tarou({ userPassword: hash }),
        await user('cn=Locked,ou=User,o=example', 'locked', {
          userPassword: hash,
          ssoUserStatus: 'locked',
          ssoFailureCount: 5,
          ssoLockTimeStamp: NOW,
        }),
      ],
    });
    assert.ok((await r.signOn({ uid: 'tarou', password: PASSWORD })).ok);
    await r.signOn({ uid: 'tarou', password: WRONG });
    await r.signOn({ uid: 'nosuchuser', password: PASSWORD });
    await r.signOn({ uid: 'locked', password: PASSWORD });
    const engine = engineParams(DEFAULT_ARGON2ID_PARAMS);
    assert.deepEqual(r.argon2id.calls, [engine, engine, engine, engine]);
  });
});
