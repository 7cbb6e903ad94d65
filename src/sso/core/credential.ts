/**
 * The sign-on credential: the cookie the authentication server issues after a successful
 * sign-on and every business server checks. Its claims travel sealed with AES-256-GCM under a
 * key derived from the service ID (DESIGN.md "Service ID"; sso-interstage.md §1), so only
 * servers that share the service ID can read or forge one, and `ssoupsid` invalidates them all.
 *
 * Token layout (then base64url without padding, at most {@link MAX_TOKEN_CHARS} characters):
 *
 *   version (1 byte, 0x01) | nonce (12 random bytes) | ciphertext (UTF-8 JSON claims) | tag (16 bytes)
 *
 * with the additional authenticated data {@link CREDENTIAL_AAD}. The version byte is outside
 * the ciphertext so that a later format can be told from a forgery.
 */
import {
  createCipheriv,
  createDecipheriv,
  hkdfSync,
  randomBytes,
  type CipherGCMTypes,
} from 'node:crypto';
import { CREDENTIAL_TTL_MAX, CREDENTIAL_TTL_MIN } from './user.ts';

/** How the user proved who they are: the method tokens of the access logs. */
export const CREDENTIAL_METHODS = ['basicAuth', 'certAuth', 'basicAuthAndCertAuth'] as const;
export type CredentialMethod = (typeof CREDENTIAL_METHODS)[number];

/** What a credential asserts. Times are whole seconds since the epoch. */
export interface CredentialClaims {
  /** 32 lower-case hex characters, random ({@link newCredentialId}). */
  readonly id: string;
  /** The user's entry DN. */
  readonly dn: string;
  readonly uid: string;
  readonly method: CredentialMethod;
  /** Epoch seconds. */
  readonly issuedAt: number;
  /** Epoch seconds; null = no re-authentication limit (`ssoCredentialTTL` 0). */
  readonly expiresAt: number | null;
  /** The session-management session, when session management is on. */
  readonly sessionId: string | null;
}

/** Why {@link openCredential} refused a token. */
export const CREDENTIAL_FAILURES = [
  /** Not a token: too long, not base64url, too short, or claims that do not parse. */
  'malformed',
  /** A version byte this code does not read. */
  'unsupported_version',
  /** The GCM tag does not verify: altered, truncated inside the ciphertext, or another key. */
  'forged',
  /** `expiresAt` is at or before now: sign on again. */
  'expired',
  /** `issuedAt` is more than {@link CLOCK_SKEW_SECONDS} ahead of now. */
  'future',
] as const;
export type CredentialFailure = (typeof CREDENTIAL_FAILURES)[number];

export type OpenedCredential =
  | { readonly ok: true; readonly claims: CredentialClaims }
  | { readonly ok: false; readonly reason: CredentialFailure };

export const CREDENTIAL_VERSION = 0x01;
export const CREDENTIAL_AAD = 'sekisho-credential-v1';
/** Longest token accepted, in characters (a cookie value must stay well under 4 KiB). */
export const MAX_TOKEN_CHARS = 4096;
/** How far `issuedAt` may lead this server's clock (clock skew between servers), in seconds. */
export const CLOCK_SKEW_SECONDS = 300;
/** Size of the service ID and of each derived key, in bytes. */
export const KEY_BYTES = 32;

const ALGORITHM: CipherGCMTypes = 'aes-256-gcm';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Version, nonce, at least one byte of ciphertext, tag. */
const MIN_TOKEN_BYTES = 1 + NONCE_BYTES + 1 + TAG_BYTES;
const HKDF_INFO = {
  credential: 'sekisho sso credential key v1',
  csrf: 'sekisho sso csrf key v1',
} as const;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const CREDENTIAL_ID = /^[0-9a-f]{32}$/;
const CLAIM_KEYS: readonly string[] = [
  'id',
  'dn',
  'uid',
  'method',
  'issuedAt',
  'expiresAt',
  'sessionId',
] satisfies readonly (keyof CredentialClaims)[];

function checkKey(key: Uint8Array, what: string): void {
  if (key.length !== KEY_BYTES) {
    throw new RangeError(`${what} must be ${KEY_BYTES} bytes, got ${key.length}`);
  }
}

/**
 * The two keys derived from the service ID with HKDF-SHA256 (RFC 5869, empty salt: the service
 * ID is uniformly random), one per purpose so that a CSRF token can never pass for a credential.
 * @param serviceId 32 bytes ({@link KEY_BYTES}).
 */
export function deriveKeys(serviceId: Uint8Array): { credential: Uint8Array; csrf: Uint8Array } {
  checkKey(serviceId, 'the service ID');
  const derive = (info: string) =>
    new Uint8Array(hkdfSync('sha256', serviceId, new Uint8Array(0), info, KEY_BYTES));
  return { credential: derive(HKDF_INFO.credential), csrf: derive(HKDF_INFO.csrf) };
}

/**
 * {@link deriveKeys} remembering the last service ID it was given: by reference first (see
 * `ServiceIdService.peek`), then by value, so that a per-request caller derives only when the
 * service ID changed.
 */
export function keyDeriver(): (serviceId: Uint8Array) => {
  credential: Uint8Array;
  csrf: Uint8Array;
} {
  let seen: Uint8Array | undefined;
  let id: Uint8Array | undefined;
  let keys: { credential: Uint8Array; csrf: Uint8Array } | undefined;
  return (serviceId) => {
    if (serviceId !== seen || keys === undefined) {
      if (keys === undefined || id === undefined || !Buffer.from(id).equals(serviceId)) {
        keys = deriveKeys(serviceId);
        id = serviceId.slice();
      }
      seen = serviceId;
    }
    return keys;
  };
}

/** A random credential identifier: 16 bytes as 32 lower-case hex characters. */
export function newCredentialId(): string {
  return randomBytes(16).toString('hex');
}

/**
 * The credential lifetime for an effective `ssoCredentialTTL` in minutes (EG-319): 0 → null (no
 * re-authentication limit); 1–29 → 30 minutes; above 1440 → 1440 minutes; returned in
 * milliseconds.
 * @throws RangeError when `ttlMinutes` is not a non-negative integer.
 */
export function credentialLifetime(ttlMinutes: number): number | null {
  if (!Number.isSafeInteger(ttlMinutes) || ttlMinutes < 0) {
    throw new RangeError(`ssoCredentialTTL must be a non-negative integer, got ${ttlMinutes}`);
  }
  if (ttlMinutes === 0) return null;
  return Math.min(CREDENTIAL_TTL_MAX, Math.max(CREDENTIAL_TTL_MIN, ttlMinutes)) * 60_000;
}

const isEpochSeconds = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isMethod = (v: unknown): v is CredentialMethod =>
  typeof v === 'string' && (CREDENTIAL_METHODS as readonly string[]).includes(v);

/** The claims in `value`, or undefined when any field is missing, extra or of the wrong type. */
function parseClaims(value: unknown): CredentialClaims | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const fields = new Map<string, unknown>(Object.entries(value));
  if (fields.size !== CLAIM_KEYS.length || !CLAIM_KEYS.every((k) => fields.has(k))) {
    return undefined;
  }
  const [id, dn, uid, method, issuedAt, expiresAt, sessionId] = CLAIM_KEYS.map((k) =>
    fields.get(k),
  );
  if (typeof id !== 'string' || !CREDENTIAL_ID.test(id)) return undefined;
  if (!isText(dn) || !isText(uid) || !isMethod(method) || !isEpochSeconds(issuedAt)) {
    return undefined;
  }
  if (expiresAt !== null && !(isEpochSeconds(expiresAt) && expiresAt > issuedAt)) return undefined;
  if (sessionId !== null && !isText(sessionId)) return undefined;
  return { id, dn, uid, method, issuedAt, expiresAt, sessionId };
}

/**
 * Seals `claims` into a token (layout in the module comment) with a fresh random nonce.
 * @param key the `credential` key of {@link deriveKeys}.
 * @throws RangeError when the key is not 32 bytes, the claims would not pass
 *   {@link openCredential}'s checks, or the token would exceed {@link MAX_TOKEN_CHARS}.
 */
export function sealCredential(key: Uint8Array, claims: CredentialClaims): string {
  checkKey(key, 'the credential key');
  const plain: Record<keyof CredentialClaims, unknown> = {
    id: claims.id,
    dn: claims.dn,
    uid: claims.uid,
    method: claims.method,
    issuedAt: claims.issuedAt,
    expiresAt: claims.expiresAt,
    sessionId: claims.sessionId,
  };
  if (parseClaims(plain) === undefined) throw new RangeError('invalid credential claims');
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(CREDENTIAL_AAD, 'utf8'));
  const body = Buffer.concat([
    Uint8Array.of(CREDENTIAL_VERSION),
    nonce,
    cipher.update(JSON.stringify(plain), 'utf8'),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
  const token = body.toString('base64url');
  if (token.length > MAX_TOKEN_CHARS) {
    throw new RangeError(
      `the credential would be ${token.length} characters (max ${MAX_TOKEN_CHARS})`,
    );
  }
  return token;
}

const fail = (reason: CredentialFailure): OpenedCredential => ({ ok: false, reason });
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Opens and checks a token. Never throws on the token, whatever it holds: every refusal is a
 * {@link CredentialFailure}. Checks, in order: length and strict (canonical, unpadded)
 * base64url → `malformed`; version byte → `unsupported_version`; minimum length → `malformed`;
 * GCM tag → `forged`; UTF-8 JSON with exactly the claim fields, each of its type →
 * `malformed`; `issuedAt` more than 5 minutes after `now` → `future`; `expiresAt` ≤ `now` →
 * `expired`.
 * @param key the `credential` key of {@link deriveKeys}.
 * @throws RangeError only for a programming error: a key that is not 32 bytes, an invalid `now`.
 */
export function openCredential(key: Uint8Array, token: string, now: Date): OpenedCredential {
  checkKey(key, 'the credential key');
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (!Number.isSafeInteger(nowSeconds)) throw new RangeError('now is not a valid date');
  if (token.length > MAX_TOKEN_CHARS || !BASE64URL.test(token)) {
    return fail('malformed');
  }
  const bytes = Buffer.from(token, 'base64url');
  // Only one spelling per token: no ignored trailing bits, no length ≡ 1 (mod 4).
  if (bytes.toString('base64url') !== token) return fail('malformed');
  if (bytes[0] !== CREDENTIAL_VERSION) return fail('unsupported_version');
  if (bytes.length < MIN_TOKEN_BYTES) return fail('malformed');

  let plain: Buffer;
  try {
    const decipher = createDecipheriv(ALGORITHM, key, bytes.subarray(1, 1 + NONCE_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(Buffer.from(CREDENTIAL_AAD, 'utf8'));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    plain = Buffer.concat([
      decipher.update(bytes.subarray(1 + NONCE_BYTES, bytes.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch {
    return fail('forged');
  }

  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(plain));
  } catch {
    return fail('malformed');
  }
  const claims = parseClaims(value);
  if (claims === undefined) return fail('malformed');
  if (claims.issuedAt > nowSeconds + CLOCK_SKEW_SECONDS) return fail('future');
  if (claims.expiresAt !== null && claims.expiresAt <= nowSeconds) return fail('expired');
  return { ok: true, claims };
}

/**
 * The keys a credential may have been sealed with: the current service ID's, the current one
 * again after another process regenerated it (`refresh`), and the one `ssoupsid` replaced
 * (`previous`), which marks a credential as stale rather than forged.
 */
export interface CredentialKeyring {
  current(): Promise<Uint8Array>;
  /** Re-reads the service ID when another process regenerated it; resolves whether it changed. */
  refresh?: (() => Promise<boolean>) | undefined;
  /** The credential key of the service ID the last regeneration replaced, when known. */
  previous?: (() => Uint8Array | undefined) | undefined;
}

/** {@link openCredential} through a keyring; `previous_service_id`: sealed before `ssoupsid`. */
export type KeyringOpened =
  OpenedCredential | { readonly ok: false; readonly reason: 'previous_service_id' };

/**
 * Opens `token` with the keyring's current key; when it reads as forged, once more after a
 * refresh (a regeneration elsewhere), and then tells a credential of the replaced service ID
 * apart. `open` lets a caller put its cache in front of {@link openCredential}.
 */
export async function openWithKeyring(
  keyring: CredentialKeyring,
  token: string,
  now: Date,
  open: (key: Uint8Array, token: string, now: Date) => OpenedCredential = openCredential,
): Promise<KeyringOpened> {
  let opened = open(await keyring.current(), token, now);
  if (opened.ok || opened.reason !== 'forged') return opened;
  if ((await keyring.refresh?.()) === true) {
    opened = open(await keyring.current(), token, now);
    if (opened.ok || opened.reason !== 'forged') return opened;
  }
  const previous = keyring.previous?.();
  if (previous !== undefined && openCredential(previous, token, now).ok) {
    return { ok: false, reason: 'previous_service_id' };
  }
  return opened;
}
