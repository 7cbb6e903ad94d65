/**
 * RedisServiceIdStore: the wrapped service ID on Redis or Valkey (`ServiceIdStore`,
 * src/sso/ports/service-id-store.ts), shared by every node of a cluster (docs/cluster.md).
 *
 * Key: `<prefix>service-id`, a hash — `wrapped` (base64 of nonce | ciphertext | tag; the
 * service ID is never stored in clear), `kcv` (the wrapping KEK's check value), `created_at`
 * (epoch milliseconds), `generation` (≥ 1). `put` is one Lua script that compares the stored
 * generation with the expected one and writes only on a match, so that of two nodes that
 * regenerate at once exactly one wins (the other resolves false and reports a conflict).
 *
 * Every node must hold the same KEK to unwrap it (key servers, or the same local KEK file
 * copied to every data directory). Every failure of the client rejects as
 * `service ID store (Redis): …` (fail closed); malformed values as `corrupt store: redis
 * service-id …`. The caller owns the client.
 */
import type { Redis } from 'iovalkey';
import {
  checkWrappedServiceId,
  type ServiceIdStore,
  type WrappedServiceId,
} from '../../sso/ports/service-id-store.ts';
import { LuaScript, runScript } from './script.ts';

export interface RedisServiceIdStoreOptions {
  /** Prepended to the key; default `sekisho:`. */
  readonly prefix?: string;
}

/** KEYS[1] the hash; ARGV: expected generation or '', then field/value pairs. 1 stored, 0 not. */
const PUT = new LuaScript(`
local cur = redis.call('HGET', KEYS[1], 'generation')
if ARGV[1] == '' then
  if cur then return 0 end
elseif cur ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
return 1
`);

const GET = new LuaScript(`return redis.call('HGETALL', KEYS[1])`);

function corrupt(what: string): Error {
  return new Error(`corrupt store: redis service-id ${what}`);
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const INT = /^(0|[1-9]\d{0,15})$/;

export class RedisServiceIdStore implements ServiceIdStore {
  readonly #client: Redis;
  readonly #key: string;

  constructor(client: Redis, { prefix = 'sekisho:' }: RedisServiceIdStoreOptions = {}) {
    this.#client = client;
    this.#key = `${prefix}service-id`;
  }

  async get(): Promise<WrappedServiceId | undefined> {
    const reply = await runScript(this.#client, 'service ID store', GET, [this.#key], []);
    if (!Array.isArray(reply)) throw corrupt('reply is not an array');
    if (reply.length === 0) return undefined;
    const f = new Map<string, string>();
    for (let i = 0; i + 1 < reply.length; i += 2) {
      const [k, v] = [reply[i] as unknown, reply[i + 1] as unknown];
      if (typeof k !== 'string' || typeof v !== 'string') throw corrupt('field is not text');
      f.set(k, v);
    }
    const wrapped = f.get('wrapped');
    const kcv = f.get('kcv');
    const createdAt = f.get('created_at');
    const generation = f.get('generation');
    if (wrapped === undefined || !BASE64.test(wrapped)) throw corrupt('wrapped is not base64');
    if (kcv === undefined) throw corrupt('kcv is missing');
    if (createdAt === undefined || !INT.test(createdAt)) {
      throw corrupt('created_at is not an integer');
    }
    if (generation === undefined || !INT.test(generation) || generation === '0') {
      throw corrupt('generation is not a positive integer');
    }
    return {
      wrapped: new Uint8Array(Buffer.from(wrapped, 'base64')),
      kcv,
      createdAt: new Date(Number(createdAt)),
      generation: Number(generation),
    };
  }

  async put(w: WrappedServiceId, expected: number | undefined): Promise<boolean> {
    checkWrappedServiceId(w);
    if (w.createdAt.getTime() < 0) throw new RangeError('createdAt is before 1970');
    const reply = await runScript(
      this.#client,
      'service ID store',
      PUT,
      [this.#key],
      [
        expected === undefined ? '' : String(expected),
        'wrapped',
        Buffer.from(w.wrapped).toString('base64'),
        'kcv',
        w.kcv,
        'created_at',
        String(w.createdAt.getTime()),
        'generation',
        String(w.generation),
      ],
    );
    if (reply !== 0 && reply !== 1) throw corrupt('put reply is not 0 or 1');
    return reply === 1;
  }
}
