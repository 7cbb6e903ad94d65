/**
 * `sekisho start`: every role in one process on the embedded store, on one HTTPS port: the
 * authentication server (`/sso/`), the repository server, the key-server manager (validation
 * timer, event log, KEK), the management REST API (`/rest/v1/`), the administration console
 * (`/console/`), `/healthz` and `/metrics`.
 * At first start it makes a private CA and the HTTPS certificate, the system certificate, the
 * administrator token, the local KEK file and the first administrator (password printed once).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, str, UsageError } from '../cli/args.ts';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ConfigError, type SekishoConfig } from '../config/index.ts';
import { loadStartConfig, needsInit } from './init.ts';
import { CONFIG_FILE } from './start-spec.ts';
import { startSpec } from './start-spec.ts';

/** The `sekisho` command (bin/ is two levels up from src/main/ and from dist/main/). */
const SEKISHO_BIN = fileURLToPath(new URL('../../bin/sekisho.js', import.meta.url));
import type { CommandContext } from '../cli/main.ts';
import { createHttpsApp, registerManagementApi } from '../http/management-api.ts';
import { Metrics } from '../http/metrics.ts';
import { registerRepositoryApi } from '../http/repository-api.ts';
import { registerSsoApp } from '../http/sso-app.ts';
import { registerForwardAuth } from '../http/forward-auth.ts';
import { bundleFingerprints, verifiedBy } from '../http/tls-peer.ts';
import { describeCertificate } from '../pki/client-certificate.ts';
import { createPasswordHasher } from '../sso/core/password.ts';
import { ADMIN_ROLE, ensureFirstAdministrator, mustChangePasswordCheck, openSso } from './sso.ts';
import { openSettings } from './settings.ts';
import { RedisSharedSettings } from '../storage/redis/settings-store.ts';
import { registerLazyConsole } from '../http/console/lazy.ts';
import { ensureSystemCertificate } from '../keyservers/system-cert.ts';
import { ensureDataDir, resolveDataDir } from './data-dir.ts';
import { ensureDevPki } from './dev-pki.ts';
import { ensureAdminToken, readRunInfo, removeRunInfo, writeRunInfo } from './run-file.ts';
import { LOCAL_KEK_FILE, openServices, repositoryAdapters } from './services.ts';
import { loadRedis, openCluster } from './cluster.ts';

/** Parses HOST:PORT or [IPv6]:PORT (port 0: any free port). */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535)
    throw new UsageError(`-listen must be HOST:PORT or [IPv6]:PORT, got ${JSON.stringify(text)}`);
  return { host: m[1] ?? m[2]!, port };
}

export async function start(
  argv: readonly string[],
  { io, version }: CommandContext,
): Promise<number> {
  const args = parseArgs(argv, startSpec);
  const dataDir = ensureDataDir(resolveDataDir(str(args, 'data-dir'), io.env));
  let config: SekishoConfig;
  let configFile: string | undefined;
  try {
    ({ config, file: configFile } = loadStartConfig(dataDir, str(args, 'config')));
  } catch (e) {
    if (e instanceof ConfigError) {
      io.stderr(`sekisho start: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const listen = parseListen(str(args, 'listen') ?? config.server.listen);
  const running = readRunInfo(dataDir);
  if (running) {
    io.stderr(
      `sekisho start: already running for ${dataDir} (pid ${running.pid}, ${running.url}); stop it first\n`,
    );
    return 1;
  }
  // A new data directory is prepared by `sekisho init` in a child process: key generation and
  // the administrator's argon2id leave nothing in this long-running process's memory.
  let adminPassword: string | undefined;
  if (needsInit(dataDir)) {
    const child = spawnSync(
      process.execPath,
      [
        ...process.execArgv,
        SEKISHO_BIN,
        'init',
        '--json',
        '--data-dir',
        dataDir,
        ...(configFile === undefined ? [] : ['--config', configFile]),
      ],
      { encoding: 'utf8', env: io.env },
    );
    const m = /^\{"adminPassword":(null|"[A-Za-z0-9_-]+")\}$/m.exec(child.stdout);
    if (child.status !== 0 || m === null) {
      io.stderr(`sekisho start: preparing ${dataDir} failed:\n${child.stderr}`);
      return 1;
    }
    adminPassword = m[1] === 'null' ? undefined : m[1]!.slice(1, -1);
  }
  const pki = await ensureDevPki(dataDir);
  const fromData = (f: string): string => path.resolve(dataDir, f);
  let tls: { cert: string; key: string; clientCa: string | undefined };
  try {
    tls = {
      cert: readFileSync(fromData(config.server['tls-cert-file'] ?? pki.serverCert), 'utf8'),
      key: readFileSync(fromData(config.server['tls-key-file'] ?? pki.serverKey), 'utf8'),
      clientCa:
        config.server['client-ca-file'] === undefined
          ? undefined
          : readFileSync(fromData(config.server['client-ca-file']), 'utf8'),
    };
  } catch (e) {
    io.stderr(`sekisho start: cannot read a TLS file: ${(e as Error).message}\n`);
    return 1;
  }
  // Several nodes over Redis (docs/cluster.md); undefined on one machine.
  const cluster = await openCluster(config, (message) => {
    io.stderr(`sekisho: could not tell the other nodes: ${message}\n`);
  });
  if (cluster !== undefined && !(await cluster.connected(5000))) {
    io.stderr(
      `sekisho start: the cluster's Redis (${cluster.where}) does not answer (${cluster.lastError() || 'no reply'}); starting anyway, failing closed until it does\n`,
    );
  }
  let services: ReturnType<typeof openServices>;
  try {
    services = openServices(dataDir, config, cluster, await repositoryAdapters(config));
  } catch (e) {
    io.stderr(`sekisho start: ${(e as Error).message}\n`);
    await cluster?.close();
    return 1;
  }
  const shared = services.shared;
  if (shared !== undefined) {
    shared.reportTo((message) => {
      io.stderr(`sekisho: ${message}\n`);
    });
    try {
      const how = await shared.join();
      if (how !== 'current')
        io.stdout(
          how === 'seeded'
            ? `The cluster's key-server state and event log start from this node's (generation ${shared.generation}).\n`
            : `This node's key-server state and event log are now the cluster's (generation ${shared.generation}).\n`,
        );
      await shared.write(() => ensureSystemCertificate(services.manager.store));
      shared.startHeartbeat();
    } catch (e) {
      io.stderr(
        `sekisho start: the shared key-server state is not available yet (${(e as Error).message}); this node catches up when Redis answers\n`,
      );
    }
  } else {
    await ensureSystemCertificate(services.manager.store);
  }
  const token = ensureAdminToken(dataDir);
  const kekState = services.manager.store.getEncryption();
  await services.kek.read().catch((e: unknown) => {
    io.stderr(`sekisho start: the KEK could not be read: ${(e as Error).message}\n`);
  });
  const settingsHolder: { follow?: () => Promise<void> } = {};
  const followSettings = async (): Promise<void> => {
    await settingsHolder.follow?.();
  };
  const hasher = createPasswordHasher();
  const metrics = new Metrics();
  const holder: { address?: string; origin?: string } = {};
  const publicOrigin = (): string =>
    config.server['public-url'] ?? holder.origin ?? 'https://127.0.0.1';
  const sso = openSso({
    ...(config.sessions.store === 'redis' ? { redis: await loadRedis() } : {}),
    dataDir,
    config,
    services,
    metrics,
    hasher,
    repositoryAddress: () => holder.address,
    stderr: (line) => {
      io.stderr(line);
    },
    ...(cluster === undefined
      ? {}
      : {
          cluster,
          settingsChanged: () => {
            void followSettings();
          },
        }),
  });
  adminPassword ??= await ensureFirstAdministrator(dataDir, config, services, hasher);
  // Client certificates of two kinds on one port: users' (certificate sign-on) and the
  // cluster's own servers' (the repository API); each route accepts only its kind.
  const clusterCa = readFileSync(pki.caCert, 'utf8');
  const clusterCas = bundleFingerprints(clusterCa);
  const userCas = tls.clientCa === undefined ? undefined : bundleFingerprints(tls.clientCa);
  const api = createHttpsApp({
    cert: tls.cert,
    key: tls.key,
    clientCa: clusterCa + '\n' + (tls.clientCa ?? ''),
  });
  api.addHook('onResponse', (req, reply, done) => {
    const area = /^\/(sso|rest|repository)\//.exec(req.url)?.[1] ?? 'other';
    metrics.httpRequests.inc([area, `${Math.floor(reply.statusCode / 100)}xx`]);
    done();
  });
  api.get('/healthz', () => ({ status: 'ok' }));
  api.get('/metrics', (_req, reply) =>
    reply.type('text/plain; version=0.0.4; charset=utf-8').send(metrics.render()),
  );
  // On a cluster the settings chssoconfig changes are the cluster's (docs/cluster.md).
  const sharedSettings =
    cluster === undefined
      ? undefined
      : new RedisSharedSettings(cluster.client, { prefix: cluster.prefix });
  const settings = openSettings({
    file: configFile ?? path.join(dataDir, CONFIG_FILE),
    started: config,
    apply: (c) => {
      sso.applySettings(c);
    },
    systemLog: sso.systemLog,
    ...(sharedSettings === undefined || cluster === undefined
      ? {}
      : {
          share: async (values: ReadonlyMap<string, string>) => {
            await sharedSettings.put(values);
            await cluster.publish({ kind: 'settings' });
          },
        }),
  });
  settingsHolder.follow = async () => {
    if (sharedSettings === undefined) return;
    try {
      settings.adopt(await sharedSettings.get(), 'cluster');
    } catch (e) {
      io.stderr(
        `sekisho: the cluster's SSO settings could not be taken: ${(e as Error).message}\n`,
      );
    }
  };
  await followSettings();
  const managementServices = {
    ...services,
    sso: sso.admin,
    accessLogDir: sso.logDir,
    userSearchBase: config.repository['user-search-base'],
    settings,
  };
  registerManagementApi(api, {
    services: managementServices,
    adminToken: token,
    onInternalError: (e, command) => {
      io.stderr(
        `sekisho: internal error in ${command}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
      );
    },
  });
  registerLazyConsole(api, {
    services: managementServices,
    repository: sso.consoleRepository,
    adminRole: ADMIN_ROLE,
    mustChangePassword: mustChangePasswordCheck(dataDir),
    onInternalError: (e, where) => {
      io.stderr(
        `sekisho: internal error in the console (${where}): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
      );
    },
  });
  registerSsoApp(api, {
    ...sso.app,
    isUserCertificate: (socket) => userCas !== undefined && verifiedBy(socket, userCas),
  });
  registerForwardAuth(api, {
    business: sso.business,
    signOnUrl: () => `${publicOrigin()}/sso/signon`,
    trustedProxies: config.business['trusted-proxies'],
  });
  registerRepositoryApi(api, {
    repository: sso.repository,
    isClusterPeer: (socket) => verifiedBy(socket, clusterCas),
    describeCertificate,
  });
  let address: string;
  try {
    address = await api.listen({ host: listen.host, port: listen.port });
  } catch (e) {
    await sso.close();
    await cluster?.close();
    services.close();
    io.stderr(
      `sekisho start: cannot listen on ${listen.host}:${listen.port}: ${(e as Error).message}\n`,
    );
    return 1;
  }
  const url = new URL(address);
  holder.address = url.hostname.replace(/^\[|\]$/g, '');
  holder.origin = url.origin;
  // Sessions that ended by time are deleted (and logged) even when nobody presents them.
  const sweeper = setInterval(() => {
    void sso.sessions?.sweep().catch((e: unknown) => {
      io.stderr(`sekisho: session sweep failed: ${(e as Error).message}\n`);
    });
  }, 60_000);
  sweeper.unref();
  writeRunInfo(dataDir, { pid: process.pid, url: url.toString(), caCertPath: pki.caCert });
  services.manager.startTimer({
    onError: (e) => {
      io.stderr(`sekisho: periodic key-server validation failed: ${(e as Error).message}\n`);
    },
  });
  io.stdout(
    [
      `Sekisho ${version} started (data in ${dataDir})`,
      `  sign-on         ${url.origin}/sso/signon`,
      `  console         ${url.origin}/console/`,
      `  management API  ${url.origin}/rest/v1/   (CA: ${pki.caCert}; token: ${path.join(dataDir, 'run', 'admin-token')})`,
      `  health          ${url.origin}/healthz   metrics ${url.origin}/metrics`,
      `  access logs     ${sso.logDir}`,
      ...(sso.sessions === undefined ? [] : [`  sessions        in ${sso.sessionsWhere}`]),
      ...(cluster === undefined
        ? []
        : [`  cluster         node ${cluster.nodeName}, shared through ${cluster.where}`]),
      ...(configFile === undefined ? [] : [`  configuration   ${configFile}`]),
      ...(adminPassword === undefined
        ? []
        : [
            '',
            `  First administrator: user ID "admin", password ${adminPassword}`,
            '  (shown this once; the console asks for a new one at the first sign-on)',
          ]),
      ...(kekState.keyServerEnabled
        ? ['  key-encryption key: on the key servers']
        : [
            '',
            '  ****************************************************************************',
            '  WARNING: no key server protects the key-encryption key. It is in the local',
            `  file ${path.join(dataDir, LOCAL_KEK_FILE)}. Define key servers (mkkeyserver) and`,
            '  move it there: npx sekisho chencryption -keyserver enable',
            '  ****************************************************************************',
          ]),
      '',
      'Commands (npx sekisho COMMAND) go to this process. Stop with Ctrl-C.',
      '',
    ].join('\n'),
  );
  const signal = await io.stopSignal;
  removeRunInfo(dataDir);
  await services.manager.stopTimer();
  services.shared?.stopHeartbeat();
  clearInterval(sweeper);
  await api.close();
  await sso.close();
  await cluster?.close();
  services.close();
  io.stdout(`stopped (${signal})\n`);
  return 0;
}
