/**
 * RedisKeyServerState: the key-server configuration and the event log a cluster shares, on
 * Redis or Valkey (docs/cluster.md "Key servers and the event log"). Each node keeps a mirror
 * in its own SQLite database and reads from it; this adapter is the authoritative copy and
 * the cluster-wide write lock.
 *
 * Keys (all under the prefix):
 * - `ks:state`, a hash: `gen` (the generation, bumped by every push), `epoch` (random, made
 *   when the state is seeded: a Redis that lost everything and was seeded again is another
 *   epoch, whose generations mean nothing to a mirror of the old one) and `doc` (the
 *   {@link KeyServerSnapshot} as JSON: key servers with every node's last validation, type
 *   settings, nodes, system certificate, encryption state, settings);
 * - `ks:events`, a hash: sequence number → the event as JSON;
 * - `ks:events:gen`, a sorted set: sequence number scored by the generation that last wrote it,
 *   so that a node catches up by reading only what changed since its generation;
 * - `ks:lock`: the write lock, a random token with an expiry, renewed while held;
 * - `ks:alive`, a hash: node name → when it was last heard (ms, Redis's clock), for `lsnode`.
 *
 * Every write is one Lua script that first checks the caller still holds the lock and that the
 * generation is the one it read, so that a node whose lock expired (a pause, a partition)
 * cannot overwrite what another node wrote meanwhile. Failures of the client reject as
 * `key-server state (Redis): …`; malformed stored values as `corrupt store: redis key-server
 * state …`. The caller owns the client.
 */
import type { Redis } from 'iovalkey';
import {
  EVENT_IDS,
  EVENT_OBJECT_TYPES,
  EVENT_STATUSES,
  NOTIFICATION_TYPES,
  SENSE_BYTES,
  type EventRecord,
} from '../../events/index.ts';
import type { KeyServerSnapshot } from '../../keyservers/ports.ts';
import { KEY_SERVER_STATUSES, KEY_SERVER_TYPES } from '../../keyservers/types.ts';
import { LuaScript, runScript } from './script.ts';

export interface RedisKeyServerStateOptions {
  /** Prepended to every key; default `sekisho:`. */
  readonly prefix?: string;
}

/** What changed since a generation. */
export type StateChanges =
  | { readonly kind: 'same'; readonly gen: number; readonly epoch: string }
  /** Nothing was ever pushed (a new cluster): the first node seeds it. */
  | { readonly kind: 'empty' }
  | {
      readonly kind: 'changed';
      readonly gen: number;
      readonly epoch: string;
      readonly snapshot: KeyServerSnapshot;
      /** The events written after the generation asked about. */
      readonly events: readonly EventRecord[];
    }
  /** More events changed than one reply should carry: read them all with {@link RedisKeyServerState.scanEvents}. */
  | {
      readonly kind: 'many';
      readonly gen: number;
      readonly epoch: string;
      readonly snapshot: KeyServerSnapshot;
    };

/** Why a push was refused. */
export class StatePushRefused extends Error {
  readonly reason: 'lock-lost' | 'generation';
  constructor(reason: 'lock-lost' | 'generation') {
    super(
      reason === 'lock-lost'
        ? 'the cluster write lock expired before the change was stored'
        : 'another node changed the shared state meanwhile',
    );
    this.name = 'StatePushRefused';
    this.reason = reason;
  }
}

/**
 * KEYS: state, events:gen, events. ARGV: since, max, the caller's epoch. Another epoch (the
 * state was seeded again after Redis lost it) answers `many`: the caller must read it all.
 */
const CHANGES = new LuaScript(`
local gen = redis.call('HGET', KEYS[1], 'gen')
if not gen then return {'empty'} end
local epoch = redis.call('HGET', KEYS[1], 'epoch') or ''
if gen == ARGV[1] and epoch == ARGV[3] then return {'same', gen, epoch} end
local doc = redis.call('HGET', KEYS[1], 'doc')
if epoch ~= ARGV[3] then return {'many', gen, epoch, doc} end
local n = redis.call('ZCOUNT', KEYS[2], '(' .. ARGV[1], '+inf')
if n > tonumber(ARGV[2]) then return {'many', gen, epoch, doc} end
local out = {'changed', gen, epoch, doc}
local seqs = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[1], '+inf')
for _, s in ipairs(seqs) do
  local e = redis.call('HGET', KEYS[3], s)
  if e then out[#out + 1] = e end
end
return out
`);

/**
 * KEYS: lock, state, events, events:gen. ARGV: token, expected gen ('' = nothing stored: the
 * push seeds a new epoch), epoch, doc, then seq/json pairs.
 */
const PUSH = new LuaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local cur = redis.call('HGET', KEYS[2], 'gen')
if (cur or '') ~= ARGV[2] then return -2 end
if cur and redis.call('HGET', KEYS[2], 'epoch') ~= ARGV[3] then return -2 end
local gen = tonumber(cur or '0') + 1
redis.call('HSET', KEYS[2], 'gen', gen, 'epoch', ARGV[3], 'doc', ARGV[4])
for i = 5, #ARGV, 2 do
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
  redis.call('ZADD', KEYS[4], gen, ARGV[i])
end
return gen
`);

/** KEYS: lock. ARGV: token, ttl ms. 1 when still held (and extended). */
const EXTEND = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`);

const UNLOCK = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

/** KEYS: alive. ARGV: node. Records the node as heard now, by Redis's clock. */
const BEAT = new LuaScript(`
local t = redis.call('TIME')
redis.call('HSET', KEYS[1], ARGV[1], t[1] * 1000 + math.floor(t[2] / 1000))
return 1
`);

/** KEYS: alive. Redis's clock (ms), then node/ms pairs. */
const ALIVE = new LuaScript(`
local t = redis.call('TIME')
local out = {tostring(t[1] * 1000 + math.floor(t[2] / 1000))}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all do out[#out + 1] = all[i] end
return out
`);

const WHAT = 'key-server state';

function corrupt(what: string): Error {
  return new Error(`corrupt store: redis key-server state ${what}`);
}

const DATE_KEYS = new Set(['startedAt', 'firstTimestamp', 'lastTimestamp', 'fixedTimestamp']);

/** JSON with bytes as `{"hex":…}` and maps as `{"map":[[k,v]…]}`. */
function encode(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v instanceof Uint8Array) return { hex: Buffer.from(v).toString('hex') };
    if (v instanceof Map) return { map: [...(v as Map<unknown, unknown>)] };
    return v;
  });
}

function decode(text: string, what: string): unknown {
  try {
    return JSON.parse(text, (k, v: unknown) => {
      if (DATE_KEYS.has(k) && typeof v === 'string') {
        const d = new Date(v);
        if (Number.isNaN(d.getTime())) throw corrupt(`${what}: ${k} is not a date`);
        return d;
      }
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
        const o = v as Record<string, unknown>;
        const keys = Object.keys(o);
        if (keys.length === 1 && typeof o['hex'] === 'string' && /^[0-9a-f]*$/.test(o['hex'])) {
          return new Uint8Array(Buffer.from(o['hex'], 'hex'));
        }
        if (keys.length === 1 && Array.isArray(o['map']))
          return new Map(o['map'] as [unknown, unknown][]);
      }
      return v;
    }) as unknown;
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('corrupt store: ')) throw e;
    throw corrupt(`${what}: not JSON`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function oneOf(values: readonly string[], v: unknown): boolean {
  return typeof v === 'string' && values.includes(v);
}

/** The parts of a snapshot the mirror's tables need, checked; a bad one is `corrupt store`. */
function checkSnapshot(v: unknown): KeyServerSnapshot {
  if (!isObject(v)) throw corrupt('doc: not an object');
  const { keyServers, types, nodes, encryption, settings } = v;
  if (!Array.isArray(keyServers) || !Array.isArray(types) || !Array.isArray(nodes))
    throw corrupt('doc: keyServers, types and nodes must be lists');
  for (const k of keyServers as unknown[]) {
    if (
      !isObject(k) ||
      !Number.isSafeInteger(k['id']) ||
      typeof k['name'] !== 'string' ||
      typeof k['ip'] !== 'string' ||
      !Number.isSafeInteger(k['port']) ||
      !oneOf(KEY_SERVER_TYPES, k['type']) ||
      !oneOf(KEY_SERVER_STATUSES, k['status']) ||
      typeof k['primary'] !== 'boolean' ||
      !Array.isArray(k['lastValidation'])
    )
      throw corrupt('doc: a key server is malformed');
  }
  for (const t of types as unknown[]) {
    if (!isObject(t) || !oneOf(KEY_SERVER_TYPES, t['type']) || typeof t['enabled'] !== 'boolean')
      throw corrupt('doc: a type setting is malformed');
  }
  for (const n of nodes as unknown[]) {
    if (!isObject(n) || typeof n['id'] !== 'string' || typeof n['name'] !== 'string')
      throw corrupt('doc: a node is malformed');
  }
  if (
    !isObject(encryption) ||
    typeof encryption['keyServerEnabled'] !== 'boolean' ||
    !(encryption['kekUids'] instanceof Map) ||
    !Number.isSafeInteger(encryption['generation'])
  )
    throw corrupt('doc: the encryption state is malformed');
  if (
    !isObject(settings) ||
    !Number.isFinite(settings['validationIntervalMinutes']) ||
    !Number.isFinite(settings['validationTimeoutSeconds'])
  )
    throw corrupt('doc: the settings are malformed');
  const cert = v['systemCertificate'];
  if (
    cert !== undefined &&
    (!isObject(cert) || typeof cert['certPem'] !== 'string' || typeof cert['keyPem'] !== 'string')
  )
    throw corrupt('doc: the system certificate is malformed');
  return v as unknown as KeyServerSnapshot;
}

function checkEvent(v: unknown): EventRecord {
  if (
    !isObject(v) ||
    !Number.isSafeInteger(v['sequenceNumber']) ||
    !(v['firstTimestamp'] instanceof Date) ||
    !(v['lastTimestamp'] instanceof Date) ||
    !oneOf(EVENT_OBJECT_TYPES, v['objectType']) ||
    !oneOf(EVENT_STATUSES, v['status']) ||
    !oneOf(NOTIFICATION_TYPES, v['notificationType']) ||
    !oneOf(EVENT_IDS, v['eventId']) ||
    typeof v['objectId'] !== 'string' ||
    typeof v['objectName'] !== 'string' ||
    typeof v['fixed'] !== 'boolean' ||
    !(v['sense'] instanceof Uint8Array) ||
    v['sense'].length !== SENSE_BYTES
  )
    throw corrupt('event: malformed');
  return v as unknown as EventRecord;
}

/** The generation as Redis returns it (a string or a number). */
function genOf(v: unknown): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw corrupt('gen');
  return n;
}

export class RedisKeyServerState {
  readonly #client: Redis;
  readonly #state: string;
  readonly #events: string;
  readonly #eventsGen: string;
  readonly #lock: string;
  readonly #alive: string;

  constructor(client: Redis, { prefix = 'sekisho:' }: RedisKeyServerStateOptions = {}) {
    this.#client = client;
    this.#state = `${prefix}ks:state`;
    this.#events = `${prefix}ks:events`;
    this.#eventsGen = `${prefix}ks:events:gen`;
    this.#lock = `${prefix}ks:lock`;
    this.#alive = `${prefix}ks:alive`;
  }

  /** Records that `node` is running now (Redis's clock; `ks:alive`, node → ms). */
  async beat(node: string): Promise<void> {
    await runScript(this.#client, WHAT, BEAT, [this.#alive], [node]);
  }

  /** Per node, milliseconds since it was last heard (by Redis's clock: no skew between nodes). */
  async heard(): Promise<Map<string, number>> {
    const reply = await runScript(this.#client, WHAT, ALIVE, [this.#alive], []);
    if (!Array.isArray(reply)) throw corrupt('alive');
    const [now, ...pairs] = reply as unknown[];
    const out = new Map<string, number>();
    for (let i = 0; i + 1 < pairs.length; i += 2) {
      const at = Number(pairs[i + 1]);
      if (typeof pairs[i] === 'string' && Number.isFinite(at))
        out.set(pairs[i] as string, Math.max(0, Number(now) - at));
    }
    return out;
  }

  /** Takes the write lock for `ttlMs` if nobody holds it; true when taken. */
  async lock(token: string, ttlMs: number): Promise<boolean> {
    try {
      return (await this.#client.set(this.#lock, token, 'PX', ttlMs, 'NX')) === 'OK';
    } catch (e) {
      throw new Error(`${WHAT} (Redis): ${(e as Error).message}`, { cause: e });
    }
  }

  /** Extends the lock while `token` holds it; false when it was lost. */
  async extend(token: string, ttlMs: number): Promise<boolean> {
    return (
      (await runScript(this.#client, WHAT, EXTEND, [this.#lock], [token, String(ttlMs)])) === 1
    );
  }

  async unlock(token: string): Promise<void> {
    await runScript(this.#client, WHAT, UNLOCK, [this.#lock], [token]);
  }

  /**
   * What changed after generation `since` of `epoch` (0: everything), atomically: the snapshot
   * and the events written since, or `many` when more than `maxEvents` events changed or the
   * epoch is another one.
   */
  async changes(since: number, epoch: string, maxEvents = 2000): Promise<StateChanges> {
    const reply = await runScript(
      this.#client,
      WHAT,
      CHANGES,
      [this.#state, this.#eventsGen, this.#events],
      [String(since), String(maxEvents), epoch],
    );
    if (!Array.isArray(reply) || typeof reply[0] !== 'string') throw corrupt('reply');
    const parts = reply as unknown[];
    if (parts[0] === 'empty') return { kind: 'empty' };
    const gen = genOf(parts[1]);
    const stored = parts[2];
    if (typeof stored !== 'string' || stored.length > 64) throw corrupt('epoch');
    switch (parts[0]) {
      case 'same':
        return { kind: 'same', gen, epoch: stored };
      case 'many':
      case 'changed': {
        if (typeof parts[3] !== 'string') throw corrupt('doc: missing');
        const snapshot = checkSnapshot(decode(parts[3], 'doc'));
        if (parts[0] === 'many') return { kind: 'many', gen, epoch: stored, snapshot };
        const events = parts.slice(4).map((t) => {
          if (typeof t !== 'string') throw corrupt('event: not text');
          return checkEvent(decode(t, 'event'));
        });
        return { kind: 'changed', gen, epoch: stored, snapshot, events };
      }
      default:
        throw corrupt('reply');
    }
  }

  /** Every stored event, in batches (HSCAN); for a node that is too far behind. */
  async *scanEvents(batch = 1000): AsyncGenerator<EventRecord[]> {
    let cursor = '0';
    do {
      let reply: [string, string[]];
      try {
        reply = await this.#client.hscan(this.#events, cursor, 'COUNT', batch);
      } catch (e) {
        throw new Error(`${WHAT} (Redis): ${(e as Error).message}`, { cause: e });
      }
      cursor = reply[0];
      const out: EventRecord[] = [];
      for (let i = 1; i < reply[1].length; i += 2)
        out.push(checkEvent(decode(reply[1][i]!, 'event')));
      yield out;
    } while (cursor !== '0');
  }

  /**
   * Stores `snapshot` and `events` as generation `expected + 1`, if `token` still holds the
   * lock and the state is still generation `expected` of `epoch` (0: nothing stored yet, and
   * `epoch` starts). Resolves the new
   * generation; rejects {@link StatePushRefused} otherwise.
   */
  async push(
    token: string,
    expected: number,
    epoch: string,
    snapshot: KeyServerSnapshot,
    events: readonly EventRecord[],
  ): Promise<number> {
    const args = [token, expected === 0 ? '' : String(expected), epoch, encode(snapshot)];
    for (const e of events) args.push(String(e.sequenceNumber), encode(e));
    const r = await runScript(
      this.#client,
      WHAT,
      PUSH,
      [this.#lock, this.#state, this.#events, this.#eventsGen],
      args,
    );
    if (r === -1) throw new StatePushRefused('lock-lost');
    if (r === -2) throw new StatePushRefused('generation');
    return genOf(r);
  }
}
