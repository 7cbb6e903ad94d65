/**
 * Typed records of the SSO access logs (shared/reference/sso-interstage.md §2–§3): one record is
 * one line of the repository-server, authentication-server, business-server or
 * session-management log. Records are values; {@link formatAccessLine} turns them into lines.
 *
 * Fields that the server could not determine are `undefined` and are written `unknown`, as the
 * manual prescribes for each field (seed 003, J-RA92, J-AA92, J-BA90).
 */
import type { SupplementaryId } from './supplementary.ts';

/** The four access logs. */
export const LOG_KINDS = ['repository', 'authentication', 'business', 'session'] as const;
export type LogKind = (typeof LOG_KINDS)[number];

/** The outcome word that follows every result token. */
export const OUTCOMES = ['succeeded', 'failed'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/**
 * How far a token is backed by a source:
 * - `verified`: seen verbatim in a manual page of the reference (§3, with its source tag);
 * - `seed`: verbatim in the seed (the Japanese manual excerpt) but not cross-checked elsewhere;
 * - `proposal`: our own token where the manual's text is unknown (reference §7 Q4).
 */
export const TOKEN_STATUSES = ['verified', 'seed', 'proposal'] as const;
export type TokenStatus = (typeof TOKEN_STATUSES)[number];

/**
 * Every result token (処理結果, without the outcome), the logs that write it and its status.
 * A result is rendered `<token> <outcome>.`, e.g. `Authentication(basicAuth) succeeded.`.
 */
export const RESULT_TOKENS = {
  'Authentication(basicAuth)': {
    logs: ['repository', 'authentication'],
    status: 'verified',
    source: 'J-RA92, EG-209, EG-211',
    meaning: 'password authentication',
  },
  'Authentication(certAuth)': {
    logs: ['repository', 'authentication'],
    status: 'verified',
    source: 'J-RA92, EG-209, EG-211',
    meaning: 'certificate authentication',
  },
  'Authentication(basicAuthAndCertAuth)': {
    logs: ['repository', 'authentication'],
    status: 'verified',
    source: 'J-RA92, EG-209, EG-211',
    meaning: 'password and certificate authentication',
  },
  'Authentication(unknown)': {
    logs: ['repository', 'authentication'],
    status: 'verified',
    source: 'J-RA92, EG-209, EG-211',
    meaning: 'authentication whose method could not be determined',
  },
  Modification: {
    logs: ['repository', 'session'],
    status: 'verified',
    source: 'EG-209 (repository, update system), J-SML (session: forced sign-on)',
    meaning: 'the SSO repository of the update system, or a session, was modified',
  },
  RoleInfoUpd: {
    logs: ['repository'],
    status: 'verified',
    source: 'EG-209',
    meaning: 'role information updated from the console',
  },
  ResourceInfo: {
    logs: ['repository'],
    status: 'verified',
    source: 'EG-209',
    meaning: 'access-control information updated (console or business-server start)',
  },
  'Session validation': {
    logs: ['repository'],
    status: 'seed',
    source: 'seed 003',
    meaning: 'validity of a session checked',
  },
  Revocation: {
    logs: ['repository'],
    status: 'seed',
    source: 'seed 003',
    meaning: 'user sign-off, or a forced sign-on cancelled',
  },
  'Session modification': {
    logs: ['repository'],
    status: 'seed',
    source: 'seed 003',
    meaning: 'forced sign-on requested',
  },
  'Information acquisition': {
    logs: ['repository'],
    status: 'seed',
    source: 'seed 003',
    meaning: 'information requested',
  },
  'Service ID update': {
    logs: ['repository'],
    status: 'seed',
    source: 'seed 003',
    meaning: 'encryption information (service ID) updated',
  },
  'Bad request Received': {
    logs: ['repository'],
    status: 'seed',
    source: 'seed 003',
    meaning: 'an authentication or access-control update request could not be accepted',
  },
  Authorization: {
    logs: ['business'],
    status: 'verified',
    source: 'J-BA90, EG-212',
    meaning: 'access to a protected resource authorised by role',
  },
  Registration: {
    logs: ['session'],
    status: 'verified',
    source: 'J-SML',
    meaning: 'user signed on (session created)',
  },
  'Deletion(sign-off)': {
    logs: ['session'],
    status: 'verified',
    source: 'J-SML',
    meaning: 'user signed off',
  },
  'Deletion(forced-sign-on)': {
    logs: ['session'],
    status: 'verified',
    source: 'J-SML',
    meaning: 'user cancelled a forced sign-on',
  },
  'Deletion(forced-sign-off)': {
    logs: ['session'],
    status: 'verified',
    source: 'J-SML',
    meaning: 'SSO administrator forced a sign-off (ssosignoff)',
  },
  'Deletion(idle-timeout)': {
    logs: ['session'],
    status: 'proposal',
    source: 'reference §7 Q4',
    meaning: 'session deleted by idle monitoring',
  },
  'Deletion(expired)': {
    logs: ['session'],
    status: 'proposal',
    source: 'reference §7 Q4',
    meaning: 'session deleted at the end of its lifetime',
  },
} as const satisfies Record<
  string,
  {
    readonly logs: readonly LogKind[];
    readonly status: TokenStatus;
    readonly source: string;
    readonly meaning: string;
  }
>;

export type ResultToken = keyof typeof RESULT_TOKENS;

/** The tokens a given log writes. */
export type ResultTokenOf<L extends LogKind> = {
  [K in ResultToken]: L extends (typeof RESULT_TOKENS)[K]['logs'][number] ? K : never;
}[ResultToken];

/** The authentication methods of `Authentication(<method>)` (seed 003). */
export const AUTH_METHODS = ['basicAuth', 'certAuth', 'basicAuthAndCertAuth', 'unknown'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

/** `Authentication(<method>)` for a method. */
export function authenticationToken(method: AuthMethod): `Authentication(${AuthMethod})` {
  return `Authentication(${method})`;
}

/** A result: token and outcome. */
export interface Result<T extends ResultToken = ResultToken> {
  readonly token: T;
  readonly outcome: Outcome;
}

/**
 * Who the line is about (ユーザ識別情報): the user's DN or uid; or, when a presented certificate
 * is not registered or identifies no single user, that certificate's serial number (hex), issuer
 * DN and subject DN; `undefined` when the user cannot be identified (written `unknown`).
 */
export type UserIdentification =
  | { readonly kind: 'dn' | 'uid'; readonly value: string }
  | {
      readonly kind: 'certificate';
      /** Hexadecimal serial number, as read from the certificate. */
      readonly serial: string;
      readonly issuerDn: string;
      readonly subjectDn: string;
    };

/**
 * A supplementary-information entry (補足情報), by catalogue id. The one entry whose text names a
 * host (`REDIRECTED_OTHER_HOST`, "xxx" in the seed) carries it.
 */
export type Supplementary =
  | Exclude<SupplementaryId, 'REDIRECTED_OTHER_HOST'>
  | { readonly id: 'REDIRECTED_OTHER_HOST'; readonly host: string };

/** `業務サーバ` value for requests made through the SSO Java API (J-AA92, EG-210). */
export const SSO_JAVA_API = 'SSO-JavaAPI';

interface Common<L extends LogKind> {
  readonly log: L;
  /** When the access happened; written in the server's local time (or an explicit offset). */
  readonly time: Date;
  readonly result: Result<ResultTokenOf<L>>;
  /** Cause or detail of the result; not always recorded (seed 003). */
  readonly supplementary?: Supplementary | undefined;
}

/**
 * The session fields of the repository, authentication and business logs. With
 * `sessionManagement` false the `SessionID="…"` field is omitted; with it true an undefined
 * `sessionId` is written `unknown`.
 */
interface SessionFields {
  readonly sessionManagement: boolean;
  readonly sessionId?: string | undefined;
}

/** A line of the repository server's access log (J-RA92, seed 003). */
export interface RepositoryRecord extends Common<'repository'>, SessionFields {
  /** IP address of the requesting authentication server; `undefined` (not from one) → unknown. */
  readonly authServer: string | undefined;
  /** IP address of the client that requested authentication. */
  readonly client: string | undefined;
  readonly user: UserIdentification | undefined;
}

/** A line of the authentication server's access log (J-AA92). */
export interface AuthenticationRecord extends Common<'authentication'>, SessionFields {
  /** IP address of the client. */
  readonly client: string | undefined;
  /** FQDN or IP of the business server, {@link SSO_JAVA_API}, or `undefined` → unknown. */
  readonly businessServer: string | undefined;
  /** IP of the repository server asked; `undefined` (none asked) → unknown. */
  readonly repositoryServer: string | undefined;
  readonly user: UserIdentification | undefined;
}

/** A line of the business server's access log (J-BA90). */
export interface BusinessRecord extends Common<'business'>, SessionFields {
  readonly client: string | undefined;
  readonly user: UserIdentification | undefined;
  /** The accessed resource (URL). */
  readonly resource: string | undefined;
  /** Repository server (update system) managing the session; written only with session management. */
  readonly server?: string | undefined;
  /** The Web server's request ID. */
  readonly requestId: string | undefined;
}

/** A line of the session-management log (J-SML). */
export interface SessionRecord extends Common<'session'> {
  readonly sessionId: string | undefined;
  /** 可変情報 (variable information); PROPOSAL (§7 Q4): the user ID, written `UserID="…"`. */
  readonly userId?: string | undefined;
}

export type AccessRecord = RepositoryRecord | AuthenticationRecord | BusinessRecord | SessionRecord;
