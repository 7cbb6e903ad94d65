/** Process entry point of the `sekisho` binary: wires the command table to the real process. */
import { CLI_COMMANDS, runCli, type CommandEntry } from '../cli/main.ts';
import { readAll, type CliIo } from '../cli/io.ts';
import { businessSpec, initSpec, startSpec } from './start-spec.ts';
import { VERSION } from './version.ts';

const LIGHT_COMMANDS: Readonly<Record<string, CommandEntry>> = {
  start: {
    summary: 'run Sekisho on the embedded default',
    spec: startSpec,
    // Loaded on demand: the certificate toolkit is not needed by the other commands.
    run: async (argv, ctx) => (await import('./start.ts')).start(argv, ctx),
  },
  init: {
    summary:
      'prepare a data directory (certificates, tokens, first administrator) without starting',
    spec: initSpec,
    run: async (argv, ctx) => (await import('./init.ts')).init(argv, ctx),
  },
  business: {
    summary: 'run a business server as a reverse proxy in front of an application',
    spec: businessSpec,
    run: async (argv, ctx) => (await import('./business.ts')).business(argv, ctx),
  },
  ...CLI_COMMANDS,
};

const argv = process.argv.slice(2);
// The management table pulls in the key-server manager, the SSO domain and the certificate
// toolkit (about 150 ms): load it only for its own commands and for the full help.
const first = argv[0];
const light =
  first === '--version' ||
  (first !== undefined && Object.keys(LIGHT_COMMANDS).some((n) => n.split(' ')[0] === first));
const COMMANDS: Readonly<Record<string, CommandEntry>> = light
  ? LIGHT_COMMANDS
  : { ...LIGHT_COMMANDS, ...(await import('./management-cli.ts')).managementCliCommands() };

const stopSignal = new Promise<string>((resolve) => {
  for (const s of ['SIGINT', 'SIGTERM'] as const) {
    process.once(s, () => {
      resolve(s);
    });
  }
});

const io: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  readStdin: () => readAll(process.stdin, 64 * 1024 * 1024),
  env: process.env,
  stopSignal,
};

try {
  process.exitCode = await runCli(argv, { io, version: VERSION }, COMMANDS);
} catch (e) {
  process.stderr.write(
    `sekisho: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
  );
  process.exitCode = 1;
}
// Servers resolve only after their stop signal; nothing else should keep the loop alive.
process.exit();
