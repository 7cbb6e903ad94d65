/**
 * Several `sekisho start` nodes over one Redis or Valkey (`cluster.enabled`, docs/cluster.md):
 * the connections, the invalidation bus, and the decorators that publish what this node
 * changed so that the other nodes forget what they cached.
 *
 * Two connections per node: one for commands (sessions, lockout, service ID, publishing) that
 * fails fast — offline queue off, so that a call while Redis is unreachable rejects at once
 * (fail closed) — and one subscribed to `<prefix>events`. Both reconnect by themselves.
 */
import os from 'node:os';
import type { Redis } from 'iovalkey';
import type { SekishoConfig } from '../config/index.ts';
import type { LockoutPolicy } from '../sso/core/lockout.ts';
import type { Session, SessionId, SessionState } from '../sso/core/session.ts';
import type { CertMappingAttribute, SsoUser, UserDn } from '../sso/core/user.ts';
import type {
  ActivatedSession,
  Page as SessionPage,
  PageRequest as SessionPageRequest,
  SessionStore,
} from '../sso/ports/session-store.ts';
import type {
  Page,
  PageRequest,
  PasswordVerifier,
  RecordedFailure,
  ReplacedLockout,
  UserChanges,
  UserRepository,
  UserSearch,
  UserSearchResult,
} from '../sso/ports/user-repository.ts';
import { RedisInvalidationBus, type Invalidation } from '../storage/redis/invalidation-bus.ts';
import type { SystemLog } from '../logs/index.ts';
import type { ServiceIdService } from '../sso/core/service-id.ts';
import type { BusinessServer } from '../sso/servers/business-server.ts';
import type { SharedState } from '../management/context.ts';

export interface OpenCluster {
  /** The command connection (sessions, lockout, service ID, publishing). */
  readonly client: Redis;
  readonly bus: RedisInvalidationBus;
  readonly prefix: string;
  readonly nodeName: string;
  /** The Redis URL without credentials, for the banner and the system log. */
  readonly where: string;
  /** The last connection error of either connection ('' when none yet). */
  lastError(): string;
  /**
   * Resolves true once the command connection is ready, false after `timeoutMs` (Redis
   * unreachable: the node runs and fails closed until it is back).
   */
  connected(timeoutMs: number): Promise<boolean>;
  /**
   * Publishes `message`; never rejects — a failure goes to `onError` (the other nodes cannot
   * hear it, but their own subscriptions are then down too, and they cache nothing).
   */
  publish(message: Invalidation): Promise<void>;
  close(): Promise<void>;
}

/** Redis connection options shared by both connections. */
const CONNECTION = { connectTimeout: 5000, keepAlive: 10_000 } as const;

/**
 * The Redis client class, loaded on first use: iovalkey costs a process ~18 MB of memory that
 * one machine without Redis does not need.
 */
export async function loadRedis(): Promise<typeof Redis> {
  return (await import('iovalkey')).Redis;
}

/**
 * Opens the cluster connections, or undefined when `cluster.enabled` is false. `onError` hears
 * publication failures.
 */
export async function openCluster(
  config: SekishoConfig,
  onError: (message: string) => void,
): Promise<OpenCluster | undefined> {
  const c = config.cluster;
  const url = c['redis-url'];
  if (!c.enabled || url === undefined) return undefined;
  const Redis = await loadRedis();
  let last = '';
  const note = (e: unknown): void => {
    last = e instanceof Error ? e.message : String(e);
  };
  const client = new Redis(url, {
    ...CONNECTION,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
  });
  const subscriber = new Redis(url, { ...CONNECTION, autoResubscribe: false });
  // Connection errors surface as rejected operations and as the bus's onLost.
  client.on('error', note);
  subscriber.on('error', note);
  const prefix = c['redis-prefix'];
  const nodeName = c['node-name'] ?? os.hostname();
  const bus = new RedisInvalidationBus(client, subscriber, { prefix, nodeName });
  const u = new URL(url);
  return {
    client,
    bus,
    prefix,
    nodeName,
    where: `${u.protocol}//${u.host}${u.pathname} (prefix ${prefix})`,
    lastError: () => last,
    connected: (timeoutMs) =>
      client.status === 'ready'
        ? Promise.resolve(true)
        : new Promise((resolve) => {
            const done = (ok: boolean): void => {
              clearTimeout(timer);
              client.off('ready', onReady);
              resolve(ok);
            };
            const onReady = (): void => {
              done(true);
            };
            const timer = setTimeout(() => {
              done(false);
            }, timeoutMs);
            client.on('ready', onReady);
          }),
    publish: async (message) => {
      try {
        await bus.publish(message);
      } catch (e) {
        onError(e instanceof Error ? e.message : String(e));
      }
    },
    close: async () => {
      bus.close();
      await Promise.all([
        client.quit().catch(() => undefined),
        subscriber.quit().catch(() => undefined),
      ]);
    },
  };
}

/**
 * What the other nodes changed ends this node's cached answers (docs/cluster.md): a session
 * that ended, a user entry that changed, a regenerated service ID. While the subscription is
 * down this node caches nothing (every request asks Redis, which fails closed if Redis is down
 * too); when it is back, everything cached is dropped and the service ID re-read.
 */
export function listenToCluster(
  cluster: OpenCluster,
  business: BusinessServer,
  serviceId: ServiceIdService,
  systemLog: SystemLog,
  keyServers?: ClusterKeyServers,
): void {
  let wasListening = false;
  let reported = false;
  const shared = keyServers?.shared;
  const refresh = (): void => {
    // The KEK may be moving (another node's chencryption): the key is read after it moved.
    // A failure here is met again (and logged) by the next request that needs the key.
    void (shared?.settled() ?? Promise.resolve())
      .then(() => serviceId.refresh())
      .catch(() => undefined);
  };
  const catchUp = (): void => {
    shared?.sync().catch((e: unknown) => {
      keyServers?.onError(`could not catch up with the cluster: ${(e as Error).message}`);
    });
  };
  cluster.bus.listen({
    onInvalidation: (m, fromSelf) => {
      switch (m.kind) {
        case 'session':
          business.forgetSession(m.id);
          break;
        case 'user':
          business.forgetUser(m.dn);
          break;
        case 'service-id':
          refresh();
          break;
        case 'keyservers':
          if (!fromSelf) catchUp();
          break;
        case 'settings':
          if (!fromSelf) keyServers?.settingsChanged?.();
          break;
        case 'validate': {
          const validate = keyServers?.validateHere;
          if (fromSelf || validate === undefined) break;
          // Find what the message is about first (it was pushed before the message left).
          void (shared?.sync() ?? Promise.resolve())
            .then(() => validate(m.id))
            .catch((e: unknown) => {
              keyServers?.onError(
                `validation asked by another node failed: ${(e as Error).message}`,
              );
            });
          break;
        }
        default: {
          const never: never = m;
          return never;
        }
      }
    },
    onLost: () => {
      business.setCaching(false);
      if (wasListening && !reported) {
        reported = true;
        systemLog.write('sso09005', cluster.where, cluster.lastError() || 'connection closed');
      }
    },
    onListening: () => {
      business.setCaching(true);
      catchUp();
      keyServers?.settingsChanged?.();
      refresh();
      if (reported) systemLog.write('sso09006', cluster.where);
      reported = false;
      wasListening = true;
    },
  });
}

/** The shared key-server state a node follows (src/main/shared-keyservers.ts). */
export interface ClusterKeyServers {
  readonly shared: SharedState | undefined;
  /** Validates from this node (a `sekisho start` node; absent in `sekisho business`). */
  readonly validateHere?: (id: number | undefined) => Promise<unknown>;
  /** Another node changed the shared SSO settings (or this node subscribed again). */
  readonly settingsChanged?: () => void;
  readonly onError: (message: string) => void;
}

/**
 * A session store that tells `publish` about every session it removes: this process's
 * business server, and on a cluster the other nodes (src/main/session-store.ts).
 */
export class PublishingSessionStore implements SessionStore {
  readonly #inner: SessionStore;
  readonly #publish: (m: Invalidation) => Promise<void>;

  constructor(inner: SessionStore, publish: (m: Invalidation) => Promise<void>) {
    this.#inner = inner;
    this.#publish = publish;
  }

  async #gone(sessions: readonly Session[]): Promise<void> {
    await Promise.all(sessions.map((s) => this.#publish({ kind: 'session', id: s.id })));
  }

  create(s: Session): Promise<boolean> {
    return this.#inner.create(s);
  }
  get(id: SessionId): Promise<Session | undefined> {
    return this.#inner.get(id);
  }
  byUid(uid: string): Promise<readonly Session[]> {
    return this.#inner.byUid(uid);
  }
  touch(id: SessionId, now: Date): Promise<boolean> {
    return this.#inner.touch(id, now);
  }
  async activate(id: SessionId, now: Date): Promise<ActivatedSession | undefined> {
    const done = await this.#inner.activate(id, now);
    if (done !== undefined) await this.#gone(done.replaced);
    return done;
  }
  async delete(id: SessionId, state?: SessionState): Promise<Session | undefined> {
    const gone = await this.#inner.delete(id, state);
    if (gone !== undefined) await this.#gone([gone]);
    return gone;
  }
  async deleteByUid(uid: string): Promise<readonly Session[]> {
    const gone = await this.#inner.deleteByUid(uid);
    await this.#gone(gone);
    return gone;
  }
  list(page: SessionPageRequest): Promise<SessionPage<Session>> {
    return this.#inner.list(page);
  }
}

const changed = (s: ReplacedLockout): boolean =>
  s.unrecorded !== true && (s.locked || s.failureCount !== 0);

/**
 * A user repository that tells the other nodes about every user entry it changes in a way a
 * business server must see: modified, deleted, locked, or released from a lock or a count.
 */
export class PublishingUserRepository implements UserRepository {
  readonly #inner: UserRepository;
  readonly #publish: (m: Invalidation) => Promise<void>;

  constructor(inner: UserRepository, publish: (m: Invalidation) => Promise<void>) {
    this.#inner = inner;
    this.#publish = publish;
    const current = inner.findCurrent?.bind(inner);
    if (current !== undefined) this.findCurrent = current;
    if (inner.passwordVerifier !== undefined) this.passwordVerifier = inner.passwordVerifier;
  }

  readonly findCurrent?: (dn: UserDn) => Promise<SsoUser | undefined>;
  readonly passwordVerifier?: PasswordVerifier;

  #user(dn: string): Promise<void> {
    return this.#publish({ kind: 'user', dn });
  }

  findByUid(uid: string): Promise<SsoUser | undefined> {
    return this.#inner.findByUid(uid);
  }
  findByDn(dn: UserDn): Promise<SsoUser | undefined> {
    return this.#inner.findByDn(dn);
  }
  findByCertificate(attribute: CertMappingAttribute, value: string): Promise<readonly SsoUser[]> {
    return this.#inner.findByCertificate(attribute, value);
  }
  async add(user: SsoUser): Promise<void> {
    await this.#inner.add(user);
    // Another node may have cached "no such user".
    await this.#user(user.dn);
  }
  async modify(dn: UserDn, changes: UserChanges): Promise<SsoUser> {
    const u = await this.#inner.modify(dn, changes);
    await this.#user(dn);
    return u;
  }
  async delete(dn: UserDn): Promise<void> {
    await this.#inner.delete(dn);
    await this.#user(dn);
  }
  async recordFailure(dn: UserDn, policy: LockoutPolicy, now: Date): Promise<RecordedFailure> {
    const r = await this.#inner.recordFailure(dn, policy, now);
    if (r.event === 'locked' || r.released) await this.#user(dn);
    return r;
  }
  async resetFailures(dn: UserDn): Promise<ReplacedLockout> {
    const previous = await this.#inner.resetFailures(dn);
    if (changed(previous)) await this.#user(dn);
    return previous;
  }
  async unlock(dn: UserDn): Promise<ReplacedLockout> {
    const previous = await this.#inner.unlock(dn);
    if (changed(previous)) await this.#user(dn);
    return previous;
  }
  listUsers(page: PageRequest): Promise<Page<SsoUser>> {
    return this.#inner.listUsers(page);
  }
  searchUsers(search: UserSearch): Promise<UserSearchResult> {
    return this.#inner.searchUsers(search);
  }
}
