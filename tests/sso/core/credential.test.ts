import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { CredentialClaims } from '../../../src/sso/core/credential.ts';
import {
  CREDENTIAL_AAD,
  MAX_TOKEN_CHARS,
  credentialLifetime,
  deriveKeys,
  keyDeriver,
  newCredentialId,
  openCredential,
  sealCredential,
} from '../../../src/sso/core/credential.ts';

const serviceId = new Uint8Array(randomBytes(32));
const { credential: key, csrf: csrfKey } = deriveKeys(serviceId);
const other = deriveKeys(new Uint8Array(randomBytes(32))).credential;

const NOW = new Date('2030-01-01T00:00:00Z');
const T = NOW.getTime() / 1000;

const claims: CredentialClaims = {
  id: newCredentialId(),
  dn: 'cn=Taro Yamada,ou=People,dc=example,dc=com',
  uid: 'taro',
  method: 'basicAuth',
  issuedAt: T,
  expiresAt: T + 1800,
  sessionId: null,
};

/** A token of the real layout around arbitrary plaintext, sealed with `k`. */
function sealRaw(k: Uint8Array, plain: string | Uint8Array, version = 0x01): string {
  const nonce = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', k, nonce);
  c.setAAD(Buffer.from(CREDENTIAL_AAD, 'utf8'));
  const ct = Buffer.concat([
    c.update(typeof plain === 'string' ? Buffer.from(plain) : plain),
    c.final(),
  ]);
  return Buffer.concat([Uint8Array.of(version), nonce, ct, c.getAuthTag()]).toString('base64url');
}

const reason = (token: string, now = NOW) => {
  const r = openCredential(key, token, now);
  return r.ok ? 'ok' : r.reason;
};

void describe('credential keys', () => {
  void it('derives two distinct 32-byte keys, stable for a service ID', () => {
    assert.equal(key.length, 32);
    assert.equal(csrfKey.length, 32);
    assert.notDeepEqual(key, csrfKey);
    assert.deepEqual(deriveKeys(serviceId), { credential: key, csrf: csrfKey });
    assert.throws(() => deriveKeys(new Uint8Array(31)), RangeError);
  });

  void it('ids are 32 random hex characters', () => {
    assert.match(claims.id, /^[0-9a-f]{32}$/);
    assert.notEqual(newCredentialId(), newCredentialId());
  });

  void it('lifetime: 0 is unlimited, 1–29 → 30 min, above 1440 → 1440 min', () => {
    assert.equal(credentialLifetime(0), null);
    assert.equal(credentialLifetime(1), 30 * 60_000);
    assert.equal(credentialLifetime(29), 30 * 60_000);
    assert.equal(credentialLifetime(30), 30 * 60_000);
    assert.equal(credentialLifetime(600), 600 * 60_000);
    assert.equal(credentialLifetime(1440), 1440 * 60_000);
    assert.equal(credentialLifetime(100_000), 1440 * 60_000);
    assert.throws(() => credentialLifetime(-1), RangeError);
    assert.throws(() => credentialLifetime(1.5), RangeError);
  });
});

void describe('sealCredential / openCredential', () => {
  void it('round-trips the claims, with or without expiry and session', () => {
    const token = sealCredential(key, claims);
    assert.match(token, /^[A-Za-z0-9_-]+$/);
    assert.equal(Buffer.from(token, 'base64url')[0], 0x01);
    assert.deepEqual(openCredential(key, token, NOW), { ok: true, claims });
    const unlimited: CredentialClaims = {
      ...claims,
      method: 'basicAuthAndCertAuth',
      expiresAt: null,
      sessionId: 's-1',
    };
    const far = new Date(NOW.getTime() + 10 * 365 * 86_400_000);
    assert.deepEqual(openCredential(key, sealCredential(key, unlimited), far), {
      ok: true,
      claims: unlimited,
    });
  });

  void it('uses a fresh nonce: the same claims seal to different tokens', () => {
    assert.notEqual(sealCredential(key, claims), sealCredential(key, claims));
  });

  void it('refuses to seal claims it would not open', () => {
    assert.throws(() => sealCredential(key, { ...claims, id: 'x' }), RangeError);
    assert.throws(() => sealCredential(key, { ...claims, expiresAt: T }), RangeError);
    assert.throws(() => sealCredential(key, { ...claims, dn: 'x'.repeat(4000) }), RangeError);
    assert.throws(() => sealCredential(new Uint8Array(16), claims), RangeError);
  });

  void it('every flipped byte is forged (the version byte: unsupported_version)', () => {
    const bytes = Buffer.from(sealCredential(key, claims), 'base64url');
    for (let i = 0; i < bytes.length; i++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const b = Buffer.from(bytes);
        b[i]! ^= mask;
        assert.equal(
          reason(b.toString('base64url')),
          i === 0 ? 'unsupported_version' : 'forged',
          `byte ${i}`,
        );
      }
    }
  });

  void it('every truncation is malformed or forged, never accepted, never thrown', () => {
    const token = sealCredential(key, claims);
    const bytes = Buffer.from(token, 'base64url');
    for (let n = 0; n < token.length; n++) {
      assert.ok(['malformed', 'forged'].includes(reason(token.slice(0, n))), `${n} chars`);
    }
    for (let n = 1; n < bytes.length; n++) {
      const r = reason(bytes.subarray(0, n).toString('base64url'));
      assert.equal(r, n < 30 ? 'malformed' : 'forged', `${n} bytes`);
    }
  });

  void it('another key: forged', () => {
    assert.equal(reason(sealCredential(other, claims)), 'forged');
  });

  void it('expired at expiresAt, valid one second before', () => {
    const token = sealCredential(key, claims);
    assert.equal(reason(token, new Date((T + 1799) * 1000)), 'ok');
    assert.equal(reason(token, new Date((T + 1800) * 1000)), 'expired');
    assert.equal(reason(token, new Date((T + 86_400) * 1000)), 'expired');
  });

  void it('issued more than 5 minutes ahead of now: future', () => {
    const token = sealCredential(key, claims);
    assert.equal(reason(token, new Date((T - 300) * 1000)), 'ok');
    assert.equal(reason(token, new Date((T - 301) * 1000)), 'future');
  });

  void it('another version byte: unsupported_version', () => {
    const bytes = Buffer.from(sealCredential(key, claims), 'base64url');
    bytes[0] = 0x02;
    assert.equal(reason(bytes.toString('base64url')), 'unsupported_version');
    assert.equal(reason(sealRaw(key, JSON.stringify(claims), 0x02)), 'unsupported_version');
    assert.equal(reason(sealRaw(key, JSON.stringify(claims), 0x01)), 'ok');
  });

  void it('oversize, empty, non-base64url and non-canonical tokens: malformed', () => {
    const token = sealCredential(key, claims);
    assert.equal(reason('A'.repeat(MAX_TOKEN_CHARS + 1)), 'malformed');
    assert.equal(reason(token + 'A'.repeat(MAX_TOKEN_CHARS)), 'malformed');
    assert.equal(reason(''), 'malformed');
    for (const bad of ['+', '/', '=', ' ', '.', '\n', 'é', '\u0000']) {
      assert.equal(reason(token.slice(0, 10) + bad + token.slice(11)), 'malformed', bad);
    }
    assert.equal(reason(token + '='), 'malformed');
    assert.equal(reason(Buffer.from(token, 'base64url').toString('base64')), 'malformed');
    // The same bytes spelt with other trailing bits: needs a length that is not a multiple of 3.
    const odd = ['taro', 'taro2', 'taro23']
      .map((uid) => sealCredential(key, { ...claims, uid }))
      .find((t) => t.length % 4 !== 0)!;
    assert.equal(reason(odd), 'ok');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twin = odd.slice(0, -1) + alphabet[alphabet.indexOf(odd.at(-1)!) ^ 1]!;
    assert.deepEqual(Buffer.from(twin, 'base64url'), Buffer.from(odd, 'base64url'));
    assert.equal(reason(twin), 'malformed');
  });

  void it('authentic ciphertext whose claims do not parse: malformed', () => {
    const plain = { ...claims };
    const cases: unknown[] = [
      { ...plain, extra: 1 },
      { ...plain, id: 'ABCDEF0123456789ABCDEF0123456789' },
      { ...plain, id: 1 },
      { ...plain, dn: '' },
      { ...plain, uid: ['taro'] },
      { ...plain, method: 'basicAuthOrCertAuth' },
      { ...plain, issuedAt: String(T) },
      { ...plain, issuedAt: T + 0.5 },
      { ...plain, issuedAt: -1 },
      { ...plain, expiresAt: '2030' },
      { ...plain, expiresAt: T },
      { ...plain, sessionId: 5 },
      { ...plain, sessionId: '' },
      Object.fromEntries(Object.entries(plain).filter(([k]) => k !== 'sessionId')),
      [plain],
      null,
      'text',
      42,
    ];
    for (const c of cases) {
      assert.equal(reason(sealRaw(key, JSON.stringify(c))), 'malformed', JSON.stringify(c));
    }
    const withProto = JSON.stringify(plain).replace('{', '{"__proto__":{},');
    assert.equal(reason(sealRaw(key, withProto)), 'malformed');
    assert.equal(reason(sealRaw(key, 'not json')), 'malformed');
    const badUtf8 = Buffer.from(JSON.stringify({ ...plain, uid: 'ta?ro' }));
    badUtf8[badUtf8.indexOf('?')] = 0xff;
    assert.equal(reason(sealRaw(key, badUtf8)), 'malformed');
  });

  void it('property: no string ever throws, none opens without the key', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 5000 }),
          fc.string({ unit: 'binary', maxLength: 200 }),
          fc.base64String({ maxLength: 400 }).map((s) => s.replace(/=+$/, '')),
          fc
            .uint8Array({ minLength: 0, maxLength: 300 })
            .map((b) => Buffer.concat([Uint8Array.of(1), b]).toString('base64url')),
        ),
        (s) => {
          const r = openCredential(key, s, NOW);
          assert.equal(r.ok, false);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

it('openWithKeyring: current key, a key refreshed from elsewhere, the replaced key, a forgery', async () => {
  const { openWithKeyring, sealCredential, deriveKeys, newCredentialId } =
    await import('../../../src/sso/core/credential.ts');
  const { randomBytes } = await import('node:crypto');
  const keyOf = () => deriveKeys(new Uint8Array(randomBytes(32))).credential;
  const [oldKey, midKey, newKey] = [keyOf(), keyOf(), keyOf()];
  const now = new Date('2026-11-23T00:00:00Z');
  const seal = (key: Uint8Array) =>
    sealCredential(key, {
      id: newCredentialId(),
      dn: 'uid=a,o=x',
      uid: 'a',
      method: 'basicAuth',
      issuedAt: Math.floor(now.getTime() / 1000),
      expiresAt: null,
      sessionId: null,
    });
  let current = midKey;
  let refreshes = 0;
  const keyring = {
    current: () => Promise.resolve(current),
    refresh: () => {
      refreshes++;
      const changed = current !== newKey;
      current = newKey;
      return Promise.resolve(changed);
    },
    previous: () => oldKey,
  };
  const mid = seal(midKey);
  assert.equal((await openWithKeyring(keyring, mid, now)).ok, true);
  assert.equal(refreshes, 0, 'no refresh when the current key opens it');
  // Sealed under a key this process has not seen yet: one refresh, then it opens.
  const fresh = seal(newKey);
  assert.equal((await openWithKeyring(keyring, fresh, now)).ok, true);
  assert.equal(refreshes, 1);
  assert.deepEqual(await openWithKeyring(keyring, seal(oldKey), now), {
    ok: false,
    reason: 'previous_service_id',
  });
  assert.deepEqual(await openWithKeyring(keyring, seal(keyOf()), now), {
    ok: false,
    reason: 'forged',
  });
  assert.deepEqual(await openWithKeyring(keyring, 'not a token', now), {
    ok: false,
    reason: 'malformed',
  });
});

void describe('keyDeriver', () => {
  void it('derives what deriveKeys derives, again only when the service ID changes', () => {
    const keysOf = keyDeriver();
    const a = new Uint8Array(randomBytes(32));
    const first = keysOf(a);
    assert.deepEqual(first, deriveKeys(a));
    assert.equal(keysOf(a), first, 'same object: nothing derived again');
    assert.equal(keysOf(a.slice()), first, 'an equal copy: nothing derived again');
    const b = new Uint8Array(randomBytes(32));
    assert.deepEqual(keysOf(b), deriveKeys(b));
    assert.notDeepEqual(keysOf(b).credential, first.credential);
    assert.deepEqual(keysOf(a), deriveKeys(a), 'back to the first ID');
  });
});
