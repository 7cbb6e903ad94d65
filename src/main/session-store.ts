/**
 * The session store the configuration chooses: the embedded SQLite store of the data directory
 * (one node, the default) or Redis/Valkey (`sessions.store: redis`, shared by every node that
 * points at it). The Redis client fails fast: with the offline queue off, an operation while
 * Redis is unreachable rejects at once (fail closed) instead of waiting in the client. On a
 * cluster (`cluster.enabled`) the sessions are in the cluster's Redis. Whatever the store,
 * every session it removes (sign-off, forced sign-on, forced sign-off, idle timeout, expiry)
 * is told to `onEnded` at once — this process's business server forgets it — and on a cluster
 * announced to the other nodes (docs/cluster.md).
 */
import type { Redis as RedisClient } from 'iovalkey';
import type { SekishoConfig } from '../config/index.ts';
import type { SessionStore } from '../sso/ports/session-store.ts';
import { RedisSessionStore } from '../storage/redis/session-store.ts';
import { SqliteSessionStore } from '../storage/sqlite/session-store.ts';
import type { OpenServices } from './services.ts';
import { PublishingSessionStore, type OpenCluster } from './cluster.ts';

export interface OpenSessionStore {
  readonly store: SessionStore;
  /** Where the sessions are, for the start banner (credentials removed). */
  readonly where: string;
  close(): Promise<void>;
}

/**
 * @param redis the Redis client class (cluster.ts `loadRedis`), required for `sessions.store: redis`.
 */
export function openSessionStore(
  config: SekishoConfig,
  services: OpenServices,
  cluster?: OpenCluster,
  onEnded?: (sessionId: string) => void,
  redis?: typeof RedisClient,
): OpenSessionStore {
  const opened = openStore(config, services, cluster, redis);
  return {
    ...opened,
    store: new PublishingSessionStore(opened.store, async (m) => {
      if (m.kind === 'session') onEnded?.(m.id);
      await cluster?.publish(m);
    }),
  };
}

function openStore(
  config: SekishoConfig,
  services: OpenServices,
  cluster: OpenCluster | undefined,
  Redis: typeof RedisClient | undefined,
): OpenSessionStore {
  if (cluster !== undefined) {
    return {
      store: new RedisSessionStore(cluster.client, { prefix: cluster.prefix }),
      where: cluster.where,
      // The cluster's connections are closed by whoever opened them.
      close: () => Promise.resolve(),
    };
  }
  const s = config.sessions;
  if (s.store === 'redis' && s['redis-url'] !== undefined) {
    if (Redis === undefined)
      throw new Error('sessions.store redis: load the client first (loadRedis)');
    const client = new Redis(s['redis-url'], {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 5000,
    });
    // Connection errors surface as rejected operations; the client keeps reconnecting.
    client.on('error', () => undefined);
    const url = new URL(s['redis-url']);
    return {
      store: new RedisSessionStore(client, { prefix: s['redis-prefix'] }),
      where: `${url.protocol}//${url.host}${url.pathname} (prefix ${s['redis-prefix']})`,
      close: async () => {
        await client.quit().catch(() => undefined);
      },
    };
  }
  return {
    store: new SqliteSessionStore(services.db),
    where: 'the data directory',
    close: () => Promise.resolve(),
  };
}
