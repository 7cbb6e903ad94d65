/**
 * `sekisho COMMAND …`: the command table and the exit-status contract.
 * Exit status: 0 success, 1 the command failed (message on stderr), 2 usage error.
 */
import { usage, UsageError, type CommandSpec } from './args.ts';
import type { CliIo } from './io.ts';
import { decodeSpec, encodeSpec, kmipDecode, kmipEncode } from './commands/kmip-codec.ts';
import { kmipQuery, querySpec } from './commands/kmip-query.ts';
import { kmipServer, serverSpec } from './commands/kmip-server.ts';

export interface CommandContext {
  readonly io: CliIo;
  readonly version: string;
}

export type CommandHandler = (argv: readonly string[], ctx: CommandContext) => Promise<number>;

export interface CommandEntry {
  readonly summary: string;
  /** Its options, for `--help`. */
  readonly spec?: CommandSpec;
  readonly run: CommandHandler;
}

/** Commands provided by the CLI layer itself; `src/main/` adds those that need the whole product. */
export const CLI_COMMANDS: Readonly<Record<string, CommandEntry>> = {
  'kmip decode': {
    summary: 'decode a TTLV message (hex) into KMIP JSON',
    spec: decodeSpec,
    run: (argv, { io }) => kmipDecode(argv, io),
  },
  'kmip encode': {
    summary: 'encode KMIP JSON (standard input) into TTLV hex',
    spec: encodeSpec,
    run: (argv, { io }) => kmipEncode(argv, io),
  },
  'kmip query': {
    summary: 'ask a KMIP server its versions, identity and capabilities',
    spec: querySpec,
    run: (argv, { io }) => kmipQuery(argv, io),
  },
  'kmip-server': {
    summary: 'run a KMIP server for development and tests',
    spec: serverSpec,
    run: (argv, { io, version }) => kmipServer(argv, io, version),
  },
};

function helpText(commands: Readonly<Record<string, CommandEntry>>): string {
  const rows = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(22)} ${c.summary}`);
  return [
    'usage: sekisho COMMAND [options]',
    '',
    'Commands:',
    ...rows,
    '',
    'Run `sekisho COMMAND --help` for its options.',
    '',
  ].join('\n');
}

/** Finds the longest command name that prefixes argv (commands may have two words). */
export async function runCli(
  argv: readonly string[],
  ctx: CommandContext,
  commands: Readonly<Record<string, CommandEntry>> = CLI_COMMANDS,
): Promise<number> {
  const { io } = ctx;
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.stdout(helpText(commands));
    return argv.length === 0 ? 2 : 0;
  }
  if (argv[0] === '--version') {
    io.stdout(`sekisho ${ctx.version}\n`);
    return 0;
  }
  const two = argv.length > 1 ? `${argv[0]!} ${argv[1]!}` : undefined;
  const name = two !== undefined && commands[two] ? two : argv[0]!;
  const entry = commands[name];
  if (!entry) {
    io.stderr(`sekisho: unknown command ${JSON.stringify(name)}\n${helpText(commands)}`);
    return 2;
  }
  const rest = argv.slice(name.split(' ').length);
  if (rest.includes('--help') || rest.includes('-help')) {
    io.stdout(
      entry.spec
        ? usage(name, entry.summary, entry.spec) + '\n'
        : `sekisho ${name}: ${entry.summary}\n`,
    );
    return 0;
  }
  try {
    return await entry.run(rest, ctx);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`sekisho ${name}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
