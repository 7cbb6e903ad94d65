/** What the key-server manager needs from storage (adapter: src/storage/sqlite). */
import type {
  ClusterNode,
  KeyServer,
  KeyServerType,
  KeyServerTypeConfig,
  NodeValidation,
} from './types.ts';

/** The system certificate: the cluster's TLS client identity towards key servers. */
export interface SystemCertificate {
  readonly certPem: string;
  readonly keyPem: string;
  /** An outstanding certificate request (chsystemcert -mkrequest) and its private key. */
  readonly pendingCsrPem?: string | undefined;
  readonly pendingKeyPem?: string | undefined;
}

/** Where the KEK lives: a local file (no key server protects it) or the key servers. */
export interface EncryptionState {
  readonly keyServerEnabled: boolean;
  /** KEK key check value (hex), once the KEK lives on key servers. */
  readonly kcv: string | undefined;
  /** Per key server, the Unique Identifier of the KEK on it. */
  readonly kekUids: ReadonlyMap<number, string>;
  /** Generation of the KEK, incremented by `chencryption -keyserver newkey`. */
  readonly generation: number;
}

/** System-wide settings of the key-server manager. */
export interface KeyServerSettings {
  /** Minutes between periodic validations; 0 disables the timer. Default 15. */
  readonly validationIntervalMinutes: number;
  /** Time limit of each network step of a validation, seconds. Default 10. */
  readonly validationTimeoutSeconds: number;
}

/** A key server to insert; without a name it is called `keyserverID`. */
export type NewKeyServer = Omit<
  KeyServer,
  'id' | 'status' | 'errSeqNum' | 'lastValidation' | 'name'
> & {
  readonly name: string | undefined;
};

export interface KeyServerStore {
  /** Runs `fn` in one transaction: all of its writes or none. */
  transaction<T>(fn: () => T): T;
  listKeyServers(): KeyServer[];
  getKeyServer(id: number): KeyServer | undefined;
  /** Inserts with the lowest free id (0-based, like IBM's key server ids) and a default name. */
  insertKeyServer(k: NewKeyServer): KeyServer;
  updateKeyServer(k: KeyServer): void;
  deleteKeyServer(id: number): void;
  saveValidation(id: number, results: readonly NodeValidation[], status: KeyServer['status']): void;
  getTypeConfig(type: KeyServerType): KeyServerTypeConfig;
  putTypeConfig(c: KeyServerTypeConfig): void;
  listNodes(): ClusterNode[];
  putNode(n: ClusterNode): void;
  deleteNode(id: string): void;
  getSystemCertificate(): SystemCertificate | undefined;
  putSystemCertificate(c: SystemCertificate): void;
  getEncryption(): EncryptionState;
  putEncryption(e: EncryptionState): void;
  getSettings(): KeyServerSettings;
  putSettings(s: KeyServerSettings): void;
}

/**
 * Everything of a {@link KeyServerStore} the nodes of a cluster share (docs/cluster.md): the
 * key servers with every node's last validation, the type settings, the nodes and their service
 * addresses, the system certificate, the encryption state and the settings.
 */
export interface KeyServerSnapshot {
  readonly keyServers: readonly KeyServer[];
  /** Only the types whose settings were ever stored (the others have their defaults). */
  readonly types: readonly KeyServerTypeConfig[];
  readonly nodes: readonly ClusterNode[];
  readonly systemCertificate: SystemCertificate | undefined;
  readonly encryption: EncryptionState;
  readonly settings: KeyServerSettings;
}
