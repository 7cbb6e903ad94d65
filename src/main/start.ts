/**
 * `sekisho start`: the main job on the embedded default. Until the SSO roles exist it runs
 * the development KMIP server on a persistent SQLite store, with a private CA and client
 * certificate made at first start, and prints how to talk to it.
 */
import path from 'node:path';
import { KmipServerCore, KmipTlsServer, SqliteObjectStore, makeIdentity } from '../kmip/index.ts';
import { parseArgs, str, UsageError, type CommandSpec } from '../cli/args.ts';
import type { CommandContext } from '../cli/main.ts';
import { ensureDataDir, resolveDataDir } from './data-dir.ts';
import { ensureDevPki } from './dev-pki.ts';
import { readFileSync } from 'node:fs';

export const startSpec: CommandSpec = {
  options: {
    'data-dir': {
      kind: 'string',
      arg: 'DIR',
      help: 'data directory (default $SEKISHO_DATA_DIR or ./.data)',
    },
    listen: {
      kind: 'string',
      arg: 'HOST:PORT',
      help: 'KMIP listen address (default 127.0.0.1:5696)',
    },
  },
};

/** Parses HOST:PORT or [IPv6]:PORT. */
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
  const listen = parseListen(str(args, 'listen') ?? '127.0.0.1:5696');
  const dataDir = ensureDataDir(resolveDataDir(str(args, 'data-dir'), io.env));
  const pki = await ensureDevPki(dataDir);
  const store = new SqliteObjectStore(path.join(dataDir, 'kmip-objects.db'));
  const server = new KmipTlsServer({
    ...listen,
    ca: readFileSync(pki.caCert),
    cert: readFileSync(pki.serverCert),
    key: readFileSync(pki.serverKey),
    core: new KmipServerCore({ identity: makeIdentity({ softwareVersion: version }), store }),
  });
  try {
    await server.listen();
  } catch (e) {
    store.close();
    io.stderr(
      `sekisho start: cannot listen on ${listen.host}:${listen.port}: ${(e as Error).message}\n`,
    );
    return 1;
  }
  const a = server.address;
  io.stdout(
    [
      `Sekisho ${version}: development KMIP server on ${listen.host}:${a.port} (data in ${dataDir})`,
      'WARNING: this is the development key server of the embedded default; keys are stored',
      '         unencrypted in kmip-objects.db. Use real KMIP key servers in production.',
      'Try it:',
      `  npx sekisho kmip query --host ${listen.host} --port ${a.port} --ca ${pki.caCert} \\`,
      `      --cert ${pki.clientCert} --key ${pki.clientKey}`,
      'Stop with Ctrl-C.',
      '',
    ].join('\n'),
  );
  const signal = await io.stopSignal;
  await server.close();
  store.close();
  io.stdout(`stopped (${signal})\n`);
  return 0;
}
