/**
 * RedisLockoutUserRepository: a `UserRepository` (src/sso/ports/user-repository.ts) that keeps
 * the lockout attributes — `ssoFailureCount`, `ssoUserStatus`, `ssoLockTimeStamp` — in Redis or
 * Valkey and everything else in an inner repository (memory, SQLite, an LDAP directory). Every
 * node of a cluster wraps its user repository with it over one Redis, so that lockout counts
 * failures at every node together, atomically, and a lock set at one node holds at all; and so
 * that lockout works over a read-only directory or an Active Directory without the SSO schema.
 *
 * Key: `<prefix>lockout:<DN lower-cased>`, a hash — `count` (decimal), `locked` (`1` or `0`),
 * `lock_ts` (epoch milliseconds; present only for a lock that has a timestamp). Absent: the
 * lockout attributes are the inner repository's own (seeded from them at the first write); once
 * present, the hash is authoritative and the inner repository's lockout attributes are neither
 * read nor written. The hash belongs to the DN across the cluster and outlives the entry at any
 * one node: `add` and `delete` leave it alone, because nodes with their own user stores add and
 * delete the same users independently (importing an LDIF at a second node must not release a
 * lock counted at the first). A user deleted and created again under the same DN keeps its lock
 * (fail safe); `unlock` releases it.
 *
 * Atomicity: `recordFailure` is one Lua script that reads the state, computes
 * `onPasswordFailure` (src/sso/core/lockout.ts; the Lua mirrors it line by line, and
 * tests/storage/redis-lockout.test.ts compares both over random states and policies) and writes
 * it, without any other client's command in between, whichever node sent it. `resetFailures`
 * and `unlock` read and replace in one script. So N concurrent failures from any nodes count N
 * times, lock exactly once and never pass the threshold.
 *
 * Reads overlay the hash on the users the inner repository returns (one script for a page of
 * users). Every failure of the client (Redis down) rejects as `lockout store (Redis): …`: sign-on
 * fails closed. Keys of one deployment must live on one Redis primary (no Redis Cluster).
 */
import type { Redis } from 'iovalkey';
import { SsoError } from '../../sso/core/errors.ts';
import type { FailureEvent, LockoutPolicy, LockoutState } from '../../sso/core/lockout.ts';
import { FAILURE_EVENTS, lockoutAttributes, lockoutStateOf } from '../../sso/core/lockout.ts';
import type { CertMappingAttribute, SsoUser, UserDn } from '../../sso/core/user.ts';
import type {
  Page,
  PageRequest,
  PasswordVerifier,
  RecordedFailure,
  UserChanges,
  UserRepository,
  UserSearch,
  UserSearchResult,
} from '../../sso/ports/user-repository.ts';
import { LuaScript, runScript } from './script.ts';

export interface RedisLockoutOptions {
  /** Prepended to every key; default `sekisho:`. */
  readonly prefix?: string;
}

/**
 * Shared Lua: `read(key, seed)` returns {count, locked, ts} from the hash, or from the seed
 * (ARGV[1..3]: count, '1'/'0', lock time or '') when the hash is absent. ts is nil when none.
 */
const PRELUDE = `
local function corrupt(what)
  error({err = 'corrupt store: redis lockout ' .. what})
end
local function num(v, what)
  if type(v) ~= 'string' or not string.match(v, '^%d+$') or #v > 16 then
    corrupt(what .. ' is not an integer')
  end
  return tonumber(v)
end
local function read(key)
  local flat = redis.call('HGETALL', key)
  local f = {}
  if #flat == 0 then
    f['count'] = ARGV[1]
    f['locked'] = ARGV[2]
    if ARGV[3] ~= '' then f['lock_ts'] = ARGV[3] end
  else
    for i = 1, #flat, 2 do f[flat[i]] = flat[i + 1] end
  end
  local s = {count = num(f['count'], 'count'), countText = f['count'], ts = f['lock_ts']}
  if f['locked'] == '1' then s.locked = true
  elseif f['locked'] == '0' then s.locked = false
  else corrupt('locked is not 0 or 1') end
  if s.ts ~= nil then num(s.ts, 'lock_ts') end
  return s
end
local function write(key, count, locked, ts)
  redis.call('HSET', key, 'count', count, 'locked', locked and '1' or '0')
  if locked and ts ~= nil then
    redis.call('HSET', key, 'lock_ts', ts)
  else
    redis.call('HDEL', key, 'lock_ts')
  end
end
local function reply(s)
  return {s.countText, s.locked and '1' or '0', s.ts or ''}
end
`;

/**
 * KEYS[1] the hash. ARGV: seed count, seed locked, seed lock time, maxFailureCount,
 * lockOutTimeMinutes or '', now (ms). Returns {event, released, previous, next} where each
 * state is {count, locked, ts or ''}. Mirrors onPasswordFailure exactly.
 */
const RECORD_FAILURE = new LuaScript(
  PRELUDE +
    `
local key = KEYS[1]
local threshold = tonumber(ARGV[4])
local minutes = ARGV[5]
local nowText = ARGV[6]
local now = tonumber(nowText)
local s = read(key)
-- isLocked
local locked, released = false, false
if s.locked then
  if minutes == '' then
    locked = true
  else
    local since = 0
    if s.ts ~= nil then since = tonumber(s.ts) end
    if now >= since + tonumber(minutes) * 60000 then released = true else locked = true end
  end
end
if locked then
  return {'already_locked', '0', reply(s), reply(s)}
end
local from = s
if released then from = {count = 0, locked = false, ts = nil} end
local n
if threshold == 0 then
  n = {count = from.count + 1, locked = from.locked, ts = from.ts}
else
  local c = math.min(from.count + 1, threshold)
  if c >= threshold then
    n = {count = c, locked = true, ts = nowText}
  else
    n = {count = c, locked = false, ts = nil}
  end
end
n.countText = string.format('%d', n.count)
write(key, n.countText, n.locked, n.ts)
local event = 'counted'
if n.locked and threshold ~= 0 then event = 'locked' end
return {event, released and '1' or '0', reply(s), reply(n)}
`,
);

/** KEYS[1] the hash. ARGV: the seed. Writes the unlocked state; returns the replaced one. */
const RELEASE = new LuaScript(
  PRELUDE +
    `
local s = read(KEYS[1])
write(KEYS[1], '0', false, nil)
return reply(s)
`,
);

/** KEYS: the hashes. The flat hash of each (empty when absent). */
const READ_MANY = new LuaScript(`
local out = {}
for i, k in ipairs(KEYS) do out[i] = redis.call('HGETALL', k) end
return out
`);

function corrupt(what: string): Error {
  return new Error(`corrupt store: redis lockout ${what}`);
}

const INT = /^\d{1,16}$/;

/** A state from a reply {count, locked, ts or ''}. */
function stateOf(v: unknown): LockoutState {
  if (!Array.isArray(v) || v.length !== 3) throw corrupt('state reply is malformed');
  const [count, locked, ts] = v as unknown[];
  if (typeof count !== 'string' || !INT.test(count)) throw corrupt('count is not an integer');
  if (locked !== '1' && locked !== '0') throw corrupt('locked is not 0 or 1');
  if (typeof ts !== 'string' || (ts !== '' && !INT.test(ts))) {
    throw corrupt('lock_ts is not an integer');
  }
  const isLocked = locked === '1';
  return {
    failureCount: Number(count),
    locked: isLocked,
    lockTimestamp: isLocked && ts !== '' ? new Date(Number(ts)) : undefined,
  };
}

/** A state from a flat HGETALL reply; undefined when the hash is absent. */
function stateOfHash(flat: unknown): LockoutState | undefined {
  if (!Array.isArray(flat)) throw corrupt('hash reply is not an array');
  if (flat.length === 0) return undefined;
  const f = new Map<unknown, unknown>();
  for (let i = 0; i + 1 < flat.length; i += 2) f.set(flat[i], flat[i + 1]);
  return stateOf([f.get('count'), f.get('locked'), f.get('lock_ts') ?? '']);
}

/** The seed ARGV of a user: its own lockout attributes. */
function seed(user: SsoUser): string[] {
  const s = lockoutStateOf(user);
  return [
    String(s.failureCount),
    s.locked ? '1' : '0',
    s.lockTimestamp === undefined ? '' : String(s.lockTimestamp.getTime()),
  ];
}

function notFound(dn: string): SsoError {
  return new SsoError('SSO_USER_NOT_FOUND', `no user ${dn}`);
}

const WHAT = 'lockout store';

export class RedisLockoutUserRepository implements UserRepository {
  readonly #inner: UserRepository;
  readonly #client: Redis;
  readonly #prefix: string;

  constructor(
    inner: UserRepository,
    client: Redis,
    { prefix = 'sekisho:' }: RedisLockoutOptions = {},
  ) {
    this.#inner = inner;
    this.#client = client;
    this.#prefix = prefix;
    // Update and reference servers: the current copy comes from the update server (the
    // repository server decides a sign-on on it), with the counters of Redis laid over it.
    const current = inner.findCurrent?.bind(inner);
    if (current !== undefined) this.findCurrent = async (dn) => this.#one(await current(dn));
    // Active Directory: the directory checks passwords; the counters stay here.
    if (inner.passwordVerifier !== undefined) this.passwordVerifier = inner.passwordVerifier;
  }

  readonly findCurrent?: (dn: UserDn) => Promise<SsoUser | undefined>;
  readonly passwordVerifier?: PasswordVerifier;

  /** The Redis key of a user's lockout hash. */
  keyOf(dn: string): string {
    return `${this.#prefix}lockout:${dn.toLowerCase()}`;
  }

  /** The users with their lockout attributes from Redis where it holds them. */
  async #overlay(users: readonly SsoUser[]): Promise<SsoUser[]> {
    if (users.length === 0) return [];
    const reply = await runScript(
      this.#client,
      WHAT,
      READ_MANY,
      users.map((u) => this.keyOf(u.dn)),
      [],
    );
    if (!Array.isArray(reply) || reply.length !== users.length) {
      throw corrupt('read reply is malformed');
    }
    return users.map((u, i) => {
      const s = stateOfHash(reply[i]);
      return s === undefined ? u : { ...u, ...lockoutAttributes(s) };
    });
  }

  async #one(user: SsoUser | undefined): Promise<SsoUser | undefined> {
    return user === undefined ? undefined : (await this.#overlay([user]))[0];
  }

  async #existing(dn: UserDn): Promise<SsoUser> {
    const u = await this.#inner.findByDn(dn);
    if (u === undefined) throw notFound(dn);
    return u;
  }

  async findByUid(uid: string): Promise<SsoUser | undefined> {
    return this.#one(await this.#inner.findByUid(uid));
  }

  async findByDn(dn: UserDn): Promise<SsoUser | undefined> {
    return this.#one(await this.#inner.findByDn(dn));
  }

  async findByCertificate(
    attribute: CertMappingAttribute,
    value: string,
  ): Promise<readonly SsoUser[]> {
    return this.#overlay(await this.#inner.findByCertificate(attribute, value));
  }

  add(user: SsoUser): Promise<void> {
    return this.#inner.add(user);
  }

  async modify(dn: UserDn, changes: UserChanges): Promise<SsoUser> {
    return (await this.#overlay([await this.#inner.modify(dn, changes)]))[0]!;
  }

  delete(dn: UserDn): Promise<void> {
    return this.#inner.delete(dn);
  }

  async recordFailure(dn: UserDn, policy: LockoutPolicy, now: Date): Promise<RecordedFailure> {
    const user = await this.#existing(dn);
    const t = now.getTime();
    if (!Number.isSafeInteger(t) || t < 0) throw new RangeError('now is not a valid date');
    const reply = await runScript(
      this.#client,
      WHAT,
      RECORD_FAILURE,
      [this.keyOf(dn)],
      [
        ...seed(user),
        String(policy.maxFailureCount),
        policy.lockOutTimeMinutes === undefined ? '' : String(policy.lockOutTimeMinutes),
        String(t),
      ],
    );
    if (!Array.isArray(reply) || reply.length !== 4) throw corrupt('failure reply is malformed');
    const [event, released, previous, next] = reply as unknown[];
    const e = FAILURE_EVENTS.find((x): x is FailureEvent => x === event);
    if (e === undefined || (released !== '0' && released !== '1')) {
      throw corrupt('failure reply is malformed');
    }
    return {
      event: e,
      released: released === '1',
      previous: stateOf(previous),
      state: stateOf(next),
    };
  }

  async #release(dn: UserDn): Promise<LockoutState> {
    const user = await this.#existing(dn);
    return stateOf(await runScript(this.#client, WHAT, RELEASE, [this.keyOf(dn)], seed(user)));
  }

  resetFailures(dn: UserDn): Promise<LockoutState> {
    return this.#release(dn);
  }

  unlock(dn: UserDn): Promise<LockoutState> {
    return this.#release(dn);
  }

  async listUsers(page: PageRequest): Promise<Page<SsoUser>> {
    const p = await this.#inner.listUsers(page);
    return { items: await this.#overlay(p.items), nextCursor: p.nextCursor };
  }

  async searchUsers(search: UserSearch): Promise<UserSearchResult> {
    const r = await this.#inner.searchUsers(search);
    return { items: await this.#overlay(r.items), truncated: r.truncated };
  }
}
