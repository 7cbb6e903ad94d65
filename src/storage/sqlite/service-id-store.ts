/**
 * SqliteServiceIdStore: the wrapped service ID on node:sqlite (`ServiceIdStore`,
 * src/sso/ports/service-id-store.ts).
 *
 * Schema: `sso_service_id`, one row at most (`id` = 1): `wrapped` (BLOB, nonce | ciphertext |
 * tag), `kcv` (the wrapping KEK's check value), `created_at` (epoch milliseconds), `generation`
 * (≥ 1). `put` is one upsert, atomic across connections and processes. The caller owns the
 * database (openDatabase in ./database.ts).
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { ServiceIdStore, WrappedServiceId } from '../../sso/ports/service-id-store.ts';

function corrupt(what: string): Error {
  return new Error(`corrupt store: sso_service_id ${what}`);
}

export class SqliteServiceIdStore implements ServiceIdStore {
  private readonly select: StatementSync;
  private readonly upsert: StatementSync;

  constructor(db: DatabaseSync) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS sso_service_id (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        wrapped BLOB NOT NULL,
        kcv TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        generation INTEGER NOT NULL CHECK (generation >= 1)
      ) STRICT;
    `);
    this.select = db.prepare(
      'SELECT wrapped, kcv, created_at, generation FROM sso_service_id WHERE id = 1',
    );
    this.upsert = db.prepare(`
      INSERT INTO sso_service_id (id, wrapped, kcv, created_at, generation)
      VALUES (1, :wrapped, :kcv, :created_at, :generation)
      ON CONFLICT (id) DO UPDATE SET
        wrapped = excluded.wrapped,
        kcv = excluded.kcv,
        created_at = excluded.created_at,
        generation = excluded.generation
    `);
  }

  get(): WrappedServiceId | undefined {
    const row = this.select.get();
    if (row === undefined) return undefined;
    const { wrapped, kcv, created_at: createdAt, generation } = row;
    if (!(wrapped instanceof Uint8Array)) throw corrupt('wrapped is not a blob');
    if (typeof kcv !== 'string') throw corrupt('kcv is not text');
    if (typeof createdAt !== 'number' || !Number.isSafeInteger(createdAt)) {
      throw corrupt('created_at is not an integer');
    }
    if (typeof generation !== 'number' || !Number.isSafeInteger(generation) || generation < 1) {
      throw corrupt('generation is not a positive integer');
    }
    return { wrapped: new Uint8Array(wrapped), kcv, createdAt: new Date(createdAt), generation };
  }

  put(w: WrappedServiceId): void {
    const createdAt = w.createdAt.getTime();
    if (!Number.isSafeInteger(createdAt)) throw new RangeError('createdAt is not a valid date');
    if (!Number.isSafeInteger(w.generation) || w.generation < 1) {
      throw new RangeError(`generation must be a positive integer, got ${w.generation}`);
    }
    this.upsert.run({
      wrapped: w.wrapped,
      kcv: w.kcv,
      created_at: createdAt,
      generation: w.generation,
    });
  }
}
