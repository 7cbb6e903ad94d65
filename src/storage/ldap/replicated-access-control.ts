/**
 * ReplicatedAccessControlRepository: roles, role sets, sites and resources over one update-type
 * repository server (an LDAP provider) and reference-type ones (its syncrepl consumers), as the
 * users are (./replicated-user-repository.ts; shared/reference/sso-interstage.md §1).
 *
 * - Reads (`find`, `list`, `sites`, `resourcesOf`: what the business servers load their
 *   access-control snapshot from, and what the console lists) go to the reference servers in
 *   the configured order, then to the update server (./failover.ts): a business server still
 *   loads, and reloads, while the update server is down.
 * - Writes (`add`, `replace`, `delete`) go to the update server.
 * - Reading one's own writes: for `readYourWritesMs` after a write made through this object,
 *   reads ask the update server first (the reference servers stay the fallback), so that the
 *   reload that follows an administrator's change (`mkssorole`, the console) never loads the
 *   snapshot from a consumer that has not received the change yet.
 */
import type {
  AccessEntry,
  AccessEntryKind,
  AccessEntryOf,
  SsoResource,
  SsoSite,
} from '../../sso/core/access-control.ts';
import type { AccessControlRepository } from '../../sso/ports/access-control-repository.ts';
import { FailoverReads, type FailoverOptions } from './failover.ts';

/** Default milliseconds reads prefer the update server after a write. */
export const DEFAULT_READ_YOUR_WRITES_MS = 10_000;

export interface ReplicatedAccessControlOptions extends FailoverOptions<AccessControlRepository> {
  /** Milliseconds reads ask the update server first after a write; default 10 000. */
  readonly readYourWritesMs?: number;
}

export class ReplicatedAccessControlRepository implements AccessControlRepository {
  readonly #reads: FailoverReads<AccessControlRepository>;
  readonly #readYourWritesMs: number;
  /** When the last write through this object ended (the back-off clock), or -Infinity. */
  #wroteAt = Number.NEGATIVE_INFINITY;

  constructor(options: ReplicatedAccessControlOptions) {
    this.#reads = new FailoverReads(options);
    this.#readYourWritesMs = options.readYourWritesMs ?? DEFAULT_READ_YOUR_WRITES_MS;
  }

  #read<T>(operation: string, fn: (r: AccessControlRepository) => Promise<T>): Promise<T> {
    const fresh = this.#reads.now() - this.#wroteAt < this.#readYourWritesMs;
    return this.#reads.read(operation, fn, fresh);
  }

  async #write(fn: (r: AccessControlRepository) => Promise<void>): Promise<void> {
    try {
      await fn(this.#reads.update.repo);
    } finally {
      // Also after a failure: the write may have been made before the answer was lost.
      this.#wroteAt = this.#reads.now();
    }
  }

  find(dn: string): Promise<AccessEntry | undefined> {
    return this.#read('read access-control entry', (r) => r.find(dn));
  }

  add(entry: AccessEntry): Promise<void> {
    return this.#write((r) => r.add(entry));
  }

  replace(entry: AccessEntry): Promise<void> {
    return this.#write((r) => r.replace(entry));
  }

  delete(dn: string): Promise<void> {
    return this.#write((r) => r.delete(dn));
  }

  list(): Promise<readonly AccessEntry[]>;
  list<K extends AccessEntryKind>(kind: K): Promise<readonly AccessEntryOf<K>[]>;
  list(kind?: AccessEntryKind): Promise<readonly AccessEntry[]> {
    return this.#read('list access-control entries', (r) =>
      kind === undefined ? r.list() : r.list(kind),
    );
  }

  sites(): Promise<readonly SsoSite[]> {
    return this.#read('list sites', (r) => r.sites());
  }

  resourcesOf(siteDn: string): Promise<readonly SsoResource[]> {
    return this.#read('list resources', (r) => r.resourcesOf(siteDn));
  }
}
