// Debian's OpenLDAP slapd (package slapd, installed by tests/global-setup.ts) as a test fixture:
// in the foreground, in a private temporary directory holding its cn=config (slapd.d, made by
// `slapadd -n0` from generated LDIF), its mdb database and its ldapi socket; listening on
// ldap://127.0.0.1:PORT (StartTLS offered) and ldaps://127.0.0.1:PORT2 with a certificate of a
// throwaway test CA (tests/helpers/certs.ts), TLS 1.2 at least.
//
// The database holds one suffix (default dc=sekisho,dc=test) with the core, cosine,
// inetorgperson and nis schemas of /etc/ldap/schema plus Sekisho's (schema/sekisho.ldif) and
// any extra schema given, a root DN, and a service account: a plain entry (not the root DN)
// whose ACLs give it write access (manage, for the Relax control) and no size limit, as a
// production Sekisho account would have. Ready once the service account can bind. `stop` and
// `start` take the server down and bring it back on the same ports and data; `close` stops it
// and removes the directory. `stats` logs every operation (`simpleBinds` reads the binds back);
// `allowUnauthenticatedBind` makes a DN with an empty password bind as anonymous, as AD does.
//
// Replication (update-type and reference-type repository servers): `replication: { role:
// 'provider' }` adds the syncprov overlay and a replication account (read access to everything,
// no limits); `replication: { role: 'consumer', provider }` makes a read-only consumer whose
// database is an olcSyncrepl copy (refreshAndPersist over LDAPS, the provider's certificate
// checked against its test CA) and whose olcUpdateRef refers writes to the provider. The
// consumer starts empty, shares the provider's PKI (one CA for both) and its service account
// (replicated from the provider): it is ready once that account can bind on it, i.e. once the
// first refresh brought it. `waitForReplication` waits until a consumer holds everything the
// provider has written (contextCSN), by polling a condition. Runs as whatever user the tests run as (root in the container):
// no -u/-g, the files are that user's.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, NoSuchObjectError } from 'ldapts';
import { makeTestPki } from './certs.ts';
import { freePort } from './ports.ts';

export const SLAPD = '/usr/sbin/slapd';
export const SLAPADD = '/usr/sbin/slapadd';
export const LDAPMODIFY = '/usr/bin/ldapmodify';

const SCHEMA_DIR = '/etc/ldap/schema';
const SEKISHO_SCHEMA_LDIF = path.resolve(import.meta.dirname, '../../schema/sekisho.ldif');

export interface SlapdOptions {
  /** The database suffix; default `dc=sekisho,dc=test`. Its top entry is created too. */
  readonly suffix?: string;
  /** The top entry's LDIF attributes (without `dn:`); default derived from the first RDN. */
  readonly suffixEntry?: string;
  /** Extra schema files in OpenLDAP `.schema` form, loaded after Sekisho's. */
  readonly schemaFiles?: readonly string[];
  /** LDIF of entries to load under the suffix before the first start (slapadd). */
  readonly data?: string;
  /** A file of such LDIF (large loads: it is handed to `slapadd -q` as is). */
  readonly dataFile?: string;
  /** Provider (syncprov) or consumer (syncrepl of `provider`); absent = a standalone server. */
  readonly replication?: { readonly role: 'provider' } | SlapdConsumerOf;
  /**
   * Accept an unauthenticated bind (a DN with an empty password) as anonymous, as Active
   * Directory does (`olcAllows: bind_anon_dn`); slapd refuses it by default.
   */
  readonly allowUnauthenticatedBind?: boolean;
  /**
   * Log every operation and its result (`slapd -d stats`) into {@link Slapd.log}: connections,
   * `BIND dn="…" method=128` lines (never the password), search filters. For tests that count
   * what reached the directory ({@link simpleBinds}).
   */
  readonly stats?: boolean;
}

export interface SlapdConsumerOf {
  readonly role: 'consumer';
  readonly provider: Slapd;
  /** Replicate over `ldaps` (default) or `ldap` + StartTLS (`starttls=critical`). */
  readonly transport?: 'ldaps' | 'starttls';
}

/** The account a consumer binds to its provider as. */
export interface ReplicationAccount {
  readonly dn: string;
  readonly password: string;
}

export interface Slapd {
  /** `ldap://127.0.0.1:PORT` (plain; StartTLS available). */
  readonly url: string;
  /** `ldaps://127.0.0.1:PORT2`. */
  readonly ldapsUrl: string;
  /** `ldapi://…` socket in the private directory (for setup). */
  readonly ldapiUrl: string;
  readonly dir: string;
  /** PEM file of the CA that signed the server certificate (CN=localhost, IP 127.0.0.1). */
  readonly caFile: string;
  /** The test PKI's directory (a consumer shares its provider's). */
  readonly pkiDir: string;
  /** A provider's replication account; undefined for other servers. */
  readonly replicator: ReplicationAccount | undefined;
  readonly suffix: string;
  readonly rootDn: string;
  readonly rootPassword: string;
  /** The service account Sekisho binds as. */
  readonly serviceDn: string;
  readonly servicePassword: string;
  /** A file holding {@link servicePassword} (mode 0600), as `bind-password-file` wants. */
  readonly servicePasswordFile: string;
  /** What slapd wrote so far. */
  log(): string;
  /** Applies LDIF with `ldapmodify -a` over ldapi: `config` as the peer-credential root of cn=config, else as the root DN. */
  modify(ldif: string, as?: 'config' | 'root'): Promise<void>;
  /** A client bound as the root DN over ldapi (setup and inspection); unbind it. */
  rootClient(): Promise<Client>;
  /** Deletes `dn` and everything below it, as the root DN (no error when it is absent). */
  removeTree(dn: string): Promise<void>;
  /** Adds entries from `{ dn, attributes }` records as the root DN, in order. */
  addEntries(
    entries: readonly { dn: string; attributes: Record<string, string | string[]> }[],
  ): Promise<void>;
  /** Stops slapd (SIGTERM, SIGKILL after 5 s), keeping ports, configuration and data. */
  stop(): Promise<void>;
  /** Starts it again after {@link stop}; resolves once it answers a bind. */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  close(): Promise<void>;
  /** The suffix entry's contextCSN values (one per provider server ID); [] before any write. */
  contextCsn(): Promise<string[]>;
}

const READY_TIMEOUT_MS = 15_000;

/** `{SSHA}` of a password (salted SHA-1, as slappasswd makes it). */
export function sshaPassword(password: string): string {
  const salt = randomBytes(8);
  const digest = createHash('sha1').update(password).update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

/**
 * An OpenLDAP `.schema` file in cn=config LDIF form (`cn=NAME,cn=schema,cn=config`): the
 * definitions as `olcObjectIdentifier`, `olcAttributeTypes`, `olcObjectClasses`, each on one
 * (folded) line with whitespace runs made single spaces. Comments are dropped.
 */
export function schemaToLdif(schemaText: string, name: string): string {
  const out = [`dn: cn=${name},cn=schema,cn=config`, 'objectClass: olcSchemaConfig', `cn: ${name}`];
  for (const [keyword, body] of schemaDefinitions(schemaText)) {
    const attr = {
      objectidentifier: 'olcObjectIdentifier',
      attributetype: 'olcAttributeTypes',
      objectclass: 'olcObjectClasses',
    }[keyword];
    if (attr === undefined) throw new Error(`schemaToLdif: unsupported keyword ${keyword}`);
    out.push(foldLdif(`${attr}: ${body}`));
  }
  return out.join('\n') + '\n';
}

/** The definitions of a `.schema` file: [lower-case keyword, body with single spaces]. */
export function schemaDefinitions(schemaText: string): [string, string][] {
  const defs: [string, string][] = [];
  let current: string | undefined;
  const flush = (): void => {
    if (current === undefined) return;
    const m = /^(\S+)\s+([\s\S]*)$/.exec(current.trim());
    if (m === null) throw new Error(`schema: cannot read ${JSON.stringify(current)}`);
    defs.push([m[1]!.toLowerCase(), m[2]!.replace(/\s+/g, ' ').trim()]);
    current = undefined;
  };
  for (const line of schemaText.split('\n')) {
    if (line.startsWith('#')) continue;
    if (/^\s/.test(line) && current !== undefined) {
      current += ' ' + line.trim();
      continue;
    }
    flush();
    if (line.trim() !== '') current = line;
  }
  flush();
  return defs;
}

/** Folds an LDIF line at 76 octets (ASCII input), continuation lines starting with a space. */
function foldLdif(line: string): string {
  const parts = [line.slice(0, 76)];
  for (let i = 76; i < line.length; i += 75) parts.push(' ' + line.slice(i, i + 75));
  return parts.join('\n');
}

function firstRdn(dn: string): { type: string; value: string } {
  const m = /^([A-Za-z]+)=([^,]+)/.exec(dn);
  if (m === null) throw new Error(`slapd helper: cannot read the first RDN of ${dn}`);
  return { type: m[1]!, value: m[2]! };
}

function defaultSuffixEntry(suffix: string): string {
  const { type, value } = firstRdn(suffix);
  switch (type.toLowerCase()) {
    case 'dc':
      return `objectClass: top\nobjectClass: dcObject\nobjectClass: organization\ndc: ${value}\no: ${value}`;
    case 'o':
      return `objectClass: top\nobjectClass: organization\no: ${value}`;
    case 'ou':
      return `objectClass: top\nobjectClass: organizationalUnit\nou: ${value}`;
    default:
      throw new Error(`slapd helper: give suffixEntry for ${suffix}`);
  }
}

function configLdif(o: {
  dir: string;
  suffix: string;
  rootDn: string;
  rootPassword: string;
  serviceDn: string;
  pki: { caCert: string; serverCert: string; serverKey: string };
  schemaFiles: readonly string[];
  /** Provider: the replication account (read access, no limits) and syncprov. */
  replicatorDn: string | undefined;
  /** Consumer: its olcSyncrepl and olcUpdateRef. */
  consumer: { syncrepl: string; updateRef: string } | undefined;
  allowUnauthenticatedBind: boolean;
}): string {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const peer = `gidNumber=${gid}+uidNumber=${uid},cn=peercred,cn=external,cn=auth`;
  const replicatorRead =
    o.replicatorDn === undefined ? '' : ` by dn.exact="${o.replicatorDn}" read`;
  const extra = o.schemaFiles.map((f, i) =>
    schemaToLdif(readFileSync(f, 'utf8'), `extra${i}`).trimEnd(),
  );
  return [
    'dn: cn=config',
    'objectClass: olcGlobal',
    'cn: config',
    `olcPidFile: ${path.join(o.dir, 'slapd.pid')}`,
    `olcArgsFile: ${path.join(o.dir, 'slapd.args')}`,
    `olcTLSCACertificateFile: ${o.pki.caCert}`,
    `olcTLSCertificateFile: ${o.pki.serverCert}`,
    `olcTLSCertificateKeyFile: ${o.pki.serverKey}`,
    // 3.3 = TLS 1.2 (OpenLDAP counts SSL 3.0 as 3.0).
    'olcTLSProtocolMin: 3.3',
    'olcLogLevel: none',
    ...(o.allowUnauthenticatedBind ? ['olcAllows: bind_anon_dn'] : []),
    '',
    'dn: cn=module{0},cn=config',
    'objectClass: olcModuleList',
    'cn: module{0}',
    'olcModulePath: /usr/lib/ldap',
    'olcModuleLoad: back_mdb',
    'olcModuleLoad: unique',
    ...(o.replicatorDn === undefined ? [] : ['olcModuleLoad: syncprov']),
    '',
    'dn: cn=schema,cn=config',
    'objectClass: olcSchemaConfig',
    'cn: schema',
    '',
    ...['core', 'cosine', 'inetorgperson', 'nis'].map(
      (s) => `include: file://${path.join(SCHEMA_DIR, `${s}.ldif`)}\n`,
    ),
    `include: file://${SEKISHO_SCHEMA_LDIF}`,
    '',
    ...extra.map((e) => `${e}\n`),
    'dn: olcDatabase={-1}frontend,cn=config',
    'objectClass: olcDatabaseConfig',
    'objectClass: olcFrontendConfig',
    'olcDatabase: {-1}frontend',
    // The root DSE and the schema are readable by anyone (clients discover controls there).
    'olcAccess: {0}to dn.base="" by * read',
    'olcAccess: {1}to dn.base="cn=Subschema" by * read',
    '',
    'dn: olcDatabase={0}config,cn=config',
    'objectClass: olcDatabaseConfig',
    'olcDatabase: {0}config',
    `olcAccess: {0}to * by dn.exact="${peer}" manage by * none`,
    '',
    'dn: olcDatabase={1}mdb,cn=config',
    'objectClass: olcDatabaseConfig',
    'objectClass: olcMdbConfig',
    'olcDatabase: {1}mdb',
    `olcSuffix:${o.suffix === '' ? '' : ` ${o.suffix}`}`,
    `olcRootDN: ${o.rootDn}`,
    `olcRootPW: ${o.rootPassword}`,
    `olcDbDirectory: ${path.join(o.dir, 'data')}`,
    'olcDbMaxSize: 268435456',
    // A test fixture: an fsync per write buys nothing here; SIGTERM still flushes.
    'olcDbNoSync: TRUE',
    'olcDbIndex: objectClass eq',
    // subinitial: the console's search by the start of a user ID or name (searchUsers).
    'olcDbIndex: uid,cn eq,subinitial',
    'olcDbIndex: mail,employeeNumber,serialNumber,dnQualifier eq',
    'olcDbIndex: ssoRoleName eq',
    'olcDbIndex: entryCSN,entryUUID eq',
    `olcLimits: dn.exact="${o.serviceDn}" size=unlimited time=unlimited`,
    ...(o.replicatorDn === undefined
      ? []
      : [`olcLimits: dn.exact="${o.replicatorDn}" size=unlimited time=unlimited`]),
    `olcAccess: {0}to attrs=userPassword by dn.exact="${o.serviceDn}" manage${replicatorRead} by self =x by anonymous auth by * none`,
    `olcAccess: {1}to * by dn.exact="${o.serviceDn}" manage${replicatorRead} by * none`,
    ...(o.consumer === undefined
      ? []
      : [foldLdif(`olcSyncrepl: ${o.consumer.syncrepl}`), `olcUpdateRef: ${o.consumer.updateRef}`]),
    '',
    ...(o.replicatorDn === undefined
      ? []
      : [
          'dn: olcOverlay={0}syncprov,olcDatabase={1}mdb,cn=config',
          'objectClass: olcOverlayConfig',
          'objectClass: olcSyncProvConfig',
          'olcOverlay: {0}syncprov',
          // contextCSN to disk every 100 operations or 1 minute; a session log so that a
          // consumer coming back gets the changes it missed, not a full refresh.
          'olcSpCheckpoint: 100 1',
          'olcSpSessionlog: 10000',
          '',
        ]),
  ].join('\n');
}

function run(file: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

const exited = (child: ChildProcess): boolean =>
  child.exitCode !== null || child.signalCode !== null;

function stopChild(child: ChildProcess): Promise<void> {
  if (exited(child)) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Whether `dn`/`password` can bind at `url` (plain LDAP on loopback, setup only). */
async function canBind(url: string, dn: string, password: string): Promise<boolean> {
  const client = new Client({ url, connectTimeout: 1000, timeout: 1000 });
  try {
    await client.bind(dn, password);
    return true;
  } catch {
    return false;
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

/** Starts slapd; throws with its log when it does not come up. */
export async function startSlapd(options: SlapdOptions = {}): Promise<Slapd> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-slapd-'));
  try {
    return await setUp(dir, options);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

async function setUp(dir: string, options: SlapdOptions): Promise<Slapd> {
  const replication = options.replication;
  const consumerOf = replication?.role === 'consumer' ? replication.provider : undefined;
  const suffix = consumerOf?.suffix ?? options.suffix ?? 'dc=sekisho,dc=test';
  const under = (rdn: string): string => (suffix === '' ? rdn : `${rdn},${suffix}`);
  const rootDn = under('cn=admin');
  const rootPassword = randomBytes(12).toString('base64url');
  // A consumer's service account is the provider's entry, replicated.
  const serviceDn = consumerOf?.serviceDn ?? under('cn=sekisho-service');
  const servicePassword = consumerOf?.servicePassword ?? randomBytes(12).toString('base64url');
  const replicator: ReplicationAccount | undefined =
    replication?.role === 'provider'
      ? { dn: under('cn=replicator'), password: randomBytes(12).toString('base64url') }
      : undefined;
  const pkiDir = consumerOf?.pkiDir ?? path.join(dir, 'pki');
  const pki = makeTestPki(pkiDir);
  const configDir = path.join(dir, 'slapd.d');
  mkdirSync(configDir);
  mkdirSync(path.join(dir, 'data'));
  const servicePasswordFile = path.join(dir, 'service-password');
  writeFileSync(servicePasswordFile, servicePassword + '\n', { mode: 0o600 });

  let consumer: { syncrepl: string; updateRef: string } | undefined;
  if (consumerOf !== undefined) {
    const account = consumerOf.replicator;
    if (account === undefined) throw new Error('slapd helper: the provider must be a provider');
    const starttls = replication?.role === 'consumer' && replication.transport === 'starttls';
    const providerUrl = starttls ? consumerOf.url : consumerOf.ldapsUrl;
    consumer = {
      syncrepl: [
        'rid=001',
        `provider=${providerUrl}`,
        'bindmethod=simple',
        `binddn="${account.dn}"`,
        `credentials=${account.password}`,
        `searchbase="${suffix}"`,
        'type=refreshAndPersist',
        // Retry every second, forever: the provider going down is a test case.
        'retry="1 +"',
        'timeout=1',
        'network-timeout=2',
        ...(starttls ? ['starttls=critical'] : []),
        `tls_cacert=${consumerOf.caFile}`,
        'tls_reqcert=demand',
      ].join(' '),
      updateRef: consumerOf.ldapsUrl,
    };
  }

  writeFileSync(
    path.join(dir, 'config.ldif'),
    configLdif({
      dir,
      suffix,
      rootDn,
      rootPassword,
      serviceDn,
      pki,
      schemaFiles: options.schemaFiles ?? [],
      replicatorDn: replicator?.dn,
      consumer,
      allowUnauthenticatedBind: options.allowUnauthenticatedBind ?? false,
    }),
  );
  await run(SLAPADD, ['-n', '0', '-F', configDir, '-l', path.join(dir, 'config.ldif')]);
  if (consumerOf === undefined) {
    const data = [
      // The null suffix (every DN) has no top entry.
      ...(suffix === ''
        ? []
        : [`dn: ${suffix}\n${options.suffixEntry ?? defaultSuffixEntry(suffix)}`]),
      `dn: ${serviceDn}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: sekisho-service\nuserPassword: ${sshaPassword(servicePassword)}`,
      ...(replicator === undefined
        ? []
        : [
            `dn: ${replicator.dn}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: replicator\nuserPassword: ${sshaPassword(replicator.password)}`,
          ]),
      ...(options.data === undefined ? [] : [options.data.trim()]),
    ].join('\n\n');
    writeFileSync(path.join(dir, 'data.ldif'), data + '\n');
    await run(SLAPADD, ['-F', configDir, '-b', suffix, '-l', path.join(dir, 'data.ldif')]);
    if (options.dataFile !== undefined) {
      // -q: no consistency checks and one transaction per batch (an offline bulk load).
      await run(SLAPADD, ['-q', '-F', configDir, '-b', suffix, '-l', options.dataFile]);
    }
  }

  const socket = path.join(dir, 'ldapi');
  const ldapiUrl = `ldapi://${encodeURIComponent(socket)}`;
  const out = { log: '' };

  const spawnSlapd = async (ldapPort: number, ldapsPort: number): Promise<ChildProcess> => {
    const child = spawn(
      SLAPD,
      [
        '-d',
        options.stats === true ? 'stats' : '0',
        '-F',
        configDir,
        '-h',
        `ldap://127.0.0.1:${ldapPort}/ ldaps://127.0.0.1:${ldapsPort}/ ${ldapiUrl}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    for (const stream of [child.stdout, child.stderr]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        out.log += chunk;
      });
    }
    await new Promise<void>((resolve) => {
      child.once('spawn', resolve);
      child.once('error', (e) => {
        out.log += String(e);
        resolve();
      });
    });
    const url = `ldap://127.0.0.1:${ldapPort}`;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!exited(child) && Date.now() < deadline) {
      if (await canBind(url, serviceDn, servicePassword)) return child;
      await new Promise((r) => setTimeout(r, 25));
    }
    await stopChild(child);
    throw new Error(`slapd did not start on ${ldapPort}/${ldapsPort}:\n${out.log}`);
  };

  let child: ChildProcess | undefined;
  let ldapPort = 0;
  let ldapsPort = 0;
  for (let attempt = 0; child === undefined; attempt++) {
    ldapPort = await freePort();
    ldapsPort = await freePort();
    try {
      child = await spawnSlapd(ldapPort, ldapsPort);
    } catch (e) {
      if (attempt >= 4 || !/Address already in use|errno=98/.test(out.log)) throw e;
    }
  }
  let current: ChildProcess = child;

  const modify = (ldif: string, as: 'config' | 'root' = 'root'): Promise<void> =>
    run(
      LDAPMODIFY,
      as === 'config'
        ? ['-a', '-Q', '-Y', 'EXTERNAL', '-H', ldapiUrl]
        : ['-a', '-x', '-H', ldapiUrl, '-D', rootDn, '-w', rootPassword],
      ldif,
    ).then(() => undefined);

  const rootClient = async (): Promise<Client> => {
    // ldapts speaks ldap:// and ldaps:// only: hand it the Unix socket as its transport.
    const client = new Client({
      url: 'ldap://localhost',
      timeout: 5000,
      createConnection: () => net.connect(socket),
    });
    await client.bind(rootDn, rootPassword);
    return client;
  };

  return {
    url: `ldap://127.0.0.1:${ldapPort}`,
    ldapsUrl: `ldaps://127.0.0.1:${ldapsPort}`,
    ldapiUrl,
    dir,
    caFile: pki.caCert,
    pkiDir,
    replicator,
    suffix,
    rootDn,
    rootPassword,
    serviceDn,
    servicePassword,
    servicePasswordFile,
    log: () => out.log,
    modify,
    rootClient,
    removeTree: async (dn) => {
      const client = await rootClient();
      try {
        const { searchEntries } = await client
          .search(dn, { scope: 'sub', attributes: ['1.1'] })
          .catch((e: unknown) => {
            if (e instanceof NoSuchObjectError) return { searchEntries: [] };
            throw e;
          });
        // Deepest first: more RDNs, longer DN.
        const dns = searchEntries.map((e) => e.dn).sort((a, b) => b.length - a.length);
        for (const d of dns) await client.del(d);
      } finally {
        await client.unbind();
      }
    },
    addEntries: async (entries) => {
      const client = await rootClient();
      try {
        for (const e of entries) await client.add(e.dn, e.attributes);
      } finally {
        await client.unbind();
      }
    },
    stop: () => stopChild(current),
    start: async () => {
      await stopChild(current);
      current = await spawnSlapd(ldapPort, ldapsPort);
    },
    close: async () => {
      await stopChild(current);
      rmSync(dir, { recursive: true, force: true });
    },
    contextCsn: async () => {
      const client = await rootClient();
      try {
        const { searchEntries } = await client
          .search(suffix, { scope: 'base', attributes: ['contextCSN'] })
          .catch((e: unknown) => {
            if (e instanceof NoSuchObjectError) return { searchEntries: [] };
            throw e;
          });
        const v = searchEntries[0]?.['contextCSN'];
        return (v === undefined ? [] : Array.isArray(v) ? v : [v]).map(String).sort();
      } finally {
        await client.unbind();
      }
    },
  };
}

/** The server ID of a CSN (`YYYYmmddHHMMSS.uuuuuuZ#count#sid#mod`). */
const csnSid = (csn: string): string => csn.split('#')[2] ?? '';

/**
 * Resolves once `consumer` holds every change `provider` had made when called: for each of the
 * provider's contextCSN values, the consumer has the same server ID at that CSN or later
 * (CSNs compare as strings). Polls every 10 ms; rejects after `timeoutMs` with both values.
 */
export async function waitForReplication(
  consumer: Slapd,
  provider: Slapd,
  timeoutMs = 15_000,
): Promise<void> {
  const want = await provider.contextCsn();
  const deadline = Date.now() + timeoutMs;
  let have: string[] = [];
  for (;;) {
    have = await consumer.contextCsn().catch(() => []);
    if (want.every((w) => have.some((h) => csnSid(h) === csnSid(w) && h >= w))) return;
    if (Date.now() > deadline) {
      throw new Error(
        `consumer did not catch up within ${timeoutMs} ms: provider ${want.join(' ')}, consumer ${have.join(' ')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * The DNs of the simple binds in a `stats` log ({@link SlapdOptions.stats}), in order, lower
 * case: one per bind request that reached the server.
 */
export function simpleBinds(log: string): string[] {
  return [...log.matchAll(/ BIND dn="([^"]*)" method=128$/gm)].map((m) => m[1]!.toLowerCase());
}
