/**
 * The key-server configuration and the event log shared by the nodes of a cluster
 * (docs/cluster.md "Key servers and the event log").
 *
 * Redis holds the authoritative copy (src/storage/redis/keyserver-state-store.ts); each node
 * keeps a mirror in its own SQLite database, which the manager, the KEK service and the
 * commands read and write synchronously as on one machine. A change is made under the
 * cluster's write lock:
 *
 *   take the lock → catch up with Redis → run the change on the mirror → push the mirror's
 *   snapshot and the events it wrote (one Lua script that checks the lock and the generation)
 *   → tell the other nodes (`keyservers`) → release the lock.
 *
 * Other nodes catch up when told, when they subscribe again after a cut, and before every
 * command that reads the shared state. Writes are serialised across the cluster (the lock is
 * renewed while held, and expires if its holder dies); reads never wait for the lock.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { EventRecord, EventStore } from '../events/index.ts';
import { KeyServerError } from '../keyservers/errors.ts';
import type { KeyServerSnapshot } from '../keyservers/ports.ts';
import type { ClusterNode } from '../keyservers/types.ts';
import type { SharedState } from '../management/context.ts';
import type { Invalidation } from '../storage/redis/invalidation-bus.ts';
import {
  StatePushRefused,
  type RedisKeyServerState,
} from '../storage/redis/keyserver-state-store.ts';
import type { SqliteEventStore } from '../storage/sqlite/event-store.ts';
import type { SqliteKeyServerStore } from '../storage/sqlite/keyserver-store.ts';

/** How long the write lock lives without renewal, ms. */
export const LOCK_TTL_MS = 15_000;
/** How long a change waits for another node's change to finish, ms. */
export const LOCK_WAIT_MS = 60_000;
/** How often a running node says it is alive, ms (lsnode shows a node offline after 30 s). */
export const HEARTBEAT_MS = 10_000;
/** Events pushed per script when a node seeds an empty cluster. */
const SEED_BATCH = 500;

/**
 * An event store that remembers the sequence numbers it wrote, so that the change that wrote
 * them pushes those events (and only those) to Redis.
 */
export class JournalingEventStore implements EventStore {
  readonly #inner: SqliteEventStore;
  readonly #written = new Set<number>();

  constructor(inner: SqliteEventStore) {
    this.#inner = inner;
  }

  /** The sequence numbers written since the last call, forgotten by this call. */
  take(): number[] {
    const out = [...this.#written];
    this.#written.clear();
    return out;
  }

  insert(e: Omit<EventRecord, 'sequenceNumber'>): EventRecord {
    const r = this.#inner.insert(e);
    this.#written.add(r.sequenceNumber);
    return r;
  }
  update(e: EventRecord): void {
    this.#inner.update(e);
    this.#written.add(e.sequenceNumber);
  }
  get: EventStore['get'] = (n) => this.#inner.get(n);
  findUnfixed: EventStore['findUnfixed'] = (id, type, obj) =>
    this.#inner.findUnfixed(id, type, obj);
  unfixedFor: EventStore['unfixedFor'] = (type, obj) => this.#inner.unfixedFor(type, obj);
  list: EventStore['list'] = (f) => this.#inner.list(f);
  listSummaries: EventStore['listSummaries'] = (f) => this.#inner.listSummaries(f);
}

export interface SharedKeyServersDeps {
  readonly redis: RedisKeyServerState;
  readonly store: SqliteKeyServerStore;
  readonly events: SqliteEventStore;
  readonly journal: JournalingEventStore;
  /** Names the mirror's generation: the Redis URL (without credentials) and the prefix. */
  readonly where: string;
  /** This node (`cluster.node-name`). */
  readonly nodeName: string;
  readonly publish: (m: Invalidation) => Promise<void>;
  /**
   * Called after the mirror took another node's change (the KEK may have moved:
   * src/keyservers/kek.ts `follow`). Its failure is reported through `onError`.
   */
  readonly onRemoteChange?: (before: KeyServerSnapshot, after: KeyServerSnapshot) => Promise<void>;
  readonly onError?: (message: string) => void;
  readonly lockTtlMs?: number;
  readonly lockWaitMs?: number;
}

function unavailable(e: unknown): KeyServerError {
  const message = e instanceof Error ? e.message : String(e);
  return new KeyServerError(
    'KEYSERVER_CLUSTER_UNAVAILABLE',
    `the cluster's shared key-server state cannot be reached: ${message}`,
    { cause: e },
  );
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

export class SharedKeyServers implements SharedState {
  readonly #d: SharedKeyServersDeps;
  readonly #inWrite = new AsyncLocalStorage<true>();
  /** The generation the mirror holds. */
  #gen: number;
  /** The epoch of that generation (made when the cluster's state was seeded). */
  #epoch: string;
  /** The mirror holds a change Redis refused: the next catch-up reloads everything. */
  #stale = false;
  /** Catch-ups outside a write, one at a time. */
  #syncing: Promise<void> | undefined;
  /** Work started by other nodes' changes (KEK follow-ups), awaited by {@link settled}. */
  #followUps: Promise<void> = Promise.resolve();
  /** Messages for the other nodes that must leave after the change is pushed. */
  #pending: Invalidation[] = [];
  /** This node's change was the one that seeded an empty cluster. */
  #seededNow = false;
  #onError: ((message: string) => void) | undefined;
  #joined = false;
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(deps: SharedKeyServersDeps) {
    this.#d = deps;
    ({ gen: this.#gen, epoch: this.#epoch } = deps.store.mirrorGeneration(deps.where));
  }

  /** The generation of the shared state the mirror holds (0: none yet). */
  get generation(): number {
    return this.#gen;
  }

  /**
   * Joins the cluster: seeds an empty cluster with this node's state, or replaces this node's
   * with the cluster's; then makes sure this node has its node record (service addresses
   * `any`; one machine's only node record becomes this node's). Resolves what happened.
   */
  async join(): Promise<'seeded' | 'joined' | 'current'> {
    const before = this.#gen;
    this.#seededNow = false;
    const seeded = await this.write(() => {
      const fresh = this.#seededNow;
      const nodes = this.#d.store.listNodes();
      if (nodes.some((n) => n.id === this.#d.nodeName)) return fresh;
      const only = nodes.length === 1 && nodes[0]!.id === '1' ? nodes[0] : undefined;
      const me: ClusterNode = {
        id: this.#d.nodeName,
        name: this.#d.nodeName,
        ipv4: only?.ipv4 ?? 'any',
        ipv6: only?.ipv6 ?? 'any',
      };
      this.#d.store.transaction(() => {
        if (only !== undefined && fresh) this.#d.store.deleteNode(only.id);
        this.#d.store.putNode(me);
      });
      return fresh;
    });
    this.#joined = true;
    return seeded ? 'seeded' : before === 0 ? 'joined' : 'current';
  }

  /** Says this node is alive now, then every {@link HEARTBEAT_MS} (a running `sekisho start`). */
  startHeartbeat(intervalMs = HEARTBEAT_MS): void {
    const beat = (): void => {
      // A missed beat shows as offline for a while; Redis being down is reported elsewhere.
      this.#d.redis.beat(this.#d.nodeName).catch(() => undefined);
    };
    beat();
    this.#heartbeat = setInterval(beat, intervalMs);
    this.#heartbeat.unref();
  }

  stopHeartbeat(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  /** Per node, milliseconds since its last heartbeat. */
  async heard(): Promise<ReadonlyMap<string, number>> {
    try {
      return await this.#d.redis.heard();
    } catch (e) {
      throw unavailable(e);
    }
  }

  /** Where failures of background work (following another node's change) are reported. */
  reportTo(onError: (message: string) => void): void {
    this.#onError = onError;
  }

  /**
   * Tells the other nodes `m` — after the current change is pushed when called inside one (so
   * that they find what the message is about), at once otherwise.
   */
  announce(m: Invalidation): void {
    if (this.#inWrite.getStore() === true) this.#pending.push(m);
    else void this.#d.publish(m);
  }

  async read<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#inWrite.getStore() !== true) await this.sync();
    return fn();
  }

  /**
   * Catches up with the cluster now (another node said it changed something, or this node
   * subscribed again). Rejects KEYSERVER_CLUSTER_UNAVAILABLE when Redis cannot be reached.
   */
  sync(): Promise<void> {
    this.#syncing ??= this.#syncOnce().finally(() => {
      this.#syncing = undefined;
    });
    return this.#syncing;
  }

  async #syncOnce(): Promise<void> {
    if (!this.#joined) {
      await this.join();
      return;
    }
    if (this.#stale) {
      await this.write(() => undefined);
      return;
    }
    let changes;
    try {
      changes = await this.#d.redis.changes(this.#gen, this.#epoch);
    } catch (e) {
      throw unavailable(e);
    }
    if (changes.kind === 'same' && changes.gen === this.#gen) return;
    if (changes.kind === 'changed' && changes.gen > this.#gen) {
      this.#apply(changes.gen, changes.epoch, changes.snapshot, changes.events, false);
      return;
    }
    // Too far behind, Redis older than the mirror, or an empty cluster: under the lock.
    if (changes.kind !== 'changed' || changes.gen < this.#gen) await this.write(() => undefined);
  }

  /** Resolves once the follow-ups of other nodes' changes seen so far are done. */
  async settled(): Promise<void> {
    if (this.#syncing) await this.#syncing.catch(() => undefined);
    await this.#followUps;
  }

  async write<T>(fn: () => Promise<T> | T): Promise<T> {
    if (this.#inWrite.getStore() === true) return fn();
    const token = randomUUID();
    await this.#acquire(token);
    const ttl = this.#d.lockTtlMs ?? LOCK_TTL_MS;
    let lost = false;
    const renew = setInterval(() => {
      this.#d.redis.extend(token, ttl).then(
        (held) => {
          if (!held) lost = true;
        },
        () => undefined,
      );
    }, ttl / 3);
    renew.unref();
    try {
      await this.#catchUp(token);
      this.#d.journal.take();
      const before = this.#d.store.snapshot();
      let out: T;
      try {
        out = await this.#inWrite.run(true, fn);
      } finally {
        await this.#pushIfChanged(token, before, lost);
      }
      return out;
    } finally {
      clearInterval(renew);
      await this.#d.redis.unlock(token).catch(() => undefined);
      const pending = this.#pending;
      this.#pending = [];
      for (const m of pending) void this.#d.publish(m);
    }
  }

  async #acquire(token: string): Promise<void> {
    const deadline = Date.now() + (this.#d.lockWaitMs ?? LOCK_WAIT_MS);
    for (let wait = 20; ; wait = Math.min(wait * 2, 500)) {
      let got: boolean;
      try {
        got = await this.#d.redis.lock(token, this.#d.lockTtlMs ?? LOCK_TTL_MS);
      } catch (e) {
        throw unavailable(e);
      }
      if (got) return;
      if (Date.now() >= deadline) {
        throw new KeyServerError(
          'KEYSERVER_CLUSTER_BUSY',
          `another node has been changing the shared key-server state for ${Math.round((this.#d.lockWaitMs ?? LOCK_WAIT_MS) / 1000)} s; try again`,
        );
      }
      await sleep(wait);
    }
  }

  /** Under the lock: makes the mirror equal to Redis (or seeds an empty cluster). */
  async #catchUp(token: string): Promise<void> {
    try {
      const changes = await this.#d.redis.changes(this.#stale ? 0 : this.#gen, this.#epoch);
      switch (changes.kind) {
        case 'same':
          if (changes.gen === this.#gen) return;
          break;
        case 'changed':
          if (!this.#stale && changes.gen > this.#gen) {
            this.#apply(changes.gen, changes.epoch, changes.snapshot, changes.events, false);
            return;
          }
          break;
        case 'empty':
          await this.#seed(token);
          return;
        case 'many':
          break;
      }
      // Everything, from scratch: the events in batches (nobody writes: we hold the lock).
      const all = await this.#d.redis.changes(0, '', 0);
      if (all.kind === 'empty') {
        await this.#seed(token);
        return;
      }
      if (all.kind === 'same') throw new Error('the shared state changed under the lock');
      const events: EventRecord[] = [];
      for await (const batch of this.#d.redis.scanEvents()) events.push(...batch);
      this.#apply(all.gen, all.epoch, all.snapshot, events, true);
    } catch (e) {
      if (e instanceof KeyServerError) throw e;
      throw unavailable(e);
    }
  }

  /** A new cluster: pushes this node's state and its whole event log. */
  async #seed(token: string): Promise<void> {
    const snapshot = this.#d.store.snapshot();
    const epoch = randomUUID();
    let gen = await this.#d.redis.push(token, 0, epoch, snapshot, []);
    for (let after = 0; ;) {
      const batch = this.#d.events.page(after, SEED_BATCH);
      if (batch.length === 0) break;
      gen = await this.#d.redis.push(token, gen, epoch, snapshot, batch);
      after = batch[batch.length - 1]!.sequenceNumber;
    }
    this.#setGen(gen, epoch);
    this.#stale = false;
    this.#seededNow = true;
  }

  #apply(
    gen: number,
    epoch: string,
    snapshot: KeyServerSnapshot,
    events: readonly EventRecord[],
    replace: boolean,
  ): void {
    const before = this.#d.store.snapshot();
    this.#d.store.transaction(() => {
      this.#d.store.restore(snapshot);
      this.#d.events.putAll(events, replace);
      this.#d.store.setMirrorGeneration(this.#d.where, gen, epoch);
    });
    this.#gen = gen;
    this.#epoch = epoch;
    this.#stale = false;
    const follow = this.#d.onRemoteChange;
    if (follow !== undefined) {
      this.#followUps = this.#followUps
        .then(() => follow(before, snapshot))
        .catch((e: unknown) => {
          (this.#onError ?? this.#d.onError)?.(e instanceof Error ? e.message : String(e));
        });
    }
  }

  #setGen(gen: number, epoch: string): void {
    this.#gen = gen;
    this.#epoch = epoch;
    this.#d.store.setMirrorGeneration(this.#d.where, gen, epoch);
  }

  async #pushIfChanged(token: string, before: KeyServerSnapshot, lost: boolean): Promise<void> {
    const written = this.#d.journal.take();
    const after = this.#d.store.snapshot();
    if (written.length === 0 && isDeepStrictEqual(before, after)) return;
    const events = written
      .map((n) => this.#d.events.get(n))
      .filter((e): e is EventRecord => e !== undefined);
    try {
      if (lost) throw new StatePushRefused('lock-lost');
      this.#setGen(
        await this.#d.redis.push(token, this.#gen, this.#epoch, after, events),
        this.#epoch,
      );
    } catch (e) {
      // The mirror holds a change the cluster does not: the next catch-up reloads it all.
      this.#stale = true;
      throw e instanceof StatePushRefused
        ? new KeyServerError(
            'KEYSERVER_CLUSTER_UNAVAILABLE',
            `the change was not shared (${e.message}); it is undone at the next catch-up — run the command again`,
            { cause: e },
          )
        : unavailable(e);
    }
    await this.#d.publish({ kind: 'keyservers' });
  }
}
