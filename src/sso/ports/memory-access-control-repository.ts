/**
 * An in-memory {@link AccessControlRepository} for tests and development. Every method runs in
 * one synchronous section, so each operation is atomic.
 */
import type {
  AccessEntry,
  AccessEntryKind,
  AccessEntryOf,
  SsoResource,
  SsoSite,
} from '../core/access-control.ts';
import { dnKey, parentDn, parentProblem, uniqueNameOf } from '../core/access-control.ts';
import { SsoError } from '../core/errors.ts';
import type { AccessControlRepository } from './access-control-repository.ts';

const parentKey = (dn: string): string | undefined => {
  const p = parentDn(dn);
  return p === undefined ? undefined : dnKey(p);
};

const byKey = ([a]: [string, unknown], [b]: [string, unknown]): number =>
  a < b ? -1 : a > b ? 1 : 0;

function isKind<K extends AccessEntryKind>(kind: K) {
  return (e: AccessEntry): e is AccessEntryOf<K> => e.kind === kind;
}

export class MemoryAccessControlRepository implements AccessControlRepository {
  readonly #entries = new Map<string, AccessEntry>();

  #run(fn: () => void): Promise<void> {
    try {
      fn();
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  #checkName(entry: AccessEntry, k: string): void {
    const name = uniqueNameOf(entry);
    if (name === undefined) return;
    for (const [other, e] of this.#entries) {
      if (other !== k && uniqueNameOf(e) === name) {
        throw new SsoError(
          'SSO_ENTRY_EXISTS',
          `${name.replace(/^[a-z]+:/, '')} is taken by ${e.dn}`,
        );
      }
    }
  }

  #sorted(): AccessEntry[] {
    return [...this.#entries].sort(byKey).map(([, e]) => e);
  }

  find(dn: string): Promise<AccessEntry | undefined> {
    try {
      return Promise.resolve(this.#entries.get(dnKey(dn)));
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  add(entry: AccessEntry): Promise<void> {
    return this.#run(() => {
      const k = dnKey(entry.dn);
      if (this.#entries.has(k)) throw new SsoError('SSO_ENTRY_EXISTS', `DN exists: ${entry.dn}`);
      this.#checkName(entry, k);
      const pk = parentKey(entry.dn);
      const problem = parentProblem(entry, pk === undefined ? undefined : this.#entries.get(pk));
      if (problem !== undefined) {
        throw new SsoError('SSO_ENTRY_PARENT_INVALID', `${entry.dn}: ${problem}`);
      }
      this.#entries.set(k, entry);
    });
  }

  replace(entry: AccessEntry): Promise<void> {
    return this.#run(() => {
      const k = dnKey(entry.dn);
      const before = this.#entries.get(k);
      if (before === undefined) throw new SsoError('SSO_ENTRY_NOT_FOUND', `no entry ${entry.dn}`);
      if (before.kind !== entry.kind) {
        throw new SsoError(
          'SSO_ATTRIBUTE_INVALID',
          `objectClass: ${entry.dn} is a ${before.kind}; its kind cannot change`,
          { attribute: 'objectClass' },
        );
      }
      this.#checkName(entry, k);
      this.#entries.set(k, entry);
    });
  }

  delete(dn: string): Promise<void> {
    return this.#run(() => {
      const k = dnKey(dn);
      if (!this.#entries.has(k)) throw new SsoError('SSO_ENTRY_NOT_FOUND', `no entry ${dn}`);
      for (const e of this.#entries.values()) {
        if (parentKey(e.dn) === k) {
          throw new SsoError('SSO_ENTRY_HAS_CHILDREN', `${dn} has entries below it (${e.dn})`);
        }
      }
      this.#entries.delete(k);
    });
  }

  list(): Promise<readonly AccessEntry[]>;
  list<K extends AccessEntryKind>(kind: K): Promise<readonly AccessEntryOf<K>[]>;
  list(kind?: AccessEntryKind): Promise<readonly AccessEntry[]> {
    const all = this.#sorted();
    return Promise.resolve(kind === undefined ? all : all.filter((e) => e.kind === kind));
  }

  sites(): Promise<readonly SsoSite[]> {
    return Promise.resolve(this.#sorted().filter(isKind('site')));
  }

  resourcesOf(siteDn: string): Promise<readonly SsoResource[]> {
    try {
      const k = dnKey(siteDn);
      return Promise.resolve(
        this.#sorted()
          .filter(isKind('resource'))
          .filter((r) => dnKey(r.siteDn) === k),
      );
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }
}
