/**
 * KMIP client over TLS: protocol version negotiation (Discover Versions, KMIP 1.4 §4.26),
 * batches, the common object operations, and a transparent reconnect when a server or a
 * load balancer dropped an idle connection.
 */
import { randomBytes } from 'node:crypto';
import { KmipError, KmipOperationError } from '../errors.ts';
import {
  BatchErrorContinuationOption,
  Operation,
  QueryFunction,
  ResultReason,
  ResultStatus,
  Tag,
  enumValueName,
} from '../spec/index.ts';
import { decodeTtlv, encodeTtlv, type TtlvStructure } from '../ttlv/index.ts';
import { attr, type Attribute } from '../messages/attributes.ts';
import type { ManagedObject } from '../messages/managed-objects.ts';
import {
  chooseVersion,
  formatVersion,
  SUPPORTED_VERSIONS,
  compareVersions,
  type ProtocolVersion,
} from '../messages/protocol-version.ts';
import { encodeRequest, type UsernamePassword } from '../messages/request.ts';
import {
  parseResponse,
  type ResponseBatchItem,
  type ResponseMessage,
} from '../messages/response.ts';
import {
  discoverVersionsPayload,
  parseDiscoverVersionsPayload,
} from '../messages/operations/discover-versions.ts';
import {
  parseQueryResponsePayload,
  queryRequestPayload,
  type QueryResult,
} from '../messages/operations/query.ts';
import {
  createRequestPayload,
  getAttributesRequestPayload,
  getRequestPayload,
  locateRequestPayload,
  parseCreateResponsePayload,
  parseGetAttributesResponsePayload,
  parseGetResponsePayload,
  parseLocateResponsePayload,
  parseRequiredUid,
  registerRequestPayload,
  revokeRequestPayload,
  uidPayload,
  type CreateResponse,
  type GetAttributesResponse,
  type GetResponse,
  type LocateRequest,
  type RevokeRequest,
} from '../messages/operations/objects.ts';
import { KmipConnection, type KmipTransportOptions } from '../transport/kmip-connection.ts';

export interface KmipClientOptions extends KmipTransportOptions {
  /**
   * Protocol version to speak. Default: negotiate with Discover Versions on first use,
   * taking the highest version both sides support within [minProtocolVersion, maxProtocolVersion].
   */
  readonly protocolVersion?: ProtocolVersion;
  /** Highest version negotiated. Default 1.4 (the payload model of this library is 1.x). */
  readonly maxProtocolVersion?: ProtocolVersion;
  /** Lowest acceptable version. Default 1.0. */
  readonly minProtocolVersion?: ProtocolVersion;
  /** Maximum Response Size sent in every request header, bytes. */
  readonly maximumResponseSize?: number;
  /** Username/password credential sent in every request header. */
  readonly authentication?: UsernamePassword;
}

/** One item of a batch: an Operation value and its request payload. */
export interface BatchRequest {
  readonly operation: number;
  readonly payload: TtlvStructure;
}

/** Query functions asked by {@link KmipClient.query} by default. */
export const DEFAULT_QUERY_FUNCTIONS: readonly number[] = [
  QueryFunction.QueryOperations,
  QueryFunction.QueryObjects,
  QueryFunction.QueryServerInformation,
];

export class KmipClient {
  readonly options: KmipClientOptions;
  private connection: KmipConnection | undefined;
  private connecting: Promise<KmipConnection> | undefined;
  private version: ProtocolVersion | undefined;
  private negotiating: Promise<ProtocolVersion> | undefined;
  private closed = false;

  constructor(options: KmipClientOptions) {
    if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) {
      throw new KmipError(
        'KMIP_CONNECT_FAILED',
        `port must be 1-65535, got ${String(options.port)}`,
      );
    }
    this.options = options;
    this.version = options.protocolVersion;
  }

  /** The protocol version in use, once negotiated. */
  get protocolVersion(): ProtocolVersion | undefined {
    return this.version;
  }

  /** TLS details of the current connection, if one is open. */
  get tls(): KmipConnection['details'] | undefined {
    return this.connection?.details;
  }

  private async connectionFor(): Promise<KmipConnection> {
    if (this.closed) throw new KmipError('KMIP_CLIENT_CLOSED', 'the client was closed');
    if (this.connection?.open) return this.connection;
    this.connecting ??= KmipConnection.connect(this.options).finally(() => {
      this.connecting = undefined;
    });
    const c = await this.connecting;
    if (this.isClosed()) {
      c.close();
      throw new KmipError('KMIP_CLIENT_CLOSED', 'the client was closed');
    }
    this.connection = c;
    return c;
  }

  /** Read through a method: `close()` may run while a connect is awaited. */
  private isClosed(): boolean {
    return this.closed;
  }

  /** Opens the connection now (otherwise the first request does). */
  async connect(): Promise<void> {
    await this.connectionFor();
  }

  /** Sends raw bytes and returns the raw response, reconnecting once if an idle connection was dropped. */
  async roundTrip(request: Uint8Array): Promise<Buffer> {
    const conn = await this.connectionFor();
    const reused = conn.requestsServed > 0;
    try {
      return await conn.roundTrip(request);
    } catch (e) {
      // A connection that sat idle may have been dropped by the server or a load balancer
      // without our noticing; the request never reached a live peer, so sending it again on
      // a fresh connection is safe. Anything else (timeout, partial response) is not retried.
      if (reused && conn.failedBeforeResponse && !this.closed && isConnectionDrop(e)) {
        const fresh = await this.connectionFor();
        return fresh.roundTrip(request);
      }
      throw e;
    }
  }

  /**
   * Sends a batch at version `version` and returns its response, checking that the items
   * answer the request's items. Failure results are returned, not thrown.
   */
  async sendBatch(
    items: readonly BatchRequest[],
    options: { version?: ProtocolVersion; batchErrorContinuationOption?: number } = {},
  ): Promise<ResponseMessage> {
    const version = options.version ?? (await this.negotiateVersion());
    const withIds = items.length > 1;
    const request = encodeRequest({
      header: {
        protocolVersion: version,
        ...(this.options.maximumResponseSize === undefined
          ? {}
          : { maximumResponseSize: this.options.maximumResponseSize }),
        ...(this.options.authentication === undefined
          ? {}
          : { authentication: this.options.authentication }),
        ...(options.batchErrorContinuationOption === undefined
          ? {}
          : { batchErrorContinuationOption: options.batchErrorContinuationOption }),
      },
      batchItems: items.map((it) => ({
        operation: it.operation,
        ...(withIds ? { uniqueBatchItemId: randomBytes(4) } : {}),
        payload: it.payload,
      })),
    });
    const raw = await this.roundTrip(encodeTtlv(request));
    const response = parseResponse(
      decodeTtlv(raw, { maxBytes: this.options.maxMessageBytes ?? 1024 * 1024 }),
    );
    // A message-level rejection comes back as one item without an Operation.
    if (response.batchItems.length === 1 && response.batchItems[0]!.operation === undefined) {
      return response;
    }
    // With Batch Error Continuation Option Stop (the default), the server ends the batch at
    // the first failure (KMIP 1.4 §6.13): fewer items, the last one failed, is a valid answer.
    const n = response.batchItems.length;
    const stopped =
      n > 0 &&
      n < items.length &&
      options.batchErrorContinuationOption !== BatchErrorContinuationOption.Continue &&
      response.batchItems[n - 1]!.resultStatus !== ResultStatus.Success;
    if (n !== items.length && !stopped) {
      throw new KmipError(
        'KMIP_PROTOCOL_ERROR',
        `sent ${items.length} batch items, received ${response.batchItems.length}`,
      );
    }
    return response;
  }

  /** Sends one operation; resolves with its response payload or throws KmipOperationError. */
  async call(
    operation: number,
    payload: TtlvStructure,
    options: { version?: ProtocolVersion } = {},
  ): Promise<TtlvStructure | undefined> {
    const response = await this.sendBatch([{ operation, payload }], options);
    const item = response.batchItems[0]!;
    throwIfFailed(item, operation);
    if (item.operation !== undefined && item.operation !== operation) {
      throw new KmipError(
        'KMIP_PROTOCOL_ERROR',
        `asked for operation ${operation}, the response is for ${item.operation}`,
      );
    }
    return item.payload;
  }

  /**
   * Discover Versions. With no argument, offers every version this library speaks and
   * returns the server's list (newest first, as the server orders it).
   * @param atVersion version of the request header. Default: the highest offered version
   * (PyKMIP refuses Discover Versions in a 1.0 header).
   */
  async discoverVersions(
    versions: readonly ProtocolVersion[] = SUPPORTED_VERSIONS,
    atVersion?: ProtocolVersion,
  ): Promise<ProtocolVersion[]> {
    const header = atVersion ??
      [...versions].sort((a, b) => compareVersions(b, a))[0] ?? { major: 1, minor: 4 };
    const payload = await this.call(
      Operation.DiscoverVersions,
      discoverVersionsPayload(Tag.RequestPayload, versions),
      { version: header.major >= 2 ? { major: 1, minor: 4 } : header },
    );
    return payload ? parseDiscoverVersionsPayload(payload) : [];
  }

  /**
   * Negotiates the protocol version once per client (the result is kept across reconnects).
   * @throws KmipError KMIP_VERSION_UNSUPPORTED when no acceptable version is common.
   */
  negotiateVersion(): Promise<ProtocolVersion> {
    if (this.version) return Promise.resolve(this.version);
    this.negotiating ??= this.doNegotiate().finally(() => {
      this.negotiating = undefined;
    });
    return this.negotiating;
  }

  private async doNegotiate(): Promise<ProtocolVersion> {
    const max = this.options.maxProtocolVersion ?? { major: 1, minor: 4 };
    const min = this.options.minProtocolVersion ?? { major: 1, minor: 0 };
    const offered = SUPPORTED_VERSIONS.filter(
      (v) => compareVersions(v, max) <= 0 && compareVersions(v, min) >= 0,
    );
    const v10 = { major: 1, minor: 0 };
    const v11 = { major: 1, minor: 1 };
    let answer: ProtocolVersion[];
    try {
      try {
        answer = await this.discoverVersions(offered, max);
      } catch (e) {
        // A server whose newest version is below `max` rejects the header itself (one item
        // without Operation, Invalid Message). Discover Versions exists since 1.1: ask again
        // in a 1.1 header, which every server that knows the operation accepts.
        if (!isMessageRejection(e) || compareVersions(max, v11) <= 0) throw e;
        answer = await this.discoverVersions(offered, v11);
      }
    } catch (e) {
      // A KMIP 1.0 server does not know Discover Versions: 1.0 is then the only choice.
      if (
        e instanceof KmipOperationError &&
        (e.resultReason === ResultReason.OperationNotSupported ||
          e.resultReason === ResultReason.InvalidMessage)
      ) {
        if (compareVersions(min, v10) <= 0) {
          this.version = v10;
          return this.version;
        }
        throw new KmipError(
          'KMIP_VERSION_UNSUPPORTED',
          `the server does not support Discover Versions (KMIP 1.0 only), and at least ${formatVersion(min)} is required`,
          { cause: e },
        );
      }
      throw e;
    }
    if (chooseVersion(answer, { min, max }) === undefined) {
      // Say what the server does speak: ask for its whole list (an empty offer).
      const all = await this.discoverVersions([], compareVersions(max, v11) > 0 ? v11 : max).catch(
        () => answer,
      );
      throw new KmipError(
        'KMIP_VERSION_UNSUPPORTED',
        `no common protocol version: offered ${offered.map(formatVersion).join(', ')}, ` +
          `the server supports ${all.map(formatVersion).join(', ') || 'none'}`,
      );
    }
    const chosen = chooseVersion(answer, { min, max })!;
    this.version = chosen;
    return chosen;
  }

  /** Query (KMIP 1.4 §4.25); by default operations, objects and server information. */
  async query(functions: readonly number[] = DEFAULT_QUERY_FUNCTIONS): Promise<QueryResult> {
    return parseQueryResponsePayload(
      await this.call(Operation.Query, queryRequestPayload(functions)),
    );
  }

  async create(objectType: number, attributes: readonly Attribute[]): Promise<CreateResponse> {
    const p = await this.call(Operation.Create, createRequestPayload({ objectType, attributes }));
    if (!p) throw new KmipError('KMIP_MESSAGE_INVALID', 'the Create response has no payload');
    return parseCreateResponsePayload(p);
  }

  /** Creates a symmetric key, e.g. `{ algorithm: CryptographicAlgorithm.AES, length: 256, usageMask: 12 }`. */
  async createSymmetricKey(spec: {
    readonly algorithm: number;
    readonly length: number;
    readonly usageMask: number;
    readonly name?: string;
    readonly extra?: readonly Attribute[];
  }): Promise<string> {
    const attributes = [
      attr.cryptographicAlgorithm(spec.algorithm),
      attr.cryptographicLength(spec.length),
      attr.cryptographicUsageMask(spec.usageMask),
      ...(spec.name === undefined ? [] : [attr.name(spec.name)]),
      ...(spec.extra ?? []),
    ];
    return (await this.create(2, attributes)).uniqueIdentifier;
  }

  async register(object: ManagedObject, attributes: readonly Attribute[]): Promise<string> {
    return parseRequiredUid(
      await this.call(Operation.Register, registerRequestPayload({ object, attributes })),
    );
  }

  async get(
    uniqueIdentifier: string,
    options: { keyFormatType?: number } = {},
  ): Promise<GetResponse> {
    return parseGetResponsePayload(
      await this.call(Operation.Get, getRequestPayload({ uniqueIdentifier, ...options })),
    );
  }

  async getAttributes(
    uniqueIdentifier: string,
    attributeNames: readonly string[] = [],
  ): Promise<GetAttributesResponse> {
    return parseGetAttributesResponsePayload(
      await this.call(
        Operation.GetAttributes,
        getAttributesRequestPayload({ uniqueIdentifier, attributeNames }),
      ),
    );
  }

  async locate(request: LocateRequest): Promise<string[]> {
    return parseLocateResponsePayload(
      await this.call(Operation.Locate, locateRequestPayload(request)),
    );
  }

  async activate(uniqueIdentifier: string): Promise<string> {
    return parseRequiredUid(
      await this.call(Operation.Activate, uidPayload(Tag.RequestPayload, uniqueIdentifier)),
    );
  }

  async revoke(request: RevokeRequest): Promise<string> {
    return parseRequiredUid(await this.call(Operation.Revoke, revokeRequestPayload(request)));
  }

  async destroy(uniqueIdentifier: string): Promise<string> {
    return parseRequiredUid(
      await this.call(Operation.Destroy, uidPayload(Tag.RequestPayload, uniqueIdentifier)),
    );
  }

  /** Closes the connection; later calls fail with KMIP_CLIENT_CLOSED. */
  close(): void {
    this.closed = true;
    this.connection?.close();
    this.connection = undefined;
  }
}

/** A failure of the whole message (one item, no Operation) rather than of the operation. */
function isMessageRejection(e: unknown): boolean {
  return (
    e instanceof KmipOperationError &&
    e.messageRejected &&
    e.resultReason === ResultReason.InvalidMessage
  );
}

function isConnectionDrop(e: unknown): boolean {
  return e instanceof KmipError && e.code === 'KMIP_CONNECTION_CLOSED';
}

/** Throws KmipOperationError when a batch item did not succeed. */
export function throwIfFailed(item: ResponseBatchItem, operation?: number): void {
  if (item.resultStatus === ResultStatus.Success) return;
  const op = item.operation ?? operation;
  const status = enumValueName(Tag.ResultStatus, item.resultStatus) ?? String(item.resultStatus);
  const reason =
    item.resultReason === undefined
      ? undefined
      : (enumValueName(Tag.ResultReason, item.resultReason) ?? String(item.resultReason));
  const opName = op === undefined ? 'request' : (enumValueName(Tag.Operation, op) ?? String(op));
  throw new KmipOperationError(
    `${opName} failed: ${status}${reason ? `/${reason}` : ''}${
      item.resultMessage ? `: ${item.resultMessage}` : ''
    }`,
    {
      resultStatus: item.resultStatus,
      ...(item.resultReason === undefined ? {} : { resultReason: item.resultReason }),
      ...(item.resultMessage === undefined ? {} : { resultMessage: item.resultMessage }),
      ...(op === undefined ? {} : { operation: op }),
      messageRejected: item.operation === undefined,
    },
  );
}
