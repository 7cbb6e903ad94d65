/**
 * Active Directory as the user store (shared/reference/sso-interstage.md §5.3): how an AD
 * `user` entry becomes an {@link SsoUser}.
 *
 * - The user ID is `sAMAccountName` (`uid` is ignored).
 * - Roles come from a configurable attribute (default `memberOf`): a DN value is reduced to the
 *   value of its first RDN when that is a `CN` (`CN=Finance,OU=Groups,DC=corp` → `Finance`),
 *   any other value is taken as it is; a static mapping table (attribute value → role names,
 *   compared case-insensitively) takes precedence. With the SSO schema extension installed,
 *   the entry's own `ssoRoleName` values are added. Names that cannot be SSO role names (over
 *   32 UTF-8 bytes, or with a comma) are dropped: no role could carry them.
 * - locked since `lockoutTime` while `msDS-User-Account-Control-Computed` has UF_LOCKOUT (0x10)
 *   (AD applies its lockout duration there; without that attribute, `lockoutTime` non-zero
 *   decides); `userAccountControl` with ACCOUNTDISABLE (0x2)
 *   ⇒ outside the validity period (`ssoNotAfter` at the epoch), so that no lock release can
 *   let a disabled account in; `accountExpires` (FILETIME; 0 and 2^63−1 = never) ⇒
 *   `ssoNotAfter`, the earlier of the two when both apply.
 * - Without the extension (no `ssoUser` object class on the entry) the `user` class stands for
 *   `ssoUser`, and the SSO attributes take their defaults (failure count 0, status from the AD
 *   lockout above).
 * - Passwords are never readable in AD (`unicodePwd` is write-only): `userPassword` is absent,
 *   and a password is verified by a bind as the user ({@link adBindVerdict} reads AD's answer).
 */
import type { PasswordVerdict } from '../../sso/core/authenticate.ts';
import {
  MAX_ROLE_NAME_BYTES,
  parseSsoUser,
  type SsoUser,
  type UserEntry,
} from '../../sso/core/user.ts';

/** userAccountControl ACCOUNTDISABLE. */
export const UF_ACCOUNTDISABLE = 0x2;
/** msDS-User-Account-Control-Computed: the account is locked out now (lockout duration applied). */
export const UF_LOCKOUT = 0x10;
/** FILETIME of 1970-01-01T00:00:00Z: 100 ns intervals since 1601-01-01. */
const FILETIME_UNIX_EPOCH = 116_444_736_000_000_000n;
const FILETIME_NEVER = 0x7fff_ffff_ffff_ffffn;

/** Attributes read from AD besides the SSO ones. */
export const AD_ATTRIBUTES = [
  'sAMAccountName',
  'lockoutTime',
  'msDS-User-Account-Control-Computed',
  'userAccountControl',
  'accountExpires',
] as const;

export interface ActiveDirectoryMapping {
  /** The attribute roles are read from; default `memberOf`. */
  readonly roleAttribute: string;
  /** Attribute value (lower case) → role names. */
  readonly roleMapping: ReadonlyMap<string, readonly string[]>;
}

/** A FILETIME text as a Date; undefined for 0, "never", or a malformed value. */
export function fromFileTime(text: string | undefined): Date | undefined {
  if (text === undefined || !/^-?\d{1,20}$/.test(text)) return undefined;
  const v = BigInt(text);
  if (v <= 0n || v >= FILETIME_NEVER) return undefined;
  return new Date(Number((v - FILETIME_UNIX_EPOCH) / 10_000n));
}

/** A Date as FILETIME text (for tests and tools). */
export function toFileTime(date: Date): string {
  return (BigInt(date.getTime()) * 10_000n + FILETIME_UNIX_EPOCH).toString();
}

/** The role name a group value stands for: the CN of a DN, or the value itself. */
export function groupRoleName(value: string): string {
  const m = /^\s*cn\s*=\s*((?:[^,+\\]|\\.)*)/i.exec(value);
  if (m === null || !value.includes('=')) return value;
  return m[1]!
    .trim()
    .replace(/\\([0-9A-Fa-f]{2}|.)/g, (_s, x: string) =>
      x.length === 2 ? String.fromCharCode(parseInt(x, 16)) : x,
    );
}

const fitsRoleName = (n: string): boolean =>
  n.length > 0 && !n.includes(',') && new TextEncoder().encode(n).length <= MAX_ROLE_NAME_BYTES;

function get(attributes: ReadonlyMap<string, readonly (string | Uint8Array)[]>, name: string) {
  const out: string[] = [];
  for (const [k, vs] of attributes) {
    if (k.toLowerCase() !== name.toLowerCase()) continue;
    for (const v of vs) if (typeof v === 'string') out.push(v);
  }
  return out;
}

/** Whether an AD entry carries the SSO schema extension (`ssoUser` object class). */
export function hasSsoExtension(entry: UserEntry): boolean {
  return get(entry.attributes, 'objectClass').some((c) => c.toLowerCase() === 'ssouser');
}

/** Maps an AD user entry (see the module comment). Throws SsoError as parseSsoUser does. */
export function adEntryToUser(entry: UserEntry, mapping: ActiveDirectoryMapping): SsoUser {
  const attrs = entry.attributes;
  const roleAttr = mapping.roleAttribute.toLowerCase();
  const skip = new Set(['uid', 'userpassword', 'ssorolename', roleAttr, 'samaccountname']);
  const rebuilt = new Map<string, (string | Uint8Array)[]>();
  for (const [k, vs] of attrs) {
    if (skip.has(k.toLowerCase())) continue;
    rebuilt.set(k, [...vs]);
  }
  const sam = get(attrs, 'sAMAccountName');
  if (sam.length > 0) rebuilt.set('uid', sam);
  const classes = get(attrs, 'objectClass');
  const extension = hasSsoExtension(entry);
  if (!extension) rebuilt.set('objectClass', [...classes, 'ssoUser']);

  const roles: string[] = [];
  for (const v of get(attrs, mapping.roleAttribute)) {
    const mapped = mapping.roleMapping.get(v.toLowerCase());
    roles.push(...(mapped ?? [groupRoleName(v)]));
  }
  if (extension) roles.push(...get(attrs, 'ssoRoleName'));
  const seen = new Set<string>();
  const kept = roles.filter((r) => {
    const k = r.toLowerCase();
    if (!fitsRoleName(r) || seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  if (kept.length > 0) rebuilt.set('ssoRoleName', kept);
  // AD attributes that are not SSO attributes: parseSsoUser ignores them.
  const user = parseSsoUser({ dn: entry.dn, attributes: rebuilt });

  const lockoutTime = fromFileTime(get(attrs, 'lockoutTime')[0]);
  // AD keeps lockoutTime after its lockout duration has passed (until the next logon or an
  // unlock); its constructed msDS-User-Account-Control-Computed says whether the lock is in
  // force now (UF_LOCKOUT). Without it (another directory, an old AD), lockoutTime decides.
  const computed = get(attrs, 'msDS-User-Account-Control-Computed')[0];
  const computedFlags = computed === undefined ? undefined : Number(computed);
  const lockedAt =
    computedFlags === undefined || !Number.isInteger(computedFlags)
      ? lockoutTime
      : (computedFlags & UF_LOCKOUT) !== 0
        ? (lockoutTime ?? new Date(0))
        : undefined;
  const uac = Number(get(attrs, 'userAccountControl')[0] ?? '0');
  const disabled = Number.isInteger(uac) && (uac & UF_ACCOUNTDISABLE) !== 0;
  const expires = fromFileTime(get(attrs, 'accountExpires')[0]);
  let notAfter = user.ssoNotAfter;
  for (const d of [expires, disabled ? new Date(0) : undefined]) {
    if (d !== undefined && (notAfter === undefined || d < notAfter)) notAfter = d;
  }
  return {
    ...user,
    userPassword: undefined,
    ssoNotAfter: notAfter,
    ...(lockedAt === undefined
      ? {}
      : {
          ssoUserStatus: 'locked' as const,
          ssoLockTimeStamp: user.ssoLockTimeStamp ?? lockedAt,
        }),
  };
}

/**
 * AD's sub-code of a refused bind, from the diagnostic message of invalidCredentials (49), as
 * in `80090308: LdapErr: DSID-0C090447, comment: AcceptSecurityContext error, data 52e, v3839`:
 * the Win32 error as hex (`52e` = ERROR_LOGON_FAILURE, 1326). Undefined when there is none (an
 * OpenLDAP server, or another message).
 */
export function adBindSubcode(diagnostic: string): string | undefined {
  return /\bdata ([0-9a-f]{1,8})\b/i.exec(diagnostic)?.[1]?.toLowerCase();
}

/**
 * What AD's sub-codes of a refused bind mean for a sign-on (Win32 errors, MS-ERREF §2.2). A
 * wrong password is 52e whatever else is true of the account, except a locked one (775); the
 * others (530–773) come only with the right password, so none of them counts as a failure.
 */
export const AD_BIND_SUBCODES: Readonly<Record<string, Exclude<PasswordVerdict, 'match'>>> = {
  /** ERROR_LOGON_FAILURE: wrong password (or unknown name). */
  '52e': 'mismatch',
  /** ERROR_NO_SUCH_USER: the entry is gone. */
  '525': 'no_such_user',
  /** ERROR_INVALID_LOGON_HOURS: not permitted to sign on at this time. */
  '530': 'disabled',
  /** ERROR_INVALID_WORKSTATION: not permitted to sign on from this computer. */
  '531': 'disabled',
  /** ERROR_PASSWORD_EXPIRED. */
  '532': 'password_expired',
  /** ERROR_ACCOUNT_DISABLED. */
  '533': 'disabled',
  /** ERROR_ACCOUNT_EXPIRED. */
  '701': 'disabled',
  /** ERROR_PASSWORD_MUST_CHANGE: must change the password at the next logon. */
  '773': 'password_expired',
  /** ERROR_ACCOUNT_LOCKED_OUT. */
  '775': 'locked',
};

/**
 * The verdict of a bind as the user: accepted → `match`; inappropriateAuthentication (48: an
 * entry with no password, as OpenLDAP answers) → `no_password`; invalidCredentials (49) by its
 * AD sub-code ({@link AD_BIND_SUBCODES}), and `mismatch` when it has none or one not listed — a
 * wrong password is the answer that fails safe (it is counted).
 */
export function adBindVerdict(
  result: { readonly ok: true } | { readonly ok: false; code: number; diagnostic: string },
): PasswordVerdict {
  if (result.ok) return 'match';
  if (result.code === 48) return 'no_password';
  const sub = adBindSubcode(result.diagnostic);
  return (sub === undefined ? undefined : AD_BIND_SUBCODES[sub]) ?? 'mismatch';
}
