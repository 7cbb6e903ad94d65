/**
 * Roles, sites and resources over a real slapd provider and two syncrepl consumers, through
 * ReplicatedAccessControlRepository (src/storage/ldap/replicated-access-control.ts):
 * - writes land on the provider, reads are served by the first consumer;
 * - with the provider stopped, sites and resources still load (what a business server needs),
 *   and a write fails SSO_REPOSITORY_UNAVAILABLE;
 * - right after a write, reads ask the provider first (the reload after an administrator's
 *   change never reads a consumer that lacks it), then the consumers again;
 * - a consumer down: the next one serves, then the provider;
 * - `repository.ldap.access-control-base` with `reference-urls` through openServices.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.ts';
import { openServices, repositoryAdapters } from '../../src/main/services.ts';
import type { SsoResource, SsoRole, SsoSite } from '../../src/sso/core/access-control.ts';
import { isRepositoryUnavailable } from '../../src/sso/core/errors.ts';
import { LdapAccessControlRepository } from '../../src/storage/ldap/access-control-store.ts';
import { LdapPool } from '../../src/storage/ldap/connection.ts';
import type { FailoverEvent } from '../../src/storage/ldap/failover.ts';
import { ReplicatedAccessControlRepository } from '../../src/storage/ldap/replicated-access-control.ts';
import { startSlapd, waitForReplication, type Slapd } from '../helpers/slapd.ts';

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

const BASE = 'ou=sso,o=example';
const ADMIN: SsoRole = { kind: 'role', dn: `cn=Admin,ou=roles,${BASE}`, cn: 'Admin' };
const WWW: SsoSite = {
  kind: 'site',
  dn: `dc=www,dc=example,dc=com,ou=sites,${BASE}`,
  dc: 'www',
  host: 'www.example.com',
  port: 443,
};
const ADMIN_PAGES: SsoResource = {
  kind: 'resource',
  dn: `cn=/admin/,${WWW.dn}`,
  cn: '/admin/',
  ssoRoleName: ['Admin'],
  siteDn: WWW.dn,
};

const caughtUp = async (): Promise<void> => {
  await waitForReplication(consumer, provider);
  await waitForReplication(consumer2, provider);
};

function on(server: Slapd): LdapAccessControlRepository {
  const pool = new LdapPool({
    url: server.ldapsUrl,
    ca,
    bindDn: server.serviceDn,
    bindPassword: server.servicePassword,
    timeoutMs: 3000,
  });
  pools.push(pool);
  return new LdapAccessControlRepository({ pool, base: BASE });
}

function rig(): {
  repo: ReplicatedAccessControlRepository;
  served: () => string[];
  advance: (ms: number) => void;
} {
  const events: FailoverEvent[] = [];
  const clock = { now: 1_000_000 };
  const repo = new ReplicatedAccessControlRepository({
    update: { name: 'provider', repo: on(provider) },
    references: [
      { name: 'consumer', repo: on(consumer) },
      { name: 'consumer2', repo: on(consumer2) },
    ],
    retryAfterMs: 5000,
    readYourWritesMs: 2000,
    onEvent: (e) => events.push(e),
    now: () => clock.now,
  });
  let seen = 0;
  return {
    repo,
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
  };
}

async function freshTree(): Promise<void> {
  await provider.removeTree(BASE);
  await caughtUp();
}

void describe('ReplicatedAccessControlRepository (slapd provider + syncrepl consumers)', () => {
  void it('writes land on the provider; reads come from the first consumer, and survive the provider stopping', async () => {
    await freshTree();
    const { repo, served, advance } = rig();
    for (const e of [ADMIN, WWW, ADMIN_PAGES]) await repo.add(e);
    served();
    assert.deepEqual(await on(provider).find(ADMIN.dn), ADMIN);
    await caughtUp();
    advance(2000);
    assert.deepEqual(await repo.resourcesOf(WWW.dn), [ADMIN_PAGES]);
    assert.deepEqual(served(), ['consumer']);

    await provider.stop();
    try {
      // What a business server loads its snapshot from.
      assert.deepEqual(await repo.sites(), [WWW]);
      assert.deepEqual(await repo.resourcesOf(WWW.dn), [ADMIN_PAGES]);
      assert.deepEqual(await repo.list('role'), [ADMIN]);
      assert.deepEqual(served(), ['consumer', 'consumer', 'consumer']);
      await assert.rejects(
        repo.add({ kind: 'role', dn: `cn=Late,ou=roles,${BASE}`, cn: 'Late' }),
        isRepositoryUnavailable,
      );
    } finally {
      await provider.start();
    }
  });

  void it('right after a write, reads ask the provider first; later, the consumers again', async () => {
    await freshTree();
    const { repo, served, advance } = rig();
    await repo.add(ADMIN);
    served();
    // The reload that follows an administrator's change: from the provider, which has it.
    assert.deepEqual(await repo.find(ADMIN.dn), ADMIN);
    assert.deepEqual(served(), ['provider']);
    await caughtUp();
    advance(2001);
    assert.deepEqual(await repo.list('role'), [ADMIN]);
    assert.deepEqual(served(), ['consumer']);
    // A failed write counts too (it may have been made before the answer was lost).
    await assert.rejects(repo.add(ADMIN), /exists/i);
    await repo.find(ADMIN.dn);
    assert.deepEqual(served(), ['provider']);
  });

  void it('a consumer down: the next one serves, then the provider; back, reads return to it', async () => {
    await freshTree();
    const { repo, served, advance } = rig();
    await repo.add(ADMIN);
    await caughtUp();
    advance(2001);
    served();
    await consumer.stop();
    try {
      assert.deepEqual(await repo.list('role'), [ADMIN]);
      assert.deepEqual(served(), ['consumer2']);
      await consumer2.stop();
      try {
        assert.deepEqual(await repo.list('role'), [ADMIN]);
        assert.deepEqual(served(), ['provider']);
      } finally {
        await consumer2.start();
      }
    } finally {
      await consumer.start();
    }
    advance(5001);
    await caughtUp();
    assert.deepEqual(await repo.list('role'), [ADMIN]);
    assert.deepEqual(served(), ['consumer']);
  });
});

void describe('repository.ldap.access-control-base with reference-urls (openServices)', () => {
  void it('the business servers’ reads survive the provider stopping', async () => {
    await freshTree();
    await on(provider).add(WWW);
    await on(provider).add(ADMIN_PAGES);
    await caughtUp();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-replicated-ac-'));
    const config = loadConfig({
      text: JSON.stringify({
        repository: {
          store: 'ldap',
          'user-search-base': 'o=example',
          ldap: {
            url: provider.ldapsUrl,
            'reference-urls': [consumer.ldapsUrl],
            'bind-dn': provider.serviceDn,
            'bind-password-file': provider.servicePasswordFile,
            'ca-file': provider.caFile,
            'access-control-base': BASE,
          },
        },
      }),
    });
    const services = openServices(dataDir, config, undefined, await repositoryAdapters(config));
    try {
      await provider.stop();
      try {
        assert.deepEqual(await services.accessControl.sites(), [WWW]);
        assert.deepEqual(await services.accessControl.resourcesOf(WWW.dn), [ADMIN_PAGES]);
        await assert.rejects(
          services.accessControl.delete(ADMIN_PAGES.dn),
          isRepositoryUnavailable,
        );
      } finally {
        await provider.start();
      }
    } finally {
      services.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
