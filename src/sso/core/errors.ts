/** Errors of the SSO domain: stable codes (documented in docs/sso-core.md), English messages. */

/** Every code `src/sso/core` and its ports throw, with its meaning. Never reuse a retired code. */
export const SSO_ERROR_CODES = {
  SSO_ATTRIBUTE_MISSING: 'a mandatory attribute of a user entry is absent',
  SSO_ATTRIBUTE_INVALID: 'an attribute value of a user entry is malformed',
  SSO_ATTRIBUTE_SINGLE_VALUED: 'a single-valued attribute of a user entry has several values',
  SSO_PASSWORD_SCHEME_UNSUPPORTED: 'a stored password uses a scheme that is refused',
  SSO_PASSWORD_HASH_MALFORMED: 'a stored password hash cannot be parsed',
  SSO_PASSWORD_PARAMETERS_INVALID: 'argon2id parameters are out of range',
  SSO_LOCKOUT_POLICY_INVALID: 'a lockout policy value is out of range',
  SSO_USER_NOT_FOUND: 'no user has that DN',
  SSO_USER_EXISTS: 'a user with that DN or uid exists already',
  SSO_ENTRY_NOT_FOUND: 'no access-control entry has that DN',
  SSO_ENTRY_EXISTS:
    'an access-control entry with that DN, role name or site address exists already',
  SSO_ENTRY_PARENT_INVALID: 'an entry cannot sit under its parent (a resource needs a site)',
  SSO_ENTRY_HAS_CHILDREN: 'an entry with entries below it cannot be deleted',
  SSO_ENTRY_IN_USE: 'a role or role set is still named by a role set or a protected resource',
  SSO_SERVICE_ID_UNWRAP_FAILED: 'the stored service ID cannot be unwrapped with the KEK',
  SSO_REPOSITORY_READ_ONLY:
    'the repository does not store this change (e.g. Active Directory users)',
  SSO_REPOSITORY_UNAVAILABLE:
    'the SSO repository (a directory server) could not be reached, refused the bind, did not answer in time or answered abnormally',
  SSO_SERVICE_ID_CONFLICT:
    'another node regenerated or re-wrapped the service ID at the same time; this change was not stored',
  SSO_CLUSTER_UNAVAILABLE:
    "the cluster's shared store could not be reached; the change was not made at any node",
} as const;

export type SsoErrorCode = keyof typeof SSO_ERROR_CODES;

/** A coded SSO error; `attribute` names the LDAP attribute at fault, when there is one. */
export class SsoError extends Error {
  readonly code: SsoErrorCode;
  readonly attribute: string | undefined;
  constructor(
    code: SsoErrorCode,
    message: string,
    options?: { cause?: unknown; attribute?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SsoError';
    this.code = code;
    this.attribute = options?.attribute;
  }
}

/**
 * Why the SSO repository could not be used, as the repository server's access log tells it
 * (shared/reference/sso-interstage.md §4.1; src/logs/supplementary.ts):
 * - `connect`: no connection (refused, unreachable, TLS handshake or certificate check failed)
 *   — `Connection to SSO Repository failed`;
 * - `bind`: the directory refused the service account's credentials —
 *   `Authentication of SSO Repository failed`;
 * - `timeout`: connected, but no answer within the configured time —
 *   `Timeout in access of SSO Repository`;
 * - `protocol`: an answer that makes no sense here (malformed message, an unexpected result
 *   code such as busy, unavailable or insufficient access) —
 *   `Abnormalities in access of SSO Repository`.
 */
export const REPOSITORY_FAILURE_REASONS = ['connect', 'bind', 'timeout', 'protocol'] as const;
export type RepositoryFailureReason = (typeof REPOSITORY_FAILURE_REASONS)[number];

/**
 * `SSO_REPOSITORY_UNAVAILABLE`: a repository adapter could not do its work for a reason of the
 * repository, not of the request. The message is for operators (it never holds a password);
 * clients see a fixed text.
 */
export class SsoRepositoryUnavailableError extends SsoError {
  readonly reason: RepositoryFailureReason;
  constructor(reason: RepositoryFailureReason, message: string, options?: { cause?: unknown }) {
    super('SSO_REPOSITORY_UNAVAILABLE', message, options);
    this.name = 'SsoRepositoryUnavailableError';
    this.reason = reason;
  }
}

/** Whether `e` is {@link SsoRepositoryUnavailableError}. */
export function isRepositoryUnavailable(e: unknown): e is SsoRepositoryUnavailableError {
  return e instanceof SsoRepositoryUnavailableError;
}
