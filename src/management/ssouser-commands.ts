/**
 * SSO user administration, one command per action (the web console's Users page runs the same
 * commands in-process, REST and the CLI reach them as `POST /rest/v1/COMMAND` and
 * `npx sekisho COMMAND`):
 *
 *   npx sekisho lsssouser [-prefix P] [-count N] [-cursor C] [-delim C] [-nohdr] [UID]
 *   npx sekisho mkssouser [-dn DN] [ATTRIBUTE OPTIONS] UID
 *   npx sekisho chssouser [-unlock] [ATTRIBUTE OPTIONS] UID
 *   npx sekisho rmssouser UID
 *
 * Attribute options: -password, -cn, -sn, -mail, -employeenumber, -serialnumber, -dnqualifier,
 * -authtype, -notbefore, -notafter, -credentialttl, -role. In chssouser an empty value ("")
 * removes the attribute. Values are checked before anything is written: no control characters
 * (no line can be forged in LDIF or a log), at most 256 characters (passwords 1024), dates in
 * generalized time inside 2000–2037, role names of 1–32 bytes. Passwords are stored as argon2id.
 *
 * Through the running server each change is written to the repository access log as
 * `Modification succeeded.` with the user's DN (and `chssouser -unlock`, the console's [Release
 * User Lock] (EG-204), as `Modification succeeded. (Failure count reset)` and sso09002).
 */
import { UsageError, type OptionSpec, type ParsedArgs } from '../cli/args.ts';
import { parentDn } from '../sso/core/access-control.ts';
import { SsoError } from '../sso/core/errors.ts';
import { hashPassword } from '../sso/core/password.ts';
import {
  formatGeneralizedTime,
  newSsoUser,
  parseGeneralizedTime,
  parseSsoUser,
  SSO_AUTH_TYPES,
  toAttributes,
  type SsoAuthType,
  type SsoUser,
} from '../sso/core/user.ts';
import { escapeDnValue } from '../sso/ldif/index.ts';
import type { UserChanges, UserRepository } from '../sso/ports/user-repository.ts';
import type { ManagementCommand } from './commands.ts';
import type { CommandContext } from './context.ts';
import { LIST_OPTIONS, has, str } from './options.ts';

/** Where users go when `mkssouser` gets no `-dn` and the server did not say (config default). */
export const DEFAULT_USER_SEARCH_BASE = 'ou=users,dc=sekisho,dc=local';
/** Longest attribute value accepted, characters. */
export const MAX_ATTRIBUTE_CHARS = 256;
/** Longest password accepted, characters. */
export const MAX_PASSWORD_CHARS = 1024;
/** Longest DN accepted, characters. */
export const MAX_DN_CHARS = 1024;
/** Most users one `lsssouser -count` page shows. */
export const MAX_LIST_COUNT = 1000;
/**
 * Most users one `lsssouser -prefix` call reads: a search that finds few matches in a large
 * population stops here and returns a cursor to continue from.
 */
export const MAX_SCAN_PER_CALL = 20_000;
/** The validity period bounds of EG-125 (`20000101000000`–`20371231235959`). */
const VALIDITY_MIN = Date.UTC(2000, 0, 1);
const VALIDITY_MAX = Date.UTC(2037, 11, 31, 23, 59, 59);

// C0, DEL and C1 control characters: never part of a name, and a line break would let a value
// forge a line of LDIF or of a log.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function text(name: string, v: string, max = MAX_ATTRIBUTE_CHARS): string {
  if (v.length > max) throw new UsageError(`-${name} is longer than ${max} characters`);
  if (CONTROL.test(v)) throw new UsageError(`-${name} holds a control character`);
  return v;
}

export const USER_ATTRIBUTE_OPTIONS = {
  password: {
    kind: 'string',
    arg: 'PASSWORD',
    help: 'password, stored as argon2id (1-1024 characters)',
    maxBytes: MAX_PASSWORD_CHARS,
  },
  cn: { kind: 'string', arg: 'NAME', help: 'common name (full name)' },
  sn: { kind: 'string', arg: 'NAME', help: 'surname' },
  mail: { kind: 'string', arg: 'ADDRESS', help: 'e-mail address' },
  employeenumber: { kind: 'string', arg: 'TEXT', help: 'employeeNumber' },
  serialnumber: { kind: 'string', arg: 'TEXT', help: 'serialNumber' },
  dnqualifier: { kind: 'string', arg: 'TEXT', help: 'dnQualifier' },
  authtype: {
    kind: 'string',
    arg: SSO_AUTH_TYPES.join('|'),
    help: 'how the user signs on (ssoAuthType; default basicAuthOrCertAuth)',
  },
  notbefore: {
    kind: 'string',
    arg: 'YYYYMMDDHHMMSSZ',
    help: 'start of the validity period (ssoNotBefore; also YYYYMMDDHHMMSS+HHMM)',
  },
  notafter: {
    kind: 'string',
    arg: 'YYYYMMDDHHMMSSZ',
    help: 'end of the validity period (ssoNotAfter)',
  },
  credentialttl: {
    kind: 'string',
    arg: 'MINUTES',
    help: 're-authentication interval (ssoCredentialTTL; 0 = unlimited)',
  },
  role: {
    kind: 'string',
    arg: 'ROLE[,ROLE...]',
    help: 'role and role-set names (ssoRoleName), replacing the list',
    maxBytes: 4096,
  },
} as const satisfies Record<string, OptionSpec>;

type AttributeOption = keyof typeof USER_ATTRIBUTE_OPTIONS;

function time(name: AttributeOption, v: string): Date {
  const d = parseGeneralizedTime(v);
  if (d === undefined)
    throw new UsageError(`-${name} must be YYYYMMDDHHMMSSZ or YYYYMMDDHHMMSS+HHMM`);
  if (d.getTime() < VALIDITY_MIN || d.getTime() > VALIDITY_MAX)
    throw new UsageError(`-${name} must lie between 2000-01-01 and 2037-12-31 (GMT)`);
  return d;
}

function roles(v: string): string[] {
  const out: string[] = [];
  for (const part of text('role', v, 4096).split(',')) {
    const r = part.trim();
    if (r === '') continue;
    if (Buffer.byteLength(r, 'utf8') > 32)
      throw new UsageError(`-role: ${JSON.stringify(r)} is longer than 32 bytes`);
    if (!out.some((o) => o.toLowerCase() === r.toLowerCase())) out.push(r);
  }
  return out;
}

/**
 * The attribute changes the options ask for; an empty value removes the attribute (not
 * allowed for the password: a user without one simply cannot sign on with a password, so use
 * `-authtype certAuth` instead).
 */
async function attributeChanges(a: ParsedArgs): Promise<UserChanges> {
  const c: { -readonly [K in keyof UserChanges]: UserChanges[K] } = {};
  const opt = (name: AttributeOption): string | undefined => {
    const v = str(a, name);
    return v === undefined ? undefined : text(name, v.trim());
  };
  const password = str(a, 'password');
  if (password !== undefined) {
    text('password', password, MAX_PASSWORD_CHARS);
    if (password === '') throw new UsageError('-password may not be empty');
    c.userPassword = await hashPassword(password);
  }
  const list = (v: string | undefined): string[] | undefined =>
    v === undefined ? undefined : v === '' ? [] : [v];
  const one = (v: string | undefined): string | undefined | null =>
    v === undefined ? null : v === '' ? undefined : v;
  const cn = list(opt('cn'));
  if (cn !== undefined) c.cn = cn;
  const sn = list(opt('sn'));
  if (sn !== undefined) c.sn = sn;
  const mail = list(opt('mail'));
  if (mail !== undefined) c.mail = mail;
  for (const [option, attribute] of [
    ['employeenumber', 'employeeNumber'],
    ['serialnumber', 'serialNumber'],
    ['dnqualifier', 'dnQualifier'],
  ] as const) {
    const v = one(opt(option));
    if (v !== null) c[attribute] = v;
  }
  const authType = opt('authtype');
  if (authType !== undefined) {
    const t = SSO_AUTH_TYPES.find((x) => x.toLowerCase() === authType.toLowerCase());
    if (t === undefined)
      throw new UsageError(`-authtype must be one of ${SSO_AUTH_TYPES.join(', ')}`);
    c.ssoAuthType = t satisfies SsoAuthType;
  }
  for (const [option, attribute] of [
    ['notbefore', 'ssoNotBefore'],
    ['notafter', 'ssoNotAfter'],
  ] as const) {
    const v = one(opt(option));
    if (v !== null) c[attribute] = v === undefined ? undefined : time(option, v);
  }
  const ttl = one(opt('credentialttl'));
  if (ttl !== null) {
    if (ttl !== undefined && !/^\d{1,6}$/.test(ttl))
      throw new UsageError('-credentialttl must be a whole number of minutes (0 = unlimited)');
    c.ssoCredentialTTL = ttl === undefined ? undefined : Number(ttl);
  }
  const r = str(a, 'role');
  if (r !== undefined) c.ssoRoleName = roles(r);
  return c;
}

/**
 * The user after the changes, checked by the same parser as every stored and imported entry
 * (single values, enumerations, role-name sizes), and by the validity-period order.
 */
function checked(user: SsoUser): SsoUser {
  const parsed = parseSsoUser({ dn: user.dn, attributes: toAttributes(user) });
  if (
    parsed.ssoNotBefore !== undefined &&
    parsed.ssoNotAfter !== undefined &&
    parsed.ssoNotBefore.getTime() >= parsed.ssoNotAfter.getTime()
  ) {
    throw new UsageError('the validity period must end after it begins (-notbefore < -notafter)');
  }
  return parsed;
}

function checkUid(uid: string): string {
  text('uid', uid);
  if (uid === '' || uid.includes(':') || uid.trim() !== uid)
    throw new UsageError('the user ID must be 1-256 characters without ":" or outer spaces');
  return uid;
}

function notFound(uid: string): SsoError {
  return new SsoError(
    'SSO_USER_NOT_FOUND',
    `no single user has the user ID ${JSON.stringify(uid)}`,
  );
}

async function userOf(users: UserRepository, uid: string): Promise<SsoUser> {
  const u = await users.findByUid(uid);
  if (u === undefined) throw notFound(uid);
  return u;
}

const time14 = (d: Date | undefined): string => (d === undefined ? '' : formatGeneralizedTime(d));

const HEADERS = ['uid', 'dn', 'auth_type', 'status', 'failure_count', 'lock_time'];
/** Extra columns of the paged view (`-count`), which the console shows. */
const PAGE_HEADERS = [...HEADERS, 'cn', 'roles'];

function row(u: SsoUser): string[] {
  return [
    u.uid,
    u.dn,
    u.ssoAuthType,
    u.ssoUserStatus,
    String(u.ssoFailureCount),
    time14(u.ssoLockTimeStamp),
  ];
}

/** Every attribute of a user as the detailed view (no password hash, no certificate bytes). */
export function userDetail(u: SsoUser): [string, string][] {
  const values = row(u);
  return [
    ...HEADERS.map((h, i): [string, string] => [h, values[i]!]),
    ['cn', u.cn.join(', ')],
    ['sn', u.sn.join(', ')],
    ['mail', u.mail.join(', ')],
    ['employee_number', u.employeeNumber ?? ''],
    ['serial_number', u.serialNumber ?? ''],
    ['dn_qualifier', u.dnQualifier ?? ''],
    ['roles', u.ssoRoleName.join(',')],
    ['not_before', time14(u.ssoNotBefore)],
    ['not_after', time14(u.ssoNotAfter)],
    ['credential_ttl', u.ssoCredentialTTL === undefined ? '' : String(u.ssoCredentialTTL)],
    ['password_set', u.userPassword === undefined ? 'no' : 'yes'],
    ['certificates', String(u.userCertificate.length)],
  ];
}

const matches = (u: SsoUser, prefix: string): boolean => {
  const p = prefix.toLowerCase();
  return u.uid.toLowerCase().startsWith(p) || u.cn.some((c) => c.toLowerCase().startsWith(p));
};

/**
 * One page of users whose uid or cn starts with `prefix` (case-insensitively), read through
 * the repository's cursor: each read asks for no more users than are still wanted, so every
 * user read can be shown and the repository's own cursor is the next page's. The prefix goes
 * to the repository too, which narrows the pages where it can (a directory searches its
 * index instead of enumerating every user); what it returns is filtered here all the same.
 * At most {@link MAX_SCAN_PER_CALL} users are read per call.
 */
async function searchPage(
  users: UserRepository,
  prefix: string,
  count: number,
  cursor: string | undefined,
): Promise<{ items: SsoUser[]; next: string | undefined }> {
  const items: SsoUser[] = [];
  let next = cursor;
  let scanned = 0;
  do {
    const want = prefix === '' ? count - items.length : Math.min(1000, count - items.length);
    const page = await users.listUsers({
      cursor: next,
      limit: Math.max(1, want),
      ...(prefix === '' || !prefix.isWellFormed() ? {} : { prefix }),
    });
    scanned += page.items.length;
    items.push(...page.items.filter((u) => matches(u, prefix)));
    next = page.nextCursor;
  } while (next !== undefined && items.length < count && scanned < MAX_SCAN_PER_CALL);
  return { items, next };
}

function parseCount(a: ParsedArgs): number | undefined {
  const v = str(a, 'count');
  if (v === undefined) return undefined;
  if (!/^\d{1,4}$/.test(v) || Number(v) < 1 || Number(v) > MAX_LIST_COUNT)
    throw new UsageError(`-count must be 1-${MAX_LIST_COUNT}`);
  return Number(v);
}

function running(ctx: CommandContext): NonNullable<CommandContext['services']['sso']> | undefined {
  return ctx.services.sso;
}

const uidTarget = { names: ['UID'], min: 1, max: 1 } as const;

export const SSOUSER_COMMANDS: Record<string, ManagementCommand> = {
  lsssouser: {
    summary:
      'list SSO users with their lockout state (all, or a page by uid/cn prefix), or show one user',
    spec: {
      options: {
        ...LIST_OPTIONS,
        prefix: {
          kind: 'string',
          arg: 'TEXT',
          help: 'only users whose uid or cn starts with TEXT (case-insensitive)',
        },
        count: {
          kind: 'string',
          arg: 'N',
          help: `one page of at most N users (1-${MAX_LIST_COUNT}); prints the cursor of the next`,
        },
        cursor: { kind: 'string', arg: 'CURSOR', help: 'continue after the page that gave it' },
        limit: {
          kind: 'string',
          arg: 'N',
          help: 'search instead of paging: at most N users (1-1000) whose uid or cn starts with -prefix, sorted by uid, warning when more match; one bounded query on a directory',
        },
      },
      positionals: { names: ['[UID]'], min: 0, max: 1 },
    },
    run: async (a, { services }) => {
      const uid = a.positionals[0];
      if (uid !== undefined) {
        const u = await userOf(services.users, uid);
        return { output: { kind: 'detail', pairs: userDetail(u) } };
      }
      if (str(a, 'limit') !== undefined) {
        if (str(a, 'count') !== undefined || str(a, 'cursor') !== undefined)
          throw new UsageError('-limit searches; -count and -cursor page: use one or the other');
        const limitText = str(a, 'limit') ?? '';
        if (!/^\d{1,4}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > 1000)
          throw new UsageError('-limit must be 1-1000');
        const limit = Number(limitText);
        const r = await services.users.searchUsers({
          prefix: text('prefix', str(a, 'prefix') ?? ''),
          limit,
        });
        return {
          output: {
            kind: 'table',
            headers: PAGE_HEADERS,
            rows: r.items.map((u) => [...row(u), u.cn.join(', '), u.ssoRoleName.join(',')]),
          },
          warnings: r.truncated ? [`more than ${limit} users match: refine -prefix`] : [],
          data: {
            users: r.items.map((u) => Object.fromEntries(userDetail(u))),
            truncated: r.truncated,
          },
        };
      }
      const prefix = text('prefix', str(a, 'prefix') ?? '');
      const count = parseCount(a);
      const cursor = str(a, 'cursor');
      if (cursor !== undefined) text('cursor', cursor, 4096);
      if (count === undefined && prefix === '' && cursor === undefined) {
        // Everything (the original form of the command; pages of 1000 under the hood).
        const rows: string[][] = [];
        let next: string | undefined;
        do {
          const page = await services.users.listUsers({ cursor: next, limit: 1000 });
          rows.push(...page.items.map(row));
          next = page.nextCursor;
        } while (next !== undefined);
        return { output: { kind: 'table', headers: HEADERS, rows } };
      }
      let page: { items: SsoUser[]; next: string | undefined };
      try {
        page = await searchPage(services.users, prefix, count ?? 100, cursor);
      } catch (e) {
        // The repository refuses a cursor it did not issue.
        if (e instanceof RangeError || e instanceof SsoError)
          throw new UsageError('-cursor is not a cursor of this repository');
        throw e;
      }
      return {
        output: {
          kind: 'table',
          headers: PAGE_HEADERS,
          rows: page.items.map((u) => [...row(u), u.cn.join(', '), u.ssoRoleName.join(',')]),
        },
        messages: page.next === undefined ? [] : [`next cursor: ${page.next}`],
        data: {
          users: page.items.map((u) => Object.fromEntries(userDetail(u))),
          next_cursor: page.next ?? null,
        },
      };
    },
  },

  mkssouser: {
    summary: 'create an SSO user (under the user search base unless -dn is given)',
    spec: {
      options: {
        dn: {
          kind: 'string',
          arg: 'DN',
          help: 'the entry DN (default uid=UID,<repository.user-search-base>)',
        },
        ...USER_ATTRIBUTE_OPTIONS,
      },
      positionals: uidTarget,
    },
    run: async (a, ctx) => {
      const { services } = ctx;
      const uid = checkUid(a.positionals[0]!);
      const given = str(a, 'dn');
      const dn =
        given === undefined
          ? `uid=${escapeDnValue(uid)},${services.userSearchBase ?? DEFAULT_USER_SEARCH_BASE}`
          : text('dn', given.trim(), MAX_DN_CHARS);
      const changes = await attributeChanges(a);
      const user = checked(newSsoUser(dn, uid, { cn: [uid], sn: [uid], ...changes }));
      if ((await services.users.findByUid(uid)) !== undefined)
        throw new SsoError('SSO_USER_EXISTS', `the user ID ${JSON.stringify(uid)} is taken`);
      const parent = parentDn(user.dn);
      if (parent !== undefined) {
        const above = await services.accessControl.find(parent);
        if (above !== undefined && above.kind !== 'container')
          throw new SsoError(
            'SSO_ENTRY_PARENT_INVALID',
            `a user sits under a container, not under a ${above.kind} (${above.dn})`,
          );
        if ((await services.users.findByDn(parent as SsoUser['dn'])) !== undefined)
          throw new SsoError('SSO_ENTRY_PARENT_INVALID', `the parent ${parent} is a user`);
      }
      if ((await services.accessControl.find(user.dn)) !== undefined)
        throw new SsoError('SSO_ENTRY_EXISTS', `${user.dn} is an access-control entry`);
      await services.users.add(user);
      running(ctx)?.userModified(user.dn, ctx.client);
      return { output: { kind: 'message', lines: [`user ${uid} created (${user.dn})`] } };
    },
  },

  chssouser: {
    summary:
      'change an SSO user: its attributes, and/or -unlock (release the lock, clear the failure count)',
    spec: {
      options: {
        unlock: { kind: 'boolean', help: 'release the lock and reset the failure count' },
        ...USER_ATTRIBUTE_OPTIONS,
      },
      positionals: uidTarget,
    },
    run: async (a, ctx) => {
      const { services } = ctx;
      const uid = a.positionals[0]!;
      const unlock = has(a, 'unlock');
      const changes = await attributeChanges(a);
      if (!unlock && Object.keys(changes).length === 0)
        throw new UsageError('nothing to change: give -unlock or an attribute option');
      const lines: string[] = [];
      let user = await userOf(services.users, uid);
      if (Object.keys(changes).length > 0) {
        checked({ ...user, ...changes });
        user = await services.users.modify(user.dn, changes);
        running(ctx)?.userModified(user.dn, ctx.client);
        lines.push(`user ${user.uid} changed (${user.dn})`);
      }
      if (unlock) {
        const sso = running(ctx);
        const unlocked =
          sso === undefined
            ? await unlockDirect(services.users, uid)
            : await sso.unlock(uid, ctx.client);
        if (unlocked === undefined) throw notFound(uid);
        lines.push(`user ${unlocked.uid} unlocked (${unlocked.dn})`);
      }
      return { output: { kind: 'message', lines } };
    },
  },

  rmssouser: {
    summary: 'delete an SSO user (its sessions end)',
    spec: { options: {}, positionals: uidTarget },
    run: async (a, ctx) => {
      const { services } = ctx;
      const user = await userOf(services.users, a.positionals[0]!);
      await services.users.delete(user.dn);
      const sso = running(ctx);
      sso?.userModified(user.dn, ctx.client);
      // Signed on somewhere: those sessions end with the user (nothing is logged when none).
      const open = sso?.sessions === undefined ? [] : await sso.sessions.byUid(user.uid);
      const ended =
        sso === undefined || open.length === 0 ? [] : await sso.forcedSignOff({ uid: user.uid });
      return {
        output: {
          kind: 'message',
          lines: [
            `user ${user.uid} deleted (${user.dn})` +
              (ended.length === 0 ? '' : `; ${ended.length} session(s) ended`),
          ],
        },
      };
    },
  },
};

async function unlockDirect(users: UserRepository, uid: string): Promise<SsoUser | undefined> {
  const u = await users.findByUid(uid);
  if (u === undefined) return undefined;
  if ((await users.unlock(u.dn)).unrecorded === true) {
    throw new SsoError(
      'SSO_REPOSITORY_READ_ONLY',
      `the lock of ${u.uid} is kept by the directory (Active Directory without the SSO schema extension): unlock the account there`,
    );
  }
  return u;
}
