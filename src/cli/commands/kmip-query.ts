/** `sekisho kmip query`: who is this KMIP server and what does it support. */
import {
  DEFAULT_QUERY_FUNCTIONS,
  KmipClient,
  KmipError,
  enumValueName,
  formatVersion,
  Tag,
  toKmipJson,
  type QueryResult,
} from '../../kmip/index.ts';
import { flag, parseArgs, portOf, str, UsageError, type CommandSpec } from '../args.ts';
import type { CliIo } from '../io.ts';
import { readPem } from './pem-files.ts';

export const querySpec: CommandSpec = {
  options: {
    host: { kind: 'string', arg: 'HOST', help: 'server host name or IP address', required: true },
    port: { kind: 'string', arg: 'PORT', help: 'server port (default 5696)' },
    ca: {
      kind: 'string',
      arg: 'FILE',
      help: 'CA certificate(s) that sign the server certificate (PEM)',
      required: true,
    },
    cert: { kind: 'string', arg: 'FILE', help: 'client certificate (PEM)', required: true },
    key: { kind: 'string', arg: 'FILE', help: 'client private key (PEM)', required: true },
    servername: {
      kind: 'string',
      arg: 'NAME',
      help: 'name expected in the server certificate (default: host)',
    },
    timeout: {
      kind: 'string',
      arg: 'MS',
      help: 'connect and request time limit in ms (default 10000)',
    },
    json: { kind: 'boolean', help: 'print one JSON object instead of text' },
  },
};

function names(tag: number, values: readonly number[]): string[] {
  return values.map((v) => enumValueName(tag, v) ?? `0x${v.toString(16).padStart(8, '0')}`);
}

export async function kmipQuery(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, querySpec);
  const timeoutText = str(args, 'timeout');
  if (timeoutText !== undefined && !/^\d{1,7}$/.test(timeoutText)) {
    throw new UsageError('-timeout must be a whole number of milliseconds');
  }
  const timeout = timeoutText === undefined ? 10_000 : Number(timeoutText);
  const servername = str(args, 'servername');
  const client = new KmipClient({
    host: str(args, 'host')!,
    port: portOf(args, 'port') ?? 5696,
    ca: readPem(str(args, 'ca')!, 'ca'),
    cert: readPem(str(args, 'cert')!, 'cert'),
    key: readPem(str(args, 'key')!, 'key'),
    ...(servername === undefined ? {} : { servername }),
    connectTimeoutMs: timeout,
    requestTimeoutMs: timeout,
  });
  try {
    const version = await client.negotiateVersion();
    const q: QueryResult = await client.query(DEFAULT_QUERY_FUNCTIONS);
    const out = {
      protocolVersion: formatVersion(version),
      tls: { protocol: client.tls?.protocol ?? null, cipher: client.tls?.cipher ?? null },
      vendorIdentification: q.vendorIdentification ?? null,
      serverInformation: q.serverInformation ? toKmipJson(q.serverInformation) : null,
      operations: names(Tag.Operation, q.operations),
      objectTypes: names(Tag.ObjectType, q.objectTypes),
    };
    if (flag(args, 'json')) {
      io.stdout(JSON.stringify(out, null, 2) + '\n');
    } else {
      io.stdout(
        [
          `Protocol version:      ${out.protocolVersion}`,
          `TLS:                   ${out.tls.protocol ?? '?'} ${out.tls.cipher ?? ''}`,
          `Vendor Identification: ${out.vendorIdentification ?? '(none)'}`,
          `Server Information:    ${out.serverInformation ? JSON.stringify(out.serverInformation.value) : '(none)'}`,
          `Operations:            ${out.operations.join(', ') || '(none)'}`,
          `Object types:          ${out.objectTypes.join(', ') || '(none)'}`,
        ].join('\n') + '\n',
      );
    }
    return 0;
  } catch (e) {
    if (e instanceof KmipError) {
      io.stderr(`sekisho kmip query: ${e.code}: ${e.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    client.close();
  }
}
