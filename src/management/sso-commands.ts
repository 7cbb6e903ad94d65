/**
 * Commands that act on the running SSO roles (session management, business servers, service
 * ID), in the style of the key-server commands:
 *
 *   npx sekisho ssosignoff -s SESSIONID | -u UID
 *   npx sekisho lssession [-u UID] [-count N] [-cursor C] [-delim C] [-nohdr]
 *   npx sekisho ssoupdateaccess
 *   npx sekisho ssoupsid -yes
 *
 * The user commands (lsssouser, mkssouser, chssouser, rmssouser) are in ./ssouser-commands.ts.
 */
import { UsageError } from '../cli/args.ts';
import { isSessionId, type Session } from '../sso/core/session.ts';
import type { ManagementCommand } from './commands.ts';
import { has, str } from './options.ts';

const SESSION_HEADERS = [
  'session_id',
  'uid',
  'client',
  'state',
  'created',
  'last_used',
  'age_seconds',
  'idle_seconds',
];

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
    run: async (a, ctx) => {
      const { services } = ctx;
      if (!has(a, 'yes')) {
        throw new UsageError(
          'ssoupsid replaces the service ID: every credential issued until now stops working and every user signs on again. Run it again with -yes to confirm.',
        );
      }
      const { generation } = await services.serviceId.regenerate();
      services.sso?.serviceIdUpdated(ctx.client);
      return {
        output: {
          kind: 'message',
          lines: [`service ID regenerated (generation ${generation})`],
        },
      };
    },
  },
  lssession: {
    summary: 'list the live sessions: user, client, age and idle time (all, a page, or one user)',
    spec: {
      options: {
        delim: { kind: 'string', arg: 'C', help: 'separate columns with the character C' },
        nohdr: { kind: 'boolean', help: 'omit the header line' },
        u: { kind: 'string', arg: 'UID', help: 'only the sessions of this user ID' },
        count: {
          kind: 'string',
          arg: 'N',
          help: 'one page of at most N sessions (1-1000), oldest first; prints the next cursor',
        },
        cursor: { kind: 'string', arg: 'CURSOR', help: 'continue after the page that gave it' },
      },
    },
    run: async (a, { services }) => {
      const store = runningSso(services).sessions;
      if (store === undefined)
        throw new UsageError('session management is off (sessions.enabled is false)');
      const uid = str(a, 'u');
      const countText = str(a, 'count');
      if (
        countText !== undefined &&
        (!/^\d{1,4}$/.test(countText) || Number(countText) < 1 || Number(countText) > 1000)
      )
        throw new UsageError('-count must be 1-1000');
      const cursor = str(a, 'cursor');
      let sessions: readonly Session[];
      let next: string | undefined;
      if (uid !== undefined) {
        if (countText !== undefined || cursor !== undefined)
          throw new UsageError("-u lists one user's sessions: no -count or -cursor");
        sessions = await store.byUid(uid);
      } else if (countText === undefined && cursor === undefined) {
        const all: Session[] = [];
        do {
          const page = await store.list({ cursor: next, limit: 1000 });
          all.push(...page.items);
          next = page.nextCursor;
        } while (next !== undefined);
        sessions = all;
      } else {
        try {
          const page = await store.list({ cursor, limit: Number(countText ?? 100) });
          sessions = page.items;
          next = page.nextCursor;
        } catch (e) {
          if (e instanceof RangeError) throw new UsageError('-cursor is not a session list cursor');
          throw e;
        }
      }
      const now = Date.now();
      const seconds = (d: Date): number => Math.max(0, Math.floor((now - d.getTime()) / 1000));
      return {
        output: {
          kind: 'table',
          headers: SESSION_HEADERS,
          rows: sessions.map((s) => [
            s.id,
            s.uid,
            s.client ?? '',
            s.state,
            s.createdAt.toISOString(),
            s.lastUsedAt.toISOString(),
            seconds(s.createdAt),
            seconds(s.lastUsedAt),
          ]),
        },
        messages: next === undefined ? [] : [`next cursor: ${next}`],
        data: {
          sessions: sessions.map((s) => ({
            session_id: s.id,
            uid: s.uid,
            dn: s.dn,
            client: s.client ?? null,
            state: s.state,
            created: s.createdAt.toISOString(),
            last_used: s.lastUsedAt.toISOString(),
            age_seconds: seconds(s.createdAt),
            idle_seconds: seconds(s.lastUsedAt),
          })),
          next_cursor: next ?? null,
        },
      };
    },
  },
};
