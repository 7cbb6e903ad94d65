/**
 * Wires the SSO roles of `sekisho start`: the repository server and the authentication server
 * on the embedded store, their access logs and the system log in DATA_DIR/logs (or the
 * configured directory), the service ID wrapped by the KEK, and the first administrator.
 */
import { SsoError } from '../sso/core/errors.ts';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SekishoConfig } from '../config/index.ts';
import { type AccessRecord, type SystemLog } from '../logs/index.ts';
import { describeCertificate } from '../pki/client-certificate.ts';
import { siteForUrl } from '../sso/core/access-control.ts';
import { deriveKeys, keyDeriver } from '../sso/core/credential.ts';
import { lockoutPolicy } from '../sso/core/lockout.ts';
import { createPasswordHasher, type PasswordHasher } from '../sso/core/password.ts';
import type { ServiceIdService } from '../sso/core/service-id.ts';
import { newSsoUser, type SsoUser } from '../sso/core/user.ts';
import { AuthenticationServer } from '../sso/servers/authentication-server.ts';
import {
  RepositoryServer,
  type RepositoryServerOptions,
} from '../sso/servers/repository-server.ts';
import { SessionManager } from '../sso/servers/session-manager.ts';
import { BusinessServer } from '../sso/servers/business-server.ts';
import { sessionPolicy } from '../sso/core/session.ts';
import type { SsoAppOptions, SsoKeys } from '../http/sso-app.ts';
import type { Metrics } from '../http/metrics.ts';
import type { OpenServices } from './services.ts';
import { openProcessLogs } from './access-logs.ts';
import { openSessionStore } from './session-store.ts';
import type { ManagementServices } from '../management/context.ts';
import { UsageError } from '../cli/args.ts';
import { listenToCluster, type OpenCluster } from './cluster.ts';
import type { Redis } from 'iovalkey';

export { ACCESS_LOG_FILES, SYSTEM_LOG_FILE } from './access-logs.ts';

export interface SsoRoles {
  readonly repository: RepositoryServer;
  /** The repository server as the console's sign-on uses it (no session-management session). */
  readonly consoleRepository: RepositoryServer;
  /** Session management; undefined when `sessions.enabled` is false. */
  readonly sessions: SessionManager | undefined;
  readonly business: BusinessServer;
  /** Where the sessions are kept (for the start banner). */
  readonly sessionsWhere: string;
  /** What management commands ask of the running SSO roles (ManagementServices.sso). */
  readonly admin: NonNullable<ManagementServices['sso']>;
  readonly authentication: AuthenticationServer;
  readonly serviceId: ServiceIdService;
  readonly systemLog: SystemLog;
  readonly logDir: string;
  readonly app: SsoAppOptions;
  /**
   * Puts the lockout policy and the session policy of `config` in force at once (the settings
   * chssoconfig marks live); the other settings of `config` are ignored.
   */
  applySettings(config: SekishoConfig): void;
  /** Resolves once every access-log line written so far is in its file. */
  flush(): Promise<void>;
  /** Flushes and closes the access logs: a clean stop loses no line. */
  close(): Promise<void>;
}

export interface SsoWiring {
  readonly dataDir: string;
  readonly config: SekishoConfig;
  readonly services: OpenServices;
  readonly metrics: Metrics;
  /** The listener's address, as the repository server's address in the authentication log. */
  readonly repositoryAddress: () => string | undefined;
  /** Standard error, for system-log lines. */
  readonly stderr: (line: string) => void;
  readonly hasher?: PasswordHasher;
  /** The clock of the SSO roles (tests move it); default the system clock. */
  readonly now?: () => Date;
  /** Several nodes over Redis (`cluster.enabled`); undefined on one machine. */
  readonly cluster?: OpenCluster;
  /** The Redis client class, for `sessions.store: redis` (src/main/cluster.ts loadRedis). */
  readonly redis?: typeof Redis;
  /** On a cluster: another node changed the shared SSO settings (src/main/start.ts). */
  readonly settingsChanged?: () => void;
}

export function openSso(w: SsoWiring): SsoRoles {
  const { config, services } = w;
  const logs = openProcessLogs(w.dataDir, config, w.stderr);
  const logDir = logs.dir;
  const systemLog = logs.systemLog;
  const write = (record: AccessRecord): void => {
    logs.write(record);
  };

  const holder: { business?: BusinessServer } = {};
  // Session management, hosted by this (update-type) repository server.
  const sessionManagement = config.sessions.enabled;
  // The lockout and session policies are read at each request (through the closures below),
  // so chssoconfig changes them at once by replacing these (applySettings).
  const sessionsPolicyOf = (c: SekishoConfig): ReturnType<typeof sessionPolicy> =>
    sessionPolicy({
      idleTimeoutMinutes: c.sessions['idle-timeout'],
      maxLifetimeMinutes: c.sessions['max-lifetime'],
      forcedSignOn: c.sessions['forced-sign-on'],
    });
  let sessionsPolicy = sessionsPolicyOf(config);
  // A session that ends (however it ends) is forgotten by this process's business server at
  // once, not after its cache.
  const sessionStore = openSessionStore(
    config,
    services,
    w.cluster,
    (id) => {
      holder.business?.forgetSession(id);
    },
    w.redis,
  );
  const sessions = sessionManagement
    ? new SessionManager({
        ...(w.now === undefined ? {} : { now: w.now }),
        store: sessionStore.store,
        policy: () => sessionsPolicy,
        defaultCredentialTtlMinutes: config.repository['default-credential-ttl'],
        logSession: write,
        logRepository: write,
      })
    : undefined;

  const r = config.repository;
  const lockoutPolicyOf = (c: SekishoConfig): ReturnType<typeof lockoutPolicy> =>
    lockoutPolicy({
      maxFailureCount: c.repository['password-max-failure-count'],
      lockOutTimeMinutes:
        c.repository['lock-out-time'] === 0 ? undefined : c.repository['lock-out-time'],
    });
  let policy = lockoutPolicyOf(config);
  const hasher = w.hasher ?? createPasswordHasher();
  const repositoryOptions: RepositoryServerOptions = {
    ...(w.now === undefined ? {} : { now: w.now }),
    users: services.users,
    hasher,
    policy: () => policy,
    certificateMappingAttribute: r['certificate-mapping-attribute'],
    compareStoredCertificate: r['certificate-identification'] === 'compare-stored',
    uidAttribute: r['alternative-uid-attribute'] ?? 'uid',
    userSearchBase: r['user-search-base'],
    log: (record) => {
      write(record);
      if (record.result.token === 'Modification' && record.supplementary === 'USER_LOCKED_UPDATE') {
        w.metrics.locks.inc();
        // A lock ends access at once at this process's business server, not after its cache.
        if (record.user?.kind === 'dn') holder.business?.forgetUser(record.user.value);
      }
    },
    systemLog,
    sessionManagement,
    sessions,
  };
  const repository = new RepositoryServer(repositoryOptions);
  // The console's sign-on asks the same repository (same lockout, same log) but is not an SSO
  // sign-on: it creates no session-management session.
  const consoleRepository = new RepositoryServer({ ...repositoryOptions, sessions: undefined });

  const serviceId = services.serviceId;
  const keysOf = keyDeriver();
  const currentKeys = async (): Promise<SsoKeys> => {
    const known = serviceId.peek();
    if (known !== undefined) return keysOf(known);
    try {
      return keysOf(await serviceId.current());
    } catch (e) {
      systemLog.write('sso09004', e instanceof Error ? e.message : String(e));
      throw e;
    }
  };
  const previousKeys = (): SsoKeys | undefined => {
    const id = serviceId.previous();
    return id === undefined ? undefined : deriveKeys(id);
  };

  const authentication = new AuthenticationServer({
    ...(w.now === undefined ? {} : { now: w.now }),
    repository: {
      get address() {
        return w.repositoryAddress();
      },
      authenticate: (req) => repository.authenticate(req),
    },
    credentialKey: async () => (await currentKeys()).credential,
    defaultCredentialTtlMinutes: r['default-credential-ttl'],
    log: write,
    sessionManagement,
  });

  const app: SsoAppOptions = {
    authentication,
    keys: currentKeys,
    previousKeys,
    refreshKeys: () => serviceId.refresh(),
    sessions,
    registeredSite: async (url) => siteForUrl(await services.accessControl.sites(), url)?.host,
    causeNotification: r['cause-notification'],
    describeCertificate,
    onSignOn: (method, ok) => {
      w.metrics.signOns.inc([method, ok ? 'succeeded' : 'failed']);
    },
  };

  // The business server of this process (forward authentication at /auth/verify).
  const business = new BusinessServer({
    ...(w.now === undefined ? {} : { now: w.now }),
    users: services.users,
    accessControl: services.accessControl,
    credentialKey: async () => (await currentKeys()).credential,
    credentialKeyNow: () => {
      const known = serviceId.peek();
      return known === undefined ? undefined : keysOf(known).credential;
    },
    refreshKey: () => serviceId.refresh(),
    previousKey: () => previousKeys()?.credential,
    sessions,
    sessionCacheMs: config.business['session-cache-ms'],
    denyUnknownPaths: config.business['deny-unknown-paths'],
    log: write,
    logRepository: write,
  });
  holder.business = business;
  if (w.cluster !== undefined)
    listenToCluster(w.cluster, business, serviceId, systemLog, {
      shared: services.shared,
      validateHere: (id) => services.manager.validateHere(id),
      ...(w.settingsChanged === undefined ? {} : { settingsChanged: w.settingsChanged }),
      onError: (message) => {
        w.stderr(`sekisho: ${message}\n`);
      },
    });

  const admin: NonNullable<ManagementServices['sso']> = {
    unlock: (uid, client) => repository.unlock(uid, client),
    roleInfoUpdated: (client) => {
      repository.roleInfoUpdated(client);
    },
    serviceIdUpdated: (client) => {
      repository.serviceIdUpdated(client);
      void w.cluster?.publish({ kind: 'service-id' });
    },
    forcedSignOff: async (target) => {
      if (sessions === undefined) {
        throw new UsageError('session management is off (sessions.enabled is false)');
      }
      const ended = await sessions.forcedSignOff(target);
      return ended.map((s) => ({ id: s.id, uid: s.uid, client: s.client }));
    },
    updateAccessControl: (client) => business.updateAccessControl(client),
    userModified: (dn, client) => {
      repository.modified(dn, client);
      // A changed or deleted user loses what the business server cached about it at once.
      business.forgetUser(dn);
    },
    sessions:
      sessions === undefined
        ? undefined
        : {
            list: (page) => sessionStore.store.list(page),
            byUid: (uid) => sessionStore.store.byUid(uid),
          },
  };

  return {
    repository,
    consoleRepository,
    sessions,
    business,
    admin,
    authentication,
    serviceId,
    systemLog,
    logDir,
    app,
    flush: async () => {
      await logs.flush();
    },
    sessionsWhere: sessionStore.where,
    applySettings: (c) => {
      policy = lockoutPolicyOf(c);
      sessionsPolicy = sessionsPolicyOf(c);
    },
    close: async () => {
      await logs.close();
      await sessionStore.close();
    },
  };
}

/** The settings `lsssoconfig` and the console's Settings page show, by configuration path. */
export function ssoSettingsOf(config: SekishoConfig): Record<string, string | number | boolean> {
  const r = config.repository;
  const s = config.sessions;
  const l = config.logs;
  return {
    'repository.password-max-failure-count': r['password-max-failure-count'],
    'repository.lock-out-time': r['lock-out-time'],
    'repository.default-credential-ttl': r['default-credential-ttl'],
    'repository.cause-notification': r['cause-notification'],
    'sessions.enabled': s.enabled,
    'sessions.idle-timeout': s['idle-timeout'],
    'sessions.max-lifetime': s['max-lifetime'],
    'sessions.forced-sign-on': s['forced-sign-on'],
    'logs.max-size': l['max-size'],
    'logs.save-mode': l['save-mode'],
    'logs.keep': l.keep,
  };
}

/** The first administrator's user ID. */
export const ADMIN_UID = 'admin';
/** The role that will open the web console (issue 7) and is given to the first administrator. */
export const ADMIN_ROLE = 'sekisho-admin';
/** In DATA/run/: present once the first administrator has been created. */
export const ADMIN_MARKER_FILE = 'admin-initialized';
/**
 * In DATA/run/: present while the first administrator still has the one-time password:
 * `{"dn": …, "passwordSha256": …}`, the SHA-256 of the stored hash of that password. The console
 * shows only its change-password page to that user while its stored hash is still this one;
 * any change of the password (console, chssouser, import-ldif) ends the requirement.
 */
export const ADMIN_MUST_CHANGE_FILE = 'admin-must-change';

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

/**
 * Whether a user must replace the one-time password before using the console (see
 * {@link ADMIN_MUST_CHANGE_FILE}); removes the file once the password has changed.
 */
export function mustChangePasswordCheck(dataDir: string): (user: SsoUser) => boolean {
  const file = path.join(dataDir, 'run', ADMIN_MUST_CHANGE_FILE);
  // Read at each check (a few bytes, and only while the file exists): init writes it in
  // another process, and any change of the password ends the requirement.
  return (user) => {
    if (!existsSync(file)) return false;
    let marker: unknown;
    try {
      marker = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      return false;
    }
    if (typeof marker !== 'object' || marker === null) return false;
    const { dn, passwordSha256 } = marker as { dn?: unknown; passwordSha256?: unknown };
    if (typeof dn !== 'string' || typeof passwordSha256 !== 'string') return false;
    if (user.dn.toLowerCase() !== dn.toLowerCase()) return false;
    if (user.userPassword !== undefined && sha256(user.userPassword) === passwordSha256)
      return true;
    rmSync(file, { force: true });
    return false;
  };
}

/**
 * At the very first start: creates the user `admin` under the user search base with a random
 * password, and returns that password so that it is printed once. Later starts return
 * undefined, even if the user was deleted since (an operator's decision stays made).
 */
export async function ensureFirstAdministrator(
  dataDir: string,
  config: SekishoConfig,
  services: OpenServices,
  hasher: PasswordHasher,
): Promise<string | undefined> {
  const marker = path.join(dataDir, 'run', ADMIN_MARKER_FILE);
  if (existsSync(marker)) return undefined;
  const password = randomBytes(15).toString('base64url');
  const dn = `uid=${ADMIN_UID},${config.repository['user-search-base']}`;
  const userPassword = await hasher.hashPassword(password);
  if ((await services.users.findByUid(ADMIN_UID)) === undefined) {
    // Active Directory users are AD's own (SSO_REPOSITORY_READ_ONLY): the administrator is then
    // an AD account named admin with the role, made by the AD administrators (docs/ldap.md).
    const added = await services.users
      .add(
        newSsoUser(dn, ADMIN_UID, {
          cn: ['Sekisho administrator'],
          sn: ['administrator'],
          userPassword,
          ssoAuthType: 'basicAuth',
          ssoRoleName: [ADMIN_ROLE],
        }),
      )
      .then(
        () => true,
        (e: unknown) => {
          if (e instanceof SsoError && e.code === 'SSO_REPOSITORY_READ_ONLY') return false;
          throw e;
        },
      );
    if (!added) return undefined;
  } else {
    return undefined;
  }
  mkdirSync(path.dirname(marker), { recursive: true, mode: 0o700 });
  writeFileSync(
    path.join(path.dirname(marker), ADMIN_MUST_CHANGE_FILE),
    JSON.stringify({ dn, passwordSha256: sha256(userPassword) }) + '\n',
    { mode: 0o600 },
  );
  writeFileSync(marker, new Date().toISOString() + '\n', { mode: 0o600 });
  return password;
}
