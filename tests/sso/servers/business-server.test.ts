/**
 * The business server's decision: every kind of decision with its exact business-log line,
 * roles through nested role sets, the cache bound of user entries and sessions, the
 * access-control snapshot and its update (a failed update keeps the old one), locked, deleted
 * and out-of-period users, and path tricks that must never reach a resource the user lacks the
 * roles for (a table and a property).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';

import {
  formatAccessLine,
  parseBusinessLine,
  parseRepositoryLine,
  type BusinessRecord,
  type RepositoryRecord,
} from '../../../src/logs/index.ts';
import {
  parseAccessEntry,
  type AccessEntry,
  type AccessEntryKind,
  type AccessEntryOf,
  type SsoResource,
  type SsoSite,
} from '../../../src/sso/core/access-control.ts';
import {
  deriveKeys,
  newCredentialId,
  sealCredential,
  type CredentialClaims,
} from '../../../src/sso/core/credential.ts';
import { lockoutPolicy } from '../../../src/sso/core/lockout.ts';
import { newSsoUser, userDn, type SsoUser } from '../../../src/sso/core/user.ts';
import type { AccessControlRepository } from '../../../src/sso/ports/access-control-repository.ts';
import { MemoryAccessControlRepository } from '../../../src/sso/ports/memory-access-control-repository.ts';
import { MemoryUserRepository } from '../../../src/sso/ports/memory-user-repository.ts';
import {
  BusinessServer,
  DEFAULT_SESSION_CACHE_MS,
  type BusinessServerOptions,
  type Decision,
  type SessionValidator,
} from '../../../src/sso/servers/business-server.ts';

const NOW = new Date('2030-06-01T12:00:00Z');
/** Any timestamp at +0900 (the lines are compared with `[T]` in its place). */
const TS = /\[\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} \+0900\]/;
const OFFSET = 540;
const CLIENT = '192.0.2.7';
const APP = 'https://app.example.com';
const USERS = 'ou=users,o=example';
const dnOf = (uid: string): string => `uid=${uid},${USERS}`;
const seconds = (ms: number): number => Math.floor(ms / 1000);

function entry(dn: string, attributes: Record<string, string[]>): AccessEntry {
  return parseAccessEntry({ dn, attributes: new Map(Object.entries(attributes)) });
}

/** An access-control repository whose reads can be made to fail. */
class FlakyAccessControl implements AccessControlRepository {
  fail = false;
  readonly #inner: AccessControlRepository;
  constructor(inner: AccessControlRepository) {
    this.#inner = inner;
  }
  #check(): void {
    if (this.fail) throw new Error('SSO repository unreachable');
  }
  find(dn: string): Promise<AccessEntry | undefined> {
    return this.#inner.find(dn);
  }
  add(e: AccessEntry): Promise<void> {
    return this.#inner.add(e);
  }
  replace(e: AccessEntry): Promise<void> {
    return this.#inner.replace(e);
  }
  delete(dn: string): Promise<void> {
    return this.#inner.delete(dn);
  }
  list(): Promise<readonly AccessEntry[]>;
  list<K extends AccessEntryKind>(kind: K): Promise<readonly AccessEntryOf<K>[]>;
  async list(kind?: AccessEntryKind): Promise<readonly AccessEntry[]> {
    this.#check();
    return kind === undefined ? this.#inner.list() : this.#inner.list(kind);
  }
  async sites(): Promise<readonly SsoSite[]> {
    this.#check();
    return this.#inner.sites();
  }
  async resourcesOf(siteDn: string): Promise<readonly SsoResource[]> {
    this.#check();
    return this.#inner.resourcesOf(siteDn);
  }
}

/** Live sessions of a fake session-management server, counting its calls. */
class Sessions implements SessionValidator {
  readonly live = new Map<string, string>();
  calls = 0;
  validate(sessionId: string, uid: string): Promise<{ ok: true } | { ok: false; reason: string }> {
    this.calls++;
    return Promise.resolve(
      this.live.get(sessionId) === uid ? { ok: true } : { ok: false, reason: 'signed off' },
    );
  }
}

interface World {
  readonly server: BusinessServer;
  readonly users: MemoryUserRepository;
  readonly accessControl: FlakyAccessControl;
  readonly key: Uint8Array;
  /** The clock, milliseconds since the epoch. */
  clock: number;
  token(uid: string, claims?: Partial<CredentialClaims>): string;
  verify(token: string | undefined, urlPath: string, client?: string): Promise<Decision>;
  verifyUrl(token: string | undefined, url: string): Promise<Decision>;
  /** Business-log lines written since the last call, with the timestamp replaced by `[T]`. */
  lines(): string[];
  repositoryLines(): string[];
  addUser(uid: string, fields?: Partial<Omit<SsoUser, 'dn' | 'uid'>>): Promise<SsoUser>;
}

async function world(
  o: Partial<Pick<BusinessServerOptions, 'sessions' | 'sessionCacheMs' | 'denyUnknownPaths'>> & {
    readonly failFirstLoad?: boolean;
  } = {},
): Promise<World> {
  const memory = new MemoryAccessControlRepository();
  const accessControl = new FlakyAccessControl(memory);
  const add = (dn: string, a: Record<string, string[]>) => memory.add(entry(dn, a));
  await add('ou=sites,o=example', { objectClass: ['organizationalUnit'], ou: ['sites'] });
  await add('ou=roles,o=example', { objectClass: ['organizationalUnit'], ou: ['roles'] });
  for (const role of ['Admin', 'staff', 'auditor', 'weird']) {
    await add(`cn=${role},ou=roles,o=example`, { objectClass: ['ssoRole'], cn: [role] });
  }
  const roleSet = (cn: string, members: string[]) =>
    add(`cn=${cn},ou=roles,o=example`, {
      objectClass: ['ssoRoleSet'],
      cn: [cn],
      ssoRoleName: members,
    });
  // top → ops → {staff, auditors}; auditors → {auditor, ops} (a cycle)
  await roleSet('top', ['ops']);
  await roleSet('ops', ['staff', 'auditors']);
  await roleSet('auditors', ['auditor', 'ops']);
  const site = 'dc=app,dc=example,dc=com,ou=sites,o=example';
  await add(site, { objectClass: ['domain', 'ssoSite'], dc: ['app'], ssoPortNumber: ['443'] });
  await add('dc=other,dc=example,dc=com,ou=sites,o=example', {
    objectClass: ['domain', 'ssoSite'],
    dc: ['other'],
    ssoPortNumber: ['8443'],
  });
  const resource = (cn: string, roles: string[], under = site) =>
    add(`cn=${cn},${under}`, {
      objectClass: ['ssoResource'],
      cn: [cn],
      ...(roles.length > 0 ? { ssoRoleName: roles } : {}),
    });
  await resource('/admin/', ['admin']);
  await resource('/public/', ['staff']);
  await resource('/audit/', ['auditors']);
  await resource('/nobody/', []);
  await resource('/Docs/', ['staff']);
  await resource('/', ['weird'], 'dc=other,dc=example,dc=com,ou=sites,o=example');

  const users = new MemoryUserRepository();
  const key = deriveKeys(new Uint8Array(randomBytes(32))).credential;
  const business: BusinessRecord[] = [];
  const repository: RepositoryRecord[] = [];
  accessControl.fail = o.failFirstLoad === true;
  const w: World = {
    clock: NOW.getTime(),
    users,
    accessControl,
    key,
    server: new BusinessServer({
      users,
      accessControl,
      credentialKey: () => Promise.resolve(key),
      // As the product wires it (src/main/sso.ts): the key in memory, without a promise.
      credentialKeyNow: () => key,
      ...(o.sessions === undefined ? {} : { sessions: o.sessions }),
      ...(o.sessionCacheMs === undefined ? {} : { sessionCacheMs: o.sessionCacheMs }),
      ...(o.denyUnknownPaths === undefined ? {} : { denyUnknownPaths: o.denyUnknownPaths }),
      log: (r) => business.push(r),
      logRepository: (r) => repository.push(r),
      now: () => new Date(w.clock),
    }),
    token: (uid, claims = {}) =>
      sealCredential(key, {
        id: newCredentialId(),
        dn: dnOf(uid),
        uid,
        method: 'basicAuth',
        issuedAt: seconds(w.clock),
        expiresAt: seconds(w.clock) + 1800,
        sessionId: null,
        ...claims,
      }),
    verify: (token, urlPath, client = CLIENT) =>
      w.server.verify({ token, url: APP + urlPath, client, requestId: 'req-1' }),
    verifyUrl: (token, url) => w.server.verify({ token, url, client: CLIENT, requestId: 'req-1' }),
    lines: () =>
      business.splice(0).map((r) => {
        const line = formatAccessLine(r, { timeZoneOffsetMinutes: OFFSET });
        const parsed = parseBusinessLine(line);
        assert.ok(parsed, `the grammar does not parse ${line}`);
        assert.equal(parsed.requestId, r.requestId ?? 'unknown');
        assert.ok(!line.includes('\n') && !line.includes('\r'));
        return line.replace(TS, '[T]');
      }),
    repositoryLines: () =>
      repository.splice(0).map((r) => {
        const line = formatAccessLine(r, { timeZoneOffsetMinutes: OFFSET });
        assert.ok(parseRepositoryLine(line), line);
        return line.replace(TS, '[T]');
      }),
    addUser: async (uid, fields = {}) => {
      const u = newSsoUser(dnOf(uid), uid, fields);
      await users.add(u);
      return u;
    },
  };
  await w.addUser('alice', { ssoRoleName: ['admin', 'staff'] });
  await w.addUser('bob', { ssoRoleName: ['STAFF'] });
  await w.addUser('carol', { ssoRoleName: ['top'] });
  await w.addUser('dave', { ssoRoleName: ['ghost', 'Admin-not'] });
  return w;
}

/** A business-log line of this file's request (client, request ID). */
const line = (user: string, resource: string, result: string, session = ''): string =>
  `${CLIENT} [T] - "${user}" "${resource}" ${result}${session} RequestID="req-1" |`;
const ALLOWED = 'Authorization succeeded.';
const failed = (supplementary: string): string => `Authorization failed. (${supplementary})`;

describe('BusinessServer.verify: decisions and their lines', () => {
  it('allows a user with a role of the resource, and says who with which roles', async () => {
    const w = await world();
    assert.deepEqual(await w.verify(w.token('alice'), '/admin/index.html'), {
      kind: 'allow',
      uid: 'alice',
      dn: dnOf('alice'),
      roles: ['Admin', 'staff'],
    });
    assert.deepEqual(w.lines(), [line('alice', `${APP}/admin/index.html`, ALLOWED)]);
    assert.deepEqual(w.repositoryLines(), [
      'unknown - unknown [T] - "unknown" ResourceInfo succeeded. |',
    ]);
  });

  it('sends a request without a credential to sign on', async () => {
    const w = await world();
    assert.deepEqual(await w.verify(undefined, '/admin/'), { kind: 'signon' });
    assert.deepEqual(await w.verify('', '/admin/'), { kind: 'signon' });
    assert.deepEqual(w.lines(), [
      line('unknown', `${APP}/admin/`, failed('No credential')),
      line('unknown', `${APP}/admin/`, failed('No credential')),
    ]);
  });

  it('sends an expired credential to sign on', async () => {
    const w = await world();
    const t = w.token('alice');
    w.clock += 1800_000;
    assert.deepEqual(await w.verify(t, '/admin/'), { kind: 'signon' });
    assert.deepEqual(w.lines(), [line('unknown', `${APP}/admin/`, failed('Credential expired'))]);
  });

  it('opens credentials with the key in memory or through the promise alike, and after a regeneration tells the old ones apart', async () => {
    const w = await world();
    await w.addUser('taro', { ssoRoleName: ['admin'] });
    const oldToken = w.token('taro');
    let current = w.key;
    let previous: Uint8Array | undefined = undefined;
    let inMemory = true;
    const server = new BusinessServer({
      users: w.users,
      accessControl: w.accessControl,
      credentialKey: () => Promise.resolve(current),
      credentialKeyNow: () => (inMemory ? current : undefined),
      previousKey: () => previous,
      log: () => undefined,
      logRepository: () => undefined,
      now: () => new Date(w.clock),
    });
    const check = (token: string) =>
      server.verify({ token, url: APP + '/admin/x', client: CLIENT, requestId: 'r' });
    assert.equal((await check(oldToken)).kind, 'allow');
    inMemory = false;
    assert.equal((await check(oldToken)).kind, 'allow', 'the promise path answers the same');
    inMemory = true;
    // ssoupsid: a new key, the old one remembered as previous.
    previous = current;
    current = deriveKeys(new Uint8Array(randomBytes(32))).credential;
    for (const mode of [true, false]) {
      inMemory = mode;
      assert.deepEqual(await check(oldToken), { kind: 'signon' }, `in memory: ${String(mode)}`);
    }
    const fresh = sealCredential(current, {
      id: newCredentialId(),
      dn: dnOf('taro'),
      uid: 'taro',
      method: 'basicAuth',
      issuedAt: seconds(w.clock),
      expiresAt: seconds(w.clock) + 1800,
      sessionId: null,
    });
    inMemory = true;
    assert.equal((await check(fresh)).kind, 'allow');
  });

  it('verifyNow decides from memory alone, and writes nothing when something must be fetched', async () => {
    const w = await world();
    await w.addUser('taro', { ssoRoleName: ['admin'] });
    const req = { token: w.token('taro'), url: APP + '/admin/x', client: CLIENT, requestId: 'r' };
    assert.equal(w.server.verifyNow(req), undefined, 'no snapshot yet');
    assert.deepEqual(w.lines(), []);
    assert.equal((await w.server.verify(req)).kind, 'allow');
    assert.equal(w.lines().length, 1);
    assert.equal(w.server.verifyNow(req)?.kind, 'allow', 'all in memory now');
    assert.equal(w.lines().length, 1);
    w.clock += DEFAULT_SESSION_CACHE_MS + 1;
    assert.equal(w.server.verifyNow(req), undefined, 'the user entry must be read again');
    assert.deepEqual(w.lines(), []);
    // Refusals that need nothing fetched are decided at once.
    assert.equal(w.server.verifyNow({ ...req, token: undefined })?.kind, 'signon');
    assert.equal(w.server.verifyNow({ ...req, url: APP + '/admin/%2e%2e/x' })?.kind, 'deny');
    assert.equal(w.lines().length, 2);
  });

  it('sends a forged, altered, malformed or future credential to sign on', async () => {
    const w = await world();
    const good = w.token('alice');
    const other = deriveKeys(new Uint8Array(randomBytes(32))).credential;
    const forged = sealCredential(other, {
      id: newCredentialId(),
      dn: dnOf('alice'),
      uid: 'alice',
      method: 'basicAuth',
      issuedAt: seconds(w.clock),
      expiresAt: null,
      sessionId: null,
    });
    const flip = good.slice(0, 20) + (good[20] === 'A' ? 'B' : 'A') + good.slice(21);
    const future = w.token('alice', {
      issuedAt: seconds(w.clock) + 3600,
      expiresAt: seconds(w.clock) + 7200,
    });
    for (const t of [forged, flip, 'not-a-token', good.slice(0, -2), future]) {
      assert.deepEqual(await w.verify(t, '/admin/'), { kind: 'signon' });
    }
    assert.deepEqual(
      w.lines(),
      Array(5).fill(line('unknown', `${APP}/admin/`, failed('Invalid credential'))),
    );
  });

  it('denies a user none of whose roles the resource names', async () => {
    const w = await world();
    assert.deepEqual(await w.verify(w.token('bob'), '/admin/'), { kind: 'deny' });
    assert.deepEqual(await w.verify(w.token('alice'), '/nobody/x'), { kind: 'deny' });
    assert.deepEqual(await w.verify(w.token('dave'), '/admin/'), { kind: 'deny' });
    assert.deepEqual(w.lines(), [
      line('bob', `${APP}/admin/`, failed('Role mismatch')),
      line('alice', `${APP}/nobody/x`, failed('Role mismatch')),
      line('dave', `${APP}/admin/`, failed('Role mismatch')),
    ]);
  });

  it('expands nested role sets (with a cycle) and matches names case-insensitively', async () => {
    const w = await world();
    const carol = w.token('carol');
    const expected: Decision = {
      kind: 'allow',
      uid: 'carol',
      dn: dnOf('carol'),
      roles: ['auditor', 'auditors', 'ops', 'staff', 'top'],
    };
    assert.deepEqual(await w.verify(carol, '/audit/x'), expected);
    assert.deepEqual(await w.verify(carol, '/public/'), expected);
    assert.deepEqual(await w.verify(carol, '/admin/'), { kind: 'deny' });
    assert.equal((await w.verify(w.token('bob'), '/public/')).kind, 'allow');
    assert.equal((await w.verify(w.token('bob'), '/docs/a')).kind, 'allow');
    assert.deepEqual(w.lines(), [
      line('carol', `${APP}/audit/x`, ALLOWED),
      line('carol', `${APP}/public/`, ALLOWED),
      line('carol', `${APP}/admin/`, failed('Role mismatch')),
      line('bob', `${APP}/public/`, ALLOWED),
      line('bob', `${APP}/docs/a`, ALLOWED),
    ]);
  });

  it('matches paths and hosts case-insensitively', async () => {
    const w = await world();
    assert.deepEqual(await w.verify(w.token('bob'), '/ADMIN/'), { kind: 'deny' });
    assert.deepEqual(await w.verify(w.token('bob'), '/Admin/x'), { kind: 'deny' });
    assert.equal((await w.verify(w.token('alice'), '/ADMIN/x')).kind, 'allow');
    assert.equal(
      (await w.verifyUrl(w.token('alice'), 'https://APP.Example.COM/admin/')).kind,
      'allow',
    );
    assert.deepEqual(w.lines().slice(0, 2), [
      line('bob', `${APP}/ADMIN/`, failed('Role mismatch')),
      line('bob', `${APP}/Admin/x`, failed('Role mismatch')),
    ]);
  });

  it('denies a refused path, and an unregistered path unless told to pass it', async () => {
    const w = await world();
    assert.deepEqual(await w.verify(w.token('bob'), '/public/%2e%2e/admin/'), { kind: 'deny' });
    assert.deepEqual(await w.verify(undefined, '/elsewhere'), { kind: 'deny' });
    assert.deepEqual(w.lines(), [
      line('bob', `${APP}/public/%2e%2e/admin/`, failed('Invalid path')),
      line('unknown', `${APP}/elsewhere`, failed('Resource not registered')),
    ]);
    const open = await world({ denyUnknownPaths: false });
    assert.deepEqual(await open.verify(undefined, '/elsewhere'), {
      kind: 'unprotected',
      reason: 'path',
    });
    assert.deepEqual(await open.verify(undefined, '/admin/'), { kind: 'signon' });
    assert.deepEqual(await open.verify(open.token('bob'), '//admin/'), { kind: 'deny' });
    assert.deepEqual(open.lines(), [
      line('unknown', `${APP}/elsewhere`, 'Authorization succeeded. (Resource not protected)'),
      line('unknown', `${APP}/admin/`, failed('No credential')),
      line('bob', `${APP}//admin/`, failed('Invalid path')),
    ]);
  });

  it('calls a host and port that is no registered site unprotected; refuses malformed URLs', async () => {
    const w = await world();
    const alice = w.token('alice');
    for (const url of [
      'https://evil.example.com/admin/',
      'https://app.example.com:8443/admin/',
      'https://other.example.com/admin/',
    ]) {
      assert.deepEqual(await w.verifyUrl(alice, url), { kind: 'unprotected', reason: 'site' });
    }
    for (const url of [
      'https://app.example.com./admin/',
      'http://app.example.com/admin/',
      'https://alice@app.example.com/admin/',
    ]) {
      assert.deepEqual(await w.verifyUrl(alice, url), { kind: 'deny' });
    }
    assert.deepEqual(w.lines(), [
      line('alice', 'https://evil.example.com/admin/', failed('Site not registered')),
      line('alice', 'https://app.example.com:8443/admin/', failed('Site not registered')),
      line('alice', 'https://other.example.com/admin/', failed('Site not registered')),
      line('alice', 'https://app.example.com./admin/', failed('Invalid request')),
      line('alice', 'http://app.example.com/admin/', failed('Invalid request')),
      line('alice', 'https://alice@app.example.com/admin/', failed('Invalid request')),
    ]);
    // The other site's port is 8443.
    const weird = await w.addUser('wendy', { ssoRoleName: ['weird'] });
    assert.equal(
      (await w.verifyUrl(w.token(weird.uid), 'https://other.example.com:8443/x')).kind,
      'allow',
    );
  });

  it('writes the resource escaped and cut at 2048 characters; RequestID and client as given', async () => {
    const w = await world();
    await w.server.verify({
      token: undefined,
      url: `${APP}/admin/"x\n`,
      client: undefined,
      requestId: undefined,
    });
    await w.verify(undefined, '/admin/' + 'a'.repeat(3000));
    const [quoted, long] = w.lines();
    assert.equal(
      quoted,
      `unknown [T] - "unknown" "${APP}/admin/\\"x\\x0A" Authorization failed. (Invalid path) RequestID="unknown" |`,
    );
    assert.equal(
      long,
      line('unknown', (`${APP}/admin/` + 'a'.repeat(3000)).slice(0, 2048), failed('No credential')),
    );
  });

  it("signs on again a user that is gone, locked, outside its period or not the credential's", async () => {
    const w = await world();
    await w.addUser('locked', {
      ssoRoleName: ['admin'],
      ssoUserStatus: 'locked',
      ssoFailureCount: 5,
    });
    await w.addUser('expired', {
      ssoRoleName: ['admin'],
      ssoNotAfter: new Date('2030-01-01T00:00:00Z'),
    });
    await w.addUser('early', {
      ssoRoleName: ['admin'],
      ssoNotBefore: new Date('2031-01-01T00:00:00Z'),
    });
    await w.users.add(
      newSsoUser(dnOf('nosso'), 'nosso', {
        objectClass: ['inetOrgPerson'],
        ssoRoleName: ['admin'],
      }),
    );
    const cases: [string, string][] = [
      [w.token('ghost'), 'Entry not found'],
      [w.token('alice', { uid: 'mallory' }), 'Entry not found'],
      [w.token('nosso'), 'Entry not found'],
      [w.token('locked'), 'User locked'],
      [w.token('expired'), 'Outside validity period'],
      [w.token('early'), 'Outside validity period'],
    ];
    for (const [t] of cases) assert.deepEqual(await w.verify(t, '/admin/'), { kind: 'signon' });
    assert.deepEqual(
      w.lines(),
      cases.map(([, s], i) =>
        line(
          ['ghost', 'mallory', 'nosso', 'locked', 'expired', 'early'][i]!,
          `${APP}/admin/`,
          failed(s),
        ),
      ),
    );
  });

  it('denies a user whose uid, DN or roles hold control characters (no header can be split)', async () => {
    const w = await world();
    const uid = 'evil\r\nX-Sekisho-User admin';
    await w.addUser(uid, { ssoRoleName: ['admin'] });
    assert.deepEqual(await w.verify(w.token(uid), '/admin/'), { kind: 'deny' });
    assert.deepEqual(w.lines(), [
      line(
        'evil\\x0D\\x0AX-Sekisho-User admin',
        `${APP}/admin/`,
        failed('Invalid user information'),
      ),
    ]);
  });

  it('rejects, writing no line, when the credential key or the user repository fails', async () => {
    const w = await world();
    await w.verify(undefined, '/admin/');
    w.lines();
    const broken = new BusinessServer({
      users: w.users,
      accessControl: w.accessControl,
      credentialKey: () => Promise.reject(new Error('KEK unavailable')),
      log: () => assert.fail('no line'),
      logRepository: () => undefined,
    });
    await assert.rejects(
      broken.verify({
        token: w.token('alice'),
        url: `${APP}/admin/`,
        client: CLIENT,
        requestId: undefined,
      }),
      /KEK unavailable/,
    );
    assert.throws(() => new BusinessServer({ ...optionsOf(w), sessionCacheMs: -1 }), RangeError);
    assert.throws(() => new BusinessServer({ ...optionsOf(w), sessionCacheMs: 1.5 }), RangeError);
  });
});

function optionsOf(w: World): BusinessServerOptions {
  return {
    users: w.users,
    accessControl: w.accessControl,
    credentialKey: () => Promise.resolve(w.key),
    log: () => undefined,
    logRepository: () => undefined,
  };
}

describe('BusinessServer: the cache bound', () => {
  it(`re-reads a user's roles at most every sessionCacheMs (default ${DEFAULT_SESSION_CACHE_MS} ms)`, async () => {
    const w = await world();
    const alice = w.token('alice');
    assert.equal((await w.verify(alice, '/admin/')).kind, 'allow');
    await w.users.modify(userDn(dnOf('alice')), { ssoRoleName: ['staff'] });
    w.clock += DEFAULT_SESSION_CACHE_MS - 1;
    assert.equal((await w.verify(alice, '/admin/')).kind, 'allow', 'within the bound: cached');
    w.clock += 1;
    assert.deepEqual(await w.verify(alice, '/admin/'), { kind: 'deny' });
    await w.users.modify(userDn(dnOf('alice')), { ssoRoleName: ['top', 'admin'] });
    w.clock += DEFAULT_SESSION_CACHE_MS;
    assert.deepEqual(await w.verify(alice, '/audit/'), {
      kind: 'allow',
      uid: 'alice',
      dn: dnOf('alice'),
      roles: ['Admin', 'auditor', 'auditors', 'ops', 'staff', 'top'],
    });
  });

  it('applies a lock within the bound, or at once after forgetUser; 0 disables the cache', async () => {
    const w = await world();
    const alice = w.token('alice');
    assert.equal((await w.verify(alice, '/admin/')).kind, 'allow');
    const policy = lockoutPolicy({ maxFailureCount: 1 });
    await w.users.recordFailure(userDn(dnOf('alice')), policy, new Date(w.clock));
    assert.equal((await w.verify(alice, '/admin/')).kind, 'allow');
    w.clock += DEFAULT_SESSION_CACHE_MS;
    assert.deepEqual(await w.verify(alice, '/admin/'), { kind: 'signon' });
    assert.equal(w.lines().at(-1), line('alice', `${APP}/admin/`, failed('User locked')));

    const b = w.token('bob');
    assert.equal((await w.verify(b, '/public/')).kind, 'allow');
    await w.users.recordFailure(userDn(dnOf('bob')), policy, new Date(w.clock));
    w.server.forgetUser(dnOf('BOB'));
    assert.deepEqual(await w.verify(b, '/public/'), { kind: 'signon' });

    const nocache = await world({ sessionCacheMs: 0 });
    const c = nocache.token('alice');
    assert.equal((await nocache.verify(c, '/admin/')).kind, 'allow');
    await nocache.users.delete(userDn(dnOf('alice')));
    assert.deepEqual(await nocache.verify(c, '/admin/'), { kind: 'signon' });
  });

  it('asks session management at most every sessionCacheMs per session; a sign-off applies within it', async () => {
    const sessions = new Sessions();
    const w = await world({ sessions });
    sessions.live.set('S1', 'alice');
    const t = w.token('alice', { sessionId: 'S1' });
    assert.equal((await w.verify(t, '/admin/')).kind, 'allow');
    assert.equal((await w.verify(t, '/admin/')).kind, 'allow');
    assert.equal(sessions.calls, 1);
    sessions.live.delete('S1'); // signed off
    w.clock += DEFAULT_SESSION_CACHE_MS - 1;
    assert.equal((await w.verify(t, '/admin/')).kind, 'allow');
    w.clock += 1;
    assert.deepEqual(await w.verify(t, '/admin/'), { kind: 'signon' });
    assert.equal(sessions.calls, 2);
    assert.deepEqual(w.lines(), [
      line('alice', `${APP}/admin/`, ALLOWED, ' SessionID="S1" Server="unknown"'),
      line('alice', `${APP}/admin/`, ALLOWED, ' SessionID="S1" Server="unknown"'),
      line('alice', `${APP}/admin/`, ALLOWED, ' SessionID="S1" Server="unknown"'),
      line('alice', `${APP}/admin/`, failed('Invalid session'), ' SessionID="S1" Server="unknown"'),
    ]);

    // Another client asks again; forgetSession applies a sign-off at once.
    sessions.live.set('S2', 'bob');
    const b = w.token('bob', { sessionId: 'S2' });
    assert.equal((await w.verify(b, '/public/')).kind, 'allow');
    assert.equal((await w.verify(b, '/public/', '198.51.100.1')).kind, 'allow');
    assert.equal(sessions.calls, 4);
    sessions.live.delete('S2');
    w.server.forgetSession('S2');
    assert.deepEqual(await w.verify(b, '/public/', '198.51.100.1'), { kind: 'signon' });

    // With session management on, a credential without a session is not enough.
    assert.deepEqual(await w.verify(w.token('alice'), '/admin/'), { kind: 'signon' });
    assert.equal(
      w.lines().at(-1),
      line(
        'alice',
        `${APP}/admin/`,
        failed('Invalid session'),
        ' SessionID="unknown" Server="unknown"',
      ),
    );
  });
});

describe('BusinessServer: cross-node invalidation (forgetAll, setCaching)', () => {
  it('forgetAll drops every cached answer; setCaching(false) keeps none until turned on again', async () => {
    const sessions = new Sessions();
    const w = await world({ sessions });
    sessions.live.set('S1', 'alice');
    const t = w.token('alice', { sessionId: 'S1' });
    assert.equal((await w.verify(t, '/admin/')).kind, 'allow');
    assert.equal((await w.verify(t, '/admin/')).kind, 'allow');
    assert.equal(sessions.calls, 1);
    w.server.forgetAll();
    assert.equal((await w.verify(t, '/admin/')).kind, 'allow');
    assert.equal(sessions.calls, 2, 'asked again after forgetAll');

    w.server.setCaching(false);
    for (let i = 0; i < 3; i++) assert.equal((await w.verify(t, '/admin/')).kind, 'allow');
    assert.equal(sessions.calls, 5, 'asked at every request while caching is off');
    sessions.live.delete('S1');
    assert.deepEqual(await w.verify(t, '/admin/'), { kind: 'signon' });
    sessions.live.set('S1', 'alice');
    w.server.setCaching(true);
    assert.equal((await w.verify(t, '/admin/')).kind, 'allow');
    assert.equal((await w.verify(t, '/admin/')).kind, 'allow');
    assert.equal(sessions.calls, 7, 'cached again');
  });

  it('an answer read before a forget that arrives meanwhile is not cached', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let entered: () => void = () => undefined;
    const inFlight = new Promise<void>((r) => {
      entered = r;
    });
    let calls = 0;
    const slow: SessionValidator = {
      validate: async () => {
        calls++;
        if (calls === 1) {
          entered();
          await gate;
        }
        return { ok: true };
      },
    };
    const w = await world({ sessions: slow });
    const t = w.token('alice', { sessionId: 'S1' });
    const first = w.verify(t, '/admin/');
    // Another node signs S1 off while this node's first check is in flight.
    await inFlight;
    w.server.forgetSession('S1');
    release();
    assert.equal((await first).kind, 'allow');
    await w.verify(t, '/admin/');
    assert.equal(calls, 2, 'the stale answer was not kept');
  });
});

describe('BusinessServer: the access-control snapshot', () => {
  it('applies changes only after updateAccessControl, and keeps the old snapshot when it fails', async () => {
    const w = await world();
    const bob = w.token('bob');
    assert.deepEqual(await w.verify(bob, '/new/'), { kind: 'deny' });
    await w.accessControl.add(
      entry('cn=/new/,dc=app,dc=example,dc=com,ou=sites,o=example', {
        objectClass: ['ssoResource'],
        cn: ['/new/'],
        ssoRoleName: ['ops'],
      }),
    );
    assert.deepEqual(await w.verify(bob, '/new/'), { kind: 'deny' }, 'not before the update');
    assert.deepEqual(await w.server.updateAccessControl('10.0.0.9'), { ok: true });
    assert.deepEqual(await w.verify(bob, '/new/'), { kind: 'deny' }, 'bob has staff, not ops');
    assert.equal((await w.verify(w.token('carol'), '/new/')).kind, 'allow');

    w.accessControl.fail = true;
    const result = await w.server.updateAccessControl('10.0.0.9');
    assert.equal(result.ok, false);
    assert.equal((await w.verify(w.token('carol'), '/new/')).kind, 'allow', 'old snapshot kept');
    assert.deepEqual(w.repositoryLines(), [
      'unknown - unknown [T] - "unknown" ResourceInfo succeeded. |',
      'unknown - 10.0.0.9 [T] - "unknown" ResourceInfo succeeded. |',
      'unknown - 10.0.0.9 [T] - "unknown" ResourceInfo failed. (Abnormalities in access of SSO Repository) |',
    ]);
  });

  it('a failed first load rejects the request (no line) and is retried by the next one', async () => {
    const w = await world({ failFirstLoad: true });
    await assert.rejects(w.verify(w.token('alice'), '/admin/'), /unreachable/);
    assert.deepEqual(w.lines(), []);
    w.accessControl.fail = false;
    assert.equal((await w.verify(w.token('alice'), '/admin/')).kind, 'allow');
    assert.deepEqual(w.repositoryLines(), [
      'unknown - unknown [T] - "unknown" ResourceInfo failed. (Abnormalities in access of SSO Repository) |',
      'unknown - unknown [T] - "unknown" ResourceInfo succeeded. |',
    ]);
  });

  it('loadAccessControl builds a frozen snapshot without installing it', async () => {
    const w = await world();
    const snap = await w.server.loadAccessControl();
    assert.ok(Object.isFrozen(snap) && Object.isFrozen(snap.sites));
    assert.deepEqual(snap.sites.map((s) => s.host).sort(), [
      'app.example.com',
      'other.example.com',
    ]);
    assert.deepEqual([...(snap.expansion.get('top') ?? [])].sort(), [
      'auditor',
      'auditors',
      'ops',
      'staff',
      'top',
    ]);
    assert.deepEqual(w.repositoryLines(), []);
  });
});

/** Spellings of `/admin/…` that bob (staff, not admin) tries; none may be allowed. */
const TRICKS: readonly string[] = [
  '/admin/',
  '/ADMIN/',
  '/Admin/secret',
  '/%61dmin/',
  '/%41DMIN/',
  '/public/../admin/',
  '/public/./../admin/',
  '/public/%2e%2e/admin/',
  '/public/%2E%2E/admin/',
  '/public/.%2e/admin/',
  '/public/..%2fadmin/',
  '/public%2f..%2fadmin/',
  '/public/..%5cadmin/',
  '/public/..\\admin/',
  '/public/%252e%252e/admin/',
  '/public/%25%32%65%25%32%65/admin/',
  '/public/%c0%ae%c0%ae/admin/',
  '/public/%e0%80%ae%e0%80%ae/admin/',
  '/public/%ef%bc%8e%ef%bc%8e/admin/',
  '/public/%ef%bc%8fadmin/',
  '/public/..;/admin/',
  '/public;/../admin/',
  '/admin;x=1/',
  '/public/%00/../admin/',
  '/public/%0d%0a/../admin/',
  '/public/../admin%00/',
  '//admin/',
  '/./admin/',
  '/admin./',
  '/admin%2e/',
  '/admin%20/',
  '/public/ /../admin/',
  '/public/\t/../admin/',
  '/public/#/../admin/',
  '/admin',
  '/ADMIN',
];

describe('BusinessServer: path tricks', () => {
  it('no spelling of /admin/ lets a user without its role through', async () => {
    const w = await world({ denyUnknownPaths: false });
    const bob = w.token('bob');
    for (const p of TRICKS) {
      const d = await w.verify(bob, p);
      assert.ok(d.kind === 'deny', `${p}: ${d.kind}`);
    }
    // The query is not part of the path: this is /public/.
    assert.equal((await w.verify(bob, '/public/?x=/../admin/')).kind, 'allow');
    assert.equal(w.lines().length, TRICKS.length + 1);
  });

  it('property: whatever bob is allowed or passed, no decoder reads as /admin or under /admin/', async () => {
    const w = await world({ denyUnknownPaths: false });
    const bob = w.token('bob');
    let passed = 0;
    const pieces = [
      '/',
      '/',
      '.',
      '..',
      '%2e',
      '%2E',
      '%2f',
      '%5c',
      '\\',
      '%25',
      '%00',
      ';',
      '%3b',
      ' ',
      '%20',
      'admin',
      'ADMIN',
      '%61dmin',
      'public',
      'x',
      '%c0%ae',
      '%ef%bc%8f',
      '?',
      '#',
      '%2525',
    ];
    // Readings an application server behind the proxy might make of a path.
    const readings = (p: string): string[] => {
      const out: string[] = [];
      const tryDecode = (s: string): string | undefined => {
        try {
          return decodeURIComponent(s);
        } catch {
          return undefined;
        }
      };
      const norm = (s: string): string =>
        path.posix.normalize(s.replace(/\\/g, '/').replace(/;[^/]*/g, '')).toLowerCase();
      const once = tryDecode(p.split('?')[0]!);
      if (once !== undefined) {
        out.push(norm(once));
        const twice = tryDecode(once);
        if (twice !== undefined) out.push(norm(twice));
        out.push(norm(once.normalize('NFKC')));
      }
      const u = URL.parse('https://app.example.com' + p);
      if (u !== null) out.push(norm(tryDecode(u.pathname) ?? u.pathname));
      return out;
    };
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...pieces), { maxLength: 10 }), async (parts) => {
        const p = '/' + parts.join('');
        const d = await w.verify(bob, p);
        if (d.kind === 'allow' || d.kind === 'unprotected') {
          passed++;
          for (const r of readings(p)) {
            assert.ok(r !== '/admin' && !r.startsWith('/admin/'), `${p} read as ${r}: ${d.kind}`);
          }
        }
      }),
      { numRuns: 2000 },
    );
    assert.ok(passed > 100, `only ${passed} paths passed: the property says little`);
  });
});

describe('docs/business.md', () => {
  it('every example business-log line follows the grammar', () => {
    const doc = readFileSync(new URL('../../../docs/business.md', import.meta.url), 'utf8');
    const blocks = [...doc.matchAll(/```text\n([\s\S]*?)```/g)].map((m) => m[1]!);
    const lines = blocks.flatMap((b) => b.split('\n').filter((l) => l.endsWith(' |')));
    assert.ok(lines.length >= 4);
    for (const l of lines) assert.ok(parseBusinessLine(l) ?? parseRepositoryLine(l), l);
  });
});
