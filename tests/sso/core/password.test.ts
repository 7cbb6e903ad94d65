import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SsoError } from '../../../src/sso/core/errors.ts';
import type { Argon2idFunction, Argon2idParams } from '../../../src/sso/core/password.ts';
import {
  DEFAULT_ARGON2ID_PARAMS,
  createPasswordHasher,
  nodeArgon2id,
  parseStoredHash,
} from '../../../src/sso/core/password.ts';

/** Cheap parameters: the cost is not the subject of these tests. */
const FAST: Argon2idParams = {
  memoryKiB: 64,
  passes: 1,
  parallelism: 1,
  hashLength: 32,
  saltLength: 16,
};

function spying(): { fn: Argon2idFunction; calls: Parameters<Argon2idFunction>[0][] } {
  const calls: Parameters<Argon2idFunction>[0][] = [];
  return {
    calls,
    fn: (input) => {
      calls.push(input);
      return nodeArgon2id(input);
    },
  };
}

const isCode = (code: string) => (e: unknown) => e instanceof SsoError && e.code === code;

function ssha(name: 'SSHA' | 'SSHA256' | 'SSHA512', password: string, salt: Buffer): string {
  const alg = { SSHA: 'sha1', SSHA256: 'sha256', SSHA512: 'sha512' }[name];
  const digest = createHash(alg).update(password, 'utf8').update(salt).digest();
  return `{${name}}${Buffer.concat([digest, salt]).toString('base64')}`;
}

void describe('argon2id hashing', () => {
  const hasher = createPasswordHasher({ params: FAST });

  void it('writes a PHC argon2id string with the configured parameters', async () => {
    const stored = await hasher.hashPassword('s3cret');
    assert.match(stored, /^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    const parsed = parseStoredHash(stored);
    assert.equal(parsed.scheme, 'argon2id');
  });

  void it('defaults to Keycloak cost: m=7168,t=5,p=1, 32-byte hash, 16-byte salt', async () => {
    assert.deepEqual(
      { ...DEFAULT_ARGON2ID_PARAMS },
      { memoryKiB: 7168, passes: 5, parallelism: 1, hashLength: 32, saltLength: 16 },
    );
    const stored = await createPasswordHasher().hashPassword('x');
    assert.match(stored, /^\$argon2id\$v=19\$m=7168,t=5,p=1\$[^$]{22}\$[^$]{43}$/);
  });

  void it('round-trips, and a wrong password does not verify', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 40 }),
        fc.string({ maxLength: 40 }),
        async (pw, other) => {
          const stored = await hasher.hashPassword(pw);
          assert.equal(await hasher.verifyPassword(pw, stored), true);
          if (other !== pw) assert.equal(await hasher.verifyPassword(other, stored), false);
        },
      ),
      { numRuns: 25 },
    );
  });

  void it('verifies with the stored parameters, not the configured ones', async () => {
    const stored = await hasher.hashPassword('pw');
    const stronger = createPasswordHasher({ params: { ...FAST, memoryKiB: 128, passes: 2 } });
    assert.equal(await stronger.verifyPassword('pw', stored), true);
    assert.equal(stronger.needsRehash(stored), true);
    assert.equal(hasher.needsRehash(stored), false);
  });

  void it('refuses parameters out of range', () => {
    assert.throws(
      () => createPasswordHasher({ params: { ...FAST, hashLength: 4 } }),
      isCode('SSO_PASSWORD_PARAMETERS_INVALID'),
    );
    assert.throws(
      () => createPasswordHasher({ params: { ...FAST, memoryKiB: 8, parallelism: 2 } }),
      isCode('SSO_PASSWORD_PARAMETERS_INVALID'),
    );
  });
});

void describe('LDAP salted SHA values', () => {
  const hasher = createPasswordHasher({ params: FAST });
  const salt = Buffer.from('0a1b2c3d4e5f6071', 'hex');

  for (const name of ['SSHA', 'SSHA256', 'SSHA512'] as const) {
    void it(`{${name}} verifies the right password only and needs a rehash`, async () => {
      const stored = ssha(name, 'pässword', salt);
      assert.equal(await hasher.verifyPassword('pässword', stored), true);
      assert.equal(await hasher.verifyPassword('password', stored), false);
      assert.equal(
        await hasher.verifyPassword(
          'pässword',
          stored.replace(`{${name}}`, `{${name.toLowerCase()}}`),
        ),
        true,
      );
      assert.equal(hasher.needsRehash(stored), true);
    });
  }

  void it('known {SSHA} vector: SHA-1("secret" ‖ "salt") ‖ "salt"', async () => {
    const digest = createHash('sha1').update('secretsalt').digest();
    const stored = `{SSHA}${Buffer.concat([digest, Buffer.from('salt')]).toString('base64')}`;
    assert.equal(await hasher.verifyPassword('secret', stored), true);
  });

  void it('SSHA verification also spends one argon2id (no timing difference to argon2 users)', async () => {
    const spy = spying();
    const h = createPasswordHasher({ params: FAST, argon2id: spy.fn });
    await h.verifyPassword('x', ssha('SSHA', 'x', salt));
    assert.equal(spy.calls.length, 1);
  });
});

void describe('refused and malformed values', () => {
  const spy = spying();
  const hasher = createPasswordHasher({ params: FAST, argon2id: spy.fn });
  const cases: [string, string][] = [
    ['plain text', 'SSO_PASSWORD_SCHEME_UNSUPPORTED'],
    ['', 'SSO_PASSWORD_SCHEME_UNSUPPORTED'],
    ['{CRYPT}$1$abc$def', 'SSO_PASSWORD_SCHEME_UNSUPPORTED'],
    ['{MD5}XUFAKrxLKna5cZ2REBfFkg==', 'SSO_PASSWORD_SCHEME_UNSUPPORTED'],
    ['{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=', 'SSO_PASSWORD_SCHEME_UNSUPPORTED'],
    ['{CLEARTEXT}secret', 'SSO_PASSWORD_SCHEME_UNSUPPORTED'],
    ['{FOO}bar', 'SSO_PASSWORD_SCHEME_UNSUPPORTED'],
    [
      '$argon2i$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA',
      'SSO_PASSWORD_SCHEME_UNSUPPORTED',
    ],
    ['$2b$10$abcdefghijklmnopqrstuu', 'SSO_PASSWORD_SCHEME_UNSUPPORTED'],
    [
      '$argon2id$v=16$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA',
      'SSO_PASSWORD_HASH_MALFORMED',
    ],
    [
      '$argon2id$v=19$m=64,t=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA',
      'SSO_PASSWORD_HASH_MALFORMED',
    ],
    [
      '$argon2id$v=19$m=99999999,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA',
      'SSO_PASSWORD_HASH_MALFORMED',
    ],
    ['$argon2id$v=19$m=64,t=1,p=1$!!!$aGFzaA', 'SSO_PASSWORD_HASH_MALFORMED'],
    [
      '$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA',
      'SSO_PASSWORD_HASH_MALFORMED',
    ],
    ['{SSHA}', 'SSO_PASSWORD_HASH_MALFORMED'],
    ['{SSHA}not base64!', 'SSO_PASSWORD_HASH_MALFORMED'],
    [`{SSHA}${Buffer.alloc(20).toString('base64')}`, 'SSO_PASSWORD_HASH_MALFORMED'],
  ];
  for (const [stored, code] of cases) {
    void it(`${JSON.stringify(stored.slice(0, 40))} → ${code}, after a dummy argon2id`, async () => {
      const before = spy.calls.length;
      await assert.rejects(hasher.verifyPassword(stored, stored), isCode(code));
      assert.equal(spy.calls.length, before + 1);
      assert.equal(hasher.needsRehash(stored), true);
    });
  }

  void it('plain text never verifies, even when the password equals it', async () => {
    await assert.rejects(
      hasher.verifyPassword('hunter2', 'hunter2'),
      isCode('SSO_PASSWORD_SCHEME_UNSUPPORTED'),
    );
  });
});

void describe('dummyVerify', () => {
  void it('runs one argon2id with the configured parameters and resolves false', async () => {
    const spy = spying();
    const hasher = createPasswordHasher({ params: FAST, argon2id: spy.fn });
    const stored = await hasher.hashPassword('pw');
    await hasher.verifyPassword('pw', stored);
    assert.equal(await hasher.dummyVerify('anything'), false);
    assert.equal(spy.calls.length, 3);
    const [hash, verify, dummy] = spy.calls;
    assert.deepEqual(dummy!.params, verify!.params);
    assert.deepEqual(dummy!.params, hash!.params);
    assert.equal(dummy!.salt.length, FAST.saltLength);
    assert.equal(new TextDecoder().decode(dummy!.password), 'anything');
  });

  void it('uses the default (Keycloak) parameters by default', async () => {
    const spy = spying();
    await createPasswordHasher({ argon2id: spy.fn }).dummyVerify();
    assert.deepEqual(spy.calls[0]!.params, {
      memoryKiB: 7168,
      passes: 5,
      parallelism: 1,
      hashLength: 32,
    });
  });
});
