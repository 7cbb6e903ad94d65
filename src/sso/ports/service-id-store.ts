/**
 * The port through which the SSO domain keeps the service ID, wrapped by the KEK (DESIGN.md
 * "Service ID"; src/sso/core/service-id.ts). One value at a time: `put` replaces it.
 * Synchronous, as the embedded store (node:sqlite) is.
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
  get(): WrappedServiceId | undefined;
  /** Stores `w`, replacing any previous value. */
  put(w: WrappedServiceId): void;
}
