// Active Directory-style users in slapd, for the tests of `repository.ldap.mode: ad`: slapd has
// no AD schema, so tests/fixtures/ldap/ad-lite.schema supplies the few AD attributes Sekisho
// reads (sAMAccountName, memberOf, lockoutTime, userAccountControl, accountExpires). Where AD
// keeps a password that no one can read (unicodePwd), these entries carry an {SSHA}
// userPassword, which slapd checks at a simple bind as AD checks unicodePwd — the part of AD
// that password sign-on by bind relies on.
import { sshaPassword, startSlapd, type Slapd, type SlapdOptions } from './slapd.ts';

export const AD_SUFFIX = 'DC=corp,DC=test';
export const AD_USERS = `OU=Users,${AD_SUFFIX}`;
export const AD_GROUPS = `OU=Groups,${AD_SUFFIX}`;
export const AD_SCHEMA = new URL('../fixtures/ldap/ad-lite.schema', import.meta.url).pathname;

export interface AdUserOptions {
  /** Extra LDIF lines (`attribute: value`). */
  readonly lines?: readonly string[];
  /** Object classes; default an AD `user` (top, person, organizationalPerson, user). */
  readonly classes?: readonly string[];
  /** The password slapd checks at a bind (stored as {SSHA}); absent = none. */
  readonly password?: string;
  /** The first RDN's value when it is not `name` (e.g. with a comma, escaped). */
  readonly rdn?: string;
}

/** `CN=<name>,OU=Users,…` as LDIF: sAMAccountName = `name` lower-cased, userAccountControl 512. */
export function adUser(name: string, o: AdUserOptions = {}): string {
  const lines = o.lines ?? [];
  return [
    `dn: CN=${o.rdn ?? name},${AD_USERS}`,
    ...(o.classes ?? ['top', 'person', 'organizationalPerson', 'user']).map(
      (c) => `objectClass: ${c}`,
    ),
    `cn: ${name}`,
    `sn: ${name}`,
    `sAMAccountName: ${name.toLowerCase()}`,
    ...(lines.some((l) => l.startsWith('userAccountControl:')) ? [] : ['userAccountControl: 512']),
    ...(o.password === undefined ? [] : [`userPassword: ${sshaPassword(o.password)}`]),
    ...lines,
  ].join('\n');
}

/** slapd holding `OU=Users` and `OU=Groups` under {@link AD_SUFFIX}, then `users` (LDIF). */
export function startAdSlapd(
  users: readonly string[],
  options: Omit<SlapdOptions, 'suffix' | 'schemaFiles' | 'data'> = {},
): Promise<Slapd> {
  return startSlapd({
    ...options,
    suffix: AD_SUFFIX,
    schemaFiles: [AD_SCHEMA],
    data: [
      `dn: ${AD_USERS}\nobjectClass: organizationalUnit\nou: Users`,
      `dn: ${AD_GROUPS}\nobjectClass: organizationalUnit\nou: Groups`,
      ...users,
    ].join('\n\n'),
  });
}
