/**
 * Key servers (shared/reference/keyserver-ibm.md §1–§4, seed 000): at most four KMIP servers,
 * exactly one primary, of the one key-server type enabled system-wide, validated from every
 * node of the cluster.
 */
import type { EventId } from '../events/types.ts';

export const MAX_KEY_SERVERS = 4;

export const KEY_SERVER_TYPES = ['isklm', 'ciphertrustmanager', 'kmip'] as const;
export type KeyServerType = (typeof KEY_SERVER_TYPES)[number];

/** Per-type status as lskeyserverisklm reports it. */
export const TYPE_STATUSES = [
  'disabled',
  'enabled_inactive',
  'prepared',
  'enabled_active',
] as const;
export type TypeStatus = (typeof TYPE_STATUSES)[number];

export const KEY_SERVER_STATUSES = ['online', 'degraded', 'offline'] as const;
export type KeyServerStatus = (typeof KEY_SERVER_STATUSES)[number];

/** Settings of one key-server type (chkeyserverisklm and its counterparts). */
export interface KeyServerTypeConfig {
  readonly type: KeyServerType;
  readonly enabled: boolean;
  /** ISKLM device group (≤16 characters, starts with a letter). */
  readonly deviceGroup?: string;
  /** CA certificate (PEM) that signs the key servers' certificates. */
  readonly caCertPem?: string;
  /** CipherTrust Manager credential. */
  readonly username?: string;
  readonly password?: string;
}

export interface KeyServer {
  readonly id: number;
  readonly name: string;
  /** IPv4, IPv6 or a DNS name. */
  readonly ip: string;
  readonly port: number;
  readonly type: KeyServerType;
  readonly primary: boolean;
  /** The key server's own certificate (PEM), trusted as given (-sslcert). */
  readonly certPem: string | undefined;
  readonly status: KeyServerStatus;
  /** Sequence number of its highest-priority unfixed event. */
  readonly errSeqNum: number | undefined;
  /** Per node, the stages of the last validation. */
  readonly lastValidation: readonly NodeValidation[];
}

/** A node of the cluster; the embedded default has one: this process. */
export interface ClusterNode {
  readonly id: string;
  readonly name: string;
  /**
   * Service addresses connections to key servers leave from. `'any'` lets the operating
   * system choose; `undefined` means the node has none of that family (a validation failure
   * for key servers of that family, 086008).
   */
  readonly ipv4: string | undefined;
  readonly ipv6: string | undefined;
}

/** Stable codes of the validation stages, in the order they run. */
export const STAGES = [
  'service_ip',
  'dns',
  'tcp',
  'tls',
  'certificates',
  'discover_versions',
  'query',
  'kek',
] as const;
export type StageCode = (typeof STAGES)[number];

export interface StageResult {
  readonly stage: StageCode;
  readonly ok: boolean;
  readonly durationMs: number;
  /** One line for the operator: what was found or what failed. */
  readonly detail: string;
  /** Non-fatal findings (e.g. a certificate expiring within 30 days). */
  readonly warnings?: readonly string[];
}

/** The key-encryption key as the cluster knows it on a key server. */
export interface KekReference {
  /** KMIP Unique Identifier of the KEK on this key server. */
  readonly uid: string;
  /** Key check value: hex of the first 3 bytes of AES-256-ECB(KEK, 16 zero bytes). */
  readonly kcv: string;
}

export type ValidationOutcome =
  | {
      readonly ok: true;
      readonly protocolVersion: string;
      readonly vendorIdentification: string;
      readonly serverType: string | undefined;
      readonly productVersion: string | undefined;
    }
  | {
      readonly ok: false;
      readonly eventId: EventId;
      /** Exactly 128 bytes, laid out as docs/events.md says for the event ID. */
      readonly sense: Uint8Array;
      /** One line for the operator. */
      readonly reason: string;
    };

export interface NodeValidation {
  readonly nodeId: string;
  readonly keyServerId: number;
  readonly startedAt: Date;
  readonly stages: readonly StageResult[];
  readonly outcome: ValidationOutcome;
}

/** Everything one validation of one key server from one node needs. */
export interface ValidationTarget {
  readonly keyServer: Pick<
    KeyServer,
    'id' | 'name' | 'ip' | 'port' | 'primary' | 'certPem' | 'type'
  >;
  readonly typeConfig: KeyServerTypeConfig;
  readonly node: ClusterNode;
  /** The system certificate and key (PEM): our TLS client identity. */
  readonly systemCert: { readonly certPem: string; readonly keyPem: string };
  /** The KEK expected on this key server, once encryption uses key servers. */
  readonly kek: KekReference | undefined;
  /** Time limit of each network step, ms (default 10 000). */
  readonly timeoutMs?: number;
  /** Clock, for certificate date checks in tests. */
  readonly now?: Date;
}
