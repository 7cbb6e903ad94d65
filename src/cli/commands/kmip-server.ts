/** `sekisho kmip-server`: a KMIP server for development and tests, until SIGINT/SIGTERM. */
import {
  ISKLM_SERVER_TYPES,
  KmipServerCore,
  KmipTlsServer,
  MemoryObjectStore,
  SERVER_PROFILES,
  SqliteObjectStore,
  makeIdentity,
  type KmipObjectStore,
} from '../../kmip/index.ts';
import { choiceOf, parseArgs, portOf, str, UsageError, type CommandSpec } from '../args.ts';
import type { CliIo } from '../io.ts';
import { readPem } from './pem-files.ts';

export const serverSpec: CommandSpec = {
  options: {
    host: { kind: 'string', arg: 'HOST', help: 'address to listen on', required: true },
    port: {
      kind: 'string',
      arg: 'PORT',
      help: 'port to listen on (0: any free port)',
      required: true,
    },
    ca: {
      kind: 'string',
      arg: 'FILE',
      help: 'CA certificate(s) that sign client certificates (PEM)',
      required: true,
    },
    cert: { kind: 'string', arg: 'FILE', help: 'server certificate (PEM)', required: true },
    key: { kind: 'string', arg: 'FILE', help: 'server private key (PEM)', required: true },
    profile: {
      kind: 'string',
      arg: 'generic|isklm',
      help: 'server identity profile (default generic)',
    },
    'vendor-identification': {
      kind: 'string',
      arg: 'TEXT',
      help: 'Vendor Identification reported by Query',
    },
    'isklm-version': {
      kind: 'string',
      arg: 'N.N.N.N',
      help: 'ISKLM version reported (isklm profile, default 4.1.1.0)',
    },
    'server-type': {
      kind: 'string',
      arg: 'TYPE',
      help: 'ISKLM replication role: master, clone, multi-master or standalone (default master)',
    },
    'max-version': {
      kind: 'string',
      arg: 'N.N',
      help: 'highest KMIP version offered (default 1.4)',
    },
    db: { kind: 'string', arg: 'FILE', help: 'SQLite file for objects (default: in memory)' },
    credential: {
      kind: 'string',
      arg: 'USER:PASSWORD',
      help: 'also require this username/password credential in every request',
    },
  },
};

export async function kmipServer(
  argv: readonly string[],
  io: CliIo,
  softwareVersion: string,
): Promise<number> {
  const args = parseArgs(argv, serverSpec);
  const profile = choiceOf(args, 'profile', SERVER_PROFILES) ?? 'generic';
  const serverType = choiceOf(args, 'server-type', ISKLM_SERVER_TYPES);
  const isklmVersion = str(args, 'isklm-version');
  if (profile !== 'isklm' && (serverType !== undefined || isklmVersion !== undefined)) {
    throw new UsageError('-server-type and -isklm-version need --profile isklm');
  }
  const vendor = str(args, 'vendor-identification');
  if (
    vendor !== undefined &&
    (vendor.length === 0 || vendor.length > 256 || /[\p{Cc}]/u.test(vendor))
  ) {
    throw new UsageError('-vendor-identification must be 1-256 printable characters');
  }
  const maxVersion = str(args, 'max-version');
  if (maxVersion !== undefined && !/^1\.[0-4]$/.test(maxVersion)) {
    throw new UsageError('-max-version must be one of 1.0, 1.1, 1.2, 1.3, 1.4');
  }
  let identity;
  try {
    identity = makeIdentity({
      profile,
      softwareVersion,
      ...(vendor === undefined ? {} : { vendorIdentification: vendor }),
      ...(isklmVersion === undefined ? {} : { isklmVersion }),
      ...(serverType === undefined ? {} : { serverType }),
      ...(maxVersion === undefined ? {} : { maxProtocolVersion: maxVersion }),
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const tlsFiles = {
    ca: readPem(str(args, 'ca')!, 'ca'),
    cert: readPem(str(args, 'cert')!, 'cert'),
    key: readPem(str(args, 'key')!, 'key'),
  };
  const credentialText = str(args, 'credential');
  const credentialMatch =
    credentialText === undefined ? undefined : /^([^:\s]{1,64}):(\S{1,128})$/.exec(credentialText);
  if (credentialText !== undefined && !credentialMatch) {
    throw new UsageError('-credential must be USER:PASSWORD (no spaces)');
  }
  const dbPath = str(args, 'db');
  const store: KmipObjectStore = dbPath ? new SqliteObjectStore(dbPath) : new MemoryObjectStore();
  const server = new KmipTlsServer({
    host: str(args, 'host')!,
    port: portOf(args, 'port', true)!,
    ...tlsFiles,
    core: new KmipServerCore({
      identity,
      store,
      ...(credentialMatch
        ? { credential: { username: credentialMatch[1]!, password: credentialMatch[2]! } }
        : {}),
    }),
  });
  let address;
  try {
    address = await server.listen();
  } catch (e) {
    store.close();
    io.stderr(`sekisho kmip-server: cannot listen: ${(e as Error).message}\n`);
    return 1;
  }
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  io.stdout(
    `sekisho kmip-server listening on ${host}:${address.port} (profile ${profile}, vendor "${identity.vendorIdentification}", store ${dbPath ?? 'memory'})\n`,
  );
  const signal = await io.stopSignal;
  await server.close();
  store.close();
  io.stdout(`sekisho kmip-server stopped (${signal})\n`);
  return 0;
}
