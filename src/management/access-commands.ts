/**
 * Read-only questions about the access-control information (docs/cli.md):
 *
 *   npx sekisho lsssorole [-user UID] [-delim C] [-nohdr]
 *   npx sekisho lsssoresource [-delim C] [-nohdr]
 *   npx sekisho whocanaccess URL [-limit N] [-cursor C] [-delim C] [-nohdr]
 *
 * They read the repository as it is now; a business server answers from the snapshot it loaded
 * last (`ssoupdateaccess` reloads it).
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../cli/args.ts';
import {
  authorize,
  expandRoles,
  type SsoResource,
  type SsoRole,
  type SsoRoleSet,
  type SsoSite,
} from '../sso/core/access-control.ts';
import { withinValidity } from '../sso/core/authenticate.ts';
import { SsoError } from '../sso/core/errors.ts';
import { matchResource, type ResourceMatch } from '../sso/core/resource-match.ts';
import { describeRoles, explainRoles, indexRoles } from '../sso/core/role-graph.ts';
import { hasSsoUserClass, type SsoUser } from '../sso/core/user.ts';
import type { ManagementCommand } from './commands.ts';
import type { ManagementServices } from './context.ts';
import { LIST_OPTIONS, checkDelim, intOf, str, textOf } from './options.ts';

const words = (xs: readonly string[]): string => xs.join(' ');

const lsssorole: ManagementCommand = {
  summary:
    'list roles and role sets with their members, or (-user UID) a user’s effective roles and how',
  spec: {
    options: {
      ...LIST_OPTIONS,
      user: { kind: 'string', arg: 'UID', help: 'the effective roles of this user, with the path' },
    },
  },
  run: async (a, { services }) => {
    checkDelim(a);
    const [roles, roleSets] = await Promise.all([
      services.accessControl.list('role'),
      services.accessControl.list('roleSet'),
    ]);
    const uid = textOf(a, 'user', 1024);
    if (uid === undefined) {
      const described = describeRoles(roles, roleSets);
      return {
        output: {
          kind: 'table',
          headers: [
            'name',
            'kind',
            'members',
            'effective_roles',
            'unknown_members',
            'cyclic',
            'dn',
          ],
          rows: described.map((d) => [
            d.name,
            d.kind,
            words(d.members),
            words(d.effective),
            words(d.unknownMembers),
            d.cyclic ? 'yes' : 'no',
            d.dn,
          ]),
        },
        data: {
          roles: described.map((d) => ({
            name: d.name,
            kind: d.kind,
            dn: d.dn,
            members: d.members,
            effective_roles: d.effective,
            unknown_members: d.unknownMembers,
            cyclic: d.cyclic,
          })),
        },
      };
    }
    const user = await services.users.findByUid(uid);
    if (user === undefined) {
      throw new SsoError(
        'SSO_USER_NOT_FOUND',
        `no single user has the user ID ${JSON.stringify(uid)}`,
      );
    }
    const held = explainRoles(user.ssoRoleName, indexRoles(roles, roleSets));
    return {
      output: {
        kind: 'table',
        headers: ['role', 'kind', 'path'],
        rows: held.map((h) => [h.name, h.kind, h.path.join(' > ')]),
      },
      data: {
        uid: user.uid,
        dn: user.dn,
        listed: user.ssoRoleName,
        roles: held.map((h) => ({ name: h.name, kind: h.kind, path: h.path })),
      },
    };
  },
};

const lsssoresource: ManagementCommand = {
  summary: 'list protected sites and their resources with the roles that grant each',
  spec: { options: LIST_OPTIONS },
  run: async (a, { services }) => {
    checkDelim(a);
    const sites = await services.accessControl.sites();
    const withResources = await Promise.all(
      sites.map(async (s) => ({
        site: s,
        resources: await services.accessControl.resourcesOf(s.dn),
      })),
    );
    const rows: string[][] = [];
    for (const { site, resources } of withResources) {
      if (resources.length === 0) rows.push([site.host, String(site.port), '', '', site.dn, '']);
      for (const r of resources) {
        rows.push([site.host, String(site.port), r.cn, words(r.ssoRoleName), site.dn, r.dn]);
      }
    }
    return {
      output: {
        kind: 'table',
        headers: ['site_host', 'site_port', 'path', 'roles', 'site_dn', 'resource_dn'],
        rows,
      },
      data: {
        sites: withResources.map(({ site, resources }) => ({
          dn: site.dn,
          host: site.host,
          port: site.port,
          resources: resources.map((r) => ({ dn: r.dn, path: r.cn, roles: r.ssoRoleName })),
        })),
      },
    };
  },
};

/** Users examined at most by one `whocanaccess` call; a cursor goes on from there. */
export const MAX_USERS_SCANNED = 10_000;
/** Users read per repository page. */
const USER_PAGE = 1000;

interface WhoCursor {
  /** The repository cursor of the page being read (null: the first page). */
  readonly page: string | null;
  /** Users of that page already examined. */
  readonly skip: number;
}

const urlKey = (url: string): string =>
  createHash('sha256').update(url).digest('base64url').slice(0, 16);

function encodeWho(url: string, c: WhoCursor): string {
  return Buffer.from(JSON.stringify({ u: urlKey(url), p: c.page, s: c.skip })).toString(
    'base64url',
  );
}

function decodeWho(url: string, text: string): WhoCursor {
  const bad = (): UsageError =>
    new UsageError('-cursor is not a cursor of whocanaccess for this URL');
  if (!/^[A-Za-z0-9_-]{1,2048}$/.test(text)) throw bad();
  let o: unknown;
  try {
    o = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (typeof o !== 'object' || o === null) throw bad();
  const { u, p, s } = o as Record<string, unknown>;
  if (u !== urlKey(url) || !(p === null || typeof p === 'string')) throw bad();
  if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0 || s > USER_PAGE) throw bad();
  return { page: p, skip: s };
}

/** The effective-role sets of every role and role-set name, by lower-case name (as the business server's snapshot). */
function expansions(
  roles: readonly SsoRole[],
  roleSets: readonly SsoRoleSet[],
): Map<string, ReadonlySet<string>> {
  const m = new Map<string, ReadonlySet<string>>();
  for (const r of [...roles, ...roleSets]) {
    m.set(r.cn.toLowerCase(), expandRoles([r.cn], roleSets, roles));
  }
  return m;
}

function matchJson(m: ResourceMatch): Record<string, unknown> {
  const site = (s: SsoSite) => ({ dn: s.dn, host: s.host, port: s.port });
  switch (m.kind) {
    case 'refused':
      return { kind: m.kind, reason: m.reason };
    case 'site_not_registered':
      return { kind: m.kind, host: m.host, port: m.port, path: m.path };
    case 'not_covered':
      return { kind: m.kind, site: site(m.site), path: m.path };
    case 'resource':
      return {
        kind: m.kind,
        site: site(m.site),
        path: m.path,
        resource: { dn: m.resource.dn, path: m.resource.cn, roles: m.resource.ssoRoleName },
      };
    default: {
      const never: never = m;
      return never;
    }
  }
}

function describeMatch(m: ResourceMatch): string {
  switch (m.kind) {
    case 'refused':
      return `the business server refuses this URL (${m.reason}): nobody reaches it`;
    case 'site_not_registered':
      return `${m.host}:${m.port} is not a protected site: the business server does not protect it`;
    case 'not_covered':
      return `no protected resource of ${m.site.host}:${m.site.port} covers ${m.path}: denied to everyone (business.deny-unknown-paths true, the default) or passed without authentication (false)`;
    case 'resource':
      return `resource ${m.resource.cn} of ${m.site.host}:${m.site.port} (${m.resource.dn}); roles: ${words(m.resource.ssoRoleName) || '(none: nobody)'}`;
    default: {
      const never: never = m;
      return never;
    }
  }
}

interface Holder {
  readonly user: SsoUser;
  readonly via: readonly string[];
  /** The other checks of the business server: ssoUser class, not locked, within validity. */
  readonly allowedNow: boolean;
}

/**
 * The users holding one of `resource`'s roles, a page at a time through `listUsers`: O(users)
 * repository reads and role checks in all (each user's roles are looked up in the per-name
 * expansions, O(roles listed)), at most {@link MAX_USERS_SCANNED} per call.
 */
async function holders(
  services: ManagementServices,
  resource: SsoResource,
  roles: readonly SsoRole[],
  roleSets: readonly SsoRoleSet[],
  start: WhoCursor,
  limit: number,
  now: Date,
): Promise<{ holders: Holder[]; next: WhoCursor | undefined; scanned: number; limited: boolean }> {
  const byName = expansions(roles, roleSets);
  const index = indexRoles(roles, roleSets);
  const granting = new Set(resource.ssoRoleName.map((r) => r.toLowerCase()));
  const out: Holder[] = [];
  let cursor = start;
  let scanned = 0;
  for (;;) {
    const page = await services.users.listUsers({
      cursor: cursor.page ?? undefined,
      limit: USER_PAGE,
    });
    for (let i = cursor.skip; i < page.items.length; i++) {
      const user = page.items[i]!;
      scanned++;
      const effective = new Set<string>();
      for (const n of user.ssoRoleName) {
        for (const r of byName.get(n.toLowerCase()) ?? []) effective.add(r);
      }
      if (authorize(effective, resource)) {
        const via =
          explainRoles(user.ssoRoleName, index).find((h) => granting.has(h.name.toLowerCase()))
            ?.path ?? [];
        out.push({
          user,
          via,
          allowedNow:
            hasSsoUserClass(user) && user.ssoUserStatus !== 'locked' && withinValidity(user, now),
        });
      }
      const full = out.length >= limit;
      const tired = scanned >= MAX_USERS_SCANNED;
      if (full || tired) {
        const next: WhoCursor | undefined =
          i + 1 < page.items.length
            ? { page: cursor.page, skip: i + 1 }
            : page.nextCursor === undefined
              ? undefined
              : { page: page.nextCursor, skip: 0 };
        return { holders: out, next, scanned, limited: tired && !full };
      }
    }
    if (page.nextCursor === undefined)
      return { holders: out, next: undefined, scanned, limited: false };
    cursor = { page: page.nextCursor, skip: 0 };
  }
}

const whocanaccess: ManagementCommand = {
  summary:
    'who can reach a URL: its protected resource (by the business server’s rules), the roles that grant it, the users holding one',
  spec: {
    options: {
      ...LIST_OPTIONS,
      limit: { kind: 'string', arg: 'N', help: 'users listed at most, 1-1000 (default 100)' },
      cursor: {
        kind: 'string',
        arg: 'C',
        help: 'the next users (the cursor a listing ended with)',
      },
    },
    positionals: { names: ['URL'], min: 1, max: 1 },
  },
  run: async (a, { services }) => {
    checkDelim(a);
    const url = a.positionals[0]!;
    if (url.length > 8192) throw new UsageError('URL is longer than 8192 characters');
    const limit = intOf(a, 'limit', 1, 1000) ?? 100;
    const cursorText = str(a, 'cursor');
    const start = cursorText === undefined ? { page: null, skip: 0 } : decodeWho(url, cursorText);
    const [sites, roles, roleSets] = await Promise.all([
      services.accessControl.sites(),
      services.accessControl.list('role'),
      services.accessControl.list('roleSet'),
    ]);
    // Every site's resources (sites are few; matchResource picks the URL's site by its rules).
    const resources = new Map<SsoSite, readonly SsoResource[]>();
    for (const s of sites) resources.set(s, await services.accessControl.resourcesOf(s.dn));
    const match = matchResource(url, sites, (s) => resources.get(s) ?? []);
    const headers = ['uid', 'dn', 'status', 'allowed_now', 'via'];
    if (match.kind !== 'resource') {
      return {
        output: { kind: 'table', headers, rows: [] },
        messages: [describeMatch(match)],
        data: { url, match: matchJson(match), granting_roles: [], users: [], next_cursor: null },
      };
    }
    // Every role or role set whose expansion reaches one of the resource's roles.
    const wanted = new Set(match.resource.ssoRoleName.map((r) => r.toLowerCase()));
    const index = indexRoles(roles, roleSets);
    const granting = [...expansions(roles, roleSets)]
      .filter(([, set]) => [...set].some((r) => wanted.has(r)))
      .map(([k]) => index.roleSets.get(k)?.cn ?? index.roles.get(k)?.cn ?? k)
      .sort();
    const found = await holders(
      services,
      match.resource,
      roles,
      roleSets,
      start,
      limit,
      new Date(),
    );
    const next = found.next === undefined ? undefined : encodeWho(url, found.next);
    const messages = [
      describeMatch(match),
      `granted through: ${words(granting) || '(no registered role)'}`,
    ];
    const warnings: string[] = [];
    if (found.limited) warnings.push(`stopped after examining ${found.scanned} users`);
    if (next !== undefined) warnings.push(`more users: add -cursor ${next}`);
    return {
      output: {
        kind: 'table',
        headers,
        rows: found.holders.map((h) => [
          h.user.uid,
          h.user.dn,
          h.user.ssoUserStatus,
          h.allowedNow ? 'yes' : 'no',
          h.via.join(' > '),
        ]),
      },
      messages,
      warnings,
      data: {
        url,
        match: matchJson(match),
        granting_roles: granting,
        users: found.holders.map((h) => ({
          uid: h.user.uid,
          dn: h.user.dn,
          status: h.user.ssoUserStatus,
          allowed_now: h.allowedNow,
          via: h.via,
        })),
        users_examined: found.scanned,
        scan_limited: found.limited,
        next_cursor: next ?? null,
      },
    };
  },
};

export const ACCESS_COMMANDS: Record<string, ManagementCommand> = {
  lsssorole,
  lsssoresource,
  whocanaccess,
};
