/**
 * One Lua script run by Redis as one atomic step (EVALSHA, EVAL when Redis has not cached it),
 * shared by the Redis adapters other than the session store (which predates it).
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'iovalkey';

export class LuaScript {
  readonly lua: string;
  readonly sha: string;
  constructor(lua: string) {
    this.lua = lua;
    this.sha = createHash('sha1').update(lua).digest('hex');
  }
}

/**
 * Runs `script` with `keys` and `args`. A failure of the client (Redis down, connection lost)
 * rejects as `<what> (Redis): <message>`; an error the script raised with a message starting
 * `corrupt store: ` keeps its message.
 */
export async function runScript(
  client: Redis,
  what: string,
  script: LuaScript,
  keys: readonly string[],
  args: readonly string[],
): Promise<unknown> {
  try {
    try {
      return await client.evalsha(script.sha, keys.length, ...keys, ...args);
    } catch (e) {
      if (!(e instanceof Error) || !e.message.startsWith('NOSCRIPT')) throw e;
      return await client.eval(script.lua, keys.length, ...keys, ...args);
    }
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    if (err.message.startsWith('corrupt store: ')) throw new Error(err.message, { cause: e });
    throw new Error(`${what} (Redis): ${err.message}`, { cause: e });
  }
}
