/**
 * `sekisho start`: every role in one process on the embedded store. Today: the key-server
 * manager (validation timer, event log, KEK) and the management REST API over HTTPS; the
 * SSO roles join it in later issues. At first start it makes a private CA and the HTTPS
 * certificate, the system certificate, the administrator token and the local KEK file.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, str, UsageError } from '../cli/args.ts';
import { DEFAULT_LISTEN, startSpec } from './start-spec.ts';
import type { CommandContext } from '../cli/main.ts';
import { buildManagementApi } from '../http/management-api.ts';
import { ensureSystemCertificate } from '../keyservers/system-cert.ts';
import { ensureDataDir, resolveDataDir } from './data-dir.ts';
import { ensureDevPki } from './dev-pki.ts';
import { ensureAdminToken, readRunInfo, removeRunInfo, writeRunInfo } from './run-file.ts';
import { LOCAL_KEK_FILE, openServices } from './services.ts';

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
  const listen = parseListen(str(args, 'listen') ?? DEFAULT_LISTEN);
  const dataDir = ensureDataDir(resolveDataDir(str(args, 'data-dir'), io.env));
  const running = readRunInfo(dataDir);
  if (running) {
    io.stderr(
      `sekisho start: already running for ${dataDir} (pid ${running.pid}, ${running.url}); stop it first\n`,
    );
    return 1;
  }
  const pki = await ensureDevPki(dataDir);
  const services = openServices(dataDir);
  await ensureSystemCertificate(services.manager.store);
  const token = ensureAdminToken(dataDir);
  const kekState = services.manager.store.getEncryption();
  await services.kek.read().catch((e: unknown) => {
    io.stderr(`sekisho start: the KEK could not be read: ${(e as Error).message}\n`);
  });
  const api = buildManagementApi({
    services,
    adminToken: token,
    tls: { cert: readFileSync(pki.serverCert, 'utf8'), key: readFileSync(pki.serverKey, 'utf8') },
    onInternalError: (e, command) => {
      io.stderr(
        `sekisho: internal error in ${command}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
      );
    },
  });
  let address: string;
  try {
    address = await api.listen({ host: listen.host, port: listen.port });
  } catch (e) {
    services.close();
    io.stderr(
      `sekisho start: cannot listen on ${listen.host}:${listen.port}: ${(e as Error).message}\n`,
    );
    return 1;
  }
  const url = new URL(address);
  writeRunInfo(dataDir, { pid: process.pid, url: url.toString(), caCertPath: pki.caCert });
  services.manager.startTimer({
    onError: (e) => {
      io.stderr(`sekisho: periodic key-server validation failed: ${(e as Error).message}\n`);
    },
  });
  io.stdout(
    [
      `Sekisho ${version} started (data in ${dataDir})`,
      `  management API  ${url.origin}/rest/v1/   (CA: ${pki.caCert}; token: ${path.join(dataDir, 'run', 'admin-token')})`,
      `  health          ${url.origin}/healthz`,
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
  await api.close();
  services.close();
  io.stdout(`stopped (${signal})\n`);
  return 0;
}
