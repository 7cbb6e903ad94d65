/**
 * Explanations of the role structure for administrators (`lsssorole`, `whocanaccess`): what each
 * role set stands for, whether it contains itself, and by which chain of role sets a user holds
 * each effective role. The effective roles are those of {@link expandRoles} — the business
 * server's rule (names matched case-insensitively, unknown names ignored, each set expanded
 * once so that cycles end) — and a test holds the two to the same answer.
 */
import { expandRoles, type SsoRole, type SsoRoleSet } from './access-control.ts';

/** A name a user or a role set lists, as resolved. */
export interface HeldRole {
  /** As registered (as written when unknown). */
  readonly name: string;
  readonly kind: 'role' | 'roleSet' | 'unknown';
  /**
   * The shortest chain from a name the user lists to this one, both included, as registered:
   * `['staff', 'ops', 'admin']` = the user lists role set staff, which contains ops, which
   * contains admin. A name listed directly has a path of itself.
   */
  readonly path: readonly string[];
}

/** The role names as registered and the role sets' members, by lower-case name. */
export interface RoleIndex {
  readonly roles: ReadonlyMap<string, SsoRole>;
  readonly roleSets: ReadonlyMap<
    string,
    { readonly cn: string; readonly members: readonly string[] }
  >;
}

/** Indexes roles and role sets by lower-case name (two sets of one name merge, as expandRoles does). */
export function indexRoles(roles: readonly SsoRole[], roleSets: readonly SsoRoleSet[]): RoleIndex {
  const r = new Map<string, SsoRole>();
  for (const role of roles) r.set(role.cn.toLowerCase(), role);
  const s = new Map<string, { cn: string; members: string[] }>();
  for (const set of roleSets) {
    const k = set.cn.toLowerCase();
    const prev = s.get(k);
    if (prev === undefined) s.set(k, { cn: set.cn, members: [...set.ssoRoleName] });
    else prev.members.push(...set.ssoRoleName);
  }
  return { roles: r, roleSets: s };
}

/**
 * Every name reachable from `names` with its kind and shortest path, breadth first, each name
 * once (so a cycle of role sets ends). Unknown names (neither role nor role set) are listed with
 * kind `unknown`: the server ignores them (EG-123), the administrator wants to see them. Sorted
 * by lower-case name. O(names + members reachable).
 */
export function explainRoles(names: readonly string[], index: RoleIndex): HeldRole[] {
  const seen = new Map<string, HeldRole>();
  const queue: { name: string; path: readonly string[] }[] = names.map((n) => ({
    name: n,
    path: [],
  }));
  for (let i = 0; i < queue.length; i++) {
    const { name, path } = queue[i]!;
    const k = name.toLowerCase();
    if (seen.has(k)) continue;
    const set = index.roleSets.get(k);
    const role = index.roles.get(k);
    const spelled = set?.cn ?? role?.cn ?? name;
    const held: HeldRole = {
      name: spelled,
      kind: set !== undefined ? 'roleSet' : role !== undefined ? 'role' : 'unknown',
      path: [...path, spelled],
    };
    seen.set(k, held);
    for (const m of set?.members ?? []) queue.push({ name: m, path: held.path });
  }
  return [...seen.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, h]) => h);
}

/** A role or role set with what it stands for. */
export interface RoleDescription {
  readonly name: string;
  readonly kind: 'role' | 'roleSet';
  readonly dn: string;
  /** The members a role set lists, as written (empty for a role). */
  readonly members: readonly string[];
  /** Every role and role set it stands for, itself included, as registered, sorted. */
  readonly effective: readonly string[];
  /** Members that are neither a role nor a role set (ignored by the server). */
  readonly unknownMembers: readonly string[];
  /** Whether the role set contains itself through its members (harmless, but a mistake). */
  readonly cyclic: boolean;
}

/**
 * Every role and role set, sorted by lower-case name, with members, effective roles (by
 * {@link expandRoles}) and cycles. O(sets × (sets + members)).
 */
export function describeRoles(
  roles: readonly SsoRole[],
  roleSets: readonly SsoRoleSet[],
): RoleDescription[] {
  const index = indexRoles(roles, roleSets);
  const spelling = (k: string): string => index.roleSets.get(k)?.cn ?? index.roles.get(k)?.cn ?? k;
  const out: RoleDescription[] = [];
  for (const role of roles) {
    out.push({
      name: role.cn,
      kind: 'role',
      dn: role.dn,
      members: [],
      effective: [role.cn],
      unknownMembers: [],
      cyclic: false,
    });
  }
  for (const set of roleSets) {
    const effective = [...expandRoles([set.cn], roleSets, roles)].map(spelling).sort();
    const k = set.cn.toLowerCase();
    const cyclic = explainRoles(index.roleSets.get(k)?.members ?? [], index).some(
      (h) => h.name.toLowerCase() === k,
    );
    out.push({
      name: set.cn,
      kind: 'roleSet',
      dn: set.dn,
      members: set.ssoRoleName,
      effective,
      unknownMembers: set.ssoRoleName.filter(
        (m) => !index.roles.has(m.toLowerCase()) && !index.roleSets.has(m.toLowerCase()),
      ),
      cyclic,
    });
  }
  return out.sort((a, b) => {
    const x = a.name.toLowerCase();
    const y = b.name.toLowerCase();
    return x < y ? -1 : x > y ? 1 : a.kind < b.kind ? -1 : 1;
  });
}
