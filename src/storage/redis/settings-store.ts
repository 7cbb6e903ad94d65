/**
 * RedisSharedSettings: the SSO settings `chssoconfig` changes (lockout, session timeouts, log
 * rotation), shared by the nodes of a cluster (docs/cluster.md "SSO settings").
 *
 * Key: `<prefix>sso-settings`, a hash of configuration path → value as `chssoconfig -set`
 * writes it (`3`, `true`, `daily`). Only the paths a node changed are there: a path absent
 * keeps each node's own file value. The values are parsed again by whoever reads them (the
 * settings service checks them with the one schema), so a hostile value in Redis changes
 * nothing. Failures reject as `shared settings (Redis): …`. The caller owns the client.
 */
import type { Redis } from 'iovalkey';

export interface RedisSharedSettingsOptions {
  /** Prepended to the key; default `sekisho:`. */
  readonly prefix?: string;
}

const WHAT = 'shared settings';

export class RedisSharedSettings {
  readonly #client: Redis;
  readonly #key: string;

  constructor(client: Redis, { prefix = 'sekisho:' }: RedisSharedSettingsOptions = {}) {
    this.#client = client;
    this.#key = `${prefix}sso-settings`;
  }

  /** Stores `values` (path → value text) in one step. */
  async put(values: ReadonlyMap<string, string>): Promise<void> {
    if (values.size === 0) return;
    try {
      await this.#client.hset(this.#key, Object.fromEntries(values));
    } catch (e) {
      throw new Error(`${WHAT} (Redis): ${(e as Error).message}`, { cause: e });
    }
  }

  /** Every shared setting, path → value text (not yet checked). */
  async get(): Promise<Map<string, string>> {
    try {
      return new Map(Object.entries(await this.#client.hgetall(this.#key)));
    } catch (e) {
      throw new Error(`${WHAT} (Redis): ${(e as Error).message}`, { cause: e });
    }
  }
}
