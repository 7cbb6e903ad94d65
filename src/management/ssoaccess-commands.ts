/**
 * Read-only views of the access-control information and of the SSO settings, for the console's
 * Roles and Settings pages (and REST and the CLI):
 *
 *   npx sekisho lsssoaccess [-delim C] [-nohdr]          every role, role set, site, resource
 *   npx sekisho lsssoaccess -uid UID                     a user's effective roles
 *   npx sekisho lsssoaccess -url https://HOST[:PORT]/PATH   who can reach a path
 *   npx sekisho lsssoconfig                              lockout, sessions, log rotation
 *
 * "Who can reach" names the resource that protects the path (longest prefix, as the business
 * server decides) and every role or role set whose holders pass it: the resource's roles and,
 * recursively, the role sets that contain them (EG-325). Unknown role names grant nothing.
 */
import { UsageError, type ParsedArgs } from '../cli/args.ts';
import {
  expandRoles,
  findResource,
  siteForUrl,
  type AccessEntry,
} from '../sso/core/access-control.ts';
import { SsoError } from '../sso/core/errors.ts';
import type { ManagementCommand } from './commands.ts';

const str = (a: ParsedArgs, name: string): string | undefined => {
  const v = a.options.get(name);
  return typeof v === 'string' ? v : undefined;
};

function describe(e: AccessEntry): [string, string, string, string] {
  switch (e.kind) {
    case 'role':
      return ['role', e.cn, e.dn, ''];
    case 'roleSet':
      return ['role_set', e.cn, e.dn, e.ssoRoleName.join(',')];
    case 'site':
      return ['site', `${e.host}:${e.port}`, e.dn, ''];
    case 'resource':
      return ['resource', e.cn, e.dn, e.ssoRoleName.join(',')];
    case 'container':
      return ['container', '', e.dn, ''];
    default: {
      const never: never = e;
      return never;
    }
  }
}

export const SSOACCESS_COMMANDS: Record<string, ManagementCommand> = {
  lsssoaccess: {
    summary:
      'list roles, role sets, sites and resources; a user\u2019s effective roles (-uid); who can reach a URL (-url)',
    spec: {
      options: {
        delim: { kind: 'string', arg: 'C', help: 'separate columns with the character C' },
        nohdr: { kind: 'boolean', help: 'omit the header line' },
        uid: { kind: 'string', arg: 'UID', help: 'the effective roles of this user' },
        url: {
          kind: 'string',
          arg: 'URL',
          help: 'the roles and role sets that reach this https URL',
          maxBytes: 2048,
        },
      },
    },
    run: async (a, { services }) => {
      const uid = str(a, 'uid');
      const url = str(a, 'url');
      if (uid !== undefined && url !== undefined)
        throw new UsageError('give -uid or -url, not both');
      const access = services.accessControl;
      const roles = await access.list('role');
      const sets = await access.list('roleSet');
      if (uid !== undefined) {
        const user = await services.users.findByUid(uid);
        if (user === undefined)
          throw new SsoError(
            'SSO_USER_NOT_FOUND',
            `no single user has the user ID ${JSON.stringify(uid)}`,
          );
        const effective = expandRoles(user.ssoRoleName, sets, roles);
        const rows = [
          ...roles.map((r) => ['role', r.cn] as const),
          ...sets.map((s) => ['role_set', s.cn] as const),
        ]
          .filter(([, name]) => effective.has(name.toLowerCase()))
          .map(([kind, name]) => [
            kind,
            name,
            user.ssoRoleName.some((n) => n.toLowerCase() === name.toLowerCase())
              ? 'direct'
              : 'role_set',
          ]);
        return {
          output: { kind: 'table', headers: ['kind', 'name', 'held'], rows },
          messages: [`user ${user.uid}: ${String(rows.length)} effective role(s)`],
        };
      }
      if (url !== undefined) {
        const site = siteForUrl(await access.sites(), url);
        if (site === undefined)
          throw new UsageError('-url must be an https URL of a registered site');
        const path = new URL(url).pathname;
        const resource = findResource(await access.resourcesOf(site.dn), path);
        if (resource === undefined) {
          return {
            output: { kind: 'table', headers: ['kind', 'name', 'resource'], rows: [] },
            messages: [`no resource of ${site.host}:${String(site.port)} protects ${path}`],
          };
        }
        const granting = new Set(resource.ssoRoleName.map((n) => n.toLowerCase()));
        const rows: string[][] = [];
        for (const r of roles)
          if (granting.has(r.cn.toLowerCase())) rows.push(['role', r.cn, resource.cn]);
        for (const s of sets) {
          const reach = expandRoles([s.cn], sets, roles);
          if ([...reach].some((n) => granting.has(n))) rows.push(['role_set', s.cn, resource.cn]);
        }
        return {
          output: { kind: 'table', headers: ['kind', 'name', 'resource'], rows },
          messages: [`${path} is protected by ${resource.cn} (${resource.dn})`],
        };
      }
      const entries = (await access.list()).filter((e) => e.kind !== 'container');
      return {
        output: {
          kind: 'table',
          headers: ['kind', 'name', 'dn', 'roles'],
          rows: entries.map(describe),
        },
      };
    },
  },

  lsssoconfig: {
    summary: 'show the SSO settings in force: lockout policy, session timeouts, log rotation',
    spec: {
      options: {
        delim: { kind: 'string', arg: 'C', help: 'separate columns with the character C' },
      },
    },
    run: ({ options: _ }, { services }) => {
      const s = services.ssoSettings;
      if (s === undefined)
        throw new UsageError('the settings are those of the running sekisho start; start it first');
      return Promise.resolve({
        output: { kind: 'detail', pairs: Object.entries(s).map(([k, v]) => [k, String(v)]) },
      });
    },
  },
};
