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
import { isSessionId } from '../sso/core/session.ts';
import { formatGeneralizedTime, type SsoUser } from '../sso/core/user.ts';
import type { UserRepository } from '../sso/ports/user-repository.ts';
import type { ManagementCommand } from './commands.ts';

const has = (a: ParsedArgs, name: string): boolean => a.options.get(name) === true;
const str = (a: ParsedArgs, name: string): string | undefined => {
  const v = a.options.get(name);
  return typeof v === 'string' ? v : undefined;
};

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

function runningSso(services: Parameters<ManagementCommand['run']>[1]['services']) {
  if (services.sso === undefined) {
    throw new UsageError(
      'this command acts on the running sekisho start (its session management and business servers); start it first',
    );
  }
  return services.sso;
}

export const SSO_COMMANDS: Record<string, ManagementCommand> = {
  ssosignoff: {
    summary: 'forced sign-off: end a session (-s SESSIONID) or every session of a user (-u UID)',
    spec: {
      options: {
        s: { kind: 'string', arg: 'SESSIONID', help: 'the session to end' },
        u: { kind: 'string', arg: 'UID', help: 'end every session of this user ID' },
      },
    },
    run: async (a, { services }) => {
      const sessionId = str(a, 's');
      const uid = str(a, 'u');
      if ((sessionId === undefined) === (uid === undefined)) {
        throw new UsageError('give exactly one of -s SESSIONID and -u UID');
      }
      if (sessionId !== undefined && !isSessionId(sessionId)) {
        throw new UsageError(
          '-s must be a session ID (43 characters of A-Z a-z 0-9 - _, as in the logs)',
        );
      }
      const ended = await runningSso(services).forcedSignOff(
        sessionId === undefined ? { uid: uid! } : { sessionId },
      );
      return {
        output: {
          kind: 'table',
          headers: ['session_id', 'uid', 'client'],
          rows: ended.map((e) => [e.id, e.uid, e.client ?? '']),
        },
        messages: [`${ended.length} session${ended.length === 1 ? '' : 's'} ended`],
      };
    },
  },
  ssoupdateaccess: {
    summary:
      'reload the access-control information (sites, resources, roles) of the business servers',
    spec: { options: {} },
    run: async (_a, { services }) => {
      const r = await runningSso(services).updateAccessControl(undefined);
      return {
        output: {
          kind: 'message',
          lines: [
            r.ok
              ? 'access-control information updated'
              : 'the update failed; the previous access-control information stays in force',
          ],
        },
        failed: !r.ok,
      };
    },
  },
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
