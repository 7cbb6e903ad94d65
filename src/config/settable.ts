/**
 * The settings an administrator may change while Sekisho runs (`chssoconfig`, the console's
 * Settings page), and the edit of a configuration file that changes them: parse the file as
 * `loadConfig` does, set the new values, validate the whole result with the one schema. Every
 * other key of the file is kept as it was (order included).
 *
 * `live` settings take effect at once in the running `sekisho start` (the lockout and session
 * policies are read at each request); the others at the next start (the access-log writers
 * are opened with their rotation settings).
 */
import { ConfigError, type ConfigProblem } from './errors.ts';
import { JsonSyntaxError, parseJson } from './json.ts';
import { MAX_CONFIG_BYTES, validate } from './load.ts';
import type { SekishoConfig } from './schema.ts';

export const SETTABLE_SETTINGS = {
  'repository.password-max-failure-count': { kind: 'integer', live: true },
  'repository.lock-out-time': { kind: 'integer', live: true },
  'sessions.idle-timeout': { kind: 'integer', live: true },
  'sessions.max-lifetime': { kind: 'integer', live: true },
  'sessions.forced-sign-on': { kind: 'boolean', live: true },
  'logs.max-size': { kind: 'integer', live: false },
  'logs.save-mode': { kind: 'word', live: false },
  'logs.keep': { kind: 'integer', live: false },
} as const satisfies Record<
  string,
  { readonly kind: 'integer' | 'boolean' | 'word'; readonly live: boolean }
>;

export type SettablePath = keyof typeof SETTABLE_SETTINGS;
export const SETTABLE_PATHS = Object.keys(SETTABLE_SETTINGS) as SettablePath[];

/** One new value, typed as the file holds it. */
export interface SettingEdit {
  readonly path: SettablePath;
  readonly value: number | boolean | string;
}

/** Longest value text accepted (the longest legal one, `logs.max-size`, has 13 digits). */
export const MAX_SETTING_VALUE = 32;

export function isSettablePath(path: string): path is SettablePath {
  return Object.hasOwn(SETTABLE_SETTINGS, path);
}

/**
 * `PATH=VALUE` → an edit, or a problem naming the path (never echoing a hostile value). The
 * value's form is checked here (digits, true/false, a lower-case word); its range by the schema.
 */
export function parseSettingEdit(text: string): SettingEdit | ConfigProblem {
  if (/[\p{Cc}\p{Cf}]/u.test(text)) {
    const p = text.split('=')[0]!.trim();
    return { path: isSettablePath(p) ? p : '?', message: 'value has a control character' };
  }
  const eq = text.indexOf('=');
  const path = (eq < 0 ? text : text.slice(0, eq)).trim();
  if (!isSettablePath(path)) {
    const shown = /^[a-z0-9.-]{1,64}$/.test(path) ? path : '?';
    return {
      path: shown,
      message: `not a setting chssoconfig changes (these are: ${SETTABLE_PATHS.join(', ')})`,
    };
  }
  if (eq < 0) return { path, message: 'needs =VALUE' };
  const raw = text.slice(eq + 1).trim();
  if (raw.length > MAX_SETTING_VALUE) {
    return { path, message: `value longer than ${MAX_SETTING_VALUE} characters` };
  }
  switch (SETTABLE_SETTINGS[path].kind) {
    case 'integer':
      return /^(?:0|[1-9][0-9]{0,14})$/.test(raw)
        ? { path, value: Number(raw) }
        : { path, message: 'must be a whole number written in digits' };
    case 'boolean':
      return raw === 'true' || raw === 'false'
        ? { path, value: raw === 'true' }
        : { path, message: 'must be true or false' };
    case 'word':
      return /^[a-z][a-z-]*$/.test(raw)
        ? { path, value: raw }
        : { path, message: 'must be a lower-case word' };
  }
}

/** The new file text and the configuration it holds. */
export interface EditedConfig {
  readonly text: string;
  readonly config: SekishoConfig;
}

/**
 * Applies `edits` to the configuration file text `text` (`'{}'` when there is no file) and
 * validates the whole result. Throws {@link ConfigError} naming each bad setting by its dotted
 * path; nothing is written here.
 */
export function editConfigText(
  text: string,
  edits: readonly SettingEdit[],
  name = '<configuration>',
): EditedConfig {
  let parsed: unknown;
  try {
    parsed = parseJson(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) {
      throw new ConfigError('CONFIG_SYNTAX', name, [{ path: '', message: e.message }]);
    }
    throw e;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('CONFIG_INVALID', name, [{ path: '', message: 'must be an object' }]);
  }
  // parseJson gives null-prototype objects: no key of the file reaches Object.prototype.
  const root = parsed as Record<string, unknown>;
  for (const { path, value } of edits) {
    const [section, key] = path.split('.') as [string, string];
    let s = root[section];
    if (s === undefined) {
      s = Object.create(null) as Record<string, unknown>;
      root[section] = s;
    }
    if (typeof s !== 'object' || s === null || Array.isArray(s)) {
      throw new ConfigError('CONFIG_INVALID', name, [
        { path: section, message: 'must be an object' },
      ]);
    }
    (s as Record<string, unknown>)[key] = value;
  }
  const config = validate(root, name);
  const out = JSON.stringify(root, null, 2) + '\n';
  if (Buffer.byteLength(out) > MAX_CONFIG_BYTES) {
    throw new ConfigError('CONFIG_INVALID', name, [
      { path: '', message: `larger than ${MAX_CONFIG_BYTES} bytes` },
    ]);
  }
  return { text: out, config };
}

/** The value of a settable setting in a configuration. */
export function settingOf(config: SekishoConfig, path: SettablePath): number | boolean | string {
  switch (path) {
    case 'repository.password-max-failure-count':
      return config.repository['password-max-failure-count'];
    case 'repository.lock-out-time':
      return config.repository['lock-out-time'];
    case 'sessions.idle-timeout':
      return config.sessions['idle-timeout'];
    case 'sessions.max-lifetime':
      return config.sessions['max-lifetime'];
    case 'sessions.forced-sign-on':
      return config.sessions['forced-sign-on'];
    case 'logs.max-size':
      return config.logs['max-size'];
    case 'logs.save-mode':
      return config.logs['save-mode'];
    case 'logs.keep':
      return config.logs.keep;
    default: {
      const never: never = path;
      return never;
    }
  }
}
