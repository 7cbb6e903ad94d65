/**
 * The management commands on the command line: `npx sekisho mkkeyserver -ip …`. A command
 * goes to the running `sekisho start` of the same data directory over HTTPS (so the server's
 * memory — KEK cache, timer — stays the one truth), or, when none runs, runs in this process
 * on the data directory's store.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { DEFAULT_MAX_VALUE, UsageError, type ParsedArgs } from '../cli/args.ts';
import type { CommandEntry } from '../cli/main.ts';
import type { CliIo } from '../cli/io.ts';
import { langFromEnv } from '../events/index.ts';
import { MANAGEMENT_COMMANDS, type ManagementCommand } from '../management/commands.ts';
import type { CommandOutput, CommandResult } from '../management/output.ts';
import { renderOutput } from '../management/output.ts';
import { argsFromArgv, classifyFailure, runCommand } from '../management/runner.ts';
import { ensureDataDir, resolveDataDir } from './data-dir.ts';
import { loadStartConfig } from './init.ts';
import { adminTokenPath, readRunInfo, type RunInfo } from './run-file.ts';
import { openServices, repositoryAdapters } from './services.ts';
import { openCluster } from './cluster.ts';
import { RedisSharedSettings } from '../storage/redis/settings-store.ts';
import { openSettings } from './settings.ts';
import { CONFIG_FILE } from './start-spec.ts';

/** Options every management command accepts on the command line. */
const DATA_DIR_OPTION = 'data-dir';

/** Reads the files named by 'read' file options; returns args with their contents. */
function resolveFiles(
  command: ManagementCommand,
  args: ParsedArgs,
): { args: ParsedArgs; writeTo: string | undefined } {
  const options = new Map(args.options);
  let writeTo: string | undefined;
  for (const [name, spec] of Object.entries(command.spec.options)) {
    const v = options.get(name);
    if (typeof v !== 'string') continue;
    const mode = name === 'file' && command.fileMode ? command.fileMode(args) : spec.file;
    if (mode === 'read') {
      let content: string;
      try {
        content = readFileSync(v, 'utf8');
      } catch (e) {
        throw new UsageError(
          `-${name}: cannot read ${v}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        );
      }
      if (content.length > (spec.maxBytes ?? DEFAULT_MAX_VALUE))
        throw new UsageError(
          `-${name}: ${v} is larger than ${spec.maxBytes ?? DEFAULT_MAX_VALUE} characters`,
        );
      options.set(name, content);
    } else if (mode === 'write') {
      writeTo = v;
    }
  }
  return { args: { options, positionals: args.positionals }, writeTo };
}

function isOutput(x: unknown): x is CommandOutput {
  return typeof x === 'object' && x !== null && typeof (x as { kind?: unknown }).kind === 'string';
}

/** POSTs the command to the running server; resolves with its result or throws its error. */
function remote(
  run: RunInfo,
  dataDir: string,
  name: string,
  args: ParsedArgs,
  lang: string,
): Promise<CommandResult> {
  const body: Record<string, unknown> = {};
  for (const [k, v] of args.options) body[k] = v;
  if (args.positionals[0] !== undefined) body['object'] = args.positionals[0];
  const payload = JSON.stringify(body);
  const token = readFileSync(adminTokenPath(dataDir), 'utf8').trim();
  return new Promise((resolve, reject) => {
    const req = https.request(
      new URL(`/rest/v1/${name}`, run.url),
      {
        method: 'POST',
        ca: readFileSync(run.caCertPath),
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          authorization: `Bearer ${token}`,
          'x-sekisho-client': 'cli',
          'accept-language': lang,
        },
        timeout: 600_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            reject(new Error(`the server answered HTTP ${res.statusCode ?? '?'} with no JSON`));
            return;
          }
          const j = json as Record<string, unknown>;
          if (res.statusCode === 200 && isOutput(j['output'])) {
            resolve({
              output: j['output'],
              warnings: Array.isArray(j['warnings']) ? j['warnings'].map(String) : [],
              messages: Array.isArray(j['messages']) ? j['messages'].map(String) : [],
              ...(typeof j['file'] === 'string' ? { file: j['file'] } : {}),
              failed: j['failed'] === true,
            });
            return;
          }
          const err = (j['error'] ?? {}) as { code?: unknown; message?: unknown };
          reject(
            new RemoteError(
              typeof err.code === 'string' ? err.code : `HTTP_${String(res.statusCode)}`,
              typeof err.message === 'string' ? err.message : '',
            ),
          );
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('the server did not answer')));
    req.on('error', reject);
    req.end(payload);
  });
}

class RemoteError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

async function execute(
  name: string,
  command: ManagementCommand,
  argv: readonly string[],
  io: CliIo,
): Promise<number> {
  // --data-dir is accepted by every command; strip it before the command's own parsing.
  let dataDirOption: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === `-${DATA_DIR_OPTION}` || a === `--${DATA_DIR_OPTION}`) {
      dataDirOption = argv[++i];
      if (dataDirOption === undefined) throw new UsageError('--data-dir needs a directory');
    } else if (a.startsWith(`--${DATA_DIR_OPTION}=`))
      dataDirOption = a.slice(DATA_DIR_OPTION.length + 3);
    else rest.push(a);
  }
  const parsed = argsFromArgv(command, rest);
  const { args, writeTo } = resolveFiles(command, parsed);
  const dataDir = ensureDataDir(resolveDataDir(dataDirOption, io.env));
  const lang = langFromEnv(io.env);
  let result: CommandResult;
  try {
    const run = readRunInfo(dataDir);
    const local = async (): Promise<CommandResult> => {
      // On a cluster the service ID and the lockout state are in Redis, and the other nodes
      // hear what this command changes (docs/cluster.md).
      // Read once: the repository, the cluster, the log directory and the settings file.
      const { config, file } = loadStartConfig(dataDir, undefined);
      const cluster = await openCluster(config, (message) => {
        io.stderr(`sekisho ${name}: could not tell the other nodes: ${message}\n`);
      });
      if (cluster !== undefined && !(await cluster.connected(5000))) {
        await cluster.close();
        throw new Error(
          `the cluster's Redis (${cluster.where}) does not answer: ${cluster.lastError() || 'no reply'}`,
        );
      }
      const services = openServices(dataDir, config, cluster, await repositoryAdapters(config));
      try {
        const result = await runCommand(command, args, {
          services: {
            ...services,
            accessLogDir: path.resolve(dataDir, config.logs.directory),
            // No server runs: chssoconfig changes the file, in force at the next start; on a
            // cluster it is shared, and the running nodes take it at once.
            settings: openSettings({
              file: file ?? path.join(dataDir, CONFIG_FILE),
              started: undefined,
              ...(cluster === undefined
                ? {}
                : {
                    share: async (values: ReadonlyMap<string, string>) => {
                      await new RedisSharedSettings(cluster.client, {
                        prefix: cluster.prefix,
                      }).put(values);
                      await cluster.publish({ kind: 'settings' });
                    },
                  }),
            }),
          },
          lang,
        });
        if (cluster !== undefined && name === 'ssoupsid') {
          await cluster.publish({ kind: 'service-id' });
        }
        return result;
      } finally {
        services.close();
        await cluster?.close();
      }
    };
    if (run) {
      try {
        result = await remote(run, dataDir, name, args, lang);
      } catch (e) {
        // A run file left by a killed server whose PID now belongs to another process, or
        // whose CA file is gone: nobody serves this data directory.
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ECONNREFUSED' && code !== 'ENOENT') throw e;
        io.stderr(
          `sekisho ${name}: the server of ${dataDir} does not answer at ${run.url}; running here\n`,
        );
        result = await local();
      }
    } else {
      result = await local();
    }
  } catch (e) {
    if (e instanceof RemoteError) {
      io.stderr(`sekisho ${name}: ${e.code}: ${e.message}\n`);
      return e.code === 'USAGE' ? 2 : 1;
    }
    const f = classifyFailure(e);
    if (f.kind === 'usage') throw new UsageError(f.message);
    if (f.kind === 'domain') {
      io.stderr(`sekisho ${name}: ${f.code}: ${f.message}\n`);
      return 1;
    }
    throw e;
  }
  if (result.file !== undefined && writeTo !== undefined)
    writeFileSync(writeTo, result.file, { mode: 0o644 });
  const delim = args.options.get('delim');
  io.stdout(
    renderOutput(result.output, {
      delim: typeof delim === 'string' ? delim : undefined,
      nohdr: args.options.get('nohdr') === true,
    }),
  );
  for (const m of result.messages ?? []) io.stdout(m + '\n');
  for (const w of result.warnings ?? []) io.stderr(w + '\n');
  return result.failed ? 1 : 0;
}

/** The management commands as CLI command-table entries. */
export function managementCliCommands(): Record<string, CommandEntry> {
  return Object.fromEntries(
    Object.entries(MANAGEMENT_COMMANDS).map(([name, command]) => [
      name,
      {
        summary: command.summary,
        spec: command.spec,
        run: (argv, { io }) => execute(name, command, argv, io),
      },
    ]),
  );
}
