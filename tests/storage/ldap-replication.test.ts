/**
 * Update-type and reference-type repository servers over a real slapd provider (syncprov) and
 * two syncrepl consumers (one replicating over LDAPS, one over StartTLS), through
 * ReplicatedUserRepository and the RepositoryServer:
 * - the UserRepository contract, writes through the provider and reads through a consumer
 *   (each write waits for the consumer to catch up: the contract reads its own writes);
 * - reads are served by the first consumer: they still work with the provider stopped;
 * - a consumer down: reads go to the next in order, then to the provider, with no error to the
 *   caller; a consumer back: reads return to it once its back-off has passed;
 * - a consumer lagging (it cannot reach the provider and serves old entries): the failure
 *   count and the lock stay right, a lock made on the provider holds, an unlock too;
 * - the provider going down in the middle of a sign-on: SSO_REPOSITORY_UNAVAILABLE with the
 *   access-log supplementary of a connect failure, and reads still served by the consumer;
 * - `repository.ldap.reference-urls` through openServices: the same, as configured.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.ts';
import type { RepositoryRecord } from '../../src/logs/index.ts';
import { openServices, repositoryAdapters } from '../../src/main/services.ts';
import { MemorySystemLog } from '../../src/logs/index.ts';
import { isRepositoryUnavailable } from '../../src/sso/core/errors.ts';
import { lockoutPolicy } from '../../src/sso/core/lockout.ts';
import { createPasswordHasher } from '../../src/sso/core/password.ts';
import { newSsoUser, userDn, type SsoUser } from '../../src/sso/core/user.ts';
import type { UserRepository } from '../../src/sso/ports/user-repository.ts';
import { RepositoryServer } from '../../src/sso/servers/repository-server.ts';
import { LdapPool } from '../../src/storage/ldap/connection.ts';
import { childDn } from '../../src/storage/ldap/dn.ts';
import {
  ReplicatedUserRepository,
  type FailoverEvent,
} from '../../src/storage/ldap/replicated-user-repository.ts';
import { LdapUserRepository } from '../../src/storage/ldap/user-store.ts';
import { sshaPassword, startSlapd, waitForReplication, type Slapd } from '../helpers/slapd.ts';
import { LIGHT } from '../sso/servers/harness.ts';
import { describeUserRepositoryContract } from '../sso/core/user-repository-contract.ts';

const provider = await startSlapd({ suffix: 'o=example', replication: { role: 'provider' } });
const consumer = await startSlapd({ replication: { role: 'consumer', provider } });
const consumer2 = await startSlapd({
  replication: { role: 'consumer', provider, transport: 'starttls' },
});
after(async () => {
  await consumer2.close();
  await consumer.close();
  await provider.close();
});
const ca = readFileSync(provider.caFile, 'utf8');
const pools: LdapPool[] = [];
after(() => Promise.all(pools.map((p) => p.close())));

const caughtUp = async (): Promise<void> => {
  await waitForReplication(consumer, provider);
  await waitForReplication(consumer2, provider);
};

/** An empty user tree under o=example, on every server. */
async function freshTree(): Promise<void> {
  await provider.removeTree('ou=User,o=example');
  const client = await provider.rootClient();
  try {
    for (const e of (
      await client.search('o=example', { scope: 'one', filter: '(uid=*)', attributes: ['1.1'] })
    ).searchEntries) {
      await client.del(e.dn);
    }
  } finally {
    await client.unbind();
  }
  await provider.addEntries([
    { dn: 'ou=User,o=example', attributes: { objectClass: 'organizationalUnit', ou: 'User' } },
  ]);
  await caughtUp();
}

function poolOf(server: Slapd): LdapPool {
  const pool = new LdapPool({
    url: server.ldapsUrl,
    ca,
    bindDn: server.serviceDn,
    bindPassword: server.servicePassword,
    timeoutMs: 3000,
  });
  pools.push(pool);
  return pool;
}

const repoOn = (pool: LdapPool): LdapUserRepository =>
  new LdapUserRepository({ pool, userBase: 'o=example' });

interface Rig {
  readonly repo: ReplicatedUserRepository;
  readonly events: FailoverEvent[];
  /** The names of the servers that served reads since the last call. */
  served(): string[];
  /** Moves the rig's clock (the back-off) forward. */
  advance(ms: number): void;
  /** Direct access to each server (inspection). */
  readonly on: { provider: LdapUserRepository; consumer: LdapUserRepository };
}

function rig(): Rig {
  const events: FailoverEvent[] = [];
  const clock = { now: 1_000_000 };
  const providerRepo = repoOn(poolOf(provider));
  const consumerRepo = repoOn(poolOf(consumer));
  const repo = new ReplicatedUserRepository({
    update: { name: 'provider', repo: providerRepo },
    references: [
      { name: 'consumer', repo: consumerRepo },
      { name: 'consumer2', repo: repoOn(poolOf(consumer2)) },
    ],
    retryAfterMs: 5000,
    onEvent: (e) => events.push(e),
    now: () => clock.now,
  });
  let seen = 0;
  return {
    repo,
    events,
    served: () => {
      const out = events
        .slice(seen)
        .filter((e) => e.kind === 'served')
        .map((e) => e.server);
      seen = events.length;
      return out;
    },
    advance: (ms) => {
      clock.now += ms;
    },
    on: { provider: providerRepo, consumer: consumerRepo },
  };
}

/** `repo` with some methods replaced (the others delegate to it). */
function delegating(repo: UserRepository, overrides: Partial<UserRepository>): UserRepository {
  return {
    findByUid: (u) => repo.findByUid(u),
    findByDn: (d) => repo.findByDn(d),
    findByCertificate: (a, v) => repo.findByCertificate(a, v),
    listUsers: (p) => repo.listUsers(p),
    searchUsers: (q) => repo.searchUsers(q),
    add: (u) => repo.add(u),
    modify: (d, c) => repo.modify(d, c),
    delete: (d) => repo.delete(d),
    recordFailure: (d, p, n) => repo.recordFailure(d, p, n),
    resetFailures: (d) => repo.resetFailures(d),
    unlock: (d) => repo.unlock(d),
    ...(repo.findCurrent === undefined ? {} : { findCurrent: (d) => repo.findCurrent!(d) }),
    ...overrides,
  };
}

/** The replicated repository, each write waiting until both consumers hold it. */
function readingItsWrites(repo: UserRepository): UserRepository {
  const wait =
    <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      try {
        return await fn(...a);
      } finally {
        await caughtUp();
      }
    };
  return delegating(repo, {
    add: wait((u) => repo.add(u)),
    modify: wait((d, c) => repo.modify(d, c)),
    delete: wait((d) => repo.delete(d)),
    recordFailure: wait((d, p, n) => repo.recordFailure(d, p, n)),
    resetFailures: wait((d) => repo.resetFailures(d)),
    unlock: wait((d) => repo.unlock(d)),
  });
}

describeUserRepositoryContract('ldap replicated (provider writes, consumer reads)', async () => {
  await freshTree();
  const r = rig();
  return {
    repo: readingItsWrites(r.repo),
    close: () => {
      // Every read of the contract came from the first consumer.
      assert.deepEqual(
        new Set(r.events.map((e) => `${e.kind}:${e.server}`)),
        new Set(r.events.length === 0 ? [] : ['served:consumer']),
      );
      return Promise.resolve();
    },
  };
});

const PASSWORD = 'right-pw';
const WRONG = 'wrong-pw';
const T0 = new Date('2030-01-01T00:00:00Z');

function person(uid: string, fields: Parameters<typeof newSsoUser>[2] = {}): SsoUser {
  return newSsoUser(childDn('uid', uid, 'ou=User,o=example'), uid, {
    cn: [uid],
    sn: [uid],
    mail: [`${uid}@example.com`],
    userPassword: sshaPassword(PASSWORD),
    ...fields,
  });
}

/** A repository server over `users`, its access-log records kept. */
function repositoryServer(users: UserRepository, maxFailureCount = 3) {
  const records: RepositoryRecord[] = [];
  const server = new RepositoryServer({
    users,
    hasher: createPasswordHasher({ params: LIGHT }),
    policy: () => ({ maxFailureCount, lockOutTimeMinutes: undefined }),
    certificateMappingAttribute: 'mail',
    compareStoredCertificate: false,
    log: (r) => records.push(r),
    systemLog: new MemorySystemLog(),
    now: () => T0,
  });
  const signOn = (uid: string, password: string) =>
    server.authenticate({ client: '127.0.0.1', authServer: '127.0.0.1', uid, password });
  return { server, records, signOn };
}

void describe('update and reference servers (slapd provider + syncrepl consumers)', () => {
  before(freshTree);

  void it('reads are served by the first consumer: they work with the provider stopped', async () => {
    const r = rig();
    const alice = person('alice');
    await r.repo.add(alice);
    await caughtUp();
    await provider.stop();
    try {
      assert.equal((await r.repo.findByUid('alice'))?.dn, alice.dn);
      assert.equal((await r.repo.findByDn(userDn(alice.dn)))?.uid, 'alice');
      assert.equal((await r.repo.findByCertificate('mail', 'ALICE@example.com')).length, 1);
      assert.ok((await r.repo.listUsers({ cursor: undefined, limit: 10 })).items.length >= 1);
      assert.deepEqual(r.served(), ['consumer', 'consumer', 'consumer', 'consumer']);
      // Writes go to the provider only: refused while it is down, not sent to a consumer.
      await assert.rejects(r.repo.modify(userDn(alice.dn), { cn: ['A'] }), isRepositoryUnavailable);
      await assert.rejects(
        r.repo.recordFailure(userDn(alice.dn), lockoutPolicy({ maxFailureCount: 3 }), T0),
        isRepositoryUnavailable,
      );
    } finally {
      await provider.start();
    }
    assert.equal(r.events.filter((e) => e.kind === 'unavailable').length, 0);
  });

  void it('consumer down: reads go down the order with no error; back: reads return to it', async () => {
    const r = rig();
    const bob = person('bob');
    await r.repo.add(bob);
    await caughtUp();
    await consumer.stop();
    try {
      assert.equal((await r.repo.findByUid('bob'))?.dn, bob.dn);
      assert.deepEqual(
        r.events.map((e) => `${e.kind}:${e.server}`),
        ['unavailable:consumer', 'served:consumer2'],
      );
      assert.deepEqual(r.served(), ['consumer2']);
      // Backing off: the next reads do not try the stopped consumer again.
      await r.repo.findByUid('bob');
      assert.deepEqual(r.served(), ['consumer2']);
      assert.equal(r.events.filter((e) => e.kind === 'unavailable').length, 1);
      await consumer2.stop();
      try {
        // Both consumers down: the update server answers.
        assert.equal((await r.repo.findByUid('bob'))?.dn, bob.dn);
        assert.deepEqual(r.served(), ['provider']);
      } finally {
        await consumer2.start();
      }
    } finally {
      await consumer.start();
    }
    await caughtUp();
    // consumer2 succeeded again at once (its back-off is over when it answers); consumer is
    // retried once its back-off has passed.
    r.advance(5001);
    assert.equal((await r.repo.findByUid('bob'))?.dn, bob.dn);
    assert.deepEqual(r.served(), ['consumer']);
  });

  void it('every server down: SSO_REPOSITORY_UNAVAILABLE (connect) after trying each', async () => {
    const r = rig();
    await Promise.all([consumer.stop(), consumer2.stop(), provider.stop()]);
    try {
      await assert.rejects(
        r.repo.findByUid('bob'),
        (e: unknown) => isRepositoryUnavailable(e) && e.reason === 'connect',
      );
      assert.deepEqual(
        r.events.map((e) => `${e.kind}:${e.server}`),
        ['unavailable:consumer', 'unavailable:consumer2', 'unavailable:provider'],
      );
    } finally {
      await provider.start();
      await Promise.all([consumer.start(), consumer2.start()]);
    }
    await caughtUp();
  });

  void it('a lagging consumer: failure count and lock stay right; a lock holds at once', async () => {
    const r = rig();
    const carol = person('carol');
    await r.repo.add(carol);
    await caughtUp();
    const { signOn, records } = repositoryServer(r.repo, 3);
    const dn = userDn(carol.dn);
    await withLaggingConsumer(async () => {
      // Two failures on the provider; the consumer still shows none.
      await r.repo.recordFailure(dn, lockoutPolicy({ maxFailureCount: 3 }), T0);
      await r.repo.recordFailure(dn, lockoutPolicy({ maxFailureCount: 3 }), T0);
      assert.equal((await r.on.consumer.findByDn(dn))?.ssoFailureCount, 0);
      // The third failure locks: the count is read on the provider, not on the consumer.
      const third = await signOn('carol', WRONG);
      assert.equal(third.outcome.outcome, 'failed');
      const stored = await r.on.provider.findByDn(dn);
      assert.equal(stored?.ssoUserStatus, 'locked');
      assert.equal(stored.ssoFailureCount, 3);
      assert.equal((await r.on.consumer.findByDn(dn))?.ssoUserStatus, 'good');
      assert.deepEqual(
        records.map((x) => x.supplementary),
        ['USER_LOCKED', 'USER_LOCKED_UPDATE'],
      );
      // The right password on the lagging consumer's unlocked copy: still locked.
      const right = await signOn('carol', PASSWORD);
      assert.equal(right.outcome.outcome, 'failed');
      assert.equal(records.at(-1)?.supplementary, 'ALREADY_LOCKED');
      assert.equal((await r.on.provider.findByDn(dn))?.ssoUserStatus, 'locked');
      // The lookups themselves were the consumer's.
      assert.ok(r.served().every((s) => s === 'consumer'));
      // An administrator's unlock on the provider holds at once too.
      await r.repo.unlock(dn);
      assert.equal((await signOn('carol', PASSWORD)).outcome.outcome, 'succeeded');
    });
    await caughtUp();
    assert.equal((await r.on.consumer.findByDn(dn))?.ssoFailureCount, 0);
    assert.equal((await r.on.consumer.findByDn(dn))?.ssoUserStatus, 'good');
  });

  void it('the provider down mid-sign-on: clean SSO_REPOSITORY_UNAVAILABLE, reads from the consumer', async () => {
    const r = rig();
    const dave = person('dave');
    await r.repo.add(dave);
    await caughtUp();
    // The provider stops after the lookup and the password check, before the failure is
    // written.
    const stopping = delegating(r.repo, {
      recordFailure: async (d, p, n) => {
        await provider.stop();
        return r.repo.recordFailure(d, p, n);
      },
    });
    const { signOn, records } = repositoryServer(stopping);
    try {
      await assert.rejects(
        signOn('dave', WRONG),
        (e: unknown) => isRepositoryUnavailable(e) && e.reason === 'connect',
      );
      assert.deepEqual(
        records.map((x) => [x.result.token, x.result.outcome, x.supplementary]),
        [['Authentication(basicAuth)', 'failed', 'REPOSITORY_CONNECT_FAILED']],
      );
      // With the provider down, sign-on of a user in good standing goes on from the consumer.
      assert.equal((await signOn('dave', PASSWORD)).outcome.outcome, 'succeeded');
      assert.ok(r.served().every((s) => s === 'consumer'));
    } finally {
      await provider.start();
    }
    // Nothing was counted.
    assert.equal((await r.on.provider.findByDn(userDn(dave.dn)))?.ssoFailureCount, 0);
  });
});

/**
 * Runs `body` while `consumer` is up but cannot replicate: the replication account's password
 * is changed on the provider and the consumer restarted (its syncrepl session cannot bind
 * again). Afterwards the password is restored: the consumer's next retry (every second)
 * catches up.
 */
async function withLaggingConsumer(body: () => Promise<void>): Promise<void> {
  const account = provider.replicator!;
  const setPassword = (password: string): Promise<void> =>
    provider.modify(
      `dn: ${account.dn}\nchangetype: modify\nreplace: userPassword\nuserPassword: ${sshaPassword(password)}\n`,
    );
  await setPassword('not-the-consumers');
  await caughtUp();
  await consumer.start();
  try {
    await body();
  } finally {
    await setPassword(account.password);
  }
}

void describe('repository.ldap.reference-urls (openServices)', () => {
  void it('wires the consumers as reference servers: reads survive the provider stopping', async () => {
    await freshTree();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-replicated-'));
    const config = loadConfig({
      text: JSON.stringify({
        repository: {
          store: 'ldap',
          'user-search-base': 'o=example',
          ldap: {
            url: provider.ldapsUrl,
            'reference-urls': [consumer.ldapsUrl, consumer2.ldapsUrl],
            'bind-dn': provider.serviceDn,
            'bind-password-file': provider.servicePasswordFile,
            'ca-file': provider.caFile,
          },
        },
      }),
    });
    const services = openServices(dataDir, config, undefined, await repositoryAdapters(config));
    try {
      const erin = person('erin');
      await services.users.add(erin);
      await caughtUp();
      await provider.stop();
      try {
        assert.equal((await services.users.findByUid('erin'))?.dn, erin.dn);
        const found = await services.users.searchUsers({ prefix: 'eri', limit: 5 });
        assert.deepEqual(
          found.items.map((u) => u.uid),
          ['erin'],
        );
        await assert.rejects(services.users.delete(userDn(erin.dn)), isRepositoryUnavailable);
      } finally {
        await provider.start();
      }
    } finally {
      services.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
