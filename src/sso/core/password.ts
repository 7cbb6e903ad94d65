/**
 * Password hashing and verification for `userPassword`.
 *
 * New hashes are argon2id (RFC 9106) computed by `node:crypto`'s `argon2` (Node ≥ 24.7), stored
 * as PHC strings `$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>` (unpadded standard
 * base64). Values carried over from an LDAP directory in `{SSHA}` (SHA-1), `{SSHA256}` and
 * `{SSHA512}` form are verified as they are and reported by {@link PasswordHasher.needsRehash} so
 * that the caller replaces them after the next successful sign-on.
 *
 * Refused (coded error `SSO_PASSWORD_SCHEME_UNSUPPORTED`): plain text, `{CLEARTEXT}`, `{CRYPT}`,
 * `{MD5}`, `{SMD5}`, unsalted `{SHA}`, and argon2i/argon2d/bcrypt/scrypt PHC strings. Plain text
 * never verifies, whatever the password.
 *
 * Timing: every {@link PasswordHasher.verifyPassword} call costs one argon2id at the configured
 * parameters — an SSHA verification and a refused stored value run {@link PasswordHasher.dummyVerify}
 * too — so that an attacker cannot tell an unknown user (the caller runs `dummyVerify`), a user
 * with a legacy hash and a user with a current hash apart by response time. All digest
 * comparisons are constant-time (`timingSafeEqual`).
 */
import { argon2, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { SsoError } from './errors.ts';

/** argon2id cost parameters. */
export interface Argon2idParams {
  /** Memory, KiB (PHC `m`). */
  readonly memoryKiB: number;
  /** Passes over memory (PHC `t`). */
  readonly passes: number;
  /** Lanes (PHC `p`). */
  readonly parallelism: number;
  /** Length of the derived hash, bytes. */
  readonly hashLength: number;
  /** Length of the random salt of new hashes, bytes. */
  readonly saltLength: number;
}

/**
 * Keycloak's argon2id default: 7 MiB, 5 passes, 1 lane, 32-byte hash, 16-byte salt (about 35 ms
 * on one core of a current server).
 */
export const DEFAULT_ARGON2ID_PARAMS: Argon2idParams = Object.freeze({
  memoryKiB: 7168,
  passes: 5,
  parallelism: 1,
  hashLength: 32,
  saltLength: 16,
});

/**
 * Bounds a stored PHC string's parameters must respect before we spend memory or time on it, so
 * that a tampered entry cannot make verification exhaust the host: memory ≤ 1 GiB, passes ≤ 64,
 * lanes ≤ 16, hash 16–128 bytes, salt 8–64 bytes.
 */
export const ARGON2ID_LIMITS = Object.freeze({
  memoryKiB: { min: 8, max: 1_048_576 },
  passes: { min: 1, max: 64 },
  parallelism: { min: 1, max: 16 },
  hashLength: { min: 16, max: 128 },
  saltLength: { min: 8, max: 64 },
});

/** The argon2 version written and accepted (0x13). */
export const ARGON2_VERSION = 19;

/** The schemes {@link PasswordHasher.verifyPassword} accepts. */
export const PASSWORD_SCHEMES = ['argon2id', 'SSHA', 'SSHA256', 'SSHA512'] as const;
export type PasswordScheme = (typeof PASSWORD_SCHEMES)[number];

/** One argon2id computation; injectable for tests and for other engines. */
export type Argon2idFunction = (input: {
  readonly password: Uint8Array;
  readonly salt: Uint8Array;
  readonly params: Omit<Argon2idParams, 'saltLength'>;
}) => Promise<Uint8Array>;

/** argon2id through `node:crypto` on the libuv thread pool (does not block the event loop). */
export const nodeArgon2id: Argon2idFunction = ({ password, salt, params }) =>
  new Promise((resolve, reject) => {
    argon2(
      'argon2id',
      {
        message: password,
        nonce: salt,
        parallelism: params.parallelism,
        tagLength: params.hashLength,
        memory: params.memoryKiB,
        passes: params.passes,
      },
      (err, key) => {
        if (err === null) resolve(new Uint8Array(key));
        else reject(err);
      },
    );
  });

/** A parsed stored value. */
export type ParsedHash =
  | {
      readonly scheme: 'argon2id';
      readonly params: Argon2idParams;
      readonly salt: Uint8Array;
      readonly hash: Uint8Array;
    }
  | {
      readonly scheme: 'SSHA' | 'SSHA256' | 'SSHA512';
      readonly salt: Uint8Array;
      readonly hash: Uint8Array;
    };

const SSHA_DIGESTS = {
  SSHA: { algorithm: 'sha1', length: 20 },
  SSHA256: { algorithm: 'sha256', length: 32 },
  SSHA512: { algorithm: 'sha512', length: 64 },
} as const;

/** `{SCHEME}` prefixes refused on purpose (documented in docs/sso-core.md). */
const REFUSED_LDAP_SCHEMES = ['CLEARTEXT', 'CRYPT', 'MD5', 'SMD5', 'SHA', 'SHA256', 'SHA512'];

const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

function b64decode(text: string, what: string): Uint8Array {
  if (!B64.test(text) || text.replace(/=+$/, '').length % 4 === 1) {
    throw malformed(`${what} is not base64`);
  }
  return new Uint8Array(Buffer.from(text, 'base64'));
}

function b64encode(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/=+$/, '');
}

function malformed(why: string): SsoError {
  return new SsoError('SSO_PASSWORD_HASH_MALFORMED', `stored password hash: ${why}`, {
    attribute: 'userPassword',
  });
}

function unsupported(scheme: string): SsoError {
  return new SsoError(
    'SSO_PASSWORD_SCHEME_UNSUPPORTED',
    `stored password scheme refused: ${scheme}`,
    { attribute: 'userPassword' },
  );
}

function inRange(name: keyof typeof ARGON2ID_LIMITS, value: number): boolean {
  const l = ARGON2ID_LIMITS[name];
  return Number.isSafeInteger(value) && value >= l.min && value <= l.max;
}

/** Throws `SSO_PASSWORD_PARAMETERS_INVALID` unless every parameter is within {@link ARGON2ID_LIMITS}. */
export function checkArgon2idParams(params: Argon2idParams): Argon2idParams {
  for (const name of Object.keys(ARGON2ID_LIMITS) as (keyof typeof ARGON2ID_LIMITS)[]) {
    if (!inRange(name, params[name])) {
      throw new SsoError('SSO_PASSWORD_PARAMETERS_INVALID', `argon2id ${name}: ${params[name]}`);
    }
  }
  if (params.memoryKiB < 8 * params.parallelism) {
    throw new SsoError('SSO_PASSWORD_PARAMETERS_INVALID', 'argon2id memoryKiB < 8 × parallelism');
  }
  return Object.freeze({ ...params });
}

const PHC = /^\$argon2id\$v=(\d+)\$m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,10})\$([^$]+)\$([^$]+)$/;

/**
 * Parses a stored `userPassword` value. Throws `SSO_PASSWORD_SCHEME_UNSUPPORTED` for a refused
 * scheme (including plain text) and `SSO_PASSWORD_HASH_MALFORMED` for a damaged accepted one.
 */
export function parseStoredHash(stored: string): ParsedHash {
  if (stored.startsWith('$')) {
    const scheme = /^\$([^$]*)/.exec(stored)?.[1] ?? '';
    if (scheme !== 'argon2id') throw unsupported(`$${scheme}$`);
    const m = PHC.exec(stored);
    if (m === null) throw malformed('not a PHC argon2id string');
    if (Number(m[1]) !== ARGON2_VERSION) throw malformed(`argon2 version ${m[1]}`);
    const salt = b64decode(m[5]!, 'salt');
    const hash = b64decode(m[6]!, 'hash');
    const params: Argon2idParams = {
      memoryKiB: Number(m[2]),
      passes: Number(m[3]),
      parallelism: Number(m[4]),
      hashLength: hash.length,
      saltLength: salt.length,
    };
    try {
      checkArgon2idParams(params);
    } catch (cause) {
      throw malformed(`parameters out of range (${(cause as Error).message})`);
    }
    return { scheme: 'argon2id', params, salt, hash };
  }
  const ldap = /^\{([A-Za-z0-9-]+)\}(.*)$/s.exec(stored);
  if (ldap === null) throw unsupported('plain text');
  const name = ldap[1]!.toUpperCase();
  if (name === 'SSHA' || name === 'SSHA256' || name === 'SSHA512') {
    const bytes = b64decode(ldap[2]!, `{${name}} value`);
    const { length } = SSHA_DIGESTS[name];
    if (bytes.length <= length) throw malformed(`{${name}} value has no salt`);
    return { scheme: name, hash: bytes.subarray(0, length), salt: bytes.subarray(length) };
  }
  throw unsupported(REFUSED_LDAP_SCHEMES.includes(name) ? `{${name}}` : `unknown {${name}}`);
}

/** Options of {@link createPasswordHasher}. */
export interface PasswordHasherOptions {
  /** Cost of new hashes and of {@link PasswordHasher.dummyVerify}; default {@link DEFAULT_ARGON2ID_PARAMS}. */
  readonly params?: Argon2idParams;
  /** The argon2id engine; default {@link nodeArgon2id}. */
  readonly argon2id?: Argon2idFunction;
  /** Salt source; default `crypto.randomBytes`. */
  readonly randomBytes?: (size: number) => Uint8Array;
}

/** Hashing, verification and rehash policy, bound to one set of parameters. */
export interface PasswordHasher {
  readonly params: Argon2idParams;
  /** A new PHC argon2id string for `password` with a fresh random salt. */
  hashPassword(password: string): Promise<string>;
  /**
   * Whether `password` matches `stored`. Rejects with `SSO_PASSWORD_SCHEME_UNSUPPORTED` or
   * `SSO_PASSWORD_HASH_MALFORMED` (after spending a dummy verification, so the failure costs the
   * same time); callers treat that as a failed authentication and report the cause to the
   * operational log.
   */
  verifyPassword(password: string, stored: string): Promise<boolean>;
  /** True for SSHA values, for argon2id with any parameter weaker than the configured ones, and for values that cannot be verified. */
  needsRehash(stored: string): boolean;
  /**
   * Spends one argon2id at the configured parameters and resolves `false`: for unknown users and
   * locked users, so that the response time does not reveal them.
   */
  dummyVerify(password?: string): Promise<false>;
}

const encoder = new TextEncoder();

/** Builds a {@link PasswordHasher}. Throws `SSO_PASSWORD_PARAMETERS_INVALID` for bad parameters. */
export function createPasswordHasher(options: PasswordHasherOptions = {}): PasswordHasher {
  const params = checkArgon2idParams(options.params ?? DEFAULT_ARGON2ID_PARAMS);
  const engine = options.argon2id ?? nodeArgon2id;
  const random = options.randomBytes ?? ((n: number) => new Uint8Array(randomBytes(n)));
  const engineParams = (p: Argon2idParams): Omit<Argon2idParams, 'saltLength'> => ({
    memoryKiB: p.memoryKiB,
    passes: p.passes,
    parallelism: p.parallelism,
    hashLength: p.hashLength,
  });
  // A fixed salt and target per hasher: dummy work is a real argon2id of the same shape.
  const dummySalt = random(params.saltLength);
  const dummyTarget = random(params.hashLength);

  async function dummyVerify(password = ''): Promise<false> {
    const got = await engine({
      password: encoder.encode(password),
      salt: dummySalt,
      params: engineParams(params),
    });
    timingSafeEqual(got, dummyTarget);
    return false;
  }

  return {
    params,
    async hashPassword(password) {
      const salt = random(params.saltLength);
      const hash = await engine({
        password: encoder.encode(password),
        salt,
        params: engineParams(params),
      });
      return `$argon2id$v=${ARGON2_VERSION}$m=${params.memoryKiB},t=${params.passes},p=${params.parallelism}$${b64encode(salt)}$${b64encode(hash)}`;
    },
    async verifyPassword(password, stored) {
      let parsed: ParsedHash;
      try {
        parsed = parseStoredHash(stored);
      } catch (error) {
        await dummyVerify(password);
        throw error;
      }
      const pw = encoder.encode(password);
      if (parsed.scheme === 'argon2id') {
        const got = await engine({
          password: pw,
          salt: parsed.salt,
          params: engineParams(parsed.params),
        });
        return got.length === parsed.hash.length && timingSafeEqual(got, parsed.hash);
      }
      const { algorithm } = SSHA_DIGESTS[parsed.scheme];
      const got = createHash(algorithm).update(pw).update(parsed.salt).digest();
      const ok = timingSafeEqual(got, parsed.hash);
      await dummyVerify(password);
      return ok;
    },
    needsRehash(stored) {
      let parsed: ParsedHash;
      try {
        parsed = parseStoredHash(stored);
      } catch {
        return true;
      }
      if (parsed.scheme !== 'argon2id') return true;
      const p = parsed.params;
      return (
        p.memoryKiB < params.memoryKiB ||
        p.passes < params.passes ||
        p.parallelism < params.parallelism ||
        p.hashLength < params.hashLength ||
        p.saltLength < params.saltLength
      );
    },
    dummyVerify,
  };
}

let defaultHasher: PasswordHasher | undefined;
function hasher(): PasswordHasher {
  defaultHasher ??= createPasswordHasher();
  return defaultHasher;
}

/** {@link PasswordHasher.hashPassword} with {@link DEFAULT_ARGON2ID_PARAMS}. */
export function hashPassword(password: string): Promise<string> {
  return hasher().hashPassword(password);
}

/** {@link PasswordHasher.verifyPassword} with {@link DEFAULT_ARGON2ID_PARAMS}. */
export function verifyPassword(password: string, stored: string): Promise<boolean> {
  return hasher().verifyPassword(password, stored);
}

/** {@link PasswordHasher.needsRehash} against {@link DEFAULT_ARGON2ID_PARAMS}. */
export function needsRehash(stored: string): boolean {
  return hasher().needsRehash(stored);
}

/** {@link PasswordHasher.dummyVerify} with {@link DEFAULT_ARGON2ID_PARAMS}. */
export function dummyVerify(password?: string): Promise<false> {
  return hasher().dummyVerify(password);
}
