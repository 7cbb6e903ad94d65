/**
 * The authentication server (shared/reference/sso-interstage.md §1 "Components"): takes what the
 * browser presented (user ID and password from the form or HTTP Basic, the TLS client
 * certificate), asks a repository server, writes the authentication server's access log
 * (§2, §3.2, §4.3) and, on success, issues the credential (src/sso/core/credential.ts).
 *
 * Protocol-free: src/http/sso-app.ts turns requests into {@link SignOnInput} and results into
 * pages, redirects and cookies.
 */
import type {
  AttemptOutcome,
  AuthMethodToken,
  FailureReason,
  Prompt,
} from '../core/authenticate.ts';
import type { CredentialClaims } from '../core/credential.ts';
import { newCredentialId, sealCredential } from '../core/credential.ts';
import { NO_CREDENTIALS_OUTCOME } from '../core/authenticate.ts';
import type { PresentedCertificate } from '../core/certificate-mapping.ts';
import { effectiveCredentialTtl, type SsoUser } from '../core/user.ts';
import type { AuthenticationRecord, Supplementary, UserIdentification } from '../../logs/index.ts';
import type { RepositoryAuthRequest, RepositoryAuthResult } from './repository-server.ts';

/** How the authentication server reaches a repository server (in process, or over HTTPS). */
export interface RepositoryClient {
  /** IP address of the repository server, written in the `リポジトリサーバ` field. */
  readonly address: string | undefined;
  authenticate(req: RepositoryAuthRequest): Promise<RepositoryAuthResult>;
}

export interface AuthenticationServerOptions {
  readonly repository: RepositoryClient;
  /** The credential key now (derived from the service ID). */
  readonly credentialKey: () => Promise<Uint8Array>;
  /** Re-authentication interval for users without `ssoCredentialTTL`, minutes (0 = none). */
  readonly defaultCredentialTtlMinutes: number;
  readonly log: (record: AuthenticationRecord) => void;
  readonly sessionManagement?: boolean;
  readonly now?: () => Date;
}

export interface SignOnInput {
  readonly uid?: string | undefined;
  readonly password?: string | undefined;
  readonly certificate?: PresentedCertificate | undefined;
  readonly client: string | undefined;
  /** FQDN or IP of the business server the browser came from (the return URL's host). */
  readonly businessServer: string | undefined;
  /** IP address of this authentication server as the repository server sees it. */
  readonly self: string | undefined;
}

/** Why a sign-on failed, as far as the browser may be told (cause notification). */
export const SIGN_ON_CAUSES = [
  'no_credentials',
  'invalid',
  'locked',
  'outside_validity_period',
  'type_mismatch',
  'already_signed_on',
  'password_expired',
] as const;
export type SignOnCause = (typeof SIGN_ON_CAUSES)[number];

export type SignOnResult =
  | {
      readonly ok: true;
      readonly user: SsoUser;
      readonly claims: CredentialClaims;
      /** The sealed credential, the cookie's value. */
      readonly token: string;
    }
  | {
      readonly ok: false;
      /** The method token of the failed attempt (`unknown` when nothing was presented). */
      readonly method: AuthMethodToken;
      readonly cause: SignOnCause;
      /** What to ask the browser for next. */
      readonly prompt: Prompt;
      /** True when this failure locked the user. */
      readonly lockedNow: boolean;
      /**
       * `already_signed_on` with forced sign-on allowed: the credential of the pending session,
       * valid once the user confirms (then it is the cookie), and the session it replaces.
       */
      readonly confirm?: {
        readonly token: string;
        readonly claims: CredentialClaims;
        readonly existing: { readonly client: string | undefined; readonly createdAt: Date };
      };
    };

function causeOf(reason: FailureReason): SignOnCause {
  switch (reason) {
    case 'no_credentials':
      return 'no_credentials';
    case 'locked':
      return 'locked';
    case 'outside_validity_period':
      return 'outside_validity_period';
    case 'type_mismatch':
      return 'type_mismatch';
    case 'password_expired':
      return 'password_expired';
    case 'unknown_user':
    case 'not_sso_user':
    case 'no_password_stored':
    case 'wrong_password':
    case 'wrong_certificate':
      return 'invalid';
    default: {
      const never: never = reason;
      return never;
    }
  }
}

export class AuthenticationServer {
  readonly #o: AuthenticationServerOptions;
  readonly #now: () => Date;

  constructor(options: AuthenticationServerOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
  }

  /** Writes one authentication-server access-log line. */
  logLine(
    input: Pick<SignOnInput, 'client' | 'businessServer'>,
    fields: {
      readonly repositoryServer: string | undefined;
      readonly user: UserIdentification | undefined;
      readonly result: AuthenticationRecord['result'];
      readonly supplementary: Supplementary | undefined;
      readonly sessionId?: string | undefined;
    },
  ): void {
    this.#o.log({
      log: 'authentication',
      time: this.#now(),
      client: input.client,
      businessServer: input.businessServer,
      sessionManagement: this.#o.sessionManagement ?? false,
      ...fields,
    });
  }

  /** One sign-on attempt. */
  async signOn(input: SignOnInput): Promise<SignOnResult> {
    const asked = input.password !== undefined || input.certificate !== undefined;
    let result: RepositoryAuthResult | undefined;
    let outcome: AttemptOutcome;
    if (asked) {
      result = await this.#o.repository.authenticate({
        uid: input.uid,
        password: input.password,
        certificate: input.certificate,
        client: input.client,
        authServer: input.self,
      });
      outcome = result.outcome;
    } else {
      outcome = NO_CREDENTIALS_OUTCOME;
    }
    const repositoryServer = asked ? this.#o.repository.address : undefined;
    const identification = result?.identification;

    if (outcome.outcome === 'succeeded' && result?.session?.kind === 'refused') {
      this.logLine(input, {
        repositoryServer,
        user: identification,
        result: { token: `Authentication(${outcome.method})`, outcome: 'failed' },
        supplementary: undefined,
      });
      return {
        ok: false,
        method: outcome.method,
        cause: 'already_signed_on',
        prompt: undefined,
        lockedNow: false,
      };
    }
    if (outcome.outcome === 'succeeded') {
      const now = this.#now();
      const session = result?.session;
      const sessionId =
        session?.kind === 'created'
          ? session.sessionId
          : session?.kind === 'conflict'
            ? session.pendingId
            : null;
      const ttl = effectiveCredentialTtl(outcome.user, this.#o.defaultCredentialTtlMinutes);
      const issuedAt = Math.floor(now.getTime() / 1000);
      const claims: CredentialClaims = {
        id: newCredentialId(),
        dn: outcome.user.dn,
        uid: outcome.user.uid,
        method: outcome.method,
        issuedAt,
        expiresAt: ttl === 0 ? null : issuedAt + ttl * 60,
        sessionId,
      };
      const token = sealCredential(await this.#o.credentialKey(), claims);
      this.logLine(input, {
        repositoryServer,
        user: identification,
        result: { token: `Authentication(${outcome.method})`, outcome: 'succeeded' },
        supplementary: undefined,
        sessionId: sessionId ?? undefined,
      });
      if (session?.kind === 'conflict') {
        return {
          ok: false,
          method: outcome.method,
          cause: 'already_signed_on',
          prompt: undefined,
          lockedNow: false,
          confirm: { token, claims, existing: session.existing },
        };
      }
      return { ok: true, user: outcome.user, claims, token };
    }
    const a = outcome.authenticationLog;
    this.logLine(input, {
      repositoryServer,
      user: identification,
      result: { token: `Authentication(${a.method})`, outcome: 'failed' },
      supplementary: a.supplementary,
    });
    return {
      ok: false,
      method: a.method,
      cause: result?.notUnique === true ? 'invalid' : causeOf(outcome.reason),
      prompt: outcome.prompt,
      lockedNow: outcome.repositoryLog?.supplementary === 'USER_LOCKED',
    };
  }
}
