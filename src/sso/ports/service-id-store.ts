/**
 * The port through which the SSO domain keeps the service ID, wrapped by the KEK (DESIGN.md
 * "Service ID"; src/sso/core/service-id.ts). One value at a time.
 *
 * Asynchronous, because a store may be shared by several nodes over the network (Redis,
 * src/storage/redis/service-id-store.ts) as well as embedded (node:sqlite). `put` is a
 * compare-and-set on the generation, atomic across processes and nodes: two nodes that run
 * `ssoupsid` at the same moment cannot silently overwrite each other's service ID.
 */

/** The service ID as stored: never in clear. */
export interface WrappedServiceId {
  /** nonce (12 bytes) | AES-256-GCM ciphertext of the 32-byte service ID | tag (16 bytes). */
  readonly wrapped: Uint8Array;
  /** Key check value of the KEK that wrapped it (src/keyservers/kek.ts `kcvOf`). */
  readonly kcv: string;
  /** When this service ID was generated (kept across re-wrapping). */
  readonly createdAt: Date;
  /** 1 for the first service ID, +1 at every regeneration (`ssoupsid`). */
  readonly generation: number;
}

export interface ServiceIdStore {
  /** The stored service ID, or undefined before the first one is generated. */
  get(): Promise<WrappedServiceId | undefined>;
  /**
   * Stores `w` only if the stored value's generation is `expected` (undefined: only if nothing
   * is stored), in one atomic step. Resolves true when stored; false when another writer came
   * first (the stored value is then left as that writer put it). A regeneration passes the
   * generation it replaces, a re-wrap the generation it re-wraps.
   * @throws RangeError when `w.generation` is not a positive integer or `w.createdAt` invalid.
   */
  put(w: WrappedServiceId, expected: number | undefined): Promise<boolean>;
}

/** Checks what every adapter refuses to store. */
export function checkWrappedServiceId(w: WrappedServiceId): void {
  if (!Number.isSafeInteger(w.createdAt.getTime())) {
    throw new RangeError('createdAt is not a valid date');
  }
  if (!Number.isSafeInteger(w.generation) || w.generation < 1) {
    throw new RangeError(`generation must be a positive integer, got ${w.generation}`);
  }
}
