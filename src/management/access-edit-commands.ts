/**
 * Changes to the access-control information (docs/cli.md), so that the CLI, REST and the
 * console share one implementation instead of hand-written LDIF:
 *
 *   npx sekisho mkssorole NAME              npx sekisho rmssorole NAME
 *   npx sekisho mkssoroleset NAME -members A,B
 *   npx sekisho chssoroleset NAME -members A,B
 *   npx sekisho rmssoroleset NAME
 *   npx sekisho mkssosite HOST [-port N]    npx sekisho rmssosite HOST[:PORT]
 *   npx sekisho mkssoresource URL -roles A,B
 *   npx sekisho chssoresource URL -roles A,B
 *   npx sekisho rmssoresource URL
 *
 * New entries go where the tests' fixtures and the first start put them: roles and role sets
 * under `ou=roles,dc=sekisho,dc=local`, sites under `ou=sites,dc=sekisho,dc=local` (a port other
 * than 443 under `ou=PORT,ou=sites,…`, since the DN of a site spells only its host); the
 * containers are created when missing. Existing entries are found by name wherever they live
 * (e.g. imported under `ou=Role,ou=interstage,…`).
 *
 * Every entry is built by `parseAccessEntry`, so the repository's own rules hold; the options are
 * checked more strictly first (names of letters, digits and `._-`, no LDAP filter or DN
 * metacharacters; https URLs without query, user information or path tricks), so that hostile
 * input is a usage error naming the option and nothing is changed. Changing a role or role set
 * writes `RoleInfoUpd succeeded.` through the running repository server, as `import-ldif`; every
 * change then reloads the business servers' access control (`ssoupdateaccess`), so it applies at
 * once.
 */
import { UsageError, type ParsedArgs } from '../cli/args.ts';
import {
  DEFAULT_SITE_PORT,
  dnKey,
  parseAccessEntry,
  type AccessEntry,
  type SsoResource,
  type SsoRole,
  type SsoRoleSet,
  type SsoSite,
} from '../sso/core/access-control.ts';
import { SsoError } from '../sso/core/errors.ts';
import { MAX_ROLE_NAME_BYTES } from '../sso/core/user.ts';
import type { ManagementCommand } from './commands.ts';
import type { CommandContext } from './context.ts';
import { str } from './options.ts';
import type { CommandResult } from './output.ts';
import { escapeDnValue } from '../sso/ldif/index.ts';

/** Where new roles, role sets and sites go (the neutral Sekisho tree of the fixtures). */
export const ACCESS_BASE = 'dc=sekisho,dc=local';
export const ROLES_DN = `ou=roles,${ACCESS_BASE}`;
export const SITES_DN = `ou=sites,${ACCESS_BASE}`;

/** Most names in one -members or -roles. */
const MAX_NAMES = 64;
/** Longest resource path, characters. */
const MAX_PATH = 1024;

const FORBIDDEN_NAMES = new Set(['__proto__', 'constructor', 'prototype']);
/** Letters, digits, marks and `._-`, starting with a letter or digit. */
const ROLE_NAME = /^[\p{L}\p{N}][\p{L}\p{N}\p{M}._-]*$/u;

/** A role or role-set name given as `what` (the option or positional named in errors). */
function roleName(value: string, what: string): string {
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes === 0 || bytes > MAX_ROLE_NAME_BYTES) {
    throw new UsageError(
      `${what} must be 1-${MAX_ROLE_NAME_BYTES} bytes (UTF-8), got ${bytes}: ${JSON.stringify(value.slice(0, 64))}`,
    );
  }
  if (!ROLE_NAME.test(value) || FORBIDDEN_NAMES.has(value.toLowerCase())) {
    throw new UsageError(
      `${what} takes letters, digits and . _ - (starting with a letter or digit), got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** The comma-separated names of option `name`, each a role-name, no repeats. */
function nameList(a: ParsedArgs, name: string): string[] {
  const v = str(a, name);
  if (v === undefined || v === '') throw new UsageError(`-${name} A,B,… is required`);
  if (v.length > MAX_NAMES * (MAX_ROLE_NAME_BYTES + 1)) {
    throw new UsageError(`-${name} is too long`);
  }
  const out: string[] = [];
  for (const item of v.split(',')) {
    roleName(item, `each name of -${name}`);
    if (out.some((o) => o.toLowerCase() === item.toLowerCase())) {
      throw new UsageError(`-${name} names ${item} twice`);
    }
    out.push(item);
  }
  if (out.length > MAX_NAMES) throw new UsageError(`-${name} names more than ${MAX_NAMES} roles`);
  return out;
}

const positional = (a: ParsedArgs, what: string): string => {
  const v = a.positionals[0];
  if (v === undefined) throw new UsageError(`${what} is required`);
  return v;
};

const HOST_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** A host name (ASCII, lower-cased; an internationalized name in its `xn--` form). */
function hostName(value: string, what: string): string {
  const host = value.toLowerCase();
  if (host.length === 0 || host.length > 253 || !host.split('.').every((l) => HOST_LABEL.test(l))) {
    throw new UsageError(
      `${what} must be a host name (labels of a-z 0-9 -, separated by dots), got ${JSON.stringify(value.slice(0, 300))}`,
    );
  }
  return host;
}

function portText(v: string, what: string): number {
  if (!/^\d{1,5}$/.test(v) || Number(v) < 1 || Number(v) > 65535) {
    throw new UsageError(`${what} must be a port number 1-65535, got ${JSON.stringify(v)}`);
  }
  return Number(v);
}

// eslint-disable-next-line no-control-regex
const URL_FORBIDDEN = /[\u0000-\u0020\u007f-\u009f\\]/;
/** Path characters accepted: unreserved, `/`, `%XX` and a few sub-delimiters (no `*`, `(`, `)`, `,`). */
const PATH_CHARS = /^\/(?:[A-Za-z0-9._~!$&'+=:@/-]|%[0-9A-Fa-f]{2})*$/;

interface ResourceUrl {
  readonly host: string;
  readonly port: number;
  readonly path: string;
}

/** `https://HOST[:PORT]/PATH` with nothing the business server would read differently. */
function resourceUrl(value: string): ResourceUrl {
  const bad = (why: string): UsageError =>
    new UsageError(`URL ${why}: ${JSON.stringify(value.slice(0, 200))}`);
  if (value.length > 2048) throw bad('is longer than 2048 characters');
  if (URL_FORBIDDEN.test(value)) throw bad('contains spaces, control characters or "\\"');
  const m = /^https:\/\/([^/?#@]+)(\/[^?#]*)$/i.exec(value);
  if (m === null) {
    throw bad(
      'must be https://HOST[:PORT]/PATH (https only, a path, no query, fragment or user information)',
    );
  }
  const u = URL.parse(value);
  if (u === null || u.protocol !== 'https:' || u.username !== '' || u.password !== '') {
    throw bad('is not an https URL');
  }
  const path = m[2]!;
  if (path.length > MAX_PATH) throw bad(`has a path longer than ${MAX_PATH} characters`);
  if (
    !PATH_CHARS.test(path) ||
    u.pathname !== path ||
    path.includes('//') ||
    /%(?:2e|2f|5c|00)/i.test(path) ||
    /(?:^|\/)\.{1,2}(?:\/|$)/.test(path)
  ) {
    throw bad(
      'has a path with dot segments, "//", encoded dots or slashes, or characters outside A-Z a-z 0-9 . _ ~ ! $ & \' + = : @ / - %XX',
    );
  }
  return {
    host: hostName(u.hostname, 'the host of URL'),
    port: u.port === '' ? DEFAULT_SITE_PORT : Number(u.port),
    path,
  };
}

function entry(dn: string, attributes: Record<string, string[]>): AccessEntry {
  return parseAccessEntry({ dn, attributes: new Map(Object.entries(attributes)) });
}

type Ctx = CommandContext;

/** Adds the organizational unit `dn` (`ou=VALUE,…`) unless an entry has that DN. */
async function ensureUnit(ctx: Ctx, dn: string, ou: string): Promise<void> {
  const ac = ctx.services.accessControl;
  if ((await ac.find(dn)) !== undefined) return;
  await ac.add(entry(dn, { objectClass: ['top', 'organizationalUnit'], ou: [ou] }));
}

async function rolesAndSets(ctx: Ctx): Promise<(SsoRole | SsoRoleSet)[]> {
  const ac = ctx.services.accessControl;
  const [roles, sets] = await Promise.all([ac.list('role'), ac.list('roleSet')]);
  return [...roles, ...sets];
}

const sameName = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** The names as registered (spelling of the entries); unknown names are refused. */
async function registered(ctx: Ctx, names: readonly string[], option: string): Promise<string[]> {
  const known = await rolesAndSets(ctx);
  return names.map((n) => {
    const hit = known.find((k) => sameName(k.cn, n));
    if (hit === undefined) {
      throw new UsageError(
        `-${option} names ${n}, which is neither a role nor a role set (create it first with mkssorole or mkssoroleset)`,
      );
    }
    return hit.cn;
  });
}

function notRegistered(kind: string, name: string): SsoError {
  return new SsoError('SSO_ENTRY_NOT_FOUND', `no ${kind} is named ${JSON.stringify(name)}`);
}

async function findRole(ctx: Ctx, name: string): Promise<SsoRole> {
  const hit = (await ctx.services.accessControl.list('role')).find((e) => sameName(e.cn, name));
  if (hit === undefined) throw notRegistered('role', name);
  return hit;
}

async function findRoleSet(ctx: Ctx, name: string): Promise<SsoRoleSet> {
  const all = await ctx.services.accessControl.list('roleSet');
  const hit = all.find((e) => sameName(e.cn, name));
  if (hit === undefined) throw notRegistered('role set', name);
  return hit;
}

async function findSite(ctx: Ctx, host: string, port: number): Promise<SsoSite> {
  const sites = await ctx.services.accessControl.sites();
  const site = sites.find((s) => s.host === host && s.port === port);
  if (site === undefined) {
    throw new SsoError(
      'SSO_ENTRY_NOT_FOUND',
      `${host}:${port} is not a protected site (create it with mkssosite ${host} -port ${port})`,
    );
  }
  return site;
}

async function findResource(
  ctx: Ctx,
  url: ResourceUrl,
): Promise<{ site: SsoSite; resource: SsoResource | undefined }> {
  const site = await findSite(ctx, url.host, url.port);
  const resources = await ctx.services.accessControl.resourcesOf(site.dn);
  return { site, resource: resources.find((r) => r.cn === url.path) };
}

/** Refuses to delete a role or role set that a role set or a resource still names. */
async function checkUnused(ctx: Ctx, target: SsoRole | SsoRoleSet): Promise<void> {
  const ac = ctx.services.accessControl;
  const users: string[] = [];
  for (const s of await ac.list('roleSet')) {
    if (dnKey(s.dn) !== dnKey(target.dn) && s.ssoRoleName.some((n) => sameName(n, target.cn))) {
      users.push(`role set ${s.cn}`);
    }
  }
  for (const site of await ac.sites()) {
    for (const r of await ac.resourcesOf(site.dn)) {
      if (r.ssoRoleName.some((n) => sameName(n, target.cn))) {
        users.push(`resource https://${site.host}:${site.port}${r.cn}`);
      }
    }
  }
  if (users.length > 0) {
    throw new SsoError(
      'SSO_ENTRY_IN_USE',
      `${target.cn} is still named by ${users.join(', ')}: change those first (chssoroleset, chssoresource)`,
    );
  }
}

/**
 * After a change: `RoleInfoUpd succeeded.` when roles or role sets changed, then the business
 * servers reload the access control (as `ssoupdateaccess`), so that the change applies at once.
 */
async function applied(
  ctx: Ctx,
  line: string,
  roleInfo: boolean,
  data: Record<string, unknown>,
): Promise<CommandResult> {
  const sso = ctx.services.sso;
  if (sso === undefined) {
    return {
      output: { kind: 'message', lines: [line] },
      warnings: [
        'no running sekisho in this process: run ssoupdateaccess against the running server (or it applies at its next start)',
      ],
      data: { ...data, reloaded: false },
    };
  }
  if (roleInfo) sso.roleInfoUpdated(ctx.client);
  const r = await sso.updateAccessControl(ctx.client);
  return {
    output: {
      kind: 'message',
      lines: [
        line,
        r.ok
          ? 'access-control information reloaded: the change applies now'
          : 'the reload failed: the business servers keep the previous access-control information (run ssoupdateaccess)',
      ],
    },
    ...(r.ok ? {} : { failed: true }),
    data: { ...data, reloaded: r.ok },
  };
}

const nameSpec = (what: string) => ({ names: [what], min: 1, max: 1 });

const mkssorole: ManagementCommand = {
  summary: `create a role (under ${ROLES_DN})`,
  spec: { options: {}, positionals: nameSpec('NAME') },
  run: async (a, ctx) => {
    const name = roleName(positional(a, 'NAME'), 'NAME');
    const dn = `cn=${escapeDnValue(name)},${ROLES_DN}`;
    const e = entry(dn, { objectClass: ['top', 'ssoRole'], cn: [name] });
    await ensureUnit(ctx, ROLES_DN, 'roles');
    await ctx.services.accessControl.add(e);
    return applied(ctx, `role ${name} created (${dn})`, true, { name, dn });
  },
};

const rmssorole: ManagementCommand = {
  summary: 'delete a role no role set or resource names',
  spec: { options: {}, positionals: nameSpec('NAME') },
  run: async (a, ctx) => {
    const name = roleName(positional(a, 'NAME'), 'NAME');
    const role = await findRole(ctx, name);
    await checkUnused(ctx, role);
    await ctx.services.accessControl.delete(role.dn);
    return applied(ctx, `role ${role.cn} deleted (${role.dn})`, true, {
      name: role.cn,
      dn: role.dn,
    });
  },
};

const membersOption = {
  members: {
    kind: 'string',
    arg: 'A,B',
    help: 'the member roles and role sets, comma-separated (each registered)',
    required: true,
  },
} as const;

const mkssoroleset: ManagementCommand = {
  summary: `create a role set of registered roles and role sets (under ${ROLES_DN})`,
  spec: { options: membersOption, positionals: nameSpec('NAME') },
  run: async (a, ctx) => {
    const name = roleName(positional(a, 'NAME'), 'NAME');
    const members = await registered(ctx, nameList(a, 'members'), 'members');
    const dn = `cn=${escapeDnValue(name)},${ROLES_DN}`;
    const e = entry(dn, { objectClass: ['top', 'ssoRoleSet'], cn: [name], ssoRoleName: members });
    await ensureUnit(ctx, ROLES_DN, 'roles');
    await ctx.services.accessControl.add(e);
    return applied(ctx, `role set ${name} created (${dn}): ${members.join(', ')}`, true, {
      name,
      dn,
      members,
    });
  },
};

const chssoroleset: ManagementCommand = {
  summary: 'replace the members of a role set',
  spec: { options: membersOption, positionals: nameSpec('NAME') },
  run: async (a, ctx) => {
    const name = roleName(positional(a, 'NAME'), 'NAME');
    const wanted = nameList(a, 'members');
    const set = await findRoleSet(ctx, name);
    const members = await registered(ctx, wanted, 'members');
    const e = entry(set.dn, {
      objectClass: ['top', 'ssoRoleSet'],
      cn: [set.cn],
      ssoRoleName: members,
    });
    await ctx.services.accessControl.replace(e);
    return applied(ctx, `role set ${set.cn} changed: ${members.join(', ')}`, true, {
      name: set.cn,
      dn: set.dn,
      members,
    });
  },
};

const rmssoroleset: ManagementCommand = {
  summary: 'delete a role set no other role set or resource names',
  spec: { options: {}, positionals: nameSpec('NAME') },
  run: async (a, ctx) => {
    const name = roleName(positional(a, 'NAME'), 'NAME');
    const set = await findRoleSet(ctx, name);
    await checkUnused(ctx, set);
    await ctx.services.accessControl.delete(set.dn);
    return applied(ctx, `role set ${set.cn} deleted (${set.dn})`, true, {
      name: set.cn,
      dn: set.dn,
    });
  },
};

const mkssosite: ManagementCommand = {
  summary: `register a protected site, a host and port (under ${SITES_DN})`,
  spec: {
    options: {
      port: {
        kind: 'string',
        arg: 'N',
        help: `the site's port, 1-65535 (default ${DEFAULT_SITE_PORT})`,
      },
    },
    positionals: nameSpec('HOST'),
  },
  run: async (a, ctx) => {
    const host = hostName(positional(a, 'HOST'), 'HOST');
    const p = str(a, 'port');
    const port = p === undefined ? DEFAULT_SITE_PORT : portText(p, '-port');
    const labels = host.split('.');
    const parent = port === DEFAULT_SITE_PORT ? SITES_DN : `ou=${port},${SITES_DN}`;
    const dn = `${labels.map((l) => `dc=${l}`).join(',')},${parent}`;
    const e = entry(dn, {
      objectClass: ['top', 'domain', 'ssoSite'],
      dc: [labels[0]!],
      ssoPortNumber: [String(port)],
    });
    if (
      (await ctx.services.accessControl.sites()).some((s) => s.host === host && s.port === port)
    ) {
      throw new SsoError('SSO_ENTRY_EXISTS', `${host}:${port} is a protected site already`);
    }
    await ensureUnit(ctx, SITES_DN, 'sites');
    if (parent !== SITES_DN) await ensureUnit(ctx, parent, String(port));
    await ctx.services.accessControl.add(e);
    return applied(ctx, `site ${host}:${port} registered (${dn})`, false, { host, port, dn });
  },
};

const rmssosite: ManagementCommand = {
  summary: 'delete a protected site that has no resources left',
  spec: { options: {}, positionals: nameSpec('HOST[:PORT]') },
  run: async (a, ctx) => {
    const given = positional(a, 'HOST[:PORT]');
    const m = /^([^:]*)(?::([^:]*))?$/.exec(given);
    if (m === null) throw new UsageError(`HOST[:PORT] is malformed: ${JSON.stringify(given)}`);
    const host = hostName(m[1]!, 'HOST');
    const port = m[2] === undefined ? DEFAULT_SITE_PORT : portText(m[2], 'PORT');
    const site = await findSite(ctx, host, port);
    const resources = await ctx.services.accessControl.resourcesOf(site.dn);
    if (resources.length > 0) {
      throw new SsoError(
        'SSO_ENTRY_HAS_CHILDREN',
        `${host}:${port} still has resources (${resources.map((r) => r.cn).join(', ')}): delete them first with rmssoresource`,
      );
    }
    await ctx.services.accessControl.delete(site.dn);
    return applied(ctx, `site ${host}:${port} deleted (${site.dn})`, false, {
      host,
      port,
      dn: site.dn,
    });
  },
};

const rolesOption = {
  roles: {
    kind: 'string',
    arg: 'A,B',
    help: 'the roles or role sets any one of which grants access, comma-separated (each registered)',
    required: true,
  },
} as const;

const mkssoresource: ManagementCommand = {
  summary:
    'protect a path of a registered site: https://HOST[:PORT]/PATH and the roles granting it',
  spec: { options: rolesOption, positionals: nameSpec('URL') },
  run: async (a, ctx) => {
    const url = resourceUrl(positional(a, 'URL'));
    const wanted = nameList(a, 'roles');
    const { site, resource } = await findResource(ctx, url);
    if (resource !== undefined) {
      throw new SsoError(
        'SSO_ENTRY_EXISTS',
        `${url.host}:${url.port} protects ${url.path} already (chssoresource changes its roles)`,
      );
    }
    const roles = await registered(ctx, wanted, 'roles');
    const dn = `cn=${escapeDnValue(url.path)},${site.dn}`;
    const e = entry(dn, {
      objectClass: ['top', 'ssoResource'],
      cn: [url.path],
      ssoRoleName: roles,
    });
    await ctx.services.accessControl.add(e);
    return applied(
      ctx,
      `resource ${url.path} of ${url.host}:${url.port} created (${dn}): ${roles.join(', ')}`,
      false,
      { host: url.host, port: url.port, path: url.path, dn, roles },
    );
  },
};

const chssoresource: ManagementCommand = {
  summary: 'replace the roles that grant a protected resource',
  spec: { options: rolesOption, positionals: nameSpec('URL') },
  run: async (a, ctx) => {
    const url = resourceUrl(positional(a, 'URL'));
    const wanted = nameList(a, 'roles');
    const { resource } = await findResource(ctx, url);
    if (resource === undefined) {
      throw new SsoError(
        'SSO_ENTRY_NOT_FOUND',
        `${url.host}:${url.port} has no resource ${url.path} (mkssoresource creates it)`,
      );
    }
    const roles = await registered(ctx, wanted, 'roles');
    const e = entry(resource.dn, {
      objectClass: ['top', 'ssoResource'],
      cn: [resource.cn],
      ssoRoleName: roles,
    });
    await ctx.services.accessControl.replace(e);
    return applied(
      ctx,
      `resource ${url.path} of ${url.host}:${url.port} changed: ${roles.join(', ')}`,
      false,
      { host: url.host, port: url.port, path: url.path, dn: resource.dn, roles },
    );
  },
};

const rmssoresource: ManagementCommand = {
  summary: 'stop protecting a path: delete its resource',
  spec: { options: {}, positionals: nameSpec('URL') },
  run: async (a, ctx) => {
    const url = resourceUrl(positional(a, 'URL'));
    const { resource } = await findResource(ctx, url);
    if (resource === undefined) {
      throw new SsoError(
        'SSO_ENTRY_NOT_FOUND',
        `${url.host}:${url.port} has no resource ${url.path}`,
      );
    }
    await ctx.services.accessControl.delete(resource.dn);
    return applied(ctx, `resource ${url.path} of ${url.host}:${url.port} deleted`, false, {
      host: url.host,
      port: url.port,
      path: url.path,
      dn: resource.dn,
    });
  },
};

export const ACCESS_EDIT_COMMANDS: Record<string, ManagementCommand> = {
  mkssorole,
  rmssorole,
  mkssoroleset,
  chssoroleset,
  rmssoroleset,
  mkssosite,
  rmssosite,
  mkssoresource,
  chssoresource,
  rmssoresource,
};
