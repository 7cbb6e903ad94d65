/** SqliteKeyServerStore: key servers, type settings, nodes, system certificate, encryption state. */
import type { DatabaseSync } from 'node:sqlite';
import type {
  EncryptionState,
  KeyServerSettings,
  KeyServerSnapshot,
  KeyServerStore,
  NewKeyServer,
  SystemCertificate,
} from '../../keyservers/ports.ts';
import {
  KEY_SERVER_STATUSES,
  KEY_SERVER_TYPES,
  type ClusterNode,
  type KeyServer,
  type KeyServerStatus,
  type KeyServerType,
  type KeyServerTypeConfig,
  type NodeValidation,
} from '../../keyservers/types.ts';
import { atomically } from './database.ts';

interface KeyServerRow {
  id: number;
  name: string;
  ip: string;
  port: number;
  type: string;
  is_primary: number;
  cert_pem: string | null;
  status: string;
  err_seq_num: number | null;
  last_validation: string | null;
}

function oneOf<T extends string>(values: readonly T[], v: string, what: string): T {
  if (!(values as readonly string[]).includes(v)) throw new Error(`corrupt store: ${what} ${v}`);
  return v as T;
}

/** Validation results as stored (JSON with ISO dates and hex sense). */
function encodeValidation(results: readonly NodeValidation[]): string {
  return JSON.stringify(results, (_k, v: unknown) =>
    v instanceof Uint8Array ? { hex: Buffer.from(v).toString('hex') } : v,
  );
}

function decodeValidation(text: string | null): NodeValidation[] {
  if (!text) return [];
  const raw = JSON.parse(text, (k, v: unknown) => {
    if (k === 'startedAt' && typeof v === 'string') return new Date(v);
    if (k === 'sense' && typeof v === 'object' && v !== null && 'hex' in v) {
      return new Uint8Array(Buffer.from(String(v.hex), 'hex'));
    }
    return v;
  }) as unknown;
  return Array.isArray(raw) ? (raw as NodeValidation[]) : [];
}

const DEFAULT_NODE: ClusterNode = { id: '1', name: 'node1', ipv4: 'any', ipv6: 'any' };

export class SqliteKeyServerStore implements KeyServerStore {
  private readonly db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.db = db;
    db.exec(`
      CREATE TABLE IF NOT EXISTS key_servers (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        ip TEXT NOT NULL,
        port INTEGER NOT NULL,
        type TEXT NOT NULL,
        is_primary INTEGER NOT NULL DEFAULT 0,
        cert_pem TEXT,
        status TEXT NOT NULL DEFAULT 'offline',
        err_seq_num INTEGER,
        last_validation TEXT
      );
      CREATE UNIQUE INDEX IF NOT EXISTS key_servers_one_primary ON key_servers(is_primary) WHERE is_primary = 1;
      CREATE TABLE IF NOT EXISTS key_server_types (
        type TEXT PRIMARY KEY,
        enabled INTEGER NOT NULL DEFAULT 0,
        device_group TEXT,
        ca_cert_pem TEXT,
        username TEXT,
        password TEXT
      );
      CREATE TABLE IF NOT EXISTS nodes (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        ipv4 TEXT,
        ipv6 TEXT
      );
      CREATE TABLE IF NOT EXISTS kv (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `);
    if (this.listNodes().length === 0) this.putNode(DEFAULT_NODE);
  }

  transaction<T>(fn: () => T): T {
    return atomically(this.db, fn);
  }

  private static row(r: KeyServerRow): KeyServer {
    return {
      id: r.id,
      name: r.name,
      ip: r.ip,
      port: r.port,
      type: oneOf(KEY_SERVER_TYPES, r.type, 'key server type'),
      primary: r.is_primary === 1,
      certPem: r.cert_pem ?? undefined,
      status: oneOf<KeyServerStatus>(KEY_SERVER_STATUSES, r.status, 'key server status'),
      errSeqNum: r.err_seq_num ?? undefined,
      lastValidation: decodeValidation(r.last_validation),
    };
  }

  listKeyServers(): KeyServer[] {
    const rows = this.db
      .prepare('SELECT * FROM key_servers ORDER BY id')
      .all() as unknown as KeyServerRow[];
    return rows.map((r) => SqliteKeyServerStore.row(r));
  }

  getKeyServer(id: number): KeyServer | undefined {
    const r = this.db.prepare('SELECT * FROM key_servers WHERE id = ?').get(id) as
      KeyServerRow | undefined;
    return r ? SqliteKeyServerStore.row(r) : undefined;
  }

  insertKeyServer(k: NewKeyServer): KeyServer {
    const all = this.listKeyServers();
    const ids = new Set(all.map((x) => x.id));
    let id = 0;
    while (ids.has(id)) id++;
    let name = k.name ?? `keyserver${id}`;
    for (let i = 1; k.name === undefined && all.some((x) => x.name === name); i++) {
      name = `keyserver${id}_${i}`;
    }
    this.db
      .prepare(
        'INSERT INTO key_servers (id, name, ip, port, type, is_primary, cert_pem, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(id, name, k.ip, k.port, k.type, k.primary ? 1 : 0, k.certPem ?? null, 'offline');
    return this.getKeyServer(id)!;
  }

  updateKeyServer(k: KeyServer): void {
    this.db
      .prepare(
        'UPDATE key_servers SET name = ?, ip = ?, port = ?, type = ?, is_primary = ?, cert_pem = ?, status = ?, err_seq_num = ? WHERE id = ?',
      )
      .run(
        k.name,
        k.ip,
        k.port,
        k.type,
        k.primary ? 1 : 0,
        k.certPem ?? null,
        k.status,
        k.errSeqNum ?? null,
        k.id,
      );
  }

  deleteKeyServer(id: number): void {
    this.db.prepare('DELETE FROM key_servers WHERE id = ?').run(id);
  }

  saveValidation(id: number, results: readonly NodeValidation[], status: KeyServerStatus): void {
    this.db
      .prepare('UPDATE key_servers SET last_validation = ?, status = ? WHERE id = ?')
      .run(encodeValidation(results), status, id);
  }

  getTypeConfig(type: KeyServerType): KeyServerTypeConfig {
    const r = this.db.prepare('SELECT * FROM key_server_types WHERE type = ?').get(type) as
      | {
          enabled: number;
          device_group: string | null;
          ca_cert_pem: string | null;
          username: string | null;
          password: string | null;
        }
      | undefined;
    if (!r)
      return { type, enabled: false, ...(type === 'isklm' ? { deviceGroup: 'SEKISHO' } : {}) };
    return {
      type,
      enabled: r.enabled === 1,
      ...(r.device_group === null ? {} : { deviceGroup: r.device_group }),
      ...(r.ca_cert_pem === null ? {} : { caCertPem: r.ca_cert_pem }),
      ...(r.username === null ? {} : { username: r.username }),
      ...(r.password === null ? {} : { password: r.password }),
    };
  }

  putTypeConfig(c: KeyServerTypeConfig): void {
    this.db
      .prepare(
        `INSERT INTO key_server_types (type, enabled, device_group, ca_cert_pem, username, password)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(type) DO UPDATE SET enabled = excluded.enabled, device_group = excluded.device_group,
           ca_cert_pem = excluded.ca_cert_pem, username = excluded.username, password = excluded.password`,
      )
      .run(
        c.type,
        c.enabled ? 1 : 0,
        c.deviceGroup ?? null,
        c.caCertPem ?? null,
        c.username ?? null,
        c.password ?? null,
      );
  }

  listNodes(): ClusterNode[] {
    const rows = this.db.prepare('SELECT * FROM nodes ORDER BY id').all() as unknown as {
      id: string;
      name: string;
      ipv4: string | null;
      ipv6: string | null;
    }[];
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      ipv4: r.ipv4 ?? undefined,
      ipv6: r.ipv6 ?? undefined,
    }));
  }

  putNode(n: ClusterNode): void {
    this.db
      .prepare(
        `INSERT INTO nodes (id, name, ipv4, ipv6) VALUES (?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, ipv4 = excluded.ipv4, ipv6 = excluded.ipv6`,
      )
      .run(n.id, n.name, n.ipv4 ?? null, n.ipv6 ?? null);
  }

  /** Removes a node record (rmnode; a cluster node taking over one machine's only node). */
  deleteNode(id: string): void {
    this.db.prepare('DELETE FROM nodes WHERE id = ?').run(id);
  }

  /**
   * The generation and epoch of a cluster's shared state this database mirrors (0 and '':
   * none), for the cluster named `where` (another cluster's generation means nothing here).
   */
  mirrorGeneration(where: string): { readonly gen: number; readonly epoch: string } {
    const v = this.getKv('cluster_generation') as
      { where: string; gen: number; epoch?: string } | undefined;
    return v !== undefined && v.where === where && Number.isSafeInteger(v.gen)
      ? { gen: v.gen, epoch: v.epoch ?? '' }
      : { gen: 0, epoch: '' };
  }

  setMirrorGeneration(where: string, gen: number, epoch: string): void {
    this.putKv('cluster_generation', { where, gen, epoch });
  }

  private getKv(key: string): unknown {
    const r = this.db.prepare('SELECT value FROM kv WHERE key = ?').get(key) as
      { value: string } | undefined;
    return r ? (JSON.parse(r.value) as unknown) : undefined;
  }

  private putKv(key: string, value: unknown): void {
    this.db
      .prepare(
        'INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      )
      .run(key, JSON.stringify(value));
  }

  getSystemCertificate(): SystemCertificate | undefined {
    const v = this.getKv('system_certificate') as SystemCertificate | undefined;
    return v;
  }

  putSystemCertificate(c: SystemCertificate): void {
    this.putKv('system_certificate', c);
  }

  getEncryption(): EncryptionState {
    const v = this.getKv('encryption') as
      | {
          keyServerEnabled: boolean;
          kcv: string | null;
          kekUids: [number, string][];
          generation: number;
        }
      | undefined;
    if (!v) return { keyServerEnabled: false, kcv: undefined, kekUids: new Map(), generation: 0 };
    return {
      keyServerEnabled: v.keyServerEnabled,
      kcv: v.kcv ?? undefined,
      kekUids: new Map(v.kekUids),
      generation: v.generation,
    };
  }

  putEncryption(e: EncryptionState): void {
    this.putKv('encryption', {
      keyServerEnabled: e.keyServerEnabled,
      kcv: e.kcv ?? null,
      kekUids: [...e.kekUids],
      generation: e.generation,
    });
  }

  getSettings(): KeyServerSettings {
    const v = this.getKv('keyserver_settings') as Partial<KeyServerSettings> | undefined;
    return { validationIntervalMinutes: 15, validationTimeoutSeconds: 10, ...v };
  }

  putSettings(s: KeyServerSettings): void {
    this.putKv('keyserver_settings', s);
  }

  /** Everything a cluster shares (docs/cluster.md), as one value. */
  snapshot(): KeyServerSnapshot {
    const stored = new Set(
      (
        this.db.prepare('SELECT type FROM key_server_types').all() as unknown as {
          type: string;
        }[]
      ).map((r) => r.type),
    );
    return {
      keyServers: this.listKeyServers(),
      types: KEY_SERVER_TYPES.filter((t) => stored.has(t)).map((t) => this.getTypeConfig(t)),
      nodes: this.listNodes(),
      systemCertificate: this.getSystemCertificate(),
      encryption: this.getEncryption(),
      settings: this.getSettings(),
    };
  }

  /** Replaces everything a cluster shares with `s`, in one transaction. */
  restore(s: KeyServerSnapshot): void {
    this.transaction(() => {
      this.db.exec('DELETE FROM key_servers; DELETE FROM key_server_types; DELETE FROM nodes');
      this.db.prepare("DELETE FROM kv WHERE key IN ('system_certificate')").run();
      for (const k of s.keyServers) {
        this.db
          .prepare(
            `INSERT INTO key_servers (id, name, ip, port, type, is_primary, cert_pem, status, err_seq_num, last_validation)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            k.id,
            k.name,
            k.ip,
            k.port,
            k.type,
            k.primary ? 1 : 0,
            k.certPem ?? null,
            k.status,
            k.errSeqNum ?? null,
            encodeValidation(k.lastValidation),
          );
      }
      for (const t of s.types) this.putTypeConfig(t);
      for (const n of s.nodes) this.putNode(n);
      if (s.systemCertificate !== undefined) this.putSystemCertificate(s.systemCertificate);
      this.putEncryption(s.encryption);
      this.putSettings(s.settings);
    });
  }
}
