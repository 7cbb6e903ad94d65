/** The configuration of Sekisho: one schema, loaded once at start, documented in docs/config.md. */
export { ConfigError, CONFIG_ERROR_CODES } from './errors.ts';
export type { ConfigErrorCode, ConfigProblem } from './errors.ts';
export { loadConfig, defaultConfig, MAX_CONFIG_BYTES } from './load.ts';
export type { ConfigSource } from './load.ts';
export { ConfigSchema, SECTIONS } from './schema.ts';
export type { SekishoConfig } from './schema.ts';
export { renderConfigDoc } from './docs.ts';
export {
  SETTABLE_SETTINGS,
  SETTABLE_PATHS,
  MAX_SETTING_VALUE,
  isSettablePath,
  parseSettingEdit,
  editConfigText,
  settingOf,
} from './settable.ts';
export type { SettablePath, SettingEdit, EditedConfig } from './settable.ts';
