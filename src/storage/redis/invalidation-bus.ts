/**
 * RedisInvalidationBus: tells the other nodes of a cluster (docs/cluster.md) to stop honouring
 * what they cached — a session that ended, a user entry that changed (locked, unlocked,
 * modified, deleted), a regenerated service ID — over Redis pub/sub on the channel
 * `<prefix>events`.
 *
 * Message: JSON `{"v":1,"from":"<origin>","kind":"session","id":"…"}`, `kind` `session` (id),
 * `user` (dn), `service-id`, `keyservers` (the shared key-server state changed), `validate`
 * (id, or none for every key server: a request to validate from every node) or `settings`
 * (the shared SSO settings changed). A node hears its own messages too, so that a change made by any
 * of its parts (a user's sign-off, a command run offline) ends its own cached answers as well;
 * `from` is for diagnosis. Pub/sub delivers at most once, to the subscribers connected at that
 * moment: a node that is not subscribed hears nothing, so while the subscription is down the
 * listener is told (`onLost`) and must not cache; once it is subscribed again it is told
 * (`onListening`) and must drop everything it cached, then may cache again.
 *
 * The subscriber connection is dedicated (a subscribed Redis connection accepts no other
 * command); the caller creates both clients, with `autoResubscribe: false` for the subscriber
 * (this bus subscribes at every `ready`, so that it knows when it listens again), and owns them.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'iovalkey';

/** What another node must forget. */
export type Invalidation =
  | { readonly kind: 'session'; readonly id: string }
  | { readonly kind: 'user'; readonly dn: string }
  | { readonly kind: 'service-id' }
  /** The shared key-server configuration or event log changed (src/main/shared-keyservers.ts). */
  | { readonly kind: 'keyservers' }
  /** Validate key server `id` (every key server when undefined) from each node, now. */
  | { readonly kind: 'validate'; readonly id: number | undefined }
  /** The shared SSO settings changed (chssoconfig; src/storage/redis/settings-store.ts). */
  | { readonly kind: 'settings' };

export interface InvalidationListener {
  /**
   * A node (this one included: `fromSelf`, this process's own message) changed something this
   * node may have cached.
   */
  onInvalidation(message: Invalidation, fromSelf: boolean): void;
  /** The subscription is down (or not up yet): messages may be missed; cache nothing. */
  onLost(): void;
  /** Subscribed (again): drop every cached answer, then cache again. */
  onListening(): void;
}

export interface RedisInvalidationBusOptions {
  /** Key prefix of the deployment; the channel is `<prefix>events`. Default `sekisho:`. */
  readonly prefix?: string;
  /** Names this node in its messages (with a random suffix per process). */
  readonly nodeName?: string;
}

const MAX_MESSAGE = 8192;

/** Parses a message; undefined when it is not one (another program on the channel). */
export function parseInvalidation(
  text: string,
): { readonly from: string; readonly message: Invalidation } | undefined {
  if (text.length > MAX_MESSAGE) return undefined;
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof j !== 'object' || j === null) return undefined;
  const o = j as Record<string, unknown>;
  if (o['v'] !== 1 || typeof o['from'] !== 'string') return undefined;
  const from = o['from'];
  switch (o['kind']) {
    case 'session':
      return typeof o['id'] === 'string'
        ? { from, message: { kind: 'session', id: o['id'] } }
        : undefined;
    case 'user':
      return typeof o['dn'] === 'string'
        ? { from, message: { kind: 'user', dn: o['dn'] } }
        : undefined;
    case 'service-id':
      return { from, message: { kind: 'service-id' } };
    case 'keyservers':
      return { from, message: { kind: 'keyservers' } };
    case 'settings':
      return { from, message: { kind: 'settings' } };
    case 'validate': {
      const id = o['id'];
      if (id === undefined) return { from, message: { kind: 'validate', id: undefined } };
      return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 && id < 1000
        ? { from, message: { kind: 'validate', id } }
        : undefined;
    }
    default:
      return undefined;
  }
}

export class RedisInvalidationBus {
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #channel: string;
  /** This process's name in its messages. */
  readonly origin: string;
  #listening = false;
  #closed = false;

  constructor(
    publisher: Redis,
    subscriber: Redis,
    { prefix = 'sekisho:', nodeName = 'node' }: RedisInvalidationBusOptions = {},
  ) {
    this.#publisher = publisher;
    this.#subscriber = subscriber;
    this.#channel = `${prefix}events`;
    this.origin = `${nodeName}/${randomBytes(6).toString('hex')}`;
  }

  /** The channel messages go on. */
  get channel(): string {
    return this.#channel;
  }

  /** Whether the subscription is up. */
  get listening(): boolean {
    return this.#listening;
  }

  /**
   * Publishes `message` to every other node; resolves how many subscribers (this one included)
   * received it. Rejects as `invalidation bus (Redis): …` when Redis cannot be reached.
   */
  async publish(message: Invalidation): Promise<number> {
    const text = JSON.stringify({ v: 1, from: this.origin, ...message });
    try {
      return await this.#publisher.publish(this.#channel, text);
    } catch (e) {
      throw new Error(`invalidation bus (Redis): ${e instanceof Error ? e.message : String(e)}`, {
        cause: e,
      });
    }
  }

  /** Starts listening; `listener.onLost` is called at once unless already subscribed. */
  listen(listener: InvalidationListener): void {
    const sub = this.#subscriber;
    const lost = (): void => {
      if (!this.#listening) return;
      this.#listening = false;
      listener.onLost();
    };
    const subscribe = async (): Promise<void> => {
      try {
        await sub.subscribe(this.#channel);
      } catch {
        // The connection dropped again; its next 'ready' retries.
        return;
      }
      if (this.#closed || this.#listening) return;
      this.#listening = true;
      listener.onListening();
    };
    sub.on('message', (channel: string, text: string) => {
      if (channel !== this.#channel) return;
      const m = parseInvalidation(text);
      if (m === undefined) return;
      listener.onInvalidation(m.message, m.from === this.origin);
    });
    sub.on('close', lost);
    sub.on('end', lost);
    sub.on('reconnecting', lost);
    sub.on('ready', () => {
      void subscribe();
    });
    listener.onLost();
    if (sub.status === 'ready') void subscribe();
  }

  /** Stops listening (the caller closes the clients). */
  close(): void {
    this.#closed = true;
    this.#listening = false;
  }
}
