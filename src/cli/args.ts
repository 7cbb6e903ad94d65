/**
 * A strict command-line parser for both styles Sekisho accepts: IBM Storage style
 * (`-ip 10.0.0.1 -primary`) and GNU style (`--host 10.0.0.1`, `--host=10.0.0.1`).
 * An option is declared once by name and accepted with one or two dashes. Unknown options,
 * missing values and repeated options are usage errors, raised before anything is done.
 */

export type OptionKind = 'string' | 'boolean';

export interface OptionSpec {
  readonly kind: OptionKind;
  /** Shown in usage text. */
  readonly help: string;
  /** Placeholder in usage text, e.g. FILE. */
  readonly arg?: string;
  readonly required?: boolean;
  /**
   * The value names a file: on the command line it is a path, which the CLI reads ('read')
   * or writes the command's file output to ('write'); over REST the value is the content.
   */
  readonly file?: 'read' | 'write';
  /** Largest value (file content included), in characters. Default {@link DEFAULT_MAX_VALUE}. */
  readonly maxBytes?: number;
}

/** Default largest option value: 256 KiB, ample for certificates and names. */
export const DEFAULT_MAX_VALUE = 256 * 1024;

export interface CommandSpec {
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Positional arguments: names for usage, and how many are allowed. */
  readonly positionals?: {
    readonly names: readonly string[];
    readonly min: number;
    readonly max: number;
  };
}

/** A mistake in how a command was called (exit status 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ParsedArgs {
  readonly options: ReadonlyMap<string, string | true>;
  readonly positionals: readonly string[];
}

export function parseArgs(argv: readonly string[], spec: CommandSpec): ParsedArgs {
  const options = new Map<string, string | true>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('-') && a.length > 1 && !/^-\d/.test(a)) {
      const body = a.replace(/^--?/, '');
      const eq = body.indexOf('=');
      const name = eq < 0 ? body : body.slice(0, eq);
      const o = spec.options[name];
      if (!o)
        throw new UsageError(
          `unknown option ${a.slice(0, a.length - (eq < 0 ? 0 : body.length - eq))}`,
        );
      if (options.has(name)) throw new UsageError(`option -${name} given twice`);
      if (o.kind === 'boolean') {
        if (eq >= 0) throw new UsageError(`option -${name} takes no value`);
        options.set(name, true);
      } else if (eq >= 0) {
        options.set(name, body.slice(eq + 1));
      } else {
        const v = argv[i + 1];
        if (v === undefined)
          throw new UsageError(`option -${name} needs a value (${o.arg ?? 'VALUE'})`);
        options.set(name, v);
        i++;
      }
    } else {
      positionals.push(a);
    }
  }
  for (const [name, o] of Object.entries(spec.options)) {
    if (o.required && !options.has(name)) throw new UsageError(`option -${name} is required`);
  }
  const p = spec.positionals ?? { names: [], min: 0, max: 0 };
  if (positionals.length < p.min)
    throw new UsageError(`missing ${p.names.slice(positionals.length).join(' ')}`);
  if (positionals.length > p.max) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[p.max])}`);
  }
  return { options, positionals };
}

/** String value of an option, or undefined. */
export function str(a: ParsedArgs, name: string): string | undefined {
  const v = a.options.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function flag(a: ParsedArgs, name: string): boolean {
  return a.options.get(name) === true;
}

/** A TCP port 1–65535 (or 0 when `allowZero`), strictly decimal. */
export function portOf(a: ParsedArgs, name: string, allowZero = false): number | undefined {
  const v = str(a, name);
  if (v === undefined) return undefined;
  if (!/^\d{1,5}$/.test(v) || Number(v) > 65535 || (Number(v) === 0 && !allowZero)) {
    throw new UsageError(`-${name} must be a port number 1-65535, got ${JSON.stringify(v)}`);
  }
  return Number(v);
}

/** One of `choices`. */
export function choiceOf<T extends string>(
  a: ParsedArgs,
  name: string,
  choices: readonly T[],
): T | undefined {
  const v = str(a, name);
  if (v === undefined) return undefined;
  if (!(choices as readonly string[]).includes(v)) {
    throw new UsageError(`-${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(v)}`);
  }
  return v as T;
}

/** Usage text of a command. */
export function usage(command: string, summary: string, spec: CommandSpec): string {
  const lines = [
    `usage: sekisho ${command}${spec.positionals ? ' ' + spec.positionals.names.join(' ') : ''} [options]`,
    '',
    summary,
    '',
  ];
  for (const [name, o] of Object.entries(spec.options)) {
    const left = `  --${name}${o.kind === 'string' ? ' ' + (o.arg ?? 'VALUE') : ''}`;
    lines.push(`${left.padEnd(34)} ${o.help}${o.required ? ' (required)' : ''}`);
  }
  return lines.join('\n');
}
