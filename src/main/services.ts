/**
 * Opens the embedded store and builds the management services on it. With
 * `repository.store: ldap` the SSO users (and, with `ldap.access-control-base`, the roles,
 * sites and resources) come from the LDAP directory instead (src/storage/ldap, docs/ldap.md).
 * On a cluster (`cluster.enabled`, docs/cluster.md) the wrapped service ID is in Redis, and
 * the user repository keeps its lockout attributes there and tells the other nodes what it
 * changed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { SekishoConfig } from '../config/index.ts';
import type { DatabaseSync } from 'node:sqlite';
import { EventLog } from '../events/index.ts';
import { KekService, kcvOf } from '../keyservers/kek.ts';
import { ServiceIdService } from '../sso/core/service-id.ts';
import { SqliteServiceIdStore } from '../storage/sqlite/service-id-store.ts';
import { KeyServerManager } from '../keyservers/manager.ts';
import type { ManagementServices } from '../management/context.ts';
import { openDatabase } from '../storage/sqlite/database.ts';
import { SqliteAccessControlRepository } from '../storage/sqlite/access-control-store.ts';
import { SqliteEventStore } from '../storage/sqlite/event-store.ts';
import { SqliteKeyServerStore } from '../storage/sqlite/keyserver-store.ts';
import { SqliteUserRepository } from '../storage/sqlite/user-store.ts';
import { LdapAccessControlRepository } from '../storage/ldap/access-control-store.ts';
import { LdapPool } from '../storage/ldap/connection.ts';
import { ReplicatedUserRepository } from '../storage/ldap/replicated-user-repository.ts';
import { LdapUserRepository } from '../storage/ldap/user-store.ts';
import type { AccessControlRepository } from '../sso/ports/access-control-repository.ts';
import type { UserRepository } from '../sso/ports/user-repository.ts';
import { RedisServiceIdStore } from '../storage/redis/service-id-store.ts';
import { RedisLockoutUserRepository } from '../storage/redis/lockout-user-repository.ts';
import { PublishingUserRepository, type OpenCluster } from './cluster.ts';

export const LOCAL_KEK_FILE = 'kek.local';

export interface OpenServices extends ManagementServices {
  /** The embedded database, for the stores the SSO roles add (src/main/sso.ts). */
  readonly db: DatabaseSync;
  close(): void;
}

/** The SSO repository's stores for the configuration (`repository.store`). */
interface SsoStores {
  readonly users: UserRepository;
  readonly accessControl: AccessControlRepository;
  readonly close: () => void;
}

/**
 * The LDAP stores of `repository.ldap`. The service password is read from its file here and
 * handed to the pool only; it is never logged nor kept in the configuration.
 */
export function openLdapStores(
  dataDir: string,
  config: SekishoConfig,
  db: DatabaseSync,
): SsoStores {
  const l = config.repository.ldap;
  const fromData = (f: string): string => path.resolve(dataDir, f);
  if (l.url === undefined || l['bind-dn'] === undefined || l['bind-password-file'] === undefined) {
    // loadConfig refuses this already; kept for callers that build a configuration by hand.
    throw new Error(
      'repository.store ldap needs repository.ldap.url, bind-dn and bind-password-file',
    );
  }
  let password: string;
  try {
    password = readFileSync(fromData(l['bind-password-file']), 'utf8').split(/\r?\n/)[0] ?? '';
  } catch (e) {
    const code = e instanceof Error && 'code' in e ? String(e.code) : 'unreadable';
    throw new Error(
      `repository.ldap.bind-password-file: cannot read ${l['bind-password-file']} (${code})`,
      { cause: e },
    );
  }
  const ca = l['ca-file'] === undefined ? undefined : readFileSync(fromData(l['ca-file']), 'utf8');
  // TLS, the bind account and the pool settings are shared by the update server (url) and
  // the reference servers (reference-urls).
  const poolFor = (url: string): LdapPool =>
    new LdapPool({
      url,
      bindDn: l['bind-dn']!,
      bindPassword: password,
      ca,
      startTls: l.starttls,
      allowPlaintext: l['allow-plaintext'],
      poolSize: l['pool-size'],
      timeoutMs: l['timeout-ms'],
    });
  const pool = poolFor(l.url);
  const references = l['reference-urls'].map((url) => ({ url, pool: poolFor(url) }));
  const usersOn = (p: LdapPool): LdapUserRepository =>
    new LdapUserRepository({
      pool: p,
      userBase: l['user-base'] ?? config.repository['user-search-base'],
      mode: l.mode,
      roleAttribute: l['role-attribute'],
    });
  const acBase = l['access-control-base'];
  return {
    users:
      references.length === 0
        ? usersOn(pool)
        : new ReplicatedUserRepository({
            update: { name: l.url, repo: usersOn(pool) },
            references: references.map((r) => ({ name: r.url, repo: usersOn(r.pool) })),
            retryAfterMs: l['reference-retry-ms'],
          }),
    // Roles, sites and resources stay on the update server, reads included: they are few and
    // small, and a lagging consumer would only delay an administrator's change. Spreading
    // their reads over the reference servers is not done (docs/ldap.md).
    accessControl:
      acBase === undefined
        ? new SqliteAccessControlRepository(db)
        : new LdapAccessControlRepository({ pool, base: acBase }),
    close: () => {
      void pool.close();
      for (const r of references) void r.pool.close();
    },
  };
}

export function openServices(
  dataDir: string,
  config?: SekishoConfig,
  cluster?: OpenCluster,
): OpenServices {
  const db = openDatabase(dataDir);
  let sso: SsoStores;
  try {
    sso =
      config?.repository.store === 'ldap'
        ? openLdapStores(dataDir, config, db)
        : {
            users: new SqliteUserRepository(db),
            accessControl: new SqliteAccessControlRepository(db),
            close: () => undefined,
          };
  } catch (e) {
    db.close();
    throw e;
  }
  const store = new SqliteKeyServerStore(db);
  const events = new EventLog(new SqliteEventStore(db), () => new Date());
  // The KEK service reaches key servers the way the manager does; the manager is made next.
  const holder: { manager?: KeyServerManager } = {};
  const kek = new KekService({
    store,
    localKekPath: path.join(dataDir, LOCAL_KEK_FILE),
    connect: (ks) => holder.manager!.connect(ks),
  });
  const manager = new KeyServerManager({ store, events, kek });
  holder.manager = manager;
  // The service ID (the secret credentials are sealed with) is wrapped by the KEK and follows
  // it when it changes.
  const serviceId = new ServiceIdService({
    store:
      cluster === undefined
        ? new SqliteServiceIdStore(db)
        : new RedisServiceIdStore(cluster.client, { prefix: cluster.prefix }),
    kek: () => kek.current(),
    kcvOf,
  });
  kek.onChange((oldKek, newKek) => serviceId.rewrap(oldKek, newKek));
  return {
    db,
    manager,
    events,
    kek,
    serviceId,
    users:
      cluster === undefined
        ? sso.users
        : new PublishingUserRepository(
            new RedisLockoutUserRepository(sso.users, cluster.client, {
              prefix: cluster.prefix,
            }),
            (m) => cluster.publish(m),
          ),
    accessControl: sso.accessControl,
    close: () => {
      sso.close();
      db.close();
    },
  };
}
