/**
 * The settings service of `lsssoconfig` and `chssoconfig` (ManagementServices.settings): the
 * settings in force in this process, and the change of the configuration file — validated as a
 * whole with the one schema, written atomically (temporary file + rename, same permissions),
 * applied at once where the running roles read the setting at each request, and recorded in
 * the system log (sso09007).
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fchmodSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { UsageError } from '../cli/args.ts';
import {
  ConfigError,
  editConfigText,
  isSettablePath,
  loadConfig,
  MAX_CONFIG_BYTES,
  SETTABLE_PATHS,
  SETTABLE_SETTINGS,
  settingOf,
  parseSettingEdit,
  type ConfigProblem,
  type SekishoConfig,
  type SettingEdit,
} from '../config/index.ts';
import type { SystemLog } from '../logs/index.ts';
import type { SettingChange, SettingsService, SettingValue } from '../management/context.ts';
import { SsoError } from '../sso/core/errors.ts';
import { ssoSettingsOf } from './sso.ts';

export interface SettingsWiring {
  /** The configuration file: `--config`, else DATA_DIR/sekisho.json (created when absent). */
  readonly file: string;
  /** The configuration the running server read at start; undefined in a stand-alone process. */
  readonly started: SekishoConfig | undefined;
  /** Puts the live settings of a new configuration in force (SsoRoles.applySettings). */
  readonly apply?: (config: SekishoConfig) => void;
  readonly systemLog?: SystemLog;
  /**
   * On a cluster: stores the changed settings for every node (src/storage/redis/settings-store.ts)
   * and tells them; called after the change is validated and before anything is written, so
   * that a failure changes nothing anywhere.
   */
  readonly share?: (values: ReadonlyMap<string, string>) => Promise<void>;
}

/** The settings service, and how a cluster node takes the settings another node changed. */
export interface NodeSettings extends SettingsService {
  /**
   * Makes this node's file (and, in a running server, the settings in force) hold `shared`
   * (path → value text, as `-set` takes it, from the cluster's store): only the settable
   * paths that differ are written; a value the schema refuses changes nothing and is named in
   * the error. Resolves the changes made (none when the node already holds them).
   */
  adopt(shared: ReadonlyMap<string, string>, from: string): readonly SettingChange[];
}

export function openSettings(w: SettingsWiring): NodeSettings {
  const inForce: Record<string, SettingValue> | undefined =
    w.started === undefined ? undefined : { ...ssoSettingsOf(w.started) };

  const readText = (): string | undefined => {
    if (!existsSync(w.file)) return undefined;
    if (statSync(w.file).size > MAX_CONFIG_BYTES)
      throw new UsageError(`${w.file}: larger than ${MAX_CONFIG_BYTES} bytes`);
    return readFileSync(w.file, 'utf8');
  };
  const fileConfig = (text: string | undefined): SekishoConfig | undefined => {
    try {
      return loadConfig({ file: w.file, text: text ?? '{}' });
    } catch (e) {
      if (e instanceof ConfigError) return undefined;
      throw e;
    }
  };

  return {
    inForce: () => (inForce === undefined ? undefined : { ...inForce }),
    pending: () => {
      if (inForce === undefined) return {};
      const inFile = fileConfig(readText());
      if (inFile === undefined) return {};
      const out: Record<string, SettingValue> = {};
      for (const p of SETTABLE_PATHS) {
        const v = settingOf(inFile, p);
        if (v !== inForce[p]) out[p] = v;
      }
      return out;
    },
    change: async (set, client) => {
      const { edits, problems } = settingEditsOf(set);
      const text = readText();
      const edited = checked(text, edits, problems);
      if (w.share !== undefined) {
        try {
          await w.share(new Map(edits.map((e) => [e.path, String(e.value)])));
        } catch (e) {
          throw new SsoError(
            'SSO_CLUSTER_UNAVAILABLE',
            `the settings could not be shared with the other nodes (${(e as Error).message}); nothing was changed`,
            { cause: e },
          );
        }
      }
      return write(text, edits, edited, client ?? 'local');
    },
    adopt: (shared, from) => {
      const text = readText();
      const current = fileConfig(text);
      // Each entry on its own: a value cannot smuggle in another setting.
      const all: SettingEdit[] = [];
      const problems: ConfigProblem[] = [];
      for (const [p, v] of shared) {
        const e = /[,=]/.test(v) ? undefined : parseSettingEdit(`${p}=${v}`);
        if (e === undefined || 'message' in e || e.path !== p)
          problems.push({
            path: isSettablePath(p) ? p : '?',
            message: `the cluster's value is not one chssoconfig accepts`,
          });
        else all.push(e);
      }
      const edits =
        current === undefined ? all : all.filter((e) => settingOf(current, e.path) !== e.value);
      if (edits.length === 0 && problems.length === 0) return [];
      const edited = checked(text, edits, problems);
      return write(text, edits, edited, from);
    },
  };

  /** The edited file, or a UsageError naming every problem (nothing is written). */
  function checked(
    text: string | undefined,
    edits: readonly SettingEdit[],
    problems: ConfigProblem[],
  ): { text: string; config: SekishoConfig } {
    let edited: { text: string; config: SekishoConfig } | undefined;
    try {
      edited = editConfigText(text ?? '{}', edits, w.file);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      if (e.code !== 'CONFIG_INVALID') throw new UsageError(e.message);
      problems.push(...e.problems);
    }
    // Every problem at once: the malformed values and those the schema refuses.
    if (problems.length > 0 || edited === undefined) throw new UsageError(problemLines(problems));
    return edited;
  }

  function write(
    text: string | undefined,
    edits: readonly SettingEdit[],
    edited: { text: string; config: SekishoConfig },
    client: string,
  ): SettingChange[] {
    const before = fileConfig(text);
    writeAtomically(w.file, edited.text);
    const live = inForce !== undefined && w.apply !== undefined;
    const changes: SettingChange[] = edits.map(({ path: p }) => ({
      path: p,
      before: inForce?.[p] ?? (before === undefined ? '' : settingOf(before, p)),
      after: settingOf(edited.config, p),
      effect: live && SETTABLE_SETTINGS[p].live ? 'now' : 'next-start',
    }));
    if (live) {
      w.apply(edited.config);
      for (const c of changes) if (c.effect === 'now') inForce[c.path] = c.after;
    }
    w.systemLog?.write('sso09007', describe(edits), w.file, client);
    return changes;
  }
}

/** `-set` → the well-formed edits, and a problem for each bad one. */
export function settingEditsOf(set: string): { edits: SettingEdit[]; problems: ConfigProblem[] } {
  const edits: SettingEdit[] = [];
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  for (const part of set.split(',')) {
    if (part.trim() === '') {
      problems.push({ path: '', message: '-set has an empty PATH=VALUE' });
      continue;
    }
    const e = parseSettingEdit(part);
    if ('message' in e) problems.push(e);
    else if (seen.has(e.path)) problems.push({ path: e.path, message: 'given twice' });
    else {
      seen.add(e.path);
      edits.push(e);
    }
  }
  return { edits, problems };
}

const problemLines = (problems: readonly ConfigProblem[]): string =>
  problems.map((p) => (p.path === '' ? p.message : `${p.path}: ${p.message}`)).join('\n');

const describe = (edits: readonly SettingEdit[]): string =>
  edits.map((e) => `${e.path}=${String(e.value)}`).join(',');

/**
 * Replaces `file` by `text` so that a reader sees the old or the new file, never a part: a
 * temporary file in the same directory, flushed, with the old file's permissions (0600 for a
 * new one), renamed over it.
 */
function writeAtomically(file: string, text: string): void {
  const mode = existsSync(file) ? statSync(file).mode & 0o777 : 0o600;
  const tmp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`,
  );
  try {
    const fd = openSync(tmp, 'wx', mode);
    try {
      fchmodSync(fd, mode); // whatever the umask
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
