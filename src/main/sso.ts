/**
 * Wires the SSO roles of `sekisho start`: the repository server and the authentication server
 * on the embedded store, their access logs and the system log in DATA_DIR/logs (or the
 * configured directory), the service ID wrapped by the KEK, and the first administrator.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SekishoConfig } from '../config/index.ts';
import { type AccessRecord, type SystemLog } from '../logs/index.ts';
import { describeCertificate } from '../pki/client-certificate.ts';
import { siteForUrl } from '../sso/core/access-control.ts';
import { deriveKeys, keyDeriver } from '../sso/core/credential.ts';
import { lockoutPolicy } from '../sso/core/lockout.ts';
import { createPasswordHasher, type PasswordHasher } from '../sso/core/password.ts';
import type { ServiceIdService } from '../sso/core/service-id.ts';
import { newSsoUser } from '../sso/core/user.ts';
import { AuthenticationServer } from '../sso/servers/authentication-server.ts';
import { RepositoryServer } from '../sso/servers/repository-server.ts';
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

export { ACCESS_LOG_FILES, SYSTEM_LOG_FILE } from './access-logs.ts';

export interface SsoRoles {
  readonly repository: RepositoryServer;
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
  const sessionsPolicy = sessionPolicy({
    idleTimeoutMinutes: config.sessions['idle-timeout'],
    maxLifetimeMinutes: config.sessions['max-lifetime'],
    forcedSignOn: config.sessions['forced-sign-on'],
  });
  const sessionStore = openSessionStore(config, services, w.cluster);
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
  const policy = lockoutPolicy({
    maxFailureCount: r['password-max-failure-count'],
    lockOutTimeMinutes: r['lock-out-time'] === 0 ? undefined : r['lock-out-time'],
  });
  const hasher = w.hasher ?? createPasswordHasher();
  const repository = new RepositoryServer({
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
  });

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
  if (w.cluster !== undefined) listenToCluster(w.cluster, business, serviceId, systemLog);

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
      for (const s of ended) business.forgetSession(s.id);
      return ended.map((s) => ({ id: s.id, uid: s.uid, client: s.client }));
    },
    updateAccessControl: (client) => business.updateAccessControl(client),
  };

  return {
    repository,
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
    close: async () => {
      await logs.close();
      await sessionStore.close();
    },
  };
}

/** The first administrator's user ID. */
export const ADMIN_UID = 'admin';
/** The role that will open the web console (issue 7) and is given to the first administrator. */
export const ADMIN_ROLE = 'sekisho-admin';
/** In DATA/run/: present once the first administrator has been created. */
export const ADMIN_MARKER_FILE = 'admin-initialized';

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
  if ((await services.users.findByUid(ADMIN_UID)) === undefined) {
    await services.users.add(
      newSsoUser(dn, ADMIN_UID, {
        cn: ['Sekisho administrator'],
        sn: ['administrator'],
        userPassword: await hasher.hashPassword(password),
        ssoAuthType: 'basicAuth',
        ssoRoleName: [ADMIN_ROLE],
      }),
    );
  } else {
    return undefined;
  }
  mkdirSync(path.dirname(marker), { recursive: true, mode: 0o700 });
  writeFileSync(marker, new Date().toISOString() + '\n', { mode: 0o600 });
  return password;
}
