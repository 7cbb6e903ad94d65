/**
 * SqliteServiceIdStore: the wrapped service ID on node:sqlite (`ServiceIdStore`,
 * src/sso/ports/service-id-store.ts).
 *
 * Schema: `sso_service_id`, one row at most (`id` = 1): `wrapped` (BLOB, nonce | ciphertext |
 * tag), `kcv` (the wrapping KEK's check value), `created_at` (epoch milliseconds), `generation`
 * (≥ 1). `put` is one conditional statement (INSERT … ON CONFLICT DO NOTHING when nothing is
 * expected, UPDATE … WHERE generation = expected otherwise), atomic across connections and
 * processes. The caller owns the database (openDatabase in ./database.ts). The promises
 * resolve at once: node:sqlite is synchronous.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import {
  checkWrappedServiceId,
  type ServiceIdStore,
  type WrappedServiceId,
} from '../../sso/ports/service-id-store.ts';

function corrupt(what: string): Error {
  return new Error(`corrupt store: sso_service_id ${what}`);
}

export class SqliteServiceIdStore implements ServiceIdStore {
  private readonly select: StatementSync;
  private readonly insert: StatementSync;
  private readonly update: StatementSync;

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
    this.insert = db.prepare(`
      INSERT INTO sso_service_id (id, wrapped, kcv, created_at, generation)
      VALUES (1, :wrapped, :kcv, :created_at, :generation)
      ON CONFLICT (id) DO NOTHING
    `);
    this.update = db.prepare(`
      UPDATE sso_service_id SET
        wrapped = :wrapped, kcv = :kcv, created_at = :created_at, generation = :generation
      WHERE id = 1 AND generation = :expected
    `);
  }

  // async: a synchronous failure of node:sqlite becomes a rejection, as the port promises.
  // eslint-disable-next-line @typescript-eslint/require-await
  async get(): Promise<WrappedServiceId | undefined> {
    return this.read();
  }

  private read(): WrappedServiceId | undefined {
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

  // eslint-disable-next-line @typescript-eslint/require-await
  async put(w: WrappedServiceId, expected: number | undefined): Promise<boolean> {
    return this.write(w, expected);
  }

  private write(w: WrappedServiceId, expected: number | undefined): boolean {
    checkWrappedServiceId(w);
    const row = {
      wrapped: w.wrapped,
      kcv: w.kcv,
      created_at: w.createdAt.getTime(),
      generation: w.generation,
    };
    const changes =
      expected === undefined
        ? this.insert.run(row).changes
        : this.update.run({ ...row, expected }).changes;
    return Number(changes) === 1;
  }
}
