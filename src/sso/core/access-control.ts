/**
 * The access-control entries of the SSO repository (shared/reference/sso-interstage.md §5.2):
 * roles (`ssoRole`), role sets (`ssoRoleSet`), protected sites (`domain` + `ssoSite`), protected
 * resources (`ssoResource`), and the containers above them (`organizationalUnit`,
 * `organization`, `domain`, `dcObject`), parsed from and written back to LDAP-style attribute
 * maps; and the pure authorization rules over them (role expansion, any-match, longest prefix,
 * the site of a redirect URL).
 *
 * Attribute names are matched case-insensitively, as LDAP does. Every value is text.
 */
import { SsoError } from './errors.ts';
import { MAX_ROLE_NAME_BYTES, SSO_USER_OBJECT_CLASS, type UserEntry } from './user.ts';

/** The kinds of access-control entry, as an `as const` table. */
export const ACCESS_ENTRY_KINDS = ['container', 'site', 'role', 'roleSet', 'resource'] as const;
export type AccessEntryKind = (typeof ACCESS_ENTRY_KINDS)[number];

/** A role (`ssoRole`): `cn` is the role name users and resources refer to. */
export interface SsoRole {
  readonly kind: 'role';
  readonly dn: string;
  /** 1–32 UTF-8 bytes, no comma; unique case-insensitively among roles and role sets. */
  readonly cn: string;
}

/** A role set (`ssoRoleSet`): a name standing for the roles and role sets it lists. */
export interface SsoRoleSet {
  readonly kind: 'roleSet';
  readonly dn: string;
  /** Same rules as a role name; shares the role namespace. */
  readonly cn: string;
  /** Member role and role-set names; at least one. Unknown names are ignored (EG-123). */
  readonly ssoRoleName: readonly string[];
}

/** A protected site (`domain` + `ssoSite`): a host and a port. */
export interface SsoSite {
  readonly kind: 'site';
  readonly dn: string;
  /** The leaf domain component, as written. */
  readonly dc: string;
  /**
   * The `dc` values of the DN from the leaf up to the first RDN that is not `dc`, joined with
   * `.`, in lower case (ASCII; an internationalized label in its `xn--` form).
   */
  readonly host: string;
  /** `ssoPortNumber`, 1–65535; default {@link DEFAULT_SITE_PORT}. */
  readonly port: number;
}

/** A protected resource (`ssoResource`): a path of its site and the roles allowed on it. */
export interface SsoResource {
  readonly kind: 'resource';
  readonly dn: string;
  /** The path, starting with `/`; it protects every path it is a prefix of. */
  readonly cn: string;
  /** Roles or role sets any one of which grants access (any-match); empty = nobody. */
  readonly ssoRoleName: readonly string[];
  /** The parent DN, which must be a site. */
  readonly siteDn: string;
}

/**
 * An entry that only holds others (organizational unit, organization, plain domain, dcObject),
 * kept verbatim so that export reproduces it.
 */
export interface Container {
  readonly kind: 'container';
  readonly dn: string;
  readonly objectClass: readonly string[];
  /** Every attribute but objectClass, names as first written, in the order read. */
  readonly attributes: ReadonlyMap<string, readonly string[]>;
}

export type AccessEntry = SsoRole | SsoRoleSet | SsoSite | SsoResource | Container;
/** The entry type of one kind. */
export type AccessEntryOf<K extends AccessEntryKind> = Extract<AccessEntry, { kind: K }>;

/** `ssoPortNumber` when omitted (§5.2: e.g. 443). */
export const DEFAULT_SITE_PORT = 443;

/** Object classes a container may carry (case-insensitive); one besides `top` is required. */
export const CONTAINER_OBJECT_CLASSES = [
  'top',
  'organizationalUnit',
  'organization',
  'domain',
  'dcObject',
] as const;

/** Longest URL {@link siteForUrl} considers, characters. */
export const MAX_REDIRECT_URL_LENGTH = 2048;

// ---- DNs -------------------------------------------------------------------------------------

/** One `type=value` of an RDN, the value unescaped. */
interface Ava {
  readonly type: string;
  readonly value: string;
}

interface SplitRdn {
  readonly avas: readonly Ava[];
  /** Offset of the `,` after this RDN in the DN text, or the DN length. */
  readonly end: number;
}

function badDn(dn: string, why: string): SsoError {
  return new SsoError('SSO_ATTRIBUTE_INVALID', `dn: ${why}: ${JSON.stringify(dn)}`, {
    attribute: 'dn',
  });
}

const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9A-Fa-f]$/.test(c);

/**
 * Splits a DN of RFC 4514 into RDNs of unescaped values: `\,` and the other one-character
 * escapes, `\XX` UTF-8 bytes; unescaped spaces around types, `=`, `,` and `+` are padding.
 * Lenient (the LDIF reader checks the grammar), but never guesses: a dangling escape, an
 * RDN without `=`, or escaped bytes that are not UTF-8 throw `SSO_ATTRIBUTE_INVALID` (dn).
 */
function splitDn(dn: string): SplitRdn[] {
  const rdns: SplitRdn[] = [];
  let avas: Ava[] = [];
  let type: string | undefined;
  let text = '';
  let bytes: number[] = [];
  let trailing = 0; // unescaped spaces at the end of `text`
  const flush = (): void => {
    if (bytes.length === 0) return;
    try {
      text += new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
    } catch {
      throw badDn(dn, 'escaped bytes are not UTF-8');
    }
    bytes = [];
  };
  const endAva = (): void => {
    flush();
    if (type === undefined) throw badDn(dn, 'an RDN lacks "="');
    avas.push({ type, value: text.slice(0, text.length - trailing) });
    type = undefined;
    text = '';
    trailing = 0;
  };
  for (let i = 0; i < dn.length; i++) {
    const c = dn[i]!;
    if (c === '\\') {
      const a = dn[i + 1];
      if (a === undefined) throw badDn(dn, 'dangling escape');
      if (isHex(a) && isHex(dn[i + 2])) {
        bytes.push(parseInt(dn.slice(i + 1, i + 3), 16));
        i += 2;
      } else {
        flush();
        text += a;
        i += 1;
      }
      trailing = 0;
      continue;
    }
    flush();
    if (type === undefined) {
      if (c === '=') {
        type = text.trim().toLowerCase();
        if (type.length === 0) throw badDn(dn, 'an attribute type is empty');
        text = '';
        trailing = 0;
      } else if (c === ',' || c === '+') {
        throw badDn(dn, 'an RDN lacks "="');
      } else {
        text += c;
      }
      continue;
    }
    if (c === ',' || c === '+') {
      endAva();
      if (c === ',') {
        rdns.push({ avas, end: i });
        avas = [];
      }
      continue;
    }
    if (c === ' ') {
      if (text.length === 0) continue; // leading padding
      trailing++;
    } else {
      trailing = 0;
    }
    text += c;
  }
  endAva();
  rdns.push({ avas, end: dn.length });
  return rdns;
}

/**
 * The comparison key of a DN: types and values in lower case, padding dropped, escapes resolved
 * and re-escaped canonically, multi-valued RDNs sorted. Two spellings of one DN have one key.
 */
export function dnKey(dn: string): string {
  const esc = (v: string): string => v.replace(/[\\,+=]/g, (c) => `\\${c}`);
  return splitDn(dn)
    .map((r) =>
      r.avas
        .map((a) => `${a.type}=${esc(a.value.toLowerCase())}`)
        .sort()
        .join('+'),
    )
    .join(',');
}

/** The parent of a DN as written (padding trimmed), or undefined for a one-RDN DN. */
export function parentDn(dn: string): string | undefined {
  const [first, second] = splitDn(dn);
  if (first === undefined || second === undefined) return undefined;
  return dn.slice(first.end + 1).trimStart();
}

/** The number of RDNs of a DN (1 for `o=example`). */
export function dnDepth(dn: string): number {
  return splitDn(dn).length;
}

// ---- Parsing ---------------------------------------------------------------------------------

function invalid(attribute: string, why: string): SsoError {
  return new SsoError('SSO_ATTRIBUTE_INVALID', `${attribute}: ${why}`, { attribute });
}

function missing(attribute: string, why = 'absent'): SsoError {
  return new SsoError('SSO_ATTRIBUTE_MISSING', `${attribute}: ${why}`, { attribute });
}

/** Attributes by lower-case name: the first spelling and every text value. */
function readAttributes(
  attributes: UserEntry['attributes'],
): Map<string, { name: string; values: string[] }> {
  const out = new Map<string, { name: string; values: string[] }>();
  for (const [name, values] of attributes) {
    const texts = values.map((v) => {
      if (typeof v !== 'string') throw invalid(name, 'binary value where text is expected');
      return v;
    });
    const k = name.toLowerCase();
    const prev = out.get(k);
    if (prev === undefined) out.set(k, { name, values: texts });
    else prev.values.push(...texts);
  }
  return out;
}

type Attrs = ReturnType<typeof readAttributes>;

function single(attrs: Attrs, attribute: string): string {
  const vs = attrs.get(attribute.toLowerCase())?.values ?? [];
  if (vs.length === 0) throw missing(attribute);
  if (vs.length > 1) {
    throw new SsoError('SSO_ATTRIBUTE_SINGLE_VALUED', `${attribute}: ${vs.length} values`, {
      attribute,
    });
  }
  return vs[0]!;
}

const utf8Length = (s: string): number => new TextEncoder().encode(s).length;

function checkRoleName(attribute: string, name: string): string {
  if (name.length === 0 || utf8Length(name) > MAX_ROLE_NAME_BYTES) {
    throw invalid(attribute, `must be 1–${MAX_ROLE_NAME_BYTES} bytes: ${JSON.stringify(name)}`);
  }
  if (name.includes(',')) throw invalid(attribute, `contains ",": ${JSON.stringify(name)}`);
  return name;
}

function roleNames(attrs: Attrs): string[] {
  return (attrs.get('ssorolename')?.values ?? []).map((n) => checkRoleName('ssoRoleName', n));
}

/** Refuses attributes a typed entry does not store, so that nothing is silently dropped. */
function onlyAttributes(attrs: Attrs, kind: string, allowed: readonly string[]): void {
  const ok = new Set(allowed.map((a) => a.toLowerCase()));
  for (const [k, { name }] of attrs) {
    if (!ok.has(k)) {
      throw invalid(name, `not an attribute of ${kind} entries (allowed: ${allowed.join(', ')})`);
    }
  }
}

/** The leaf RDN must name the entry by `attribute` with `value` (case-insensitive, as LDAP). */
function checkNaming(dn: string, leaf: SplitRdn, attribute: string, value: string): void {
  const t = attribute.toLowerCase();
  if (!leaf.avas.some((a) => a.type === t && a.value.toLowerCase() === value.toLowerCase())) {
    throw invalid('dn', `the first RDN of ${JSON.stringify(dn)} must be ${attribute}=${value}`);
  }
}

const HOST_LABEL = /^[\p{L}\p{M}\p{N}_-]{1,63}$/u;

/** The ASCII lower-case form of a host name, or undefined when it is not one. */
function asciiHost(host: string): string | undefined {
  const u = URL.parse(`https://${host}/`);
  if (u === null || u.host !== u.hostname || u.pathname !== '/' || u.hostname.length === 0) {
    return undefined;
  }
  return u.hostname;
}

function siteHost(dn: string, rdns: readonly SplitRdn[]): string {
  const labels: string[] = [];
  for (const r of rdns) {
    const [only, other] = r.avas;
    if (only === undefined || other !== undefined || only.type !== 'dc') break;
    if (!HOST_LABEL.test(only.value)) {
      throw invalid('dc', `not a host label: ${JSON.stringify(only.value)} in ${dn}`);
    }
    labels.push(only.value);
  }
  const host = asciiHost(labels.join('.').toLowerCase());
  if (host === undefined) throw invalid('dn', `not a host name: ${labels.join('.')}`);
  return host;
}

function parsePort(attrs: Attrs): number {
  if (!attrs.has('ssoportnumber')) return DEFAULT_SITE_PORT;
  const v = single(attrs, 'ssoPortNumber');
  const n = /^\d{1,5}$/.test(v) ? Number(v) : NaN;
  if (!(n >= 1 && n <= 65535)) {
    throw invalid('ssoPortNumber', `must be an integer 1–65535: ${JSON.stringify(v)}`);
  }
  return n;
}

const ATTRIBUTE_NAME = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)(?:;[A-Za-z0-9-]+)*$/;
const NOT_ATTRIBUTES = new Set(['dn', 'changetype', 'control']);

function parseContainer(
  entry: UserEntry,
  leaf: SplitRdn,
  attrs: Attrs,
  classes: readonly string[],
): Container {
  const attributes = new Map<string, string[]>();
  for (const [k, { name, values }] of attrs) {
    if (k === 'objectclass') continue;
    if (!ATTRIBUTE_NAME.test(name) || NOT_ATTRIBUTES.has(k)) {
      throw invalid(name, 'not an attribute name');
    }
    attributes.set(name, values);
  }
  for (const a of leaf.avas) {
    const values = attrs.get(a.type)?.values;
    if (values === undefined) throw missing(a.type, `absent, but it names ${entry.dn}`);
    if (!values.some((v) => v.toLowerCase() === a.value.toLowerCase())) {
      throw invalid(a.type, `lacks the value ${JSON.stringify(a.value)} that names ${entry.dn}`);
    }
  }
  return { kind: 'container', dn: entry.dn, objectClass: classes, attributes };
}

/** Which kind the object classes make an entry, or an error naming the class at fault. */
function kindOf(classes: readonly string[]): AccessEntryKind {
  const lower = new Set(classes.map((c) => c.toLowerCase()));
  const typed: [string, AccessEntryKind, readonly string[]][] = [
    ['ssorole', 'role', ['top', 'ssorole']],
    ['ssoroleset', 'roleSet', ['top', 'ssoroleset']],
    ['ssosite', 'site', ['top', 'domain', 'ssosite']],
    ['ssoresource', 'resource', ['top', 'ssoresource']],
  ];
  const found = typed.filter(([c]) => lower.has(c));
  const [first, second] = found;
  if (second !== undefined) {
    throw invalid('objectClass', `${first![0]} and ${second[0]} cannot be combined`);
  }
  const allowed = new Set<string>(
    first?.[2] ?? CONTAINER_OBJECT_CLASSES.map((c) => c.toLowerCase()),
  );
  for (const c of classes) {
    if (c.toLowerCase() === SSO_USER_OBJECT_CLASS.toLowerCase()) {
      throw invalid('objectClass', 'an ssoUser entry is a user, not an access-control entry');
    }
    if (!allowed.has(c.toLowerCase())) {
      throw invalid(
        'objectClass',
        `${c} is not supported (Sekisho stores ssoUser, ssoRole, ssoRoleSet, domain+ssoSite, ` +
          `ssoResource and organizationalUnit/organization/domain/dcObject containers)`,
      );
    }
  }
  if (first === undefined) {
    if (![...lower].some((c) => c !== 'top')) {
      throw missing('objectClass', 'a container needs organizationalUnit, organization, …');
    }
    return 'container';
  }
  if (first[1] === 'site' && !lower.has('domain')) {
    throw missing('objectClass', 'an ssoSite entry must also be a domain');
  }
  return first[1];
}

/**
 * Parses an LDAP entry into an {@link AccessEntry}, by its object classes. Throws
 * {@link SsoError} naming the attribute: `SSO_ATTRIBUTE_MISSING` (no objectClass, cn, dc,
 * role-set member), `SSO_ATTRIBUTE_SINGLE_VALUED` (cn, dc, ssoPortNumber),
 * `SSO_ATTRIBUTE_INVALID` (unsupported or ssoUser object class, role name over 32 bytes or with a
 * comma, port outside 1–65535, path not starting with `/`, an attribute the kind does not store,
 * binary values, a first RDN that does not name the entry, a resource not under a `dc=` RDN).
 */
export function parseAccessEntry(entry: UserEntry): AccessEntry {
  const rdns = splitDn(entry.dn);
  const leaf = rdns[0]!;
  const attrs = readAttributes(entry.attributes);
  const classes = attrs.get('objectclass')?.values ?? [];
  if (classes.length === 0) throw missing('objectClass');
  const kind = kindOf(classes);
  switch (kind) {
    case 'container':
      return parseContainer(entry, leaf, attrs, classes);
    case 'role': {
      onlyAttributes(attrs, 'ssoRole', ['objectClass', 'cn']);
      const cn = checkRoleName('cn', single(attrs, 'cn'));
      checkNaming(entry.dn, leaf, 'cn', cn);
      return { kind, dn: entry.dn, cn };
    }
    case 'roleSet': {
      onlyAttributes(attrs, 'ssoRoleSet', ['objectClass', 'cn', 'ssoRoleName']);
      const cn = checkRoleName('cn', single(attrs, 'cn'));
      checkNaming(entry.dn, leaf, 'cn', cn);
      const ssoRoleName = roleNames(attrs);
      if (ssoRoleName.length === 0) throw missing('ssoRoleName', 'a role set needs members');
      return { kind, dn: entry.dn, cn, ssoRoleName };
    }
    case 'site': {
      onlyAttributes(attrs, 'ssoSite', ['objectClass', 'dc', 'ssoPortNumber']);
      const dc = single(attrs, 'dc');
      if (dc.includes('.')) throw invalid('dc', `a domain component has no period: ${dc}`);
      checkNaming(entry.dn, leaf, 'dc', dc);
      return { kind, dn: entry.dn, dc, host: siteHost(entry.dn, rdns), port: parsePort(attrs) };
    }
    case 'resource': {
      onlyAttributes(attrs, 'ssoResource', ['objectClass', 'cn', 'ssoRoleName']);
      const cn = single(attrs, 'cn');
      if (!cn.startsWith('/')) throw invalid('cn', `a resource path starts with "/": ${cn}`);
      checkNaming(entry.dn, leaf, 'cn', cn);
      const siteDn = parentDn(entry.dn);
      const parent = rdns[1]?.avas;
      if (siteDn === undefined || parent?.length !== 1 || parent[0]!.type !== 'dc') {
        throw invalid('dn', `a resource must sit directly under a site (dc=…): ${entry.dn}`);
      }
      return { kind, dn: entry.dn, cn, ssoRoleName: roleNames(attrs), siteDn };
    }
    default: {
      const never: never = kind;
      return never;
    }
  }
}

/**
 * The attributes of an entry in the names of §5.2, for export. Typed entries are written with
 * their canonical object classes (`top` + the SSO class; `domain` for sites) and an explicit
 * `ssoPortNumber`; containers verbatim. `parseAccessEntry` of the result gives the entry back.
 */
export function accessEntryAttributes(e: AccessEntry): Map<string, string[]> {
  const out = new Map<string, string[]>();
  switch (e.kind) {
    case 'container':
      out.set('objectClass', [...e.objectClass]);
      for (const [name, values] of e.attributes) out.set(name, [...values]);
      break;
    case 'role':
      out.set('objectClass', ['top', 'ssoRole']);
      out.set('cn', [e.cn]);
      break;
    case 'roleSet':
      out.set('objectClass', ['top', 'ssoRoleSet']);
      out.set('cn', [e.cn]);
      out.set('ssoRoleName', [...e.ssoRoleName]);
      break;
    case 'site':
      out.set('objectClass', ['top', 'domain', 'ssoSite']);
      out.set('dc', [e.dc]);
      out.set('ssoPortNumber', [String(e.port)]);
      break;
    case 'resource':
      out.set('objectClass', ['top', 'ssoResource']);
      out.set('cn', [e.cn]);
      if (e.ssoRoleName.length > 0) out.set('ssoRoleName', [...e.ssoRoleName]);
      break;
    default: {
      const never: never = e;
      return never;
    }
  }
  return out;
}

/**
 * The unique name an entry claims besides its DN, or undefined: roles and role sets share one
 * namespace (case-insensitive), sites are unique by host and port. Repositories enforce it.
 */
export function uniqueNameOf(e: AccessEntry): string | undefined {
  switch (e.kind) {
    case 'role':
    case 'roleSet':
      return `role:${e.cn.toLowerCase()}`;
    case 'site':
      return `site:${e.host}:${e.port}`;
    case 'resource':
    case 'container':
      return undefined;
    default: {
      const never: never = e;
      return never;
    }
  }
}

/**
 * Why `child` may not sit under `parent` (undefined = it may). `parent` undefined means the
 * parent DN is not an entry of the repository: allowed (the top of a tree has nothing above it)
 * except for a resource, which must sit under a site. Only containers hold roles, role sets,
 * sites and containers; only sites hold resources.
 */
export function parentProblem(
  child: AccessEntry,
  parent: AccessEntry | undefined,
): string | undefined {
  if (child.kind === 'resource') {
    return parent?.kind === 'site' ? undefined : `the parent ${child.siteDn} is not a site`;
  }
  if (parent === undefined || parent.kind === 'container') return undefined;
  return `${child.kind} entries sit under containers, not under a ${parent.kind} (${parent.dn})`;
}

// ---- Authorization ---------------------------------------------------------------------------

/**
 * The effective role names (lower case) of a user's `ssoRoleName` values: every name that is a
 * role or a role set, and, recursively, the members of each role set (sets may contain sets;
 * each set is expanded once, so cycles terminate). Names that are neither are ignored (EG-123).
 * Matching is case-insensitive.
 */
export function expandRoles(
  userRoleNames: readonly string[],
  roleSets: readonly SsoRoleSet[],
  roles: readonly SsoRole[],
): ReadonlySet<string> {
  const roleNameSet = new Set(roles.map((r) => r.cn.toLowerCase()));
  const sets = new Map<string, readonly string[]>();
  for (const s of roleSets) {
    const k = s.cn.toLowerCase();
    sets.set(k, [...(sets.get(k) ?? []), ...s.ssoRoleName]);
  }
  const out = new Set<string>();
  const pending = userRoleNames.map((n) => n.toLowerCase());
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (out.has(name)) continue;
    const members = sets.get(name);
    if (members !== undefined) {
      out.add(name);
      for (const m of members) pending.push(m.toLowerCase());
    } else if (roleNameSet.has(name)) {
      out.add(name);
    }
  }
  return out;
}

/** Whether any role of the resource is among the effective roles (any-match, EG-113). */
export function authorize(effectiveRoles: ReadonlySet<string>, resource: SsoResource): boolean {
  return resource.ssoRoleName.some((r) => effectiveRoles.has(r.toLowerCase()));
}

/**
 * The resource of a site protecting `path`: the one whose `cn` is the longest prefix of it,
 * compared case-insensitively (so `/ADMIN/` cannot slip past `/admin/` on a case-insensitive
 * web server). `path` is the path as `new URL(…).pathname` gives it (dot segments resolved).
 * Undefined when no resource matches.
 */
export function findResource(
  resources: readonly SsoResource[],
  path: string,
): SsoResource | undefined {
  const p = path.toLowerCase();
  let best: SsoResource | undefined;
  for (const r of resources) {
    if (p.startsWith(r.cn.toLowerCase()) && (best === undefined || r.cn.length > best.cn.length)) {
      best = r;
    }
  }
  return best;
}

/** Whitespace, C0/C1 control characters, DEL or a backslash. */
function hasForbiddenCharacter(url: string): boolean {
  for (const c of url) {
    const n = c.codePointAt(0)!;
    if (n <= 0x20 || (n >= 0x7f && n <= 0x9f) || c === '\\' || /^\s$/u.test(c)) return true;
  }
  return false;
}

/**
 * The site an absolute `https:` URL points at (host case-insensitive, port default 443), or
 * undefined — the check against open redirects. Refused outright: other schemes (`http:`,
 * `javascript:`), protocol-relative `//host`, backslashes, user information (`https://a@b/`),
 * whitespace and control characters anywhere, URLs longer than {@link MAX_REDIRECT_URL_LENGTH}
 * characters, and anything `URL` cannot parse.
 */
export function siteForUrl(sites: readonly SsoSite[], url: string): SsoSite | undefined {
  if (url.length > MAX_REDIRECT_URL_LENGTH) return undefined;
  if (hasForbiddenCharacter(url)) return undefined;
  if (!/^https:\/\/[^/]/i.test(url)) return undefined;
  const u = URL.parse(url);
  if (u === null || u.protocol !== 'https:' || u.username !== '' || u.password !== '') {
    return undefined;
  }
  const port = u.port === '' ? DEFAULT_SITE_PORT : Number(u.port);
  return sites.find((s) => s.port === port && asciiHost(s.host) === u.hostname);
}
