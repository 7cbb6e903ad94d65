/**
 * Loads the configuration file once at start: strict JSON → unknown-key check → defaults →
 * schema validation → one {@link ConfigError} listing every problem by its dotted path → a deeply
 * frozen {@link SekishoConfig}.
 *
 * The file is JSON because JSON needs no dependency. Comments and trailing commas are refused
 * (`CONFIG_SYNTAX`, naming line and column), as are duplicate keys. Unknown settings are an error,
 * never silently dropped: a misspelt setting would otherwise leave its default in force unnoticed.
 */
import { readFileSync, statSync } from 'node:fs';
import { Kind, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

import { ConfigError, type ConfigProblem } from './errors.ts';
import { JsonSyntaxError, parseJson } from './json.ts';
import { ConfigSchema, CREDENTIAL_TTL_MIN, type SekishoConfig } from './schema.ts';

/** Largest configuration accepted, bytes. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** Where the configuration comes from. */
export interface ConfigSource {
  /** The file to read; with `text`, only the name used in messages. */
  readonly file?: string;
  /** The file's content; when given, nothing is read. */
  readonly text?: string;
}

/**
 * Reads, validates and freezes the configuration. With neither `file` nor `text`, every default
 * applies. Throws {@link ConfigError}: `CONFIG_UNREADABLE`, `CONFIG_SYNTAX` or `CONFIG_INVALID`.
 */
export function loadConfig(source: ConfigSource = {}): SekishoConfig {
  const name = source.file ?? '<configuration>';
  const text = source.text ?? (source.file === undefined ? '{}' : readText(source.file));
  if (Buffer.byteLength(text) > MAX_CONFIG_BYTES) {
    throw new ConfigError('CONFIG_UNREADABLE', name, [
      { path: '', message: `larger than ${MAX_CONFIG_BYTES} bytes` },
    ]);
  }
  let parsed: unknown;
  try {
    parsed = parseJson(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) {
      throw new ConfigError('CONFIG_SYNTAX', name, [{ path: '', message: e.message }]);
    }
    throw e;
  }
  return validate(parsed, name);
}

/** The configuration with every default (as if the file were `{}`). */
export function defaultConfig(): SekishoConfig {
  return loadConfig({ text: '{}' });
}

function readText(file: string): string {
  try {
    const size = statSync(file).size;
    if (size > MAX_CONFIG_BYTES) {
      throw new ConfigError('CONFIG_UNREADABLE', file, [
        { path: '', message: `larger than ${MAX_CONFIG_BYTES} bytes` },
      ]);
    }
    return readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    const code = e instanceof Error && 'code' in e ? String(e.code) : 'unknown error';
    throw new ConfigError('CONFIG_UNREADABLE', file, [
      { path: '', message: `cannot read (${code})` },
    ]);
  }
}

/** Validates a parsed configuration (already JSON data). */
export function validate(parsed: unknown, name = '<configuration>'): SekishoConfig {
  const problems: ConfigProblem[] = [];
  const known = onlyKnown(ConfigSchema, parsed, '', problems);
  const value: unknown = Value.Default(ConfigSchema, known);

  const seen = new Set<string>(problems.map((p) => p.path));
  for (const error of Value.Errors(ConfigSchema, value)) {
    const path = dotted(error.path);
    if (seen.has(path)) continue;
    seen.add(path);
    problems.push({ path, message: messageFor(error.schema, error.value) });
  }
  for (const p of crossChecks(value)) if (!seen.has(p.path)) problems.push(p);
  if (problems.length === 0 && Value.Check(ConfigSchema, value)) return deepFreeze(value);
  if (problems.length === 0) problems.push({ path: '', message: 'does not match the schema' });
  throw new ConfigError('CONFIG_INVALID', name, problems);
}

/**
 * A copy holding only the settings the schema knows; each other key is a problem. TypeBox never
 * sees a key of the file that is not in the schema (`__proto__`, `constructor` included).
 */
function onlyKnown(
  schema: TSchema,
  value: unknown,
  path: string,
  problems: ConfigProblem[],
): unknown {
  if (schema[Kind] !== 'Object' || value === undefined) return value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    // Checked here because Value.Default would replace an array with the section's default.
    problems.push({ path, message: 'must be an object' });
    return value;
  }
  const properties: unknown = schema['properties'];
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const child = lookup(properties, key);
    const childPath = path === '' ? key : `${path}.${key}`;
    if (child === undefined) {
      problems.push({ path: childPath, message: 'unknown setting' });
      continue;
    }
    out[key] = onlyKnown(child, (value as Record<string, unknown>)[key], childPath, problems);
  }
  return out;
}

function lookup(properties: unknown, key: string): TSchema | undefined {
  if (typeof properties !== 'object' || properties === null) return undefined;
  if (!Object.prototype.hasOwnProperty.call(properties, key)) return undefined;
  const s: unknown = (properties as Record<string, unknown>)[key];
  return typeof s === 'object' && s !== null && Kind in s ? (s as TSchema) : undefined;
}

/** `/repository/lock-out-time` → `repository.lock-out-time` (JSON Pointer unescaped). */
function dotted(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    .join('.');
}

/** The message for a value that breaks `schema`, from the schema alone (never echoing the value). */
function messageFor(schema: TSchema, value: unknown): string {
  const custom: unknown = schema['x-message'];
  switch (schema[Kind]) {
    case 'Integer': {
      if (typeof custom === 'string') return custom;
      return `must be an integer from ${String(schema['minimum'])} to ${String(schema['maximum'])}`;
    }
    case 'Boolean':
      return 'must be true or false';
    case 'Object':
      return 'must be an object';
    case 'Union': {
      const anyOf: unknown = schema['anyOf'];
      const values = Array.isArray(anyOf)
        ? anyOf.map((s: unknown) =>
            typeof s === 'object' && s !== null && 'const' in s ? String(s.const) : '?',
          )
        : [];
      return `must be one of ${values.join(', ')}`;
    }
    case 'String': {
      if (typeof value !== 'string') return 'must be a string';
      const min: unknown = schema['minLength'];
      const max: unknown = schema['maxLength'];
      if (typeof max === 'number' && value.length > max) {
        return `must be at most ${max} characters`;
      }
      if (typeof min === 'number' && value.length < min) return 'must not be empty';
      return typeof custom === 'string' ? custom : 'has the wrong form';
    }
    default:
      return typeof custom === 'string' ? custom : 'is not valid';
  }
}

/** A member of a section, or undefined when the section is not an object. */
function setting(value: unknown, section: string, key: string): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  const s: unknown = (value as Record<string, unknown>)[section];
  if (typeof s !== 'object' || s === null) return undefined;
  return (s as Record<string, unknown>)[key];
}

/**
 * Rules between settings, and those a JSON Schema keyword does not express. They run on the
 * defaulted value even when other settings are wrong, so that all problems come out together.
 */
function crossChecks(value: unknown): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const cert = setting(value, 'server', 'tls-cert-file');
  const key = setting(value, 'server', 'tls-key-file');
  if (cert !== undefined && key === undefined) {
    problems.push({
      path: 'server.tls-key-file',
      message: 'required when server.tls-cert-file is set',
    });
  }
  if (key !== undefined && cert === undefined) {
    problems.push({
      path: 'server.tls-cert-file',
      message: 'required when server.tls-key-file is set',
    });
  }
  if (
    setting(value, 'sessions', 'store') === 'redis' &&
    setting(value, 'sessions', 'redis-url') === undefined
  ) {
    problems.push({ path: 'sessions.redis-url', message: 'required when sessions.store is redis' });
  }
  if (setting(value, 'repository', 'store') === 'ldap') problems.push(...ldapChecks(value));
  if (
    setting(value, 'cluster', 'enabled') === true &&
    setting(value, 'cluster', 'redis-url') === undefined
  ) {
    problems.push({ path: 'cluster.redis-url', message: 'required when cluster.enabled is true' });
  }
  if (
    setting(value, 'cluster', 'enabled') === true &&
    setting(value, 'sessions', 'store') === 'redis'
  ) {
    problems.push({
      path: 'sessions.store',
      message: 'with cluster.enabled the sessions are in cluster.redis-url: remove sessions.store',
    });
  }
  const ttl = setting(value, 'repository', 'default-credential-ttl');
  if (typeof ttl === 'number' && ttl > 0 && ttl < CREDENTIAL_TTL_MIN) {
    problems.push({
      path: 'repository.default-credential-ttl',
      message: String(ttlSchema['x-message']),
    });
  }
  return problems;
}

/** `repository.ldap` with `store: ldap`: what the directory needs, and TLS unless loopback. */
function ldapChecks(value: unknown): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const ldap = setting(value, 'repository', 'ldap');
  const get = (key: string): unknown =>
    typeof ldap === 'object' && ldap !== null ? (ldap as Record<string, unknown>)[key] : undefined;
  for (const key of ['url', 'bind-dn', 'bind-password-file']) {
    if (get(key) === undefined) {
      problems.push({
        path: `repository.ldap.${key}`,
        message: 'required when repository.store is ldap',
      });
    }
  }
  const refs = get('reference-urls');
  const urls: [string, unknown][] = [
    ['repository.ldap.url', get('url')],
    ...(Array.isArray(refs)
      ? refs.map((r, i): [string, unknown] => [`repository.ldap.reference-urls.${i}`, r])
      : []),
  ];
  for (const [where, url] of urls) {
    if (typeof url !== 'string' || !url.startsWith('ldap://') || get('starttls') === true) continue;
    const host = /^ldap:\/\/(\[[^\]]+\]|[^:/]+)/.exec(url)?.[1]?.replace(/^\[|\]$/g, '') ?? '';
    const loopback = host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
    if (!loopback || get('allow-plaintext') !== true) {
      problems.push({
        path: where,
        message:
          'ldap:// needs starttls (or ldaps://); plain LDAP only to a loopback address with allow-plaintext',
      });
    }
  }
  return problems;
}

const ttlSchema: TSchema = ConfigSchema.properties.repository.properties['default-credential-ttl'];

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
