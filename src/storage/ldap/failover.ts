/**
 * Reads over an update-type repository server and reference-type ones
 * (shared/reference/sso-interstage.md §1, EG-53, EG-56), for the replicated repositories of
 * this folder.
 *
 * A read goes to the first reference server that answers, in the configured order, and finally
 * to the update server. Only `SSO_REPOSITORY_UNAVAILABLE` (connect, bind, timeout, protocol)
 * moves a read to the next server; any other answer is the answer. A reference server that
 * failed is skipped for `retryAfterMs`: reads meanwhile go to the next one without paying its
 * connect timeout on every request; after that the next read tries it again, in its place. When
 * every server not backing off has failed, those backing off are tried as a last resort before
 * the read fails. The update server is never skipped.
 */
import { isRepositoryUnavailable, SsoRepositoryUnavailableError } from '../../sso/core/errors.ts';

/** Default milliseconds a failed reference server is skipped. */
export const DEFAULT_RETRY_AFTER_MS = 10_000;

/** A server of the set: its repository and a name for events (its URL). */
export interface ServerEndpoint<R> {
  readonly name: string;
  readonly repo: R;
}

/** What happened to a read (for operational logs and tests). */
export type FailoverEvent =
  | {
      readonly kind: 'unavailable';
      readonly server: string;
      readonly operation: string;
      readonly error: SsoRepositoryUnavailableError;
    }
  | { readonly kind: 'served'; readonly server: string; readonly operation: string };

export interface FailoverOptions<R> {
  /** The update-type server (the provider). */
  readonly update: ServerEndpoint<R>;
  /** The reference-type servers (consumers), in the order reads try them. */
  readonly references: readonly ServerEndpoint<R>[];
  /** Milliseconds a failed reference server is skipped; default {@link DEFAULT_RETRY_AFTER_MS}. */
  readonly retryAfterMs?: number;
  /** Called for every failed attempt and for the server that served each read. */
  readonly onEvent?: (event: FailoverEvent) => void;
  readonly now?: () => number;
}

export class FailoverReads<R> {
  readonly update: ServerEndpoint<R>;
  readonly #references: readonly ServerEndpoint<R>[];
  readonly #retryAfterMs: number;
  readonly #onEvent: ((event: FailoverEvent) => void) | undefined;
  readonly #now: () => number;
  /** Reference server name → time (ms) until which it is skipped. */
  readonly #backoff = new Map<string, number>();

  constructor(options: FailoverOptions<R>) {
    this.update = options.update;
    this.#references = options.references;
    this.#retryAfterMs = options.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS;
    this.#onEvent = options.onEvent;
    this.#now = options.now ?? Date.now;
  }

  /** The clock the back-off runs on (ms). */
  now(): number {
    return this.#now();
  }

  /** The order a read tries the servers in now; `updateFirst` puts the update server first. */
  #order(updateFirst: boolean): ServerEndpoint<R>[] {
    const now = this.#now();
    const ready: ServerEndpoint<R>[] = [];
    const waiting: ServerEndpoint<R>[] = [];
    for (const r of this.#references) {
      const until = this.#backoff.get(r.name);
      if (until !== undefined && until > now) waiting.push(r);
      else ready.push(r);
    }
    return updateFirst ? [this.update, ...ready, ...waiting] : [...ready, this.update, ...waiting];
  }

  /**
   * Runs `fn` on the servers in read order until one answers. With `updateFirst`, the update
   * server is asked first and the reference servers are the fallback (reading one's own write).
   */
  async read<T>(operation: string, fn: (repo: R) => Promise<T>, updateFirst = false): Promise<T> {
    let last: SsoRepositoryUnavailableError | undefined;
    for (const server of this.#order(updateFirst)) {
      try {
        const result = await fn(server.repo);
        if (server !== this.update) this.#backoff.delete(server.name);
        this.#onEvent?.({ kind: 'served', server: server.name, operation });
        return result;
      } catch (e) {
        if (!isRepositoryUnavailable(e)) throw e;
        last = e;
        if (server !== this.update) {
          this.#backoff.set(server.name, this.#now() + this.#retryAfterMs);
        }
        this.#onEvent?.({ kind: 'unavailable', server: server.name, operation, error: e });
      }
    }
    // Every server failed: the last failure is the reason reported.
    throw last ?? new SsoRepositoryUnavailableError('connect', `${operation}: no server`);
  }
}
