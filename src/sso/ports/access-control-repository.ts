/**
 * The port through which the SSO domain reads and writes the access-control entries (roles, role
 * sets, sites, resources and their containers; src/sso/core/access-control.ts). Adapters (memory
 * here; sqlite in src/storage) implement it and run the contract suite
 * tests/sso/core/access-control-repository-contract.ts.
 *
 * DNs are compared by `dnKey` (case-insensitive, padding and escapes normalized). Errors are
 * `SsoError`s:
 * - `SSO_ENTRY_EXISTS`: `add` of a DN present, or of a role/role-set name or site host and port
 *   another entry holds (also `replace` of a site onto another site's port);
 * - `SSO_ENTRY_NOT_FOUND`: `replace` or `delete` of an absent DN;
 * - `SSO_ENTRY_PARENT_INVALID`: `add` of a resource whose parent is not a site, or of any other
 *   entry whose parent is present but not a container (an absent parent is allowed: the top of a
 *   tree, or a container kept elsewhere, has nothing above it here);
 * - `SSO_ENTRY_HAS_CHILDREN`: `delete` of an entry with entries below it;
 * - `SSO_ATTRIBUTE_INVALID` (objectClass): `replace` that changes the kind of an entry.
 */
import type {
  AccessEntry,
  AccessEntryKind,
  AccessEntryOf,
  SsoResource,
  SsoSite,
} from '../core/access-control.ts';

export interface AccessControlRepository {
  /** The entry with this DN, or undefined. */
  find(dn: string): Promise<AccessEntry | undefined>;

  /** Stores a new entry (see the module comment for the checks). */
  add(entry: AccessEntry): Promise<void>;

  /**
   * Replaces the entry of the same DN by `entry` (same kind; the DN's spelling may change).
   * Children stay where they are.
   */
  replace(entry: AccessEntry): Promise<void>;

  /** Removes a leaf entry. */
  delete(dn: string): Promise<void>;

  /** Every entry, or every entry of one kind, ordered by `dnKey` (UTF-16 code units). */
  list(): Promise<readonly AccessEntry[]>;
  list<K extends AccessEntryKind>(kind: K): Promise<readonly AccessEntryOf<K>[]>;

  /** Every site, ordered as `list`. */
  sites(): Promise<readonly SsoSite[]>;

  /** The resources directly under a site, ordered as `list`; empty when there is no such site. */
  resourcesOf(siteDn: string): Promise<readonly SsoResource[]>;
}
