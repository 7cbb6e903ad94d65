/**
 * Opens the embedded store and builds the management services on it. With
 * `repository.store: ldap` the SSO users (and, with `ldap.access-control-base`, the roles,
 * sites and resources) come from the LDAP directory instead (src/storage/ldap, docs/ldap.md).
 * On a cluster (`cluster.enabled`, docs/cluster.md) the wrapped service ID is in Redis, and
 * the user repository keeps its lockout attributes there and tells the other nodes what it
 * changed.
 */
import path from 'node:path';
import type { openLdapStores } from './ldap-stores.ts';
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
import type { AccessControlRepository } from '../sso/ports/access-control-repository.ts';
import type { UserRepository } from '../sso/ports/user-repository.ts';
import { RedisServiceIdStore } from '../storage/redis/service-id-store.ts';
import { RedisLockoutUserRepository } from '../storage/redis/lockout-user-repository.ts';
import { RedisKeyServerState } from '../storage/redis/keyserver-state-store.ts';
import { PublishingUserRepository, type OpenCluster } from './cluster.ts';
import { JournalingEventStore, SharedKeyServers } from './shared-keyservers.ts';

export const LOCAL_KEK_FILE = 'kek.local';

export interface OpenServices extends ManagementServices {
  /** The embedded database, for the stores the SSO roles add (src/main/sso.ts). */
  readonly db: DatabaseSync;
  /** On a cluster: the shared key-server state and event log, mirrored in `db`. */
  readonly shared?: SharedKeyServers;
  close(): void;
}

/** The SSO repository's stores for the configuration (`repository.store`). */
export interface SsoStores {
  readonly users: UserRepository;
  readonly accessControl: AccessControlRepository;
  readonly close: () => void;
}

/** The adapters of `repository.store` other than the embedded one, loaded on demand. */
export interface RepositoryAdapters {
  readonly ldap?: typeof openLdapStores;
}

/**
 * Loads what the configuration's repository needs beyond the embedded store (the LDAP
 * adapters for `repository.store: ldap`), for {@link openServices}.
 */
export async function repositoryAdapters(
  config: SekishoConfig | undefined,
): Promise<RepositoryAdapters> {
  if (config?.repository.store !== 'ldap') return {};
  const { openLdapStores } = await import('./ldap-stores.ts');
  return { ldap: openLdapStores };
}

/**
 * @param adapters from {@link repositoryAdapters}(config): required when `repository.store` is
 *   `ldap`.
 */
export function openServices(
  dataDir: string,
  config?: SekishoConfig,
  cluster?: OpenCluster,
  adapters: RepositoryAdapters = {},
): OpenServices {
  const db = openDatabase(dataDir);
  let sso: SsoStores;
  try {
    if (config?.repository.store === 'ldap' && adapters.ldap === undefined) {
      throw new Error('repository.store ldap: load the adapters first (repositoryAdapters)');
    }
    sso =
      config?.repository.store === 'ldap' && adapters.ldap !== undefined
        ? adapters.ldap(dataDir, config, db)
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
  const eventStore = new SqliteEventStore(db);
  // On a cluster the key-server state and the event log are shared through Redis; this
  // database is the node's mirror of them (src/main/shared-keyservers.ts).
  const journal = cluster === undefined ? undefined : new JournalingEventStore(eventStore);
  const events = new EventLog(journal ?? eventStore, () => new Date());
  // The KEK service reaches key servers the way the manager does; the manager is made next.
  const holder: { manager?: KeyServerManager } = {};
  const kek = new KekService({
    store,
    localKekPath: path.join(dataDir, LOCAL_KEK_FILE),
    connect: (ks) => holder.manager!.connect(ks),
  });
  const shared =
    cluster === undefined || journal === undefined
      ? undefined
      : new SharedKeyServers({
          redis: new RedisKeyServerState(cluster.client, { prefix: cluster.prefix }),
          store,
          events: eventStore,
          journal,
          where: cluster.where,
          nodeName: cluster.nodeName,
          publish: (m) => cluster.publish(m),
          onRemoteChange: (before, after) => kek.follow(before.encryption, after.encryption),
        });
  const manager = new KeyServerManager({
    store,
    events,
    kek,
    ...(shared === undefined || cluster === undefined
      ? {}
      : {
          localNodeId: cluster.nodeName,
          commit: (fn) => shared.write(fn),
          askOtherNodes: (id) => {
            shared.announce({ kind: 'validate', id });
          },
        }),
  });
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
    ...(shared === undefined || cluster === undefined
      ? {}
      : { shared, localNodeId: cluster.nodeName }),
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
