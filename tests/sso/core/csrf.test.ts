import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { deriveKeys } from '../../../src/sso/core/credential.ts';
import { CSRF_LIFETIME_SECONDS, issueCsrf, verifyCsrf } from '../../../src/sso/core/csrf.ts';

const { csrf: key } = deriveKeys(new Uint8Array(randomBytes(32)));
const { csrf: otherKey } = deriveKeys(new Uint8Array(randomBytes(32)));
const NOW = new Date('2030-01-01T00:00:00Z');
const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);

void describe('CSRF double-submit tokens', () => {
  void it('issues a 22-character cookie and a 54-character token that verify', () => {
    const { cookie, token } = issueCsrf(key, NOW);
    assert.match(cookie, /^[A-Za-z0-9_-]{22}$/);
    assert.match(token, /^[A-Za-z0-9_-]{54}$/);
    assert.equal(verifyCsrf(key, cookie, token, NOW), 'ok');
    const t = Buffer.from(token, 'base64url');
    assert.equal(t.readBigUInt64BE(0), BigInt(NOW.getTime() / 1000 + CSRF_LIFETIME_SECONDS));
    const mac = createHmac('sha256', key)
      .update(`csrf|${cookie}|${NOW.getTime() / 1000 + 1800}`)
      .digest();
    assert.deepEqual(t.subarray(8), mac);
  });

  void it('the cookie of another token, or another key: mismatch', () => {
    const a = issueCsrf(key, NOW);
    const b = issueCsrf(key, NOW);
    assert.notEqual(a.cookie, b.cookie);
    assert.equal(verifyCsrf(key, a.cookie, b.token, NOW), 'mismatch');
    assert.equal(verifyCsrf(otherKey, a.cookie, a.token, NOW), 'mismatch');
  });

  void it('a tampered expiry or MAC: mismatch', () => {
    const { cookie, token } = issueCsrf(key, NOW);
    const t = Buffer.from(token, 'base64url');
    const later = Buffer.from(t);
    later.writeBigUInt64BE(t.readBigUInt64BE(0) + 86_400n);
    assert.equal(verifyCsrf(key, cookie, later.toString('base64url'), NOW), 'mismatch');
    const huge = Buffer.from(t);
    huge.writeBigUInt64BE(0xffff_ffff_ffff_ffffn);
    assert.equal(verifyCsrf(key, cookie, huge.toString('base64url'), NOW), 'mismatch');
    for (let i = 0; i < t.length; i++) {
      const b = Buffer.from(t);
      b[i]! ^= 0x01;
      assert.equal(verifyCsrf(key, cookie, b.toString('base64url'), NOW), 'mismatch', `${i}`);
    }
  });

  void it('expires 30 minutes after issue', () => {
    const { cookie, token } = issueCsrf(key, NOW);
    assert.equal(verifyCsrf(key, cookie, token, at(CSRF_LIFETIME_SECONDS - 1)), 'ok');
    assert.equal(verifyCsrf(key, cookie, token, at(CSRF_LIFETIME_SECONDS)), 'expired');
    assert.equal(verifyCsrf(key, cookie, token, at(86_400)), 'expired');
  });

  void it('an absent or empty cookie or token: missing', () => {
    const { cookie, token } = issueCsrf(key, NOW);
    assert.equal(verifyCsrf(key, undefined, token, NOW), 'missing');
    assert.equal(verifyCsrf(key, cookie, undefined, NOW), 'missing');
    assert.equal(verifyCsrf(key, '', token, NOW), 'missing');
    assert.equal(verifyCsrf(key, cookie, '', NOW), 'missing');
    assert.equal(verifyCsrf(key, undefined, undefined, NOW), 'missing');
  });

  void it('wrong length, alphabet or spelling: malformed', () => {
    const { cookie, token } = issueCsrf(key, NOW);
    assert.equal(verifyCsrf(key, cookie.slice(1), token, NOW), 'malformed');
    assert.equal(verifyCsrf(key, cookie + 'A', token, NOW), 'malformed');
    assert.equal(verifyCsrf(key, cookie, token.slice(1), NOW), 'malformed');
    assert.equal(verifyCsrf(key, cookie, token + 'A', NOW), 'malformed');
    assert.equal(verifyCsrf(key, '+' + cookie.slice(1), token, NOW), 'malformed');
    assert.equal(verifyCsrf(key, cookie, token.slice(0, -1) + '=', NOW), 'malformed');
    assert.equal(verifyCsrf(key, cookie, 'x'.repeat(100_000), NOW), 'malformed');
    // 16 bytes leave 4 unused bits in the last character: another spelling of the same bytes.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twin = cookie.slice(0, -1) + alphabet[alphabet.indexOf(cookie.at(-1)!) ^ 1]!;
    assert.deepEqual(Buffer.from(twin, 'base64url'), Buffer.from(cookie, 'base64url'));
    assert.equal(verifyCsrf(key, twin, token, NOW), 'malformed');
  });

  void it('property: arbitrary cookie and token never throw and never pass', () => {
    const { cookie } = issueCsrf(key, NOW);
    const text = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc
        .uint8Array({ minLength: 40, maxLength: 40 })
        .map((b) => Buffer.from(b).toString('base64url')),
    );
    fc.assert(
      fc.property(
        fc.option(fc.oneof(fc.constant(cookie), text), { nil: undefined }),
        fc.option(text, { nil: undefined }),
        (c, t) => {
          assert.notEqual(verifyCsrf(key, c, t, NOW), 'ok');
        },
      ),
      { numRuns: 2000 },
    );
  });
});
