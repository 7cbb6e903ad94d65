/**
 * The key-encryption key (KEK) that wraps Sekisho's secrets. Before key servers are enabled
 * it lives in a local file (and `sekisho start` warns loudly). Once enabled it is created on
 * the primary key server; with the generic `kmip` type it is also registered on every other
 * key server (ISKLM and CipherTrust replicate it themselves). It is read from the primary
 * first, then the others; when none answers, the copy held in memory keeps Sekisho working
 * until restart.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { attr, CryptographicAlgorithm, KeyFormatType, type KmipClient } from '../kmip/index.ts';
import { KeyServerError } from './errors.ts';
import type { EncryptionState, KeyServerStore } from './ports.ts';
import type { KeyServer } from './types.ts';

export const KEK_BYTES = 32;
/** Encrypt | Decrypt | Wrap Key | Unwrap Key (KMIP 1.4 §9.1.3.3.1). */
const KEK_USAGE = 0x04 | 0x08 | 0x10 | 0x20;

/** Key check value: hex of the first 3 bytes of AES-256-ECB(key, 16 zero bytes). */
export function kcvOf(key: Uint8Array): string {
  if (key.length !== KEK_BYTES)
    throw new RangeError(`a KEK is 32 bytes (AES-256), got ${key.length}`);
  const c = createCipheriv('aes-256-ecb', key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(Buffer.alloc(16)), c.final()])
    .subarray(0, 3)
    .toString('hex');
}

export interface KekDeps {
  readonly store: KeyServerStore;
  /** Path of the local KEK file (32 bytes, owner-only). */
  readonly localKekPath: string;
  /** Opens a KMIP client to a key server from this node. */
  readonly connect: (ks: KeyServer) => Promise<KmipClient>;
}

/** Called when the KEK changes, to re-wrap what the old one protected. */
export type KekChangeListener = (oldKek: Uint8Array, newKek: Uint8Array) => Promise<void>;

export interface KekReadReport {
  readonly kek: Uint8Array;
  /** Where it came from: the local file, a key server (its id), or the memory cache. */
  readonly from: 'local_file' | 'memory' | number;
  /** Key servers that failed to provide it, with why. */
  readonly failures: readonly { readonly keyServerId: number; readonly reason: string }[];
}

export class KekService {
  private readonly deps: KekDeps;
  private cached: Uint8Array | undefined;
  private readonly listeners: KekChangeListener[] = [];

  constructor(deps: KekDeps) {
    this.deps = deps;
  }

  onChange(listener: KekChangeListener): void {
    this.listeners.push(listener);
  }

  /** True when the KEK is held in memory (it can survive the loss of every key server). */
  get isCached(): boolean {
    return this.cached !== undefined;
  }

  private localKek(): Uint8Array {
    const p = this.deps.localKekPath;
    if (!existsSync(p)) {
      const tmp = `${p}.tmp`;
      writeFileSync(tmp, randomBytes(KEK_BYTES), { mode: 0o600 });
      renameSync(tmp, p);
    }
    const k = readFileSync(p);
    if (k.length !== KEK_BYTES) {
      throw new KeyServerError(
        'KEYSERVER_KEK_UNAVAILABLE',
        `${p} does not hold a ${KEK_BYTES}-byte key`,
      );
    }
    return new Uint8Array(k);
  }

  private writeLocalKek(kek: Uint8Array): void {
    const p = this.deps.localKekPath;
    const tmp = `${p}.tmp`;
    writeFileSync(tmp, kek, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, p);
  }

  /** Key servers in reading order: the primary first. */
  private ordered(): KeyServer[] {
    return this.deps.store
      .listKeyServers()
      .sort((a, b) => Number(b.primary) - Number(a.primary) || a.id - b.id);
  }

  private async getFrom(ks: KeyServer, uid: string, kcv: string | undefined): Promise<Uint8Array> {
    const client = await this.deps.connect(ks);
    try {
      const r = await client.get(uid);
      if (r.object.kind !== 'SymmetricKey' || r.object.keyBlock.keyMaterial.length !== KEK_BYTES) {
        throw new Error(`object ${uid} is not a 256-bit symmetric key`);
      }
      const k = r.object.keyBlock.keyMaterial;
      if (kcv !== undefined && kcvOf(k) !== kcv)
        throw new Error(`object ${uid} fails the key check value`);
      return k;
    } finally {
      client.close();
    }
  }

  /**
   * Reads the KEK: from the local file before key servers are enabled, else from the primary,
   * then the other key servers, then the memory cache.
   * @throws KeyServerError KEYSERVER_KEK_UNAVAILABLE when no source has it.
   */
  async read(): Promise<KekReadReport> {
    const state = this.deps.store.getEncryption();
    if (!state.keyServerEnabled) {
      const kek = this.localKek();
      this.cached = kek;
      return { kek, from: 'local_file', failures: [] };
    }
    const failures: { keyServerId: number; reason: string }[] = [];
    for (const ks of this.ordered()) {
      const uid = state.kekUids.get(ks.id);
      if (uid === undefined) continue;
      try {
        const kek = await this.getFrom(ks, uid, state.kcv);
        this.cached = kek;
        return { kek, from: ks.id, failures };
      } catch (e) {
        failures.push({ keyServerId: ks.id, reason: (e as Error).message });
      }
    }
    if (this.cached) return { kek: this.cached, from: 'memory', failures };
    throw new KeyServerError(
      'KEYSERVER_KEK_UNAVAILABLE',
      `no key server provided the KEK: ${failures.map((f) => `key server ${f.keyServerId}: ${f.reason}`).join('; ') || 'no key server holds it'}`,
    );
  }

  /**
   * Another node of a cluster changed where the KEK lives (`before` → `after`, the shared
   * encryption state this node's mirror just took): re-reads the KEK from the key servers when
   * it is another one now; when it went back to the local file, writes the KEK held in memory
   * there (the same KEK the other node wrote to its own file).
   * @throws KeyServerError KEYSERVER_KEK_UNAVAILABLE when no key server provides the new KEK.
   */
  async follow(before: EncryptionState, after: EncryptionState): Promise<void> {
    const held = this.cached === undefined ? undefined : kcvOf(this.cached);
    if (after.keyServerEnabled) {
      if (held !== undefined && held === after.kcv) return;
      if (before.keyServerEnabled && before.kcv === after.kcv && held !== undefined) return;
      // What memory holds is not the KEK any more: never fall back to it.
      this.cached = undefined;
      await this.read();
      return;
    }
    if (before.keyServerEnabled && this.cached !== undefined && held === before.kcv) {
      this.writeLocalKek(this.cached);
    }
  }

  /** The KEK, from memory when already read. */
  async current(): Promise<Uint8Array> {
    return this.cached ?? (await this.read()).kek;
  }

  /** Creates a new KEK on the primary and places it on the others; returns the new state. */
  private async createOnKeyServers(
    generation: number,
  ): Promise<{ kek: Uint8Array; state: EncryptionState }> {
    const servers = this.ordered();
    const primary = servers.find((s) => s.primary);
    if (!primary)
      throw new KeyServerError(
        'KEYSERVER_NO_PRIMARY',
        'define a primary key server first (chkeyserver -primary)',
      );
    const name = `sekisho-kek-${generation}`;
    const uids = new Map<number, string>();
    let kek: Uint8Array;
    const pc = await this.deps.connect(primary);
    try {
      const uid = await pc.createSymmetricKey({
        algorithm: CryptographicAlgorithm.AES,
        length: 256,
        usageMask: KEK_USAGE,
        name,
      });
      const got = await pc.get(uid);
      if (got.object.kind !== 'SymmetricKey')
        throw new Error('the primary returned no symmetric key');
      kek = got.object.keyBlock.keyMaterial;
      await pc.activate(uid).catch(() => undefined);
      uids.set(primary.id, uid);
    } catch (e) {
      throw new KeyServerError(
        'KEYSERVER_KEK_UNAVAILABLE',
        `cannot create the KEK on the primary key server ${primary.name}: ${(e as Error).message}`,
        { cause: e },
      );
    } finally {
      pc.close();
    }
    for (const ks of servers) {
      if (ks.id === primary.id) continue;
      if (ks.type !== 'kmip') {
        // ISKLM and CipherTrust replicate keys within their cluster under the same identifier.
        uids.set(ks.id, uids.get(primary.id)!);
        continue;
      }
      const c = await this.deps.connect(ks);
      try {
        const uid = await c.register(
          {
            kind: 'SymmetricKey',
            keyBlock: {
              keyFormatType: KeyFormatType.Raw,
              keyMaterial: kek,
              cryptographicAlgorithm: CryptographicAlgorithm.AES,
              cryptographicLength: 256,
            },
          },
          [attr.cryptographicUsageMask(KEK_USAGE), attr.name(name)],
        );
        uids.set(ks.id, uid);
      } catch (e) {
        throw new KeyServerError(
          'KEYSERVER_KEK_UNAVAILABLE',
          `cannot register the KEK on key server ${ks.name}: ${(e as Error).message}`,
          { cause: e },
        );
      } finally {
        c.close();
      }
    }
    return { kek, state: { keyServerEnabled: true, kcv: kcvOf(kek), kekUids: uids, generation } };
  }

  private async switchTo(kek: Uint8Array, state: EncryptionState, old: Uint8Array): Promise<void> {
    for (const l of this.listeners) await l(old, kek);
    this.deps.store.putEncryption(state);
    this.cached = kek;
  }

  /** `chencryption -keyserver enable`: the KEK moves from the local file to the key servers. */
  async enable(): Promise<EncryptionState> {
    const before = this.deps.store.getEncryption();
    if (before.keyServerEnabled)
      throw new KeyServerError(
        'KEYSERVER_ENCRYPTION_STATE',
        'key-server encryption is enabled already',
      );
    const old = this.localKek();
    const { kek, state } = await this.createOnKeyServers(before.generation + 1);
    await this.switchTo(kek, state, old);
    return state;
  }

  /** `chencryption -keyserver newkey`: a new KEK on the key servers (rekey). */
  async newKey(): Promise<EncryptionState> {
    const before = this.deps.store.getEncryption();
    if (!before.keyServerEnabled)
      throw new KeyServerError(
        'KEYSERVER_ENCRYPTION_STATE',
        'enable key-server encryption first (chencryption -keyserver enable)',
      );
    const old = await this.current();
    const { kek, state } = await this.createOnKeyServers(before.generation + 1);
    await this.switchTo(kek, state, old);
    return state;
  }

  /** `chencryption -keyserver disable`: the KEK goes back to the local file. */
  async disable(): Promise<EncryptionState> {
    const before = this.deps.store.getEncryption();
    if (!before.keyServerEnabled)
      throw new KeyServerError(
        'KEYSERVER_ENCRYPTION_STATE',
        'key-server encryption is not enabled',
      );
    const kek = await this.current();
    this.writeLocalKek(kek);
    const state: EncryptionState = {
      keyServerEnabled: false,
      kcv: undefined,
      kekUids: new Map(),
      generation: before.generation,
    };
    this.deps.store.putEncryption(state);
    return state;
  }
}
