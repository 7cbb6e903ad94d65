/** `sekisho kmip decode` and `sekisho kmip encode`: TTLV hex ⇄ KMIP JSON. */
import {
  KmipCodecError,
  bytesToHex,
  decodeTtlv,
  encodeTtlv,
  fromKmipJson,
  hexTag,
  hexToBytes,
  tagName,
  toKmipJson,
} from '../../kmip/index.ts';
import { parseArgs, str, UsageError, type CommandSpec } from '../args.ts';
import type { CliIo } from '../io.ts';

/** Largest input accepted: 16 MiB of hex is 8 MiB of TTLV, beyond any KMIP message. */
const MAX_INPUT = 16 * 1024 * 1024;
const MAX_TTLV = MAX_INPUT / 2;

export const decodeSpec: CommandSpec = {
  options: {
    hex: {
      kind: 'string',
      arg: 'HEX',
      help: 'TTLV message as hex (default: read hex from standard input)',
    },
  },
};

export const encodeSpec: CommandSpec = { options: {} };

/** "detail (at byte N, in RequestMessage/BatchItem)" with tag names where known. */
export function describeCodecError(e: KmipCodecError): string {
  const path = e.tagPath.map((t) => tagName(t) ?? hexTag(t)).join('/');
  return `${e.code}: ${e.detail} (at byte ${e.offset}${path ? `, in ${path}` : ''})`;
}

export async function kmipDecode(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, decodeSpec);
  const text = str(args, 'hex') ?? (await io.readStdin());
  if (text.trim() === '')
    throw new UsageError('no hex given: use --hex HEX or pipe hex to standard input');
  if (text.length > MAX_INPUT) throw new UsageError(`input is larger than ${MAX_INPUT} characters`);
  try {
    const node = decodeTtlv(hexToBytes(text), { maxBytes: MAX_TTLV });
    io.stdout(JSON.stringify(toKmipJson(node), null, 2) + '\n');
    return 0;
  } catch (e) {
    if (e instanceof KmipCodecError) {
      io.stderr(`sekisho kmip decode: ${describeCodecError(e)}\n`);
      return 1;
    }
    throw e;
  }
}

export async function kmipEncode(argv: readonly string[], io: CliIo): Promise<number> {
  parseArgs(argv, encodeSpec);
  const text = await io.readStdin();
  if (text.length > MAX_INPUT * 4) throw new UsageError('input is too large');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    io.stderr(`sekisho kmip encode: standard input is not JSON: ${(e as Error).message}\n`);
    return 1;
  }
  try {
    io.stdout(bytesToHex(encodeTtlv(fromKmipJson(json))) + '\n');
    return 0;
  } catch (e) {
    if (e instanceof KmipCodecError) {
      io.stderr(`sekisho kmip encode: ${e.code}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
