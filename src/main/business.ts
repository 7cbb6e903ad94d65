/**
 * `sekisho business`: a business server in reverse-proxy mode, in a process of its own, in
 * front of one application. It reads the data directory `sekisho start` uses (the embedded
 * store: users, sites and resources, the service ID wrapped by the KEK), listens on HTTPS with
 * the data directory's server certificate, and forwards what the business server allows to the
 * upstream with the user's identity (src/http/reverse-proxy.ts). It writes the business access
 * log (`business-access.log`) beside the other access logs, and its `ResourceInfo` and session
 * lines to the repository and session-management logs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, str, UsageError } from '../cli/args.ts';
import type { CommandContext } from '../cli/main.ts';
import { ConfigError, type SekishoConfig } from '../config/index.ts';
import { createReverseProxy, listenReverseProxy } from '../http/reverse-proxy.ts';
import type { AccessRecord } from '../logs/index.ts';
import { deriveKeys, keyDeriver } from '../sso/core/credential.ts';
import { sessionPolicy } from '../sso/core/session.ts';
import { BusinessServer } from '../sso/servers/business-server.ts';
import { SessionManager } from '../sso/servers/session-manager.ts';
import { openSessionStore } from './session-store.ts';
import { ensureDataDir, resolveDataDir } from './data-dir.ts';
import { ensureDevPki } from './dev-pki.ts';
import { loadStartConfig, needsInit } from './init.ts';
import { readRunInfo } from './run-file.ts';
import { openServices, repositoryAdapters } from './services.ts';
import { listenToCluster, loadRedis, openCluster } from './cluster.ts';
import { ACCESS_LOG_FILES, openProcessLogs } from './access-logs.ts';
import { parseListen } from './start.ts';
import { businessSpec } from './start-spec.ts';

/** The business server's access log, in the access-log directory. */
/** The business server's access log (in the log directory). */
export const BUSINESS_LOG_FILE = ACCESS_LOG_FILES.business;

/** The sign-on page when `--sign-on-url` is not given: the running `sekisho start`, else the configured listener. */
function defaultSignOnUrl(dataDir: string, config: SekishoConfig): string {
  const running = readRunInfo(dataDir);
  if (running !== undefined) return new URL('/sso/signon', running.url).href;
  const { host, port } = parseListen(config.server.listen);
  const h = host.includes(':') ? `[${host}]` : host;
  return `https://${h}:${String(port)}/sso/signon`;
}

export async function business(
  argv: readonly string[],
  { io, version }: CommandContext,
): Promise<number> {
  const args = parseArgs(argv, businessSpec);
  const listen = parseListen(str(args, 'listen')!);
  const dataDir = ensureDataDir(resolveDataDir(str(args, 'data-dir'), io.env));
  let config: SekishoConfig;
  try {
    ({ config } = loadStartConfig(dataDir, str(args, 'config')));
  } catch (e) {
    if (e instanceof ConfigError) {
      io.stderr(`sekisho business: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  if (needsInit(dataDir)) {
    io.stderr(
      `sekisho business: ${dataDir} is not prepared; run \`sekisho init\` or \`sekisho start\` first\n`,
    );
    return 1;
  }
  const signOnUrl = str(args, 'sign-on-url') ?? defaultSignOnUrl(dataDir, config);
  const trust = str(args, 'trust-forwarded-from');
  let upstreamCa: string | undefined;
  let tls: { cert: string; key: string };
  const pki = await ensureDevPki(dataDir);
  const fromData = (f: string): string => path.resolve(dataDir, f);
  try {
    const caFile = str(args, 'upstream-ca');
    upstreamCa = caFile === undefined ? undefined : readFileSync(caFile, 'utf8');
    tls = {
      cert: readFileSync(fromData(config.server['tls-cert-file'] ?? pki.serverCert), 'utf8'),
      key: readFileSync(fromData(config.server['tls-key-file'] ?? pki.serverKey), 'utf8'),
    };
  } catch (e) {
    io.stderr(`sekisho business: cannot read a file: ${(e as Error).message}\n`);
    return 1;
  }

  // On a cluster: the shared service ID, lockout and sessions, and the other nodes' messages.
  const cluster = await openCluster(config, (message) => {
    io.stderr(`sekisho business: could not tell the other nodes: ${message}\n`);
  });
  if (cluster !== undefined && !(await cluster.connected(5000))) {
    io.stderr(
      `sekisho business: the cluster's Redis (${cluster.where}) does not answer; starting anyway, failing closed until it does\n`,
    );
  }
  const services = openServices(dataDir, config, cluster, await repositoryAdapters(config));
  const logs = openProcessLogs(dataDir, config, (line: string) => {
    io.stderr(line);
  });
  const systemLog = logs.systemLog;
  const write = (record: AccessRecord): void => {
    logs.write(record);
  };

  // The credential key follows the service ID (`ssoupsid` in another process included).
  const keysOf = keyDeriver();
  const credentialKey = async (): Promise<Uint8Array> => {
    const known = services.serviceId.peek();
    if (known !== undefined) return keysOf(known).credential;
    try {
      return keysOf(await services.serviceId.current()).credential;
    } catch (e) {
      systemLog.write('sso09004', e instanceof Error ? e.message : String(e));
      throw e;
    }
  };
  // A session this process ends (an idle timeout found here) is forgotten by its server at once.
  const holder: { server?: BusinessServer } = {};
  const sessionStore = openSessionStore(
    config,
    services,
    cluster,
    (id) => {
      holder.server?.forgetSession(id);
    },
    config.sessions.store === 'redis' ? await loadRedis() : undefined,
  );
  const closeLogs = async (): Promise<void> => {
    await logs.close();
    await sessionStore.close();
    await cluster?.close();
  };
  const policy = sessionPolicy({
    idleTimeoutMinutes: config.sessions['idle-timeout'],
    maxLifetimeMinutes: config.sessions['max-lifetime'],
    forcedSignOn: config.sessions['forced-sign-on'],
  });
  const server = new BusinessServer({
    users: services.users,
    accessControl: services.accessControl,
    credentialKey,
    credentialKeyNow: () => {
      const known = services.serviceId.peek();
      return known === undefined ? undefined : keysOf(known).credential;
    },
    // ssoupsid run by sekisho start reaches this process at the next credential that fails.
    refreshKey: () => services.serviceId.refresh(),
    previousKey: () => {
      const id = services.serviceId.previous();
      return id === undefined ? undefined : deriveKeys(id).credential;
    },
    sessions: config.sessions.enabled
      ? new SessionManager({
          store: sessionStore.store,
          policy: () => policy,
          defaultCredentialTtlMinutes: config.repository['default-credential-ttl'],
          logSession: write,
          logRepository: write,
        })
      : undefined,
    sessionCacheMs: config.business['session-cache-ms'],
    denyUnknownPaths: config.business['deny-unknown-paths'],
    log: write,
    logRepository: write,
  });
  holder.server = server;

  if (cluster !== undefined)
    listenToCluster(cluster, server, services.serviceId, systemLog, {
      shared: services.shared,
      onError: (message) => {
        io.stderr(`sekisho business: ${message}\n`);
      },
    });

  let proxy;
  try {
    proxy = createReverseProxy({
      verifier: server,
      upstream: str(args, 'upstream')!,
      publicOrigin: str(args, 'public-origin')!,
      signOnUrl,
      passUnprotectedPaths: !config.business['deny-unknown-paths'],
      ...(upstreamCa === undefined ? {} : { upstreamCa }),
      ...(trust === undefined ? {} : { trustForwardedFrom: trust.split(',').map((a) => a.trim()) }),
      onError: (e, where) => {
        io.stderr(
          `sekisho business: ${where === 'verify' ? 'the decision failed' : 'upstream'}: ${e instanceof Error ? e.message : String(e)}\n`,
        );
      },
    });
  } catch (e) {
    await closeLogs();
    services.close();
    if (e instanceof TypeError) throw new UsageError(e.message);
    throw e;
  }
  // Read the sites and resources now: a repository that cannot be read shows at start.
  const loaded = await server.updateAccessControl(undefined);
  if (!loaded.ok) {
    io.stderr(
      `sekisho business: the access-control information could not be read: ${String(loaded.error)}\n`,
    );
  }
  let listening;
  try {
    listening = await listenReverseProxy(proxy, { host: listen.host, port: listen.port, tls });
  } catch (e) {
    proxy.close();
    await closeLogs();
    services.close();
    io.stderr(
      `sekisho business: cannot listen on ${listen.host}:${String(listen.port)}: ${(e as Error).message}\n`,
    );
    return 1;
  }
  io.stdout(
    [
      `Sekisho ${version} business server (reverse proxy) started (data in ${dataDir})`,
      `  listening       ${listening.url}/   (CA: ${pki.caCert})`,
      `  public origin   ${str(args, 'public-origin')!}`,
      `  upstream        ${str(args, 'upstream')!}`,
      `  sign-on page    ${signOnUrl}`,
      `  access log      ${path.join(logs.dir, BUSINESS_LOG_FILE)}`,
      '',
      'Stop with Ctrl-C.',
      '',
    ].join('\n'),
  );
  const signal = await io.stopSignal;
  await listening.close();
  await closeLogs();
  services.close();
  io.stdout(`stopped (${signal})\n`);
  return 0;
}
