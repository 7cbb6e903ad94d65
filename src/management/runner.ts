/**
 * Running a management command from CLI arguments or from a REST JSON body: both are parsed
 * against the command's one declaration, so they accept exactly the same parameters.
 */
import { EventError } from '../events/index.ts';
import { KeyServerError } from '../keyservers/errors.ts';
import { LogError } from '../logs/index.ts';
import { SsoError } from '../sso/core/errors.ts';
import { LdifError } from '../sso/ldif/index.ts';
import { DEFAULT_MAX_VALUE, parseArgs, UsageError, type ParsedArgs } from '../cli/args.ts';
import { MANAGEMENT_COMMANDS, type ManagementCommand } from './commands.ts';
import type { CommandContext } from './context.ts';
import type { CommandResult } from './output.ts';

export function findCommand(name: string): ManagementCommand | undefined {
  return Object.hasOwn(MANAGEMENT_COMMANDS, name) ? MANAGEMENT_COMMANDS[name] : undefined;
}

/**
 * REST body → arguments. Keys are option names (without dash); `object` is the positional
 * (ID|NAME or sequence number). Booleans are JSON true/false, other values strings (numbers
 * are accepted for numeric options). Unknown keys are refused.
 */
export function argsFromJson(command: ManagementCommand, body: unknown): ParsedArgs {
  const input: unknown = body ?? {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new UsageError('the body must be a JSON object of parameters');
  }
  const options = new Map<string, string | true>();
  const positionals: string[] = [];
  for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
    if (key === 'object') {
      if (typeof value !== 'string' && typeof value !== 'number')
        throw new UsageError('"object" must be a string or number');
      positionals.push(String(value));
      continue;
    }
    const spec = command.spec.options[key];
    if (!spec) throw new UsageError(`unknown parameter ${JSON.stringify(key)}`);
    if (spec.kind === 'boolean') {
      if (typeof value !== 'boolean')
        throw new UsageError(`parameter ${key} must be true or false`);
      if (value) options.set(key, true);
    } else {
      if (typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) {
        throw new UsageError(`parameter ${key} must be a string`);
      }
      const s = String(value);
      const max = spec.maxBytes ?? DEFAULT_MAX_VALUE;
      if (s.length > max) throw new UsageError(`parameter ${key} is longer than ${max} characters`);
      options.set(key, s);
    }
  }
  // Re-check required options and positional counts with the CLI parser's rules.
  const argv = [
    ...[...options].flatMap(([k, v]) => (v === true ? [`-${k}`] : [`-${k}`, v])),
    ...(positionals.length ? ['--', ...positionals] : []),
  ];
  return parseArgs(argv, command.spec);
}

export function argsFromArgv(command: ManagementCommand, argv: readonly string[]): ParsedArgs {
  return parseArgs(argv, command.spec);
}

export function runCommand(
  command: ManagementCommand,
  args: ParsedArgs,
  ctx: CommandContext,
): Promise<CommandResult> {
  const shared = ctx.services.shared;
  if (shared !== undefined && command.shared === 'write')
    return shared.write(() => command.run(args, ctx));
  if (shared !== undefined && command.shared === 'read')
    return shared.read(() => command.run(args, ctx));
  return command.run(args, ctx);
}

/** How a failure is reported: usage errors, domain errors with a code, or internal errors. */
export type FailureClass =
  | { readonly kind: 'usage'; readonly message: string }
  | {
      readonly kind: 'domain';
      readonly code: string;
      readonly message: string;
      readonly status: 400 | 404 | 409 | 502 | 503;
    }
  | { readonly kind: 'internal' };

export function classifyFailure(e: unknown): FailureClass {
  if (e instanceof UsageError) return { kind: 'usage', message: e.message };
  if (e instanceof KeyServerError) {
    const status =
      e.code === 'KEYSERVER_NOT_FOUND' || e.code === 'NODE_NOT_FOUND'
        ? 404
        : e.code === 'KEYSERVER_KEK_UNAVAILABLE'
          ? 502
          : e.code === 'KEYSERVER_CLUSTER_UNAVAILABLE' || e.code === 'KEYSERVER_CLUSTER_BUSY'
            ? 503
            : e.code === 'KEYSERVER_LIMIT' ||
                e.code === 'KEYSERVER_NAME_IN_USE' ||
                e.code === 'KEYSERVER_PRIMARY_EXISTS' ||
                e.code === 'KEYSERVER_PRIMARY_IN_USE' ||
                e.code === 'KEYSERVER_TYPE_CONFLICT' ||
                e.code === 'KEYSERVER_ENCRYPTION_STATE'
              ? 409
              : 400;
    return { kind: 'domain', code: e.code, message: e.message, status };
  }
  if (e instanceof SsoError) {
    const status =
      e.code === 'SSO_USER_NOT_FOUND'
        ? 404
        : e.code === 'SSO_USER_EXISTS'
          ? 409
          : e.code === 'SSO_CLUSTER_UNAVAILABLE'
            ? 503
            : 400;
    return { kind: 'domain', code: e.code, message: e.message, status };
  }
  if (e instanceof LogError) {
    const status = e.code === 'LOG_ENTRY_NOT_FOUND' ? 404 : 400;
    return { kind: 'domain', code: e.code, message: e.message, status };
  }
  if (e instanceof LdifError)
    return { kind: 'domain', code: e.code, message: e.message, status: 400 };
  if (e instanceof EventError) {
    return {
      kind: 'domain',
      code: e.code,
      message: e.message,
      status: e.code === 'EVENT_NOT_FOUND' ? 404 : e.code === 'EVENT_ALREADY_FIXED' ? 409 : 400,
    };
  }
  return { kind: 'internal' };
}
