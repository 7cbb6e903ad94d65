/**
 * SSO user administration commands, in the style of the key-server commands:
 *
 *   npx sekisho lsssouser [-delim C] [-nohdr] [UID]
 *   npx sekisho chssouser -unlock UID
 *
 * `chssouser -unlock` is the console's [Release User Lock] (EG-204): status good, failure count
 * 0. Through the running server it is written to the repository access log
 * (`Modification succeeded. (Failure count reset)`) and the system log (sso09002).
 */
import { UsageError, type ParsedArgs } from '../cli/args.ts';
import { SsoError } from '../sso/core/errors.ts';
import { formatGeneralizedTime, type SsoUser } from '../sso/core/user.ts';
import type { UserRepository } from '../sso/ports/user-repository.ts';
import type { ManagementCommand } from './commands.ts';

const has = (a: ParsedArgs, name: string): boolean => a.options.get(name) === true;

const target = { names: ['UID'], min: 1, max: 1 } as const;

function notFound(uid: string): SsoError {
  return new SsoError(
    'SSO_USER_NOT_FOUND',
    `no single user has the user ID ${JSON.stringify(uid)}`,
  );
}

function row(u: SsoUser): string[] {
  return [
    u.uid,
    u.dn,
    u.ssoAuthType,
    u.ssoUserStatus,
    String(u.ssoFailureCount),
    u.ssoLockTimeStamp === undefined ? '' : formatGeneralizedTime(u.ssoLockTimeStamp),
  ];
}

const HEADERS = ['uid', 'dn', 'auth_type', 'status', 'failure_count', 'lock_time'];

export const SSO_COMMANDS: Record<string, ManagementCommand> = {
  ssoupsid: {
    summary:
      'regenerate the service ID: every credential issued before stops working (confirm with -yes)',
    spec: {
      options: {
        yes: {
          kind: 'boolean',
          help: 'confirm: every signed-on user must sign on again',
        },
      },
    },
    run: async (a, { services }) => {
      if (!has(a, 'yes')) {
        throw new UsageError(
          'ssoupsid replaces the service ID: every credential issued until now stops working and every user signs on again. Run it again with -yes to confirm.',
        );
      }
      const { generation } = await services.serviceId.regenerate();
      services.sso?.serviceIdUpdated(undefined);
      return {
        output: {
          kind: 'message',
          lines: [`service ID regenerated (generation ${generation})`],
        },
      };
    },
  },
  lsssouser: {
    summary: 'list SSO users with their lockout state, or show one user',
    spec: { options: {}, positionals: { names: ['UID'], min: 0, max: 1 } },
    run: async (a, { services }) => {
      const uid = a.positionals[0];
      if (uid !== undefined) {
        const u = await services.users.findByUid(uid);
        if (u === undefined) throw notFound(uid);
        const values = row(u);
        return {
          output: {
            kind: 'detail',
            pairs: [
              ...HEADERS.map((h, i) => [h, values[i]!] as const),
              ['roles', u.ssoRoleName.join(' ')] as const,
              [
                'not_before',
                u.ssoNotBefore === undefined ? '' : formatGeneralizedTime(u.ssoNotBefore),
              ] as const,
              [
                'not_after',
                u.ssoNotAfter === undefined ? '' : formatGeneralizedTime(u.ssoNotAfter),
              ] as const,
              [
                'credential_ttl',
                u.ssoCredentialTTL === undefined ? '' : String(u.ssoCredentialTTL),
              ] as const,
              ['certificates', String(u.userCertificate.length)] as const,
            ],
          },
        };
      }
      const rows: string[][] = [];
      let cursor: string | undefined;
      do {
        const page = await services.users.listUsers({ cursor, limit: 1000 });
        rows.push(...page.items.map(row));
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      return { output: { kind: 'table', headers: HEADERS, rows } };
    },
  },
  chssouser: {
    summary: 'change an SSO user: -unlock releases its lock and clears its failure count',
    spec: {
      options: {
        unlock: { kind: 'boolean', help: 'release the lock and reset the failure count' },
      },
      positionals: target,
    },
    run: async (a, { services }) => {
      if (!has(a, 'unlock')) throw new UsageError('nothing to change: give -unlock');
      const uid = a.positionals[0]!;
      const user =
        services.sso === undefined
          ? await unlockDirect(services.users, uid)
          : await services.sso.unlock(uid, undefined);
      if (user === undefined) throw notFound(uid);
      return {
        output: { kind: 'message', lines: [`user ${user.uid} unlocked (${user.dn})`] },
      };
    },
  },
};

async function unlockDirect(users: UserRepository, uid: string): Promise<SsoUser | undefined> {
  const u = await users.findByUid(uid);
  if (u === undefined) return undefined;
  await users.unlock(u.dn);
  return u;
}
