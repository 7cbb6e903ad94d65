/** Errors of the configuration loader, with stable codes (STYLE.md "Errors"). */

export const CONFIG_ERROR_CODES = ['CONFIG_UNREADABLE', 'CONFIG_SYNTAX', 'CONFIG_INVALID'] as const;
export type ConfigErrorCode = (typeof CONFIG_ERROR_CODES)[number];

/** One problem of a configuration: the dotted path of the setting (`''` = the whole file). */
export interface ConfigProblem {
  readonly path: string;
  readonly message: string;
}

/**
 * A configuration that cannot be used. `CONFIG_UNREADABLE`: the file cannot be read or is too
 * large; `CONFIG_SYNTAX`: not strict JSON (the message names line and column); `CONFIG_INVALID`:
 * valid JSON that breaks the schema, every problem listed in {@link ConfigError.problems}.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code: ConfigErrorCode;
  readonly problems: readonly ConfigProblem[];

  constructor(code: ConfigErrorCode, source: string, problems: readonly ConfigProblem[]) {
    const lines = problems.map((p) => (p.path === '' ? p.message : `${p.path}: ${p.message}`));
    super(
      lines.length === 1
        ? `${source}: ${lines[0]!}`
        : `${source}: ${lines.length} problems:\n${lines.map((l) => `  ${l}`).join('\n')}`,
    );
    this.code = code;
    this.problems = Object.freeze(problems.map((p) => Object.freeze({ ...p })));
  }
}
