/**
 * The SSO user entry (shared/reference/sso-interstage.md §5.1): the `ssoUser` attributes of an
 * `inetOrgPerson`, parsed from and written back to LDAP-style attribute maps.
 *
 * Attribute names are matched case-insensitively, as LDAP does. Values arrive as strings, except
 * the stored certificate, which arrives as DER bytes (`userCertificate;binary`).
 */
import { SsoError } from './errors.ts';

/** A user's distinguished name; branded so that a uid or a bare string cannot stand in for it. */
export type UserDn = string & { readonly __brand: 'UserDn' };

/** Brands a DN string. Only the shape is checked (non-empty, has `=`); no RFC 4514 parsing. */
export function userDn(dn: string): UserDn {
  if (dn.length === 0 || !dn.includes('=')) {
    throw new SsoError('SSO_ATTRIBUTE_INVALID', `not a DN: ${JSON.stringify(dn)}`, {
      attribute: 'dn',
    });
  }
  return dn as UserDn;
}

/** `ssoAuthType` values (§1, EG-319); `basicAuthOrCertAuth` is the default when omitted. */
export const SSO_AUTH_TYPES = [
  'basicAuth',
  'certAuth',
  'basicAuthAndCertAuth',
  'basicAuthOrCertAuth',
] as const;
export type SsoAuthType = (typeof SSO_AUTH_TYPES)[number];
export const DEFAULT_SSO_AUTH_TYPE: SsoAuthType = 'basicAuthOrCertAuth';

/** `ssoUserStatus` values (§5.1): written by the repository server. Omitted means `good`. */
export const SSO_USER_STATUSES = ['good', 'locked'] as const;
export type SsoUserStatus = (typeof SSO_USER_STATUSES)[number];

/**
 * Attributes a certificate can be mapped to a user by (§1, `certificate-mapping-attribute`).
 * For `mail` the certificate's SAN/extension value wins; for the others the Subject value wins.
 */
export const CERT_MAPPING_ATTRIBUTES = [
  'mail',
  'employeeNumber',
  'uid',
  'serialNumber',
  'dnQualifier',
  'cn',
] as const;
export type CertMappingAttribute = (typeof CERT_MAPPING_ATTRIBUTES)[number];

/** The object class without which authentication fails (J-401). */
export const SSO_USER_OBJECT_CLASS = 'ssoUser';

/** Maximum size of one `ssoRoleName` value, UTF-8 bytes (§5.1). */
export const MAX_ROLE_NAME_BYTES = 32;

/** `ssoCredentialTTL` bounds, minutes (EG-319): 0 = unlimited, 1–29 → 30, above 1440 → 1440. */
export const CREDENTIAL_TTL_MIN = 30;
export const CREDENTIAL_TTL_MAX = 1440;

/** One SSO user. Every key is present; absent attributes are `undefined` or empty arrays. */
export interface SsoUser {
  readonly dn: UserDn;
  readonly objectClass: readonly string[];
  /** User ID for password authentication; single-valued, no `:`. */
  readonly uid: string;
  /** Stored hash text, e.g. a PHC `$argon2id$…` string or `{SSHA}…`; undefined = no password. */
  readonly userPassword: string | undefined;
  readonly ssoAuthType: SsoAuthType;
  /** Start of the validity period; undefined = valid from any time. */
  readonly ssoNotBefore: Date | undefined;
  /** End of the validity period; undefined = valid forever. */
  readonly ssoNotAfter: Date | undefined;
  /** Re-authentication interval as stored, minutes; undefined = the auth server's default. */
  readonly ssoCredentialTTL: number | undefined;
  readonly ssoUserStatus: SsoUserStatus;
  /** Consecutive password failures. */
  readonly ssoFailureCount: number;
  /** When the user was locked (stored in GMT `YYYYMMDDHHMMSSZ`). */
  readonly ssoLockTimeStamp: Date | undefined;
  readonly ssoRoleName: readonly string[];
  readonly cn: readonly string[];
  readonly sn: readonly string[];
  readonly mail: readonly string[];
  readonly employeeNumber: string | undefined;
  readonly serialNumber: string | undefined;
  readonly dnQualifier: string | undefined;
  /** Stored certificates, DER (`userCertificate;binary`), for `certificate-identification`. */
  readonly userCertificate: readonly Uint8Array[];
}

/** Builds a user with every optional attribute at its default (`objectClass` includes ssoUser). */
export function newSsoUser(
  dn: string,
  uid: string,
  fields: Partial<Omit<SsoUser, 'dn' | 'uid'>> = {},
): SsoUser {
  return {
    dn: userDn(dn),
    objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson', SSO_USER_OBJECT_CLASS],
    uid: checkUid(uid),
    userPassword: undefined,
    ssoAuthType: DEFAULT_SSO_AUTH_TYPE,
    ssoNotBefore: undefined,
    ssoNotAfter: undefined,
    ssoCredentialTTL: undefined,
    ssoUserStatus: 'good',
    ssoFailureCount: 0,
    ssoLockTimeStamp: undefined,
    ssoRoleName: [],
    cn: [],
    sn: [],
    mail: [],
    employeeNumber: undefined,
    serialNumber: undefined,
    dnQualifier: undefined,
    userCertificate: [],
    ...fields,
  };
}

/** Whether the entry carries the `ssoUser` object class (case-insensitive). */
export function hasSsoUserClass(user: SsoUser): boolean {
  return user.objectClass.some((c) => c.toLowerCase() === 'ssouser');
}

/** The values of a certificate-mapping attribute of a user. */
export function mappingValues(user: SsoUser, attribute: CertMappingAttribute): readonly string[] {
  switch (attribute) {
    case 'mail':
    case 'cn':
      return user[attribute];
    case 'uid':
      return [user.uid];
    case 'employeeNumber':
    case 'serialNumber':
    case 'dnQualifier': {
      const v = user[attribute];
      return v === undefined ? [] : [v];
    }
    default: {
      const never: never = attribute;
      return never;
    }
  }
}

/**
 * The effective re-authentication interval in minutes (EG-319): 0 = unlimited; 1–29 → 30;
 * above 1440 → 1440; undefined → `defaultMinutes` (the auth server's setting).
 */
export function effectiveCredentialTtl(user: SsoUser, defaultMinutes: number): number {
  const v = user.ssoCredentialTTL;
  if (v === undefined) return defaultMinutes;
  if (v === 0) return 0;
  return Math.min(CREDENTIAL_TTL_MAX, Math.max(CREDENTIAL_TTL_MIN, v));
}

// ---- Generalized time ------------------------------------------------------------------------

const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(Z|[+-]\d{4})$/;

/**
 * Parses `YYYYMMDDHHMMSSZ` or `YYYYMMDDHHMMSS+HHMM` (§1, EG-125) into an instant; undefined when
 * malformed or not a calendar date. Fractions of seconds are not accepted.
 */
export function parseGeneralizedTime(text: string): Date | undefined {
  const m = GENERALIZED_TIME.exec(text);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const zone = m[7]!;
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined;
  const local = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(local);
  if (check.getUTCDate() !== d || check.getUTCMonth() !== mo - 1) return undefined;
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(3, 5));
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  return new Date(local - offsetMinutes * 60_000);
}

/** Formats an instant as GMT `YYYYMMDDHHMMSSZ` (whole seconds). */
export function formatGeneralizedTime(date: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return (
    p(date.getUTCFullYear(), 4) +
    p(date.getUTCMonth() + 1) +
    p(date.getUTCDate()) +
    p(date.getUTCHours()) +
    p(date.getUTCMinutes()) +
    p(date.getUTCSeconds()) +
    'Z'
  );
}

// ---- Parsing ---------------------------------------------------------------------------------

/** An LDAP-style entry as an adapter reads it. */
export interface UserEntry {
  readonly dn: string;
  readonly attributes: ReadonlyMap<string, readonly (string | Uint8Array)[]>;
}

function invalid(attribute: string, why: string): SsoError {
  return new SsoError('SSO_ATTRIBUTE_INVALID', `${attribute}: ${why}`, { attribute });
}

function checkUid(uid: string): string {
  if (uid.length === 0) throw invalid('uid', 'empty');
  if (uid.includes(':')) throw invalid('uid', 'contains ":"');
  return uid;
}

/** Reads attributes by case-insensitive name; `;binary` options are folded into the name. */
class Reader {
  readonly #values = new Map<string, { name: string; values: readonly (string | Uint8Array)[] }>();
  constructor(attributes: ReadonlyMap<string, readonly (string | Uint8Array)[]>) {
    for (const [name, values] of attributes) {
      const key = name.toLowerCase().replace(/;binary$/, '');
      const prev = this.#values.get(key);
      this.#values.set(key, { name, values: [...(prev?.values ?? []), ...values] });
    }
  }
  strings(attribute: string): string[] {
    const e = this.#values.get(attribute.toLowerCase());
    if (e === undefined) return [];
    return e.values.map((v) => {
      if (typeof v !== 'string') throw invalid(attribute, 'binary value where text is expected');
      return v;
    });
  }
  single(attribute: string): string | undefined {
    const vs = this.strings(attribute);
    if (vs.length > 1) {
      throw new SsoError('SSO_ATTRIBUTE_SINGLE_VALUED', `${attribute}: ${vs.length} values`, {
        attribute,
      });
    }
    return vs[0];
  }
  bytes(attribute: string): Uint8Array[] {
    const e = this.#values.get(attribute.toLowerCase());
    if (e === undefined) return [];
    return e.values.map((v) => {
      if (typeof v === 'string') throw invalid(attribute, 'text value where DER is expected');
      return v;
    });
  }
}

function parseTime(r: Reader, attribute: string): Date | undefined {
  const v = r.single(attribute);
  if (v === undefined) return undefined;
  const d = parseGeneralizedTime(v);
  if (d === undefined) throw invalid(attribute, `not a generalized time: ${JSON.stringify(v)}`);
  return d;
}

function parseCount(r: Reader, attribute: string): number | undefined {
  const v = r.single(attribute);
  if (v === undefined) return undefined;
  if (!/^\d{1,9}$/.test(v))
    throw invalid(attribute, `not a non-negative integer: ${JSON.stringify(v)}`);
  return Number(v);
}

function parseOneOf<T extends string>(
  r: Reader,
  attribute: string,
  table: readonly T[],
): T | undefined {
  const v = r.single(attribute);
  if (v === undefined) return undefined;
  const found = table.find((t) => t.toLowerCase() === v.toLowerCase());
  if (found === undefined) {
    throw invalid(attribute, `${JSON.stringify(v)} is not one of ${table.join(', ')}`);
  }
  return found;
}

/**
 * Parses an LDAP entry into an {@link SsoUser}. Throws {@link SsoError} naming the attribute:
 * `SSO_ATTRIBUTE_MISSING` (no uid), `SSO_ATTRIBUTE_SINGLE_VALUED`, `SSO_ATTRIBUTE_INVALID`
 * (bad generalized time, integer, enumeration value, role name over 32 bytes, uid with `:`).
 * A missing `ssoUser` object class is not an error here: authentication refuses such a user.
 */
export function parseSsoUser(entry: UserEntry): SsoUser {
  const r = new Reader(entry.attributes);
  const uid = r.single('uid');
  if (uid === undefined) {
    throw new SsoError('SSO_ATTRIBUTE_MISSING', 'uid: absent', { attribute: 'uid' });
  }
  const roles = r.strings('ssoRoleName');
  for (const role of roles) {
    if (role.length === 0 || new TextEncoder().encode(role).length > MAX_ROLE_NAME_BYTES) {
      throw invalid(
        'ssoRoleName',
        `must be 1–${MAX_ROLE_NAME_BYTES} bytes: ${JSON.stringify(role)}`,
      );
    }
  }
  return {
    dn: userDn(entry.dn),
    objectClass: r.strings('objectClass'),
    uid: checkUid(uid),
    userPassword: r.single('userPassword'),
    ssoAuthType: parseOneOf(r, 'ssoAuthType', SSO_AUTH_TYPES) ?? DEFAULT_SSO_AUTH_TYPE,
    ssoNotBefore: parseTime(r, 'ssoNotBefore'),
    ssoNotAfter: parseTime(r, 'ssoNotAfter'),
    ssoCredentialTTL: parseCount(r, 'ssoCredentialTTL'),
    ssoUserStatus: parseOneOf(r, 'ssoUserStatus', SSO_USER_STATUSES) ?? 'good',
    ssoFailureCount: parseCount(r, 'ssoFailureCount') ?? 0,
    ssoLockTimeStamp: parseTime(r, 'ssoLockTimeStamp'),
    ssoRoleName: roles,
    cn: r.strings('cn'),
    sn: r.strings('sn'),
    mail: r.strings('mail'),
    employeeNumber: r.single('employeeNumber'),
    serialNumber: r.single('serialNumber'),
    dnQualifier: r.single('dnQualifier'),
    userCertificate: r.bytes('userCertificate'),
  };
}

/**
 * The attributes of a user, in the names of §5.1; absent values are left out. Dates are written
 * in GMT `YYYYMMDDHHMMSSZ`; the certificate as `userCertificate;binary`.
 */
export function toAttributes(user: SsoUser): Map<string, (string | Uint8Array)[]> {
  const out = new Map<string, (string | Uint8Array)[]>();
  const put = (name: string, values: readonly (string | Uint8Array)[]): void => {
    if (values.length > 0) out.set(name, [...values]);
  };
  const one = (name: string, v: string | undefined): void => {
    if (v !== undefined) out.set(name, [v]);
  };
  const time = (name: string, d: Date | undefined): void => {
    one(name, d === undefined ? undefined : formatGeneralizedTime(d));
  };
  put('objectClass', user.objectClass);
  one('uid', user.uid);
  put('cn', user.cn);
  put('sn', user.sn);
  one('userPassword', user.userPassword);
  one('ssoAuthType', user.ssoAuthType);
  time('ssoNotBefore', user.ssoNotBefore);
  time('ssoNotAfter', user.ssoNotAfter);
  one('ssoCredentialTTL', user.ssoCredentialTTL?.toString());
  one('ssoUserStatus', user.ssoUserStatus);
  one('ssoFailureCount', String(user.ssoFailureCount));
  time('ssoLockTimeStamp', user.ssoLockTimeStamp);
  put('ssoRoleName', user.ssoRoleName);
  put('mail', user.mail);
  one('employeeNumber', user.employeeNumber);
  one('serialNumber', user.serialNumber);
  one('dnQualifier', user.dnQualifier);
  put('userCertificate;binary', user.userCertificate);
  return out;
}
