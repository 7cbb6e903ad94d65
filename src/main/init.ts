/**
 * `sekisho init`: prepares a data directory without starting anything — the private CA and the
 * HTTPS certificate, the system certificate, the administrator token, the local KEK and the
 * first SSO administrator. Idempotent: a second run creates nothing and prints no password.
 *
 * `sekisho start` runs it in a child process when the directory is new, so that key generation
 * and hashing the administrator's password (argon2id, 7 MiB) leave nothing behind in the
 * long-running server's memory.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, str } from '../cli/args.ts';
import type { CommandContext } from '../cli/main.ts';
import { ConfigError, loadConfig, type SekishoConfig } from '../config/index.ts';
import { ensureSystemCertificate } from '../keyservers/system-cert.ts';
import { createPasswordHasher } from '../sso/core/password.ts';
import { ensureDataDir, resolveDataDir } from './data-dir.ts';
import { devPkiPaths, ensureDevPki } from './dev-pki.ts';
import { adminTokenPath, ensureAdminToken } from './run-file.ts';
import { openServices, repositoryAdapters } from './services.ts';
import { ADMIN_MARKER_FILE, ensureFirstAdministrator } from './sso.ts';
import { CONFIG_FILE, initSpec } from './start-spec.ts';

/** Whether `init` still has something to create in `dataDir`. */
export function needsInit(dataDir: string): boolean {
  const pki = devPkiPaths(dataDir);
  return ![
    pki.caCert,
    pki.serverCert,
    pki.serverKey,
    pki.clientCert,
    pki.clientKey,
    adminTokenPath(dataDir),
    path.join(dataDir, 'run', ADMIN_MARKER_FILE),
  ].every((f) => existsSync(f));
}

export interface InitResult {
  /** The first administrator's password, when this run created the administrator. */
  readonly adminPassword: string | undefined;
}

/** Creates whatever the data directory lacks. */
export async function initialize(dataDir: string, config: SekishoConfig): Promise<InitResult> {
  await ensureDevPki(dataDir);
  ensureAdminToken(dataDir);
  const services = openServices(dataDir, config, undefined, await repositoryAdapters(config));
  try {
    await ensureSystemCertificate(services.manager.store);
    await services.kek.read();
    const adminPassword = await ensureFirstAdministrator(
      dataDir,
      config,
      services,
      createPasswordHasher(),
    );
    return { adminPassword };
  } finally {
    services.close();
  }
}

/** Loads the configuration as `start` does: `--config`, else DIR/sekisho.json when present. */
export function loadStartConfig(
  dataDir: string,
  explicit: string | undefined,
): { config: SekishoConfig; file: string | undefined } {
  const inDir = path.join(dataDir, CONFIG_FILE);
  const file = explicit ?? (existsSync(inDir) ? inDir : undefined);
  return { config: loadConfig(file === undefined ? {} : { file }), file };
}

export async function init(argv: readonly string[], { io }: CommandContext): Promise<number> {
  const args = parseArgs(argv, initSpec);
  const dataDir = ensureDataDir(resolveDataDir(str(args, 'data-dir'), io.env));
  let config: SekishoConfig;
  try {
    config = loadStartConfig(dataDir, str(args, 'config')).config;
  } catch (e) {
    if (e instanceof ConfigError) {
      io.stderr(`sekisho init: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const result = await initialize(dataDir, config);
  if (args.options.get('json') === true) {
    io.stdout(JSON.stringify({ adminPassword: result.adminPassword ?? null }) + '\n');
  } else if (result.adminPassword === undefined) {
    io.stdout(`${dataDir} is ready (nothing created)\n`);
  } else {
    io.stdout(
      `${dataDir} is ready\n  First administrator: user ID "admin", password ${result.adminPassword}\n  (shown this once)\n`,
    );
  }
  return 0;
}
