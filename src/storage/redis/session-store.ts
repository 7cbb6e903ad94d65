/**
 * RedisSessionStore: the sessions of session management on Redis or Valkey (`SessionStore`,
 * src/sso/ports/session-store.ts), so that several nodes share them (DESIGN.md "Storage").
 *
 * Keys, under a prefix (default `sekisho:`): `<p>s:<id>` a hash per session — `id`, `uid`,
 * `dn`, `client` (absent = unknown), `created_at`, `last_used_at`, `authenticated_at`,
 * `reauth_at` (epoch milliseconds, decimal; absent = no re-authentication interval), `state`;
 * `<p>u:<uid>` the set of a user ID's session identifiers; `<p>order` a sorted set (score 0,
 * ordered by member) of `<created_at, 16 digits>.<id>` for `list`.
 *
 * Atomicity: every operation is one Lua script (EVALSHA, EVAL on NOSCRIPT), which Redis runs
 * without interleaving any other client's command, whichever node sent it: `create` checks the
 * user ID's active sessions and writes in one step; `activate`, `delete`, `deleteByUid` read,
 * check and remove in one step, so of concurrent calls exactly one receives a session. A script
 * checks everything it will touch before its first write (a script that fails midway keeps its
 * writes). Scripts reach keys they find (a user ID's sessions), so every key must live on one
 * Redis primary: Redis Cluster is not supported.
 *
 * Values read back are checked strictly: a hash with a missing, unknown or malformed field is
 * reported as `corrupt store: redis session …` (never with the session identifier, a bearer
 * secret). Every failure of the client (Redis down, connection lost) rejects as `session store
 * (Redis): …` — the store fails closed. Create the client with `enableOfflineQueue: false` (or a
 * small `maxRetriesPerRequest`) so that calls reject at once while Redis is unreachable instead
 * of waiting in the client's queue; it reconnects by itself. The caller owns the client.
 *
 * Unlike the other adapters, a session created before 1970 (`createdAt` < 0) is refused with a
 * RangeError: the list order is the text order of zero-padded milliseconds.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'iovalkey';
import type { Session, SessionId, SessionState } from '../../sso/core/session.ts';
import { SESSION_STATES, isSessionId } from '../../sso/core/session.ts';
import { userDn } from '../../sso/core/user.ts';
import type {
  ActivatedSession,
  Page,
  PageRequest,
  SessionStore,
} from '../../sso/ports/session-store.ts';
import {
  checkPageLimit,
  checkSessionText,
  compareSessions,
  parseSessionCursor,
  sessionCursor,
} from '../../sso/ports/session-store.ts';

export interface RedisSessionStoreOptions {
  /** Prepended to every key; several stores (or deployments) share one database by prefix. */
  readonly prefix?: string;
}

/** The Lua shared by the scripts: ARGV[1] is the key prefix. */
const PRELUDE = `
local P = ARGV[1]
local function fields(flat)
  local f = {}
  for i = 1, #flat, 2 do f[flat[i]] = flat[i + 1] end
  return f
end
local function corrupt(what)
  error({err = 'corrupt store: redis session ' .. what})
end
local function orderMember(id, f)
  local c = f['created_at']
  if type(f['uid']) ~= 'string' then corrupt('uid is missing') end
  if type(c) ~= 'string' or not string.match(c, '^%d+$') or #c > 16 then
    corrupt('created_at is not an integer')
  end
  return string.rep('0', 16 - #c) .. c .. '.' .. id
end
local function remove(id, f, m)
  redis.call('DEL', P .. 's:' .. id)
  redis.call('SREM', P .. 'u:' .. f['uid'], id)
  redis.call('ZREM', P .. 'order', m)
end
`;

class Script {
  readonly lua: string;
  readonly sha: string;
  constructor(body: string) {
    this.lua = PRELUDE + body;
    this.sha = createHash('sha1').update(this.lua).digest('hex');
  }
}

/** ARGV: P, id, state, order member, uid, field/value pairs. 1 stored, 0 refused. */
const CREATE = new Script(`
local key = P .. 's:' .. ARGV[2]
if redis.call('EXISTS', key) == 1 then
  return redis.error_reply('session identifier already stored')
end
local ukey = P .. 'u:' .. ARGV[5]
if ARGV[3] == 'active' then
  for _, sid in ipairs(redis.call('SMEMBERS', ukey)) do
    if redis.call('HGET', P .. 's:' .. sid, 'state') == 'active' then return 0 end
  end
end
redis.call('HSET', key, unpack(ARGV, 6))
redis.call('SADD', ukey, ARGV[2])
redis.call('ZADD', P .. 'order', 0, ARGV[4])
return 1
`);

/** ARGV: P, id. The flat hash (empty when absent). */
const GET = new Script(`return redis.call('HGETALL', P .. 's:' .. ARGV[2])`);

/** ARGV: P, uid. {id, flat hash} per member of the user ID's set. */
const BY_UID = new Script(`
local out = {}
for _, sid in ipairs(redis.call('SMEMBERS', P .. 'u:' .. ARGV[2])) do
  table.insert(out, {sid, redis.call('HGETALL', P .. 's:' .. sid)})
end
return out
`);

/** ARGV: P, id, now. 1 when the session exists. */
const TOUCH = new Script(`
local key = P .. 's:' .. ARGV[2]
if redis.call('EXISTS', key) == 0 then return 0 end
local cur = tonumber(redis.call('HGET', key, 'last_used_at'))
if cur == nil then corrupt('last_used_at is not an integer') end
if tonumber(ARGV[3]) > cur then redis.call('HSET', key, 'last_used_at', ARGV[3]) end
return 1
`);

/** ARGV: P, id, now. nil, or {flat hash of the activated session, {{id, flat hash}…} replaced}. */
const ACTIVATE = new Script(`
local key = P .. 's:' .. ARGV[2]
if redis.call('HGET', key, 'state') ~= 'pending_forced' then return false end
local f = fields(redis.call('HGETALL', key))
orderMember(ARGV[2], f)
local cur = tonumber(f['last_used_at'])
if cur == nil then corrupt('last_used_at is not an integer') end
local gone = {}
for _, sid in ipairs(redis.call('SMEMBERS', P .. 'u:' .. f['uid'])) do
  local h = redis.call('HGETALL', P .. 's:' .. sid)
  local g = fields(h)
  if g['state'] == 'active' then table.insert(gone, {sid, h, g, orderMember(sid, g)}) end
end
local replaced = {}
for _, x in ipairs(gone) do
  remove(x[1], x[3], x[4])
  table.insert(replaced, {x[1], x[2]})
end
redis.call('HSET', key, 'state', 'active')
if tonumber(ARGV[3]) > cur then redis.call('HSET', key, 'last_used_at', ARGV[3]) end
return {redis.call('HGETALL', key), replaced}
`);

/** ARGV: P, id, state or ''. The removed flat hash, or nil. */
const DELETE = new Script(`
local flat = redis.call('HGETALL', P .. 's:' .. ARGV[2])
if #flat == 0 then return false end
local f = fields(flat)
if ARGV[3] ~= '' and f['state'] ~= ARGV[3] then return false end
remove(ARGV[2], f, orderMember(ARGV[2], f))
return flat
`);

/** ARGV: P, uid. {id, flat hash} per removed session. */
const DELETE_BY_UID = new Script(`
local ukey = P .. 'u:' .. ARGV[2]
local gone = {}
for _, sid in ipairs(redis.call('SMEMBERS', ukey)) do
  local h = redis.call('HGETALL', P .. 's:' .. sid)
  if #h == 0 then corrupt('set names a missing session') end
  local g = fields(h)
  table.insert(gone, {sid, h, g, orderMember(sid, g)})
end
local out = {}
for _, x in ipairs(gone) do
  remove(x[1], x[3], x[4])
  table.insert(out, {x[1], x[2]})
end
redis.call('DEL', ukey)
return out
`);

/** ARGV: P, ZRANGE BYLEX minimum, count. {order member, flat hash} per session. */
const LIST = new Script(`
local out = {}
local members = redis.call('ZRANGE', P .. 'order', ARGV[2], '+', 'BYLEX', 'LIMIT', 0, ARGV[3])
for _, m in ipairs(members) do
  table.insert(out, {m, redis.call('HGETALL', P .. 's:' .. string.sub(m, 18))})
end
return out
`);

const MAX_DATE_MS = 8_640_000_000_000_000;

function corrupt(what: string): Error {
  return new Error(`corrupt store: redis session ${what}`);
}

function ms(d: Date, name: string): string {
  const t = d.getTime();
  if (!Number.isSafeInteger(t)) throw new RangeError(`${name} is not a valid date`);
  return String(t);
}

/** The `order` member of a session created at `createdAt` (ms, 0 ≤ createdAt < 10^16). */
function orderMember(createdAt: number, id: string): string {
  return `${String(createdAt).padStart(16, '0')}.${id}`;
}

const INT = /^-?(0|[1-9]\d{0,15})$/;

function int(f: ReadonlyMap<string, string>, field: string): number {
  const v = f.get(field);
  const n = Number(v);
  if (v === undefined || !INT.test(v) || Math.abs(n) > MAX_DATE_MS) {
    throw corrupt(`${field} is not an integer`);
  }
  return n;
}

function text(f: ReadonlyMap<string, string>, field: string): string {
  const v = f.get(field);
  if (v === undefined) throw corrupt(`${field} is missing`);
  return v;
}

const FIELDS = new Set([
  'id',
  'uid',
  'dn',
  'client',
  'created_at',
  'last_used_at',
  'authenticated_at',
  'reauth_at',
  'state',
]);

function array(v: unknown, what: string): readonly unknown[] {
  if (!Array.isArray(v)) throw corrupt(`${what} is not an array`);
  return v;
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw corrupt(`${what} is not text`);
  return v;
}

/** A session from a flat HGETALL reply stored under identifier `id`. */
function decode(id: unknown, flat: unknown): Session {
  const key = str(id, 'identifier');
  const items = array(flat, 'hash');
  if (items.length === 0) throw corrupt('is missing');
  if (items.length % 2 !== 0) throw corrupt('hash is odd');
  const f = new Map<string, string>();
  for (let i = 0; i < items.length; i += 2) {
    const name = str(items[i], 'field name');
    if (!FIELDS.has(name) || f.has(name)) throw corrupt(`field ${name} is unknown`);
    f.set(name, str(items[i + 1], name));
  }
  const sid = text(f, 'id');
  if (sid !== key || !isSessionId(sid)) throw corrupt('id is not its key');
  const stateText = text(f, 'state');
  const state: SessionState | undefined = SESSION_STATES.find((s) => s === stateText);
  if (state === undefined) throw corrupt(`state ${stateText}`);
  let dn;
  try {
    dn = userDn(text(f, 'dn'));
  } catch {
    throw corrupt('dn is not a DN');
  }
  const createdAt = int(f, 'created_at');
  if (createdAt < 0) throw corrupt('created_at is before 1970');
  return {
    id: sid,
    uid: text(f, 'uid'),
    dn,
    client: f.get('client'),
    createdAt: new Date(createdAt),
    lastUsedAt: new Date(int(f, 'last_used_at')),
    authenticatedAt: new Date(int(f, 'authenticated_at')),
    reauthAt: f.has('reauth_at') ? new Date(int(f, 'reauth_at')) : undefined,
    state,
  };
}

/** Sessions from a reply of {id, flat hash} pairs. */
function decodePairs(reply: unknown): Session[] {
  return array(reply, 'reply').map((pair) => {
    const [id, flat] = array(pair, 'pair');
    return decode(id, flat);
  });
}

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

export class RedisSessionStore implements SessionStore {
  readonly #client: Redis;
  readonly #prefix: string;

  constructor(client: Redis, { prefix = 'sekisho:' }: RedisSessionStoreOptions = {}) {
    this.#client = client;
    this.#prefix = prefix;
  }

  /** Runs a script: EVALSHA, EVAL when Redis does not have it cached. */
  async #run(script: Script, ...args: string[]): Promise<unknown> {
    const argv = [this.#prefix, ...args];
    try {
      try {
        return await this.#client.evalsha(script.sha, 0, ...argv);
      } catch (e) {
        if (!(e instanceof Error) || !e.message.startsWith('NOSCRIPT')) throw e;
        return await this.#client.eval(script.lua, 0, ...argv);
      }
    } catch (e) {
      const err = asError(e);
      if (/^(corrupt store: |session identifier already stored)/.test(err.message)) {
        throw new Error(err.message, { cause: e });
      }
      throw new Error(`session store (Redis): ${err.message}`, { cause: e });
    }
  }

  async create(s: Session): Promise<boolean> {
    checkSessionText(s);
    const createdAt = ms(s.createdAt, 'createdAt');
    if (s.createdAt.getTime() < 0) throw new RangeError('createdAt is before 1970');
    const pairs = [
      ['id', s.id],
      ['uid', s.uid],
      ['dn', s.dn],
      ['created_at', createdAt],
      ['last_used_at', ms(s.lastUsedAt, 'lastUsedAt')],
      ['authenticated_at', ms(s.authenticatedAt, 'authenticatedAt')],
      ['state', s.state],
      ...(s.client === undefined ? [] : [['client', s.client]]),
      ...(s.reauthAt === undefined ? [] : [['reauth_at', ms(s.reauthAt, 'reauthAt')]]),
    ].flat();
    const reply = await this.#run(
      CREATE,
      s.id,
      s.state,
      orderMember(s.createdAt.getTime(), s.id),
      s.uid,
      ...pairs,
    );
    if (reply !== 0 && reply !== 1) throw corrupt('create reply is not 0 or 1');
    return reply === 1;
  }

  async get(id: SessionId): Promise<Session | undefined> {
    const flat = await this.#run(GET, id);
    return array(flat, 'hash').length === 0 ? undefined : decode(id, flat);
  }

  async byUid(uid: string): Promise<readonly Session[]> {
    const sessions = decodePairs(await this.#run(BY_UID, uid));
    if (sessions.some((s) => s.uid !== uid)) throw corrupt('uid is not its set');
    return sessions.sort(compareSessions);
  }

  async touch(id: SessionId, now: Date): Promise<boolean> {
    const reply = await this.#run(TOUCH, id, ms(now, 'now'));
    if (reply !== 0 && reply !== 1) throw corrupt('touch reply is not 0 or 1');
    return reply === 1;
  }

  async activate(id: SessionId, now: Date): Promise<ActivatedSession | undefined> {
    const reply = await this.#run(ACTIVATE, id, ms(now, 'now'));
    if (reply === null) return undefined;
    const [flat, replaced] = array(reply, 'reply');
    return {
      session: decode(id, flat),
      replaced: decodePairs(replaced).sort(compareSessions),
    };
  }

  async delete(id: SessionId, state?: SessionState): Promise<Session | undefined> {
    const flat = await this.#run(DELETE, id, state ?? '');
    return flat === null ? undefined : decode(id, flat);
  }

  async deleteByUid(uid: string): Promise<readonly Session[]> {
    const sessions = decodePairs(await this.#run(DELETE_BY_UID, uid));
    if (sessions.some((s) => s.uid !== uid)) throw corrupt('uid is not its set');
    return sessions.sort(compareSessions);
  }

  async list(page: PageRequest): Promise<Page<Session>> {
    checkPageLimit(page.limit);
    let min = '-';
    if (page.cursor !== undefined) {
      const c = parseSessionCursor(page.cursor);
      min = `(${orderMember(c.createdAt, c.id)}`;
    }
    const rows = array(await this.#run(LIST, min, String(page.limit + 1)), 'reply');
    const items = rows.slice(0, page.limit).map((row) => {
      const [member, flat] = array(row, 'row');
      const m = /^(\d{16})\.(.*)$/s.exec(str(member, 'order member'));
      if (m === null) throw corrupt('order member is malformed');
      const s = decode(m[2], flat);
      if (s.createdAt.getTime() !== Number(m[1])) throw corrupt('order member is not its hash');
      return s;
    });
    const last = items.at(-1);
    return {
      items,
      nextCursor: rows.length > page.limit && last !== undefined ? sessionCursor(last) : undefined,
    };
  }
}
