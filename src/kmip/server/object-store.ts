/**
 * Where the KMIP server keeps managed objects. Two adapters: memory (tests, benchmarks) and
 * node:sqlite (the persistent default of `sekisho kmip-server`). Both store the object and
 * its attributes as encoded TTLV, so anything a client registers comes back byte for byte.
 */
import { DatabaseSync } from 'node:sqlite';
import { KmipError } from '../errors.ts';
import { decodeTtlv, encodeTtlv, type TtlvStructure } from '../ttlv/index.ts';
import { Tag } from '../spec/index.ts';
import { encodeAttribute, parseAttribute, type Attribute } from '../messages/attributes.ts';
import { struct } from '../messages/nodes.ts';

export interface StoredObject {
  readonly uid: string;
  /** Client identity (certificate CN) that owns the object. */
  readonly owner: string;
  readonly objectType: number;
  /** State enumeration value (1 Pre-Active, 2 Active, 3 Deactivated, 4 Compromised, 5 Destroyed, …). */
  readonly state: number;
  /** The object structure (Symmetric Key, Secret Data, …); absent once destroyed. */
  readonly object: TtlvStructure | undefined;
  readonly attributes: readonly Attribute[];
}

export interface KmipObjectStore {
  insert(o: StoredObject): void;
  get(uid: string): StoredObject | undefined;
  update(o: StoredObject): void;
  /** Every object of `owner`, in insertion order. */
  list(owner: string): StoredObject[];
  close(): void;
}

export class MemoryObjectStore implements KmipObjectStore {
  private readonly objects = new Map<string, StoredObject>();
  insert(o: StoredObject): void {
    if (this.objects.has(o.uid)) throw new KmipError('KMIP_STORE_FAILED', `object ${o.uid} exists`);
    this.objects.set(o.uid, o);
  }
  get(uid: string): StoredObject | undefined {
    return this.objects.get(uid);
  }
  update(o: StoredObject): void {
    if (!this.objects.has(o.uid)) throw new KmipError('KMIP_STORE_FAILED', `no object ${o.uid}`);
    this.objects.set(o.uid, o);
  }
  list(owner: string): StoredObject[] {
    return [...this.objects.values()].filter((o) => o.owner === owner);
  }
  close(): void {
    this.objects.clear();
  }
}

const ATTRS_TAG = Tag.TemplateAttribute;

function encodeAttributes(attrs: readonly Attribute[]): Buffer {
  return encodeTtlv(struct(ATTRS_TAG, attrs.map(encodeAttribute)));
}

function decodeAttributes(bytes: Uint8Array): Attribute[] {
  const node = decodeTtlv(bytes, { maxBytes: 64 * 1024 * 1024 });
  if (node.type !== 'Structure') throw new KmipError('KMIP_STORE_FAILED', 'corrupt attributes');
  return node.value.map((n) => {
    if (n.type !== 'Structure') throw new KmipError('KMIP_STORE_FAILED', 'corrupt attribute');
    return parseAttribute(n);
  });
}

interface Row {
  uid: string;
  owner: string;
  object_type: number;
  state: number;
  object: Uint8Array | null;
  attributes: Uint8Array;
}

/** Persistent store in one SQLite file (WAL, synchronous FULL: a created key is never lost). */
export class SqliteObjectStore implements KmipObjectStore {
  private readonly db: DatabaseSync;
  private readonly stmts;

  constructor(path: string) {
    this.db = new DatabaseSync(path);
    this.db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = FULL;
      CREATE TABLE IF NOT EXISTS kmip_objects (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        uid TEXT NOT NULL UNIQUE,
        owner TEXT NOT NULL,
        object_type INTEGER NOT NULL,
        state INTEGER NOT NULL,
        object BLOB,
        attributes BLOB NOT NULL
      );
      CREATE INDEX IF NOT EXISTS kmip_objects_owner ON kmip_objects(owner);
    `);
    this.stmts = {
      insert: this.db.prepare(
        'INSERT INTO kmip_objects (uid, owner, object_type, state, object, attributes) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      get: this.db.prepare(
        'SELECT uid, owner, object_type, state, object, attributes FROM kmip_objects WHERE uid = ?',
      ),
      update: this.db.prepare(
        'UPDATE kmip_objects SET state = ?, object = ?, attributes = ? WHERE uid = ?',
      ),
      list: this.db.prepare(
        'SELECT uid, owner, object_type, state, object, attributes FROM kmip_objects WHERE owner = ? ORDER BY seq',
      ),
    };
  }

  private static fromRow(r: Row): StoredObject {
    let object: TtlvStructure | undefined;
    if (r.object) {
      const n = decodeTtlv(r.object, { maxBytes: 64 * 1024 * 1024 });
      if (n.type !== 'Structure') throw new KmipError('KMIP_STORE_FAILED', 'corrupt object');
      object = n;
    }
    return {
      uid: r.uid,
      owner: r.owner,
      objectType: r.object_type,
      state: r.state,
      object,
      attributes: decodeAttributes(r.attributes),
    };
  }

  insert(o: StoredObject): void {
    this.stmts.insert.run(
      o.uid,
      o.owner,
      o.objectType,
      o.state,
      o.object ? encodeTtlv(o.object) : null,
      encodeAttributes(o.attributes),
    );
  }

  get(uid: string): StoredObject | undefined {
    const r = this.stmts.get.get(uid) as Row | undefined;
    return r ? SqliteObjectStore.fromRow(r) : undefined;
  }

  update(o: StoredObject): void {
    const res = this.stmts.update.run(
      o.state,
      o.object ? encodeTtlv(o.object) : null,
      encodeAttributes(o.attributes),
      o.uid,
    );
    if (res.changes !== 1) throw new KmipError('KMIP_STORE_FAILED', `no object ${o.uid}`);
  }

  list(owner: string): StoredObject[] {
    return (this.stmts.list.all(owner) as unknown as Row[]).map((r) =>
      SqliteObjectStore.fromRow(r),
    );
  }

  close(): void {
    this.db.close();
  }
}
