/**
 * The SSO repository in an LDAP directory (`repository.store: ldap`, docs/ldap.md), as
 * `openServices` opens it. In its own module, imported only when the configuration asks for a
 * directory (src/main/services.ts `repositoryAdapters`): ldapts and the adapters cost a running
 * `sekisho start` about 10 MB that the embedded default does not need.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import type { SekishoConfig } from '../config/index.ts';
import { LdapAccessControlRepository } from '../storage/ldap/access-control-store.ts';
import { LdapPool } from '../storage/ldap/connection.ts';
import { ReplicatedAccessControlRepository } from '../storage/ldap/replicated-access-control.ts';
import { ReplicatedUserRepository } from '../storage/ldap/replicated-user-repository.ts';
import { LdapUserRepository } from '../storage/ldap/user-store.ts';
import { SqliteAccessControlRepository } from '../storage/sqlite/access-control-store.ts';
import type { SsoStores } from './services.ts';

/**
 * The LDAP stores of `repository.ldap`. The service password is read from its file here and
 * handed to the pool only; it is never logged nor kept in the configuration.
 */
export function openLdapStores(
  dataDir: string,
  config: SekishoConfig,
  db: DatabaseSync,
): SsoStores {
  const l = config.repository.ldap;
  const fromData = (f: string): string => path.resolve(dataDir, f);
  if (l.url === undefined || l['bind-dn'] === undefined || l['bind-password-file'] === undefined) {
    // loadConfig refuses this already; kept for callers that build a configuration by hand.
    throw new Error(
      'repository.store ldap needs repository.ldap.url, bind-dn and bind-password-file',
    );
  }
  let password: string;
  try {
    password = readFileSync(fromData(l['bind-password-file']), 'utf8').split(/\r?\n/)[0] ?? '';
  } catch (e) {
    const code = e instanceof Error && 'code' in e ? String(e.code) : 'unreadable';
    throw new Error(
      `repository.ldap.bind-password-file: cannot read ${l['bind-password-file']} (${code})`,
      { cause: e },
    );
  }
  const ca = l['ca-file'] === undefined ? undefined : readFileSync(fromData(l['ca-file']), 'utf8');
  // TLS, the bind account and the pool settings are shared by the update server (url) and
  // the reference servers (reference-urls).
  const poolFor = (url: string): LdapPool =>
    new LdapPool({
      url,
      bindDn: l['bind-dn']!,
      bindPassword: password,
      ca,
      startTls: l.starttls,
      allowPlaintext: l['allow-plaintext'],
      poolSize: l['pool-size'],
      timeoutMs: l['timeout-ms'],
    });
  const pool = poolFor(l.url);
  const references = l['reference-urls'].map((url) => ({ url, pool: poolFor(url) }));
  const usersOn = (p: LdapPool): LdapUserRepository =>
    new LdapUserRepository({
      pool: p,
      userBase: l['user-base'] ?? config.repository['user-search-base'],
      mode: l.mode,
      roleAttribute: l['role-attribute'],
    });
  const acBase = l['access-control-base'];
  return {
    users:
      references.length === 0
        ? usersOn(pool)
        : new ReplicatedUserRepository({
            update: { name: l.url, repo: usersOn(pool) },
            references: references.map((r) => ({ name: r.url, repo: usersOn(r.pool) })),
            retryAfterMs: l['reference-retry-ms'],
          }),
    // Roles, sites and resources are read like the users (reference servers first), except
    // right after this process wrote one (docs/ldap.md "Update and reference servers").
    accessControl:
      acBase === undefined
        ? new SqliteAccessControlRepository(db)
        : references.length === 0
          ? new LdapAccessControlRepository({ pool, base: acBase })
          : new ReplicatedAccessControlRepository({
              update: {
                name: l.url,
                repo: new LdapAccessControlRepository({ pool, base: acBase }),
              },
              references: references.map((r) => ({
                name: r.url,
                repo: new LdapAccessControlRepository({ pool: r.pool, base: acBase }),
              })),
              retryAfterMs: l['reference-retry-ms'],
            }),
    close: () => {
      void pool.close();
      for (const r of references) void r.pool.close();
    },
  };
}
