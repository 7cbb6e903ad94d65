/**
 * CSRF protection of the sign-on form by signed double submit (OWASP CSRF Prevention Cheat
 * Sheet, "Signed Double-Submit Cookie"), with no server state: the form page sets a random
 * cookie and embeds a token that binds that cookie to an expiry with an HMAC; the POST must
 * carry both. A cross-site page can make the browser send the cookie but can neither read it
 * nor mint a token for it without the key.
 *
 *   cookie = base64url(16 random bytes)                                       (22 characters)
 *   token  = base64url(expiry as 8 bytes big-endian | HMAC-SHA256(key, "csrf|" + cookie + "|" + expiry))
 *                                                                           (54 characters)
 *
 * `expiry` is in epoch seconds, written in decimal inside the MAC input.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** How long a sign-on form stays submittable, in seconds (30 minutes). */
export const CSRF_LIFETIME_SECONDS = 30 * 60;

/** The result of {@link verifyCsrf}. */
export const CSRF_RESULTS = [
  /** Cookie and token belong together and the token has not expired. */
  'ok',
  /** The cookie or the token is absent or empty (cookies off, or a form from elsewhere). */
  'missing',
  /** Either value is not of the issued shape (length, alphabet, canonical base64url). */
  'malformed',
  /** The token was not issued for this cookie with this key, or its expiry was altered. */
  'mismatch',
  /** The token's expiry is at or before now: reload the form. */
  'expired',
] as const;
export type CsrfResult = (typeof CSRF_RESULTS)[number];

const COOKIE_BYTES = 16;
const EXPIRY_BYTES = 8;
const MAC_BYTES = 32;
const COOKIE_CHARS = Math.ceil((COOKIE_BYTES * 8) / 6);
const TOKEN_CHARS = Math.ceil(((EXPIRY_BYTES + MAC_BYTES) * 8) / 6);
const BASE64URL = /^[A-Za-z0-9_-]+$/;

function checkKey(key: Uint8Array): void {
  if (key.length !== 32) throw new RangeError(`the CSRF key must be 32 bytes, got ${key.length}`);
}

function seconds(now: Date): number {
  const s = Math.floor(now.getTime() / 1000);
  if (!Number.isSafeInteger(s)) throw new RangeError('now is not a valid date');
  return s;
}

function mac(key: Uint8Array, cookie: string, expiry: number): Buffer {
  return createHmac('sha256', key).update(`csrf|${cookie}|${expiry}`, 'utf8').digest();
}

/** The bytes of `text` when it is canonical unpadded base64url of exactly `chars` characters. */
function decode(text: string, chars: number): Buffer | undefined {
  if (text.length !== chars || !BASE64URL.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

/**
 * A fresh cookie value and the form token bound to it, valid {@link CSRF_LIFETIME_SECONDS}.
 * @param key the `csrf` key of `deriveKeys` (./credential.ts), 32 bytes.
 */
export function issueCsrf(key: Uint8Array, now: Date): { cookie: string; token: string } {
  checkKey(key);
  const cookie = randomBytes(COOKIE_BYTES).toString('base64url');
  const expiry = seconds(now) + CSRF_LIFETIME_SECONDS;
  const head = Buffer.alloc(EXPIRY_BYTES);
  head.writeBigUInt64BE(BigInt(expiry));
  const token = Buffer.concat([head, mac(key, cookie, expiry)]).toString('base64url');
  return { cookie, token };
}

/**
 * Checks a submitted cookie and form token. Never throws on them; the MAC is compared in
 * constant time, and before the expiry, so an altered expiry reads as `mismatch`.
 * @throws RangeError only for a programming error: a key that is not 32 bytes, an invalid `now`.
 */
export function verifyCsrf(
  key: Uint8Array,
  cookie: string | undefined,
  token: string | undefined,
  now: Date,
): CsrfResult {
  checkKey(key);
  const nowSeconds = seconds(now);
  if (cookie === undefined || cookie === '' || token === undefined || token === '') {
    return 'missing';
  }
  const tokenBytes = decode(token, TOKEN_CHARS);
  if (decode(cookie, COOKIE_CHARS) === undefined || tokenBytes === undefined) return 'malformed';
  const expiry = tokenBytes.readBigUInt64BE(0);
  if (expiry > BigInt(Number.MAX_SAFE_INTEGER)) return 'mismatch';
  const expected = mac(key, cookie, Number(expiry));
  if (!timingSafeEqual(expected, tokenBytes.subarray(EXPIRY_BYTES))) return 'mismatch';
  return Number(expiry) <= nowSeconds ? 'expired' : 'ok';
}
