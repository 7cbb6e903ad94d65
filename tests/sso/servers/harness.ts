/**
 * The rig of the server tests: a RepositoryServer and an AuthenticationServer wired as
 * src/main/sso.ts wires them (the authentication server calls the repository server in process),
 * on a memory or a SQLite user repository, with a fixed clock, a counting argon2id engine (the
 * real `nodeArgon2id` underneath) and every access-log record formatted at +0900 and parsed back
 * with the grammar the moment it is written.
 *
 * Test certificates are real: a private CA and client certificates issued by src/pki, read with
 * `describeCertificate`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DatabaseSync } from 'node:sqlite';

import type {
  AccessRecord,
  AuthenticationRecord,
  RepositoryRecord,
} from '../../../src/logs/index.ts';
import {
  MemorySystemLog,
  formatAccessLine,
  parseAuthenticationLine,
  parseRepositoryLine,
} from '../../../src/logs/index.ts';
import { makeCa, issueCertificate } from '../../../src/pki/certificates.ts';
import type { CertificateRequest } from '../../../src/pki/certificates.ts';
import { describeCertificate } from '../../../src/pki/client-certificate.ts';
import type { PresentedCertificate } from '../../../src/sso/core/certificate-mapping.ts';
import { deriveKeys } from '../../../src/sso/core/credential.ts';
import { lockoutPolicy } from '../../../src/sso/core/lockout.ts';
import type { LockoutPolicy } from '../../../src/sso/core/lockout.ts';
import type { Argon2idFunction, Argon2idParams } from '../../../src/sso/core/password.ts';
import { createPasswordHasher, nodeArgon2id } from '../../../src/sso/core/password.ts';
import type { CertMappingAttribute, SsoUser } from '../../../src/sso/core/user.ts';
import { newSsoUser } from '../../../src/sso/core/user.ts';
import { MemoryUserRepository } from '../../../src/sso/ports/memory-user-repository.ts';
import type { UserRepository } from '../../../src/sso/ports/user-repository.ts';
import type { SignOnInput, SignOnResult } from '../../../src/sso/servers/authentication-server.ts';
import { AuthenticationServer } from '../../../src/sso/servers/authentication-server.ts';
import type {
  RepositoryAuthRequest,
  RepositoryAuthResult,
  UidAttribute,
} from '../../../src/sso/servers/repository-server.ts';
import { RepositoryServer } from '../../../src/sso/servers/repository-server.ts';
import { openDatabase } from '../../../src/storage/sqlite/database.ts';
import { SqliteUserRepository } from '../../../src/storage/sqlite/user-store.ts';

// The system log writes the process's local time: pin it so that its lines can be compared
// exactly (each test file runs in its own process).
process.env['TZ'] = 'Asia/Tokyo';

/** The instant of every request unless a test moves the clock. */
export const NOW = new Date('2030-06-01T12:00:00Z');
/** {@link NOW} as the access logs write it at +0900. */
export const TS = '[2030/06/01 21:00:00 +0900]';
export const OFFSET = 540;

/** Addresses written in the lines. */
export const SELF = '10.0.0.2';
export const REPOSITORY_ADDRESS = '10.0.0.3';
export const CLIENT = '192.0.2.7';
export const BUSINESS = 'app.example.com';

/** A light argon2id, so that hundreds of verifications stay fast. */
export const LIGHT: Argon2idParams = Object.freeze({
  memoryKiB: 64,
  passes: 1,
  parallelism: 1,
  hashLength: 32,
  saltLength: 16,
});

export const PASSWORD = 'right-pw';
export const WRONG = 'wrong-pw';

/** Tarou, the user most tests sign on as. */
export const TAROU_DN = 'cn=Tarou,ou=User,o=example';
export const TAROU_MAIL = 'tarou@example.com';

const setupHasher = createPasswordHasher({ params: LIGHT });
let passwordHash: Promise<string> | undefined;
/** The stored hash of {@link PASSWORD} (hashed once per process, not counted). */
export function storedHash(): Promise<string> {
  passwordHash ??= setupHasher.hashPassword(PASSWORD);
  return passwordHash;
}

/** A user under ou=User,o=example with {@link PASSWORD}, all other attributes at defaults. */
export async function user(
  dn: string,
  uid: string,
  fields: Partial<Omit<SsoUser, 'dn' | 'uid'>> = {},
): Promise<SsoUser> {
  return newSsoUser(dn, uid, { userPassword: await storedHash(), ...fields });
}

export function tarou(fields: Partial<Omit<SsoUser, 'dn' | 'uid'>> = {}): Promise<SsoUser> {
  return user(TAROU_DN, 'tarou', { mail: [TAROU_MAIL], cn: ['Tarou'], ...fields });
}

// ---- Certificates ------------------------------------------------------------------------------

export interface Certs {
  /** SAN e-mail tarou@example.com. */
  readonly tarou: PresentedCertificate;
  /** A second certificate with the same SAN e-mail (another key, another serial). */
  readonly tarouOther: PresentedCertificate;
  /** SAN e-mail nobody@example.com: maps to no user. */
  readonly nobody: PresentedCertificate;
  /** SAN e-mail hanako@example.com. */
  readonly hanako: PresentedCertificate;
  readonly issue: (req: Omit<CertificateRequest, 'usage'>) => Promise<PresentedCertificate>;
}

let certs: Promise<Certs> | undefined;
/** The test PKI, made once per process. */
export function testCerts(): Promise<Certs> {
  certs ??= (async () => {
    const ca = await makeCa('Sekisho Test CA');
    const issue = async (req: Omit<CertificateRequest, 'usage'>) =>
      describeCertificate((await issueCertificate(ca, { ...req, usage: 'client' })).cert);
    return {
      tarou: await issue({ commonName: 'Tarou', emails: [TAROU_MAIL] }),
      tarouOther: await issue({ commonName: 'Tarou', emails: [TAROU_MAIL] }),
      nobody: await issue({ commonName: 'Nobody', emails: ['nobody@example.com'] }),
      hanako: await issue({ commonName: 'Hanako', emails: ['hanako@example.com'] }),
      issue,
    };
  })();
  return certs;
}

/** The user-identification field of a certificate that names no user, as written (escaped). */
export function certField(c: PresentedCertificate): string {
  const q = (s: string) => '\\"' + s.replace(/["\\]/g, (x) => '\\\\\\' + x) + '\\"';
  return `serialNumber=${c.serialNumber}, issuer=${q(c.issuerDn)}, subject=${q(c.subjectDn)}`;
}

// ---- Repositories ------------------------------------------------------------------------------

export const ADAPTERS = ['memory', 'sqlite'] as const;
export type Adapter = (typeof ADAPTERS)[number];

const opened: { dir: string; db: DatabaseSync }[] = [];

/** A fresh, empty repository of the given adapter (SQLite: a new file in a new temp dir). */
export function newRepository(adapter: Adapter): UserRepository {
  if (adapter === 'memory') return new MemoryUserRepository();
  return new SqliteUserRepository(
    sqliteConnection(mkdtempSync(path.join(os.tmpdir(), 'sekisho-sso-servers-'))),
  );
}

/** Another connection on the SQLite file in `dir` (closed by {@link closeRepositories}). */
export function sqliteConnection(dir: string): DatabaseSync {
  const db = openDatabase(dir);
  opened.push({ dir, db });
  return db;
}

/** Closes every SQLite database and removes its directory (call in `after`). */
export function closeRepositories(): void {
  const all = opened.splice(0);
  for (const { db } of all) if (db.isOpen) db.close();
  for (const dir of new Set(all.map((o) => o.dir))) rmSync(dir, { recursive: true, force: true });
}

/** Every user of a repository (for "nothing changed" checks). */
export async function snapshot(users: UserRepository): Promise<readonly SsoUser[]> {
  return (await users.listUsers({ cursor: undefined, limit: 1000 })).items;
}

// ---- Counting argon2id -------------------------------------------------------------------------

export interface CountingArgon2id {
  readonly engine: Argon2idFunction;
  /** Parameters of every call so far. */
  readonly calls: Omit<Argon2idParams, 'saltLength'>[];
}

/** What the engine is called with for hashes of `p` (all but the salt length). */
export function engineParams(p: Argon2idParams): Omit<Argon2idParams, 'saltLength'> {
  return {
    memoryKiB: p.memoryKiB,
    passes: p.passes,
    parallelism: p.parallelism,
    hashLength: p.hashLength,
  };
}

/** The real argon2id, counted. */
export function countingArgon2id(): CountingArgon2id {
  const calls: Omit<Argon2idParams, 'saltLength'>[] = [];
  return {
    calls,
    engine: (input) => {
      calls.push({ ...input.params });
      return nodeArgon2id(input);
    },
  };
}

// ---- The rig -----------------------------------------------------------------------------------

export interface RigOptions {
  readonly adapter?: Adapter;
  /** A repository to use instead of a fresh one of `adapter` (users are still added). */
  readonly repository?: UserRepository;
  readonly users?: readonly SsoUser[];
  readonly policy?: Partial<LockoutPolicy>;
  readonly certificateMappingAttribute?: CertMappingAttribute;
  readonly compareStoredCertificate?: boolean;
  readonly uidAttribute?: UidAttribute;
  readonly userSearchBase?: string;
  readonly sessionManagement?: boolean;
  readonly defaultCredentialTtlMinutes?: number;
  readonly now?: Date;
  readonly params?: Argon2idParams;
}

export interface Rig {
  readonly users: UserRepository;
  readonly repository: RepositoryServer;
  readonly authentication: AuthenticationServer;
  /** Every access-log line in the order written (both logs). */
  readonly lines: string[];
  readonly repositoryLines: string[];
  readonly authenticationLines: string[];
  readonly records: AccessRecord[];
  readonly system: MemorySystemLog;
  readonly argon2id: CountingArgon2id;
  /** The credential key the authentication server seals with. */
  readonly key: Uint8Array;
  /** Moves the clock. */
  setNow(d: Date): void;
  now(): Date;
  /** A sign-on from {@link CLIENT} via {@link BUSINESS}, this server being {@link SELF}. */
  signOn(input: Omit<SignOnInput, 'client' | 'businessServer' | 'self'>): Promise<SignOnResult>;
  /** A repository request from {@link SELF} for {@link CLIENT}. */
  authenticate(
    req: Omit<RepositoryAuthRequest, 'client' | 'authServer'> &
      Partial<Pick<RepositoryAuthRequest, 'client' | 'authServer'>>,
  ): Promise<RepositoryAuthResult>;
  /** Forgets the lines and calls seen so far. */
  clear(): void;
}

// Every character some reader takes for a line end (Python's splitlines included).
// eslint-disable-next-line no-control-regex
const LINE_BREAKS = /[\n\r\u000b\u000c\u001c-\u001e\u0085\u2028\u2029]/;

/** Formats a record, checks it is one line that its grammar parses, and returns it. */
export function lineOf(record: AccessRecord): string {
  const line = formatAccessLine(record, { timeZoneOffsetMinutes: OFFSET });
  assert.doesNotMatch(line, LINE_BREAKS, `line break in ${JSON.stringify(line)}`);
  const parsed =
    record.log === 'repository' ? parseRepositoryLine(line) : parseAuthenticationLine(line);
  assert.ok(parsed !== undefined, `the grammar does not parse ${JSON.stringify(line)}`);
  assert.equal(parsed.log, record.log);
  assert.equal(parsed.time.getTime(), Math.floor(record.time.getTime() / 1000) * 1000);
  return line;
}

export async function rig(o: RigOptions = {}): Promise<Rig> {
  const users = o.repository ?? newRepository(o.adapter ?? 'memory');
  for (const u of o.users ?? []) await users.add(u);
  let now = new Date((o.now ?? NOW).getTime());
  const clock = () => new Date(now.getTime());
  const argon2id = countingArgon2id();
  const hasher = createPasswordHasher({ params: o.params ?? LIGHT, argon2id: argon2id.engine });
  // createPasswordHasher computes nothing up front; the count starts at zero.
  const policy = lockoutPolicy(o.policy ?? { maxFailureCount: 3, lockOutTimeMinutes: 30 });
  const lines: string[] = [];
  const repositoryLines: string[] = [];
  const authenticationLines: string[] = [];
  const records: AccessRecord[] = [];
  const system = new MemorySystemLog(clock);
  const write = (record: RepositoryRecord | AuthenticationRecord): void => {
    const line = lineOf(record);
    records.push(record);
    lines.push(line);
    (record.log === 'repository' ? repositoryLines : authenticationLines).push(line);
  };
  const repository = new RepositoryServer({
    users,
    hasher,
    policy: () => policy,
    certificateMappingAttribute: o.certificateMappingAttribute ?? 'mail',
    compareStoredCertificate: o.compareStoredCertificate ?? false,
    ...(o.uidAttribute === undefined ? {} : { uidAttribute: o.uidAttribute }),
    userSearchBase: o.userSearchBase,
    log: write,
    systemLog: system,
    ...(o.sessionManagement === undefined ? {} : { sessionManagement: o.sessionManagement }),
    now: clock,
  });
  const key = deriveKeys(new Uint8Array(32).fill(7)).credential;
  const authentication = new AuthenticationServer({
    repository: {
      address: REPOSITORY_ADDRESS,
      authenticate: (req) => repository.authenticate(req),
    },
    credentialKey: () => Promise.resolve(key),
    defaultCredentialTtlMinutes: o.defaultCredentialTtlMinutes ?? 480,
    log: write,
    ...(o.sessionManagement === undefined ? {} : { sessionManagement: o.sessionManagement }),
    now: clock,
  });
  return {
    users,
    repository,
    authentication,
    lines,
    repositoryLines,
    authenticationLines,
    records,
    system,
    argon2id,
    key,
    setNow: (d) => {
      now = new Date(d.getTime());
    },
    now: clock,
    signOn: (input) =>
      authentication.signOn({ ...input, client: CLIENT, businessServer: BUSINESS, self: SELF }),
    authenticate: (req) => repository.authenticate({ client: CLIENT, authServer: SELF, ...req }),
    clear: () => {
      for (const a of [lines, repositoryLines, authenticationLines, records, system.lines]) {
        a.length = 0;
      }
      argon2id.calls.length = 0;
    },
  };
}

/** `<authServer> - <client> [TS] - "<user>" <result> |`, the repository line of a request. */
export function repoLine(user: string, result: string, ts = TS, authServer = SELF): string {
  return `${authServer} - ${CLIENT} ${ts} - "${user}" ${result} |`;
}

/** A system-log line at {@link NOW} (+09:00, the pinned time zone). */
export function systemLine(text: string, time = '2030-06-01T21:00:00.000+09:00'): string {
  return `${time} ${text}`;
}

/** `<client> - <business> - <repository> [TS] - "<user>" <result> |`. */
export function authLine(user: string, result: string, ts = TS): string {
  return `${CLIENT} - ${BUSINESS} - ${REPOSITORY_ADDRESS} ${ts} - "${user}" ${result} |`;
}
