/**
 * The one schema of the Sekisho configuration file (STYLE.md "Configuration and logs"). Every
 * setting has a `description` and, unless it is optional, a `default`; `docs/config.md` is
 * generated from it by `renderConfigDoc()` (src/config/docs.ts) and a test fails when it is stale.
 *
 * Section and setting names are kebab-case, as the Interstage SSO settings they follow are
 * (shared/reference/sso-interstage.md §6). Bounds that other modules also enforce are duplicated
 * here as constants naming their source, so that this folder depends on nothing but TypeBox.
 */
import { Type, type Static, type TLiteral, type TUnion } from '@sinclair/typebox';

/** `password-max-failure-count` upper bound (0 = never lock; src/sso/core/lockout.ts accepts ≥ 0). */
export const MAX_FAILURE_COUNT_LIMIT = 999;
/**
 * `lock-out-time` upper bound, minutes (one year). src/sso/core/lockout.ts takes an integer ≥ 1
 * or undefined (no automatic release); the file spells undefined as 0.
 */
export const LOCK_OUT_TIME_LIMIT = 525_600;
/** `ssoCredentialTTL` bounds, minutes (src/sso/core/user.ts CREDENTIAL_TTL_MIN/MAX, EG-319). */
export const CREDENTIAL_TTL_MIN = 30;
export const CREDENTIAL_TTL_MAX = 1440;
/** Certificate mapping attributes (src/sso/core/user.ts CERT_MAPPING_ATTRIBUTES). */
export const CERT_MAPPING_ATTRIBUTES = [
  'cn',
  'mail',
  'employeeNumber',
  'uid',
  'serialNumber',
  'dnQualifier',
] as const;
/** How a presented certificate identifies its user (§6 `certificate-identification`). */
export const CERTIFICATE_IDENTIFICATIONS = ['mapping-only', 'compare-stored'] as const;
/** Where sessions are stored. */
export const SESSION_STORES = ['embedded', 'redis'] as const;
/** Where the SSO repository (users; roles, sites and resources) is kept. */
export const REPOSITORY_STORES = ['embedded', 'ldap'] as const;
/** The kind of directory (src/storage/ldap/user-store.ts LdapMode). */
export const LDAP_MODES = ['openldap', 'ad'] as const;
/** LDAP pool and timeout defaults (src/storage/ldap/connection.ts DEFAULT_POOL_SIZE, DEFAULT_TIMEOUT_MS). */
export const DEFAULT_LDAP_POOL_SIZE = 4;
export const DEFAULT_LDAP_TIMEOUT_MS = 5000;
/** Access-log save modes (src/logs/writer.ts ROTATION_MODES). */
export const SAVE_MODES = ['separate', 'overwrite'] as const;
/** Access-log size default, bytes (src/logs/writer.ts DEFAULT_MAX_BYTES). */
export const DEFAULT_LOG_MAX_SIZE = 1024 * 1024;
/** Access-log size upper bound, bytes (1 TiB; 0 = never rotate as in src/logs/writer.ts). */
export const LOG_MAX_SIZE_LIMIT = 1024 ** 4;
/** Saved access-log files kept (src/logs/writer.ts DEFAULT_KEEP; 0 = all). */
export const DEFAULT_LOG_KEEP = 10;
/** Key-server validation timeout default, seconds (src/keyservers/validation.ts, 10,000 ms). */
export const DEFAULT_VALIDATION_TIMEOUT = 10;

/** Longest DN or attribute name accepted, characters. */
const MAX_NAME = 1024;
/** Longest file path accepted, characters. */
const MAX_PATH = 4096;

/** `HOST:PORT` with a DNS name, an IPv4 address or a bracketed IPv6 address; port 0–65535. */
export const LISTEN_PATTERN =
  '^(?:\\[[0-9A-Fa-f:.]{2,45}\\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}))' +
  ':(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}|0)$';

/** A union of string literals whose static type is the union of `values` (not `string`). */
type LiteralUnion<T extends readonly string[]> = TUnion<TLiteral<T[number]>[]>;

const literals = <const T extends readonly string[]>(
  values: T,
  options: { description: string; default?: T[number] },
): LiteralUnion<T> =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    options,
  );

const enumOf = <const T extends readonly string[]>(
  values: T,
  options: { description: string; default: T[number] },
): LiteralUnion<T> => literals(values, options);

const integer = (minimum: number, maximum: number, description: string, def: number) =>
  Type.Integer({ minimum, maximum, description, default: def });

export const ServerSchema = Type.Object(
  {
    listen: Type.String({
      pattern: LISTEN_PATTERN,
      maxLength: 300,
      'x-format': '`HOST:PORT`',
      'x-message': 'must be HOST:PORT with a port from 0 to 65535',
      description:
        'Address and port of the HTTPS listener, `HOST:PORT`; IPv6 in brackets (`[::1]:8443`); port 0 = any free port.',
      default: '127.0.0.1:8443',
    }),
    'tls-cert-file': Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: MAX_PATH,
        description:
          'PEM certificate chain of the listener; relative to the data directory. Set together with `tls-key-file`; when both are absent a development certificate is used.',
      }),
    ),
    'tls-key-file': Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: MAX_PATH,
        description:
          'PEM private key of the listener; relative to the data directory. Set together with `tls-cert-file`.',
      }),
    ),
    'public-url': Type.Optional(
      Type.String({
        pattern: '^https://[^/?#\\s]+$',
        maxLength: 300,
        'x-format': '`https://HOST[:PORT]`',
        'x-message': 'must be https://HOST[:PORT] without a path',
        description:
          'The origin browsers reach this server at (behind a load balancer, or when listening on 0.0.0.0): business servers send browsers to `PUBLIC-URL/sso/signon`. Absent = the listen address.',
      }),
    ),
    'client-ca-file': Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: MAX_PATH,
        description:
          'PEM file of the CA certificates trusted for client-certificate sign-on; relative to the data directory. Absent = certificate sign-on is off (the listener does not ask for client certificates).',
      }),
    ),
  },
  { additionalProperties: false, description: 'The HTTPS listener.', default: {} },
);

const dn = (description: string) =>
  Type.Optional(Type.String({ minLength: 1, maxLength: MAX_NAME, 'x-format': 'DN', description }));

const file = (description: string) =>
  Type.Optional(Type.String({ minLength: 1, maxLength: MAX_PATH, description }));

const LDAP_URL_PATTERN = '^ldaps?://(?:\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+)(?::[0-9]{1,5})?/?$';
/** src/storage/ldap/replicated-user-repository.ts DEFAULT_RETRY_AFTER_MS. */
const DEFAULT_REFERENCE_RETRY_MS = 10_000;

export const LdapSchema = Type.Object(
  {
    url: Type.Optional(
      Type.String({
        pattern: LDAP_URL_PATTERN,
        maxLength: 300,
        'x-format': '`ldaps://HOST[:PORT]` or `ldap://HOST[:PORT]`',
        'x-message': 'must be ldaps://HOST[:PORT] or ldap://HOST[:PORT]',
        description:
          'The directory. `ldaps://` (TLS from the start, port 636) or `ldap://` with `starttls`; plain `ldap://` only to a loopback address with `allow-plaintext`. Required with `store: ldap`.',
      }),
    ),
    'reference-urls': Type.Array(
      Type.String({
        pattern: LDAP_URL_PATTERN,
        maxLength: 300,
        'x-format': '`ldaps://HOST[:PORT]` or `ldap://HOST[:PORT]`',
        'x-message': 'must be ldaps://HOST[:PORT] or ldap://HOST[:PORT]',
      }),
      {
        maxItems: 16,
        description:
          'Reference-type repository servers: read-only replicas (syncrepl consumers) of `url`, which is then the update-type server (the provider). Sign-on lookups and listings go to the first that answers, in this order, then to `url`; every write (users, lock, failure count) goes to `url`, and a sign-on is decided on the entry `url` holds when it answers. A failed one is skipped for `reference-retry-ms`. TLS, bind account and pool settings are shared. Empty = `url` serves everything (docs/ldap.md "Update and reference servers").',
        default: [],
      },
    ),
    'reference-retry-ms': integer(
      100,
      3_600_000,
      'Milliseconds a reference server that failed (connect, bind, timeout) is skipped before reads try it again.',
      DEFAULT_REFERENCE_RETRY_MS,
    ),
    'bind-dn': dn(
      'DN of the service account Sekisho binds as (not the directory administrator). Required with `store: ldap`.',
    ),
    'bind-password-file': file(
      "File holding the service account's password (first line; relative to the data directory). The password itself never appears in the configuration nor in any log. Required with `store: ldap`.",
    ),
    'ca-file': file(
      "PEM file of the CA certificates the directory's certificate must chain to; relative to the data directory. Absent = the system's CAs. The certificate and host name are always checked.",
    ),
    starttls: Type.Boolean({
      description:
        'Upgrade an `ldap://` connection with StartTLS (TLS 1.2 or later) before binding.',
      default: false,
    }),
    'user-base': dn('DN under which users live. Absent = `repository.user-search-base`.'),
    'access-control-base': dn(
      'DN at or under which roles, role sets, sites and resources live (`ssoRole`, `ssoRoleSet`, `ssoSite`, `ssoResource`). Absent = they stay in the embedded store (the usual choice with Active Directory).',
    ),
    mode: enumOf(LDAP_MODES, {
      description:
        '`openldap`: users are entries with `uid` and the Sekisho schema (schema/sekisho.ldif). `ad`: Active Directory users (`sAMAccountName`, roles from `role-attribute`, AD lockout and expiry honoured; read-only without the SSO schema extension); passwords are checked by a bind as the user, on a connection of its own with the same TLS (docs/ldap.md).',
      default: 'openldap',
    }),
    'role-attribute': Type.String({
      minLength: 1,
      maxLength: 64,
      pattern: '^[A-Za-z][A-Za-z0-9-]*$',
      'x-message': 'must be an attribute name',
      description:
        '`mode: ad`: the attribute roles are read from; a DN value stands for the CN of its first RDN (`CN=Finance,OU=Groups,…` → `Finance`).',
      default: 'memberOf',
    }),
    'pool-size': integer(
      1,
      64,
      'Connections to the directory kept open by each node. With `mode: ad`, also the most password checks (binds as the user, each on a short-lived connection of its own) running at once.',
      DEFAULT_LDAP_POOL_SIZE,
    ),
    'timeout-ms': integer(
      100,
      600_000,
      'Milliseconds for connecting, for each operation and for waiting for a free connection; past it the request fails with `Timeout in access of SSO Repository`.',
      DEFAULT_LDAP_TIMEOUT_MS,
    ),
    'allow-plaintext': Type.Boolean({
      description:
        'Permit `ldap://` without StartTLS, to a loopback address only (a directory on the same machine): anywhere else the service password and every password hash (with `mode: ad`, every password typed at sign-on) would cross the network in clear.',
      default: false,
    }),
  },
  {
    additionalProperties: false,
    description: 'The LDAP directory, with `store: ldap` (docs/ldap.md).',
    default: {},
  },
);

export const RepositorySchema = Type.Object(
  {
    store: enumOf(REPOSITORY_STORES, {
      description:
        '`embedded`: the SSO repository in the data directory (one node). `ldap`: users (and, with `ldap.access-control-base`, roles, sites and resources) in an LDAP directory — OpenLDAP or Active Directory — shared by every node that uses it.',
      default: 'embedded',
    }),
    ldap: LdapSchema,
    'password-max-failure-count': integer(
      0,
      MAX_FAILURE_COUNT_LIMIT,
      'Consecutive password failures that lock the user; 0 = never lock (failures are still counted).',
      5,
    ),
    'lock-out-time': integer(
      0,
      LOCK_OUT_TIME_LIMIT,
      'Minutes after the lock at which the next attempt releases it; 0 = no automatic release (only an administrator unlocks).',
      0,
    ),
    'user-search-base': Type.String({
      minLength: 1,
      maxLength: MAX_NAME,
      'x-format': 'DN',
      description:
        'DN under which users are searched (Interstage `repository-user-search-base`). The default is a neutral Sekisho DN, not the Interstage one.',
      default: 'ou=users,dc=sekisho,dc=local',
    }),
    'alternative-uid-attribute': Type.Optional(
      literals(CERT_MAPPING_ATTRIBUTES, {
        description:
          'Attribute searched for the user ID of password authentication instead of `uid` (one of the attributes the repository indexes); absent = `uid`. The value must identify exactly one user.',
      }),
    ),
    'certificate-mapping-attribute': enumOf(CERT_MAPPING_ATTRIBUTES, {
      description:
        'User attribute matched against the certificate subject (for `mail`, the certificate e-mail address) to find the user.',
      default: 'cn',
    }),
    'certificate-identification': enumOf(CERTIFICATE_IDENTIFICATIONS, {
      description:
        '`compare-stored` also compares the presented certificate with the one stored in the user entry (Interstage `certificate-identification` YES); `mapping-only` does not.',
      default: 'mapping-only',
    }),
    'default-credential-ttl': Type.Integer({
      minimum: 0,
      maximum: CREDENTIAL_TTL_MAX,
      'x-format': `integer 0 or ${CREDENTIAL_TTL_MIN}–${CREDENTIAL_TTL_MAX}`,
      'x-message': `must be 0 or an integer from ${CREDENTIAL_TTL_MIN} to ${CREDENTIAL_TTL_MAX}`,
      description:
        'Re-authentication interval in minutes for users without `ssoCredentialTTL` (Interstage `default-credential-expiration-time`); 0 = unlimited.',
      default: CREDENTIAL_TTL_MIN,
    }),
    'cause-notification': Type.Boolean({
      description:
        'Whether the login page tells the user why authentication failed (locked, expired …); false shows one fixed message.',
      default: false,
    }),
  },
  {
    additionalProperties: false,
    description: 'The SSO repository: users, lockout, certificates, credentials.',
    default: {},
  },
);

export const LogsSchema = Type.Object(
  {
    directory: Type.String({
      minLength: 1,
      maxLength: MAX_PATH,
      description: 'Directory of the access logs; relative to the data directory.',
      default: 'logs',
    }),
    'max-size': integer(
      0,
      LOG_MAX_SIZE_LIMIT,
      'Size in bytes at which an access log is saved and a new one started; 0 = never.',
      DEFAULT_LOG_MAX_SIZE,
    ),
    'save-mode': enumOf(SAVE_MODES, {
      description:
        '`separate` saves each full file under a new time-stamped name; `overwrite` keeps one saved file, `NAME.old`.',
      default: 'separate',
    }),
    keep: integer(
      0,
      100_000,
      '`separate` mode: saved files kept, the oldest deleted first; 0 = all.',
      DEFAULT_LOG_KEEP,
    ),
  },
  { additionalProperties: false, description: 'Access logs and their rotation.', default: {} },
);

export const SessionsSchema = Type.Object(
  {
    enabled: Type.Boolean({
      description:
        'Session management (Interstage: the session management server on the update-type repository server): sessions with idle timeout and maximum lifetime, one sign-on per user ID, sign-off and forced sign-off that end access at every business server. With it, every access-log line carries `SessionID="…"`.',
      default: true,
    }),
    'idle-timeout': integer(
      0,
      10_080,
      'Minutes without a request after which a session ends; 0 = never.',
      30,
    ),
    'max-lifetime': integer(
      0,
      43_200,
      'Minutes after sign-on at which a session ends whatever its use; 0 = never.',
      480,
    ),
    store: enumOf(SESSION_STORES, {
      description:
        '`embedded`: sessions in the data directory (one node). `redis`: in Redis or Valkey at `redis-url`, shared by every node that uses it.',
      default: 'embedded',
    }),
    'redis-url': Type.Optional(
      Type.String({
        pattern: '^rediss?://[^\\s]+$',
        maxLength: 1024,
        'x-format': '`redis://[USER:PASSWORD@]HOST:PORT[/DB]` (`rediss://` for TLS)',
        'x-message': 'must be a redis:// or rediss:// URL',
        description:
          'Where the sessions live with `store: redis`. Keep credentials out of shared copies of this file.',
      }),
    ),
    'redis-prefix': Type.String({
      minLength: 1,
      maxLength: 64,
      pattern: '^[A-Za-z0-9:_.-]+$',
      'x-message': 'must be letters, digits and : _ . -',
      description:
        'Prefix of every Redis key Sekisho writes (several deployments can share one Redis).',
      default: 'sekisho:',
    }),
    'forced-sign-on': Type.Boolean({
      description:
        'A user already signed on elsewhere may confirm a forced sign-on, which signs the other browser off (Interstage [強制サインオン] = 許可する); false refuses the second sign-on.',
      default: true,
    }),
  },
  { additionalProperties: false, description: 'Session management.', default: {} },
);

export const BusinessSchema = Type.Object(
  {
    'session-cache-ms': integer(
      0,
      60_000,
      'Milliseconds a business server may reuse a session check (and a user’s roles) before asking again: the longest a sign-off, forced sign-off or lock takes to end access. 0 = ask every time.',
      2000,
    ),
    'deny-unknown-paths': Type.Boolean({
      description:
        'A path of a registered site that no protected resource covers is denied (true) or let through to any signed-on user (false).',
      default: true,
    }),
    'trusted-proxies': Type.Array(
      Type.String({
        minLength: 2,
        maxLength: 45,
        pattern: '^[0-9A-Fa-f:.]+$',
        'x-format': 'IP address',
        'x-message': 'must be an IP address',
      }),
      {
        maxItems: 64,
        description:
          'Addresses whose X-Forwarded-* / X-Original-* headers forward authentication believes (nginx, Traefik).',
        default: ['127.0.0.1', '::1'],
      },
    ),
  },
  {
    additionalProperties: false,
    description: 'Business servers (forward authentication, reverse proxy).',
    default: {},
  },
);

export const KeyserversSchema = Type.Object(
  {
    'validation-interval': integer(
      1,
      1440,
      'Minutes between two validations of every registered key server.',
      15,
    ),
    'validation-timeout': integer(
      1,
      300,
      'Seconds one validation request may take before the key server counts as not answering.',
      DEFAULT_VALIDATION_TIMEOUT,
    ),
  },
  { additionalProperties: false, description: 'KMIP key-server validation.', default: {} },
);

export const ClusterSchema = Type.Object(
  {
    enabled: Type.Boolean({
      description:
        'Several `sekisho start` nodes share one Redis or Valkey (docs/cluster.md): sessions, lockout counters, the wrapped service ID, and messages that end cached answers at every node on the next request. Off: one machine on the embedded store, nothing else needed.',
      default: false,
    }),
    'redis-url': Type.Optional(
      Type.String({
        pattern: '^rediss?://[^\\s]+$',
        maxLength: 1024,
        'x-format': '`redis://[USER:PASSWORD@]HOST:PORT[/DB]` (`rediss://` for TLS)',
        'x-message': 'must be a redis:// or rediss:// URL',
        description:
          'The Redis every node of the cluster uses (the same URL at every node). Keep credentials out of shared copies of this file.',
      }),
    ),
    'redis-prefix': Type.String({
      minLength: 1,
      maxLength: 64,
      pattern: '^[A-Za-z0-9:_.-]+$',
      'x-message': 'must be letters, digits and : _ . -',
      description:
        'Prefix of every Redis key and of the channel `<prefix>events` (the same at every node; several clusters can share one Redis).',
      default: 'sekisho:',
    }),
    'node-name': Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 63,
        pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
        'x-message': 'must be letters, digits and _ . - (starting with a letter or digit)',
        description:
          'This node’s name: its node record (`lsnode`, `chnodeserviceip -node`, its key-server validations and the events it reports), the cluster’s messages and its start banner; default the host name. Keep it stable: a renamed node is a new node (remove the old record with `rmnode`).',
      }),
    ),
  },
  { additionalProperties: false, description: 'Several nodes over Redis.', default: {} },
);

/** The Sekisho configuration file. */
export const ConfigSchema = Type.Object(
  {
    server: ServerSchema,
    repository: RepositorySchema,
    logs: LogsSchema,
    sessions: SessionsSchema,
    business: BusinessSchema,
    keyservers: KeyserversSchema,
    cluster: ClusterSchema,
  },
  { additionalProperties: false, description: 'The Sekisho configuration file.', default: {} },
);

export type SekishoConfigInput = Static<typeof ConfigSchema>;

type DeepReadonly<T> = T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/** A validated, deeply frozen configuration. */
export type SekishoConfig = DeepReadonly<SekishoConfigInput>;

/** The sections in file order, for docs. */
export const SECTIONS = [
  'server',
  'repository',
  'logs',
  'sessions',
  'business',
  'keyservers',
  'cluster',
] as const;
