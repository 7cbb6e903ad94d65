/**
 * The request engine of the KMIP server: bytes in, bytes out, no sockets. It parses a
 * request strictly, answers message-level faults with one batch item carrying Invalid
 * Message (as PyKMIP does), runs each batch item, enforces ownership by client identity,
 * and honours Maximum Response Size.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { KmipError } from '../errors.ts';
import {
  BatchErrorContinuationOption,
  CryptographicAlgorithm,
  KeyFormatType,
  ObjectType,
  Operation,
  QueryFunction,
  ResultReason,
  ResultStatus,
  State,
  Tag,
  enumValueName,
} from '../spec/index.ts';
import { decodeTtlv, encodeTtlv, type TtlvNode, type TtlvStructure } from '../ttlv/index.ts';
import { attr, type Attribute } from '../messages/attributes.ts';
import {
  encodeManagedObject,
  parseManagedObject,
  type ManagedObject,
} from '../messages/managed-objects.ts';
import { dateTime, struct } from '../messages/nodes.ts';
import {
  compareVersions,
  sameVersion,
  type ProtocolVersion,
} from '../messages/protocol-version.ts';
import { parseRequest, type RequestBatchItem, type RequestMessage } from '../messages/request.ts';
import { encodeResponse, type ResponseBatchItem } from '../messages/response.ts';
import {
  discoverVersionsPayload,
  parseDiscoverVersionsPayload,
} from '../messages/operations/discover-versions.ts';
import { parseQueryRequestPayload, queryResponsePayload } from '../messages/operations/query.ts';
import {
  createResponsePayload,
  getAttributesResponsePayload,
  getResponsePayload,
  locateResponsePayload,
  parseCreateRequestPayload,
  parseGetAttributesRequestPayload,
  parseGetRequestPayload,
  parseLocateRequestPayload,
  parseRegisterRequestPayload,
  parseRevokeRequestPayload,
  parseUid,
  uidPayload,
} from '../messages/operations/objects.ts';
import type { KmipObjectStore, StoredObject } from './object-store.ts';
import type { ServerIdentity } from './identity.ts';

/** Who sent a request, as established by the TLS layer. */
export interface ClientContext {
  /** Client identity: the certificate's CN. Undefined when authentication failed. */
  readonly identity: string | undefined;
  /** Why authentication failed, answered as Authentication Not Successful to every request. */
  readonly authFailure?: string;
}

export interface ServerCoreOptions {
  readonly identity: ServerIdentity;
  readonly store: KmipObjectStore;
  /** Largest response, bytes, whatever the request asks. Default 1 MiB. */
  readonly maxResponseBytes?: number;
  /** Clock, for tests. */
  readonly now?: () => Date;
  /**
   * When set, every request must also carry this Username and Password credential in its
   * header (as CipherTrust Manager can demand besides the client certificate).
   */
  readonly credential?: { readonly username: string; readonly password: string };
}

/** Operations the core implements, in the order Query Operations lists them. */
export const SERVER_OPERATIONS: readonly number[] = [
  Operation.Create,
  Operation.Register,
  Operation.Locate,
  Operation.Get,
  Operation.GetAttributes,
  Operation.Activate,
  Operation.Revoke,
  Operation.Destroy,
  Operation.Query,
  Operation.DiscoverVersions,
];

const SERVER_OBJECT_TYPES: readonly number[] = [
  ObjectType.SymmetricKey,
  ObjectType.SecretData,
  ObjectType.OpaqueObject,
];

/** A failure of one batch item, turned into its result fields. */
class ItemFailure extends Error {
  readonly reason: number;
  constructor(reason: number, message: string) {
    super(message);
    this.reason = reason;
  }
}

const fail = (reason: number, message: string): ItemFailure => new ItemFailure(reason, message);

/** Symmetric algorithms Create accepts, with the key lengths (bits) each allows. */
const SYMMETRIC_LENGTHS: ReadonlyMap<number, readonly number[]> = new Map([
  [CryptographicAlgorithm.AES, [128, 192, 256]],
  [CryptographicAlgorithm.HMAC_SHA256, [128, 256, 512]],
  [CryptographicAlgorithm.HMAC_SHA512, [256, 512, 1024]],
]);

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Constant-time comparison of a request's credential with the required one. */
function credentialMatches(
  given: { readonly username: string; readonly password?: string } | undefined,
  want: { readonly username: string; readonly password: string },
): boolean {
  const user = timingSafeEqual(digest(given?.username ?? ''), digest(want.username));
  const pass = timingSafeEqual(digest(given?.password ?? ''), digest(want.password));
  return given !== undefined && user && pass;
}

export class KmipServerCore {
  private readonly identity: ServerIdentity;
  private readonly store: KmipObjectStore;
  private readonly maxResponseBytes: number;
  private readonly now: () => Date;
  private readonly credential: ServerCoreOptions['credential'];

  constructor(options: ServerCoreOptions) {
    this.credential = options.credential;
    this.identity = options.identity;
    this.store = options.store;
    this.maxResponseBytes = options.maxResponseBytes ?? 1024 * 1024;
    this.now = options.now ?? ((): Date => new Date());
  }

  /** Answers one encoded request with one encoded response. Never throws for bad input. */
  handle(request: Uint8Array, client: ClientContext): Buffer {
    let msg: RequestMessage;
    let version: ProtocolVersion = { major: 1, minor: 0 };
    try {
      msg = parseRequest(decodeTtlv(request, { maxBytes: this.maxResponseBytes }));
      version = msg.header.protocolVersion;
    } catch (e) {
      return this.messageFault(
        version,
        ResultReason.InvalidMessage,
        `Error parsing request message: ${(e as Error).message}`,
      );
    }
    if (!this.identity.versions.some((v) => sameVersion(v, version))) {
      return this.messageFault(
        { major: 1, minor: 0 },
        ResultReason.InvalidMessage,
        `Protocol version ${version.major}.${version.minor} is not supported`,
      );
    }
    if (client.identity === undefined) {
      return this.messageFault(
        version,
        ResultReason.AuthenticationNotSuccessful,
        client.authFailure ?? 'client certificate rejected',
      );
    }
    if (this.credential && !credentialMatches(msg.header.authentication, this.credential)) {
      return this.messageFault(
        version,
        ResultReason.AuthenticationNotSuccessful,
        'the request carries no valid username and password credential',
      );
    }
    if (msg.header.asynchronousIndicator === true) {
      return this.messageFault(
        version,
        ResultReason.FeatureNotSupported,
        'asynchronous operations are not supported',
      );
    }
    const continuation =
      msg.header.batchErrorContinuationOption ?? BatchErrorContinuationOption.Stop;
    if (continuation === BatchErrorContinuationOption.Undo) {
      return this.messageFault(
        version,
        ResultReason.FeatureNotSupported,
        'Batch Error Continuation Option Undo is not supported',
      );
    }
    const items: ResponseBatchItem[] = [];
    for (const item of msg.batchItems) {
      const result = this.runItem(item, version, client.identity);
      items.push(result);
      if (
        result.resultStatus !== ResultStatus.Success &&
        continuation === BatchErrorContinuationOption.Stop
      ) {
        break;
      }
    }
    const limit = Math.min(msg.header.maximumResponseSize ?? Infinity, this.maxResponseBytes);
    const out = this.encode(version, items);
    if (out.length <= limit) return out;
    return this.encode(
      version,
      msg.batchItems.map((it) => ({
        operation: it.operation,
        ...(it.uniqueBatchItemId ? { uniqueBatchItemId: it.uniqueBatchItemId } : {}),
        resultStatus: ResultStatus.OperationFailed,
        resultReason: ResultReason.ResponseTooLarge,
        resultMessage: `Response size: ${out.length}, Maximum Response Size indicated in request: ${limit}`,
      })),
    );
  }

  /** The response to a request that could not be parsed or authenticated. */
  messageFault(version: ProtocolVersion, reason: number, message: string): Buffer {
    return this.encode(version, [
      { resultStatus: ResultStatus.OperationFailed, resultReason: reason, resultMessage: message },
    ]);
  }

  private encode(version: ProtocolVersion, items: readonly ResponseBatchItem[]): Buffer {
    return encodeTtlv(
      encodeResponse({
        header: {
          protocolVersion: version,
          timeStamp: BigInt(Math.floor(this.now().getTime() / 1000)),
        },
        batchItems: items,
      }),
    );
  }

  private runItem(
    item: RequestBatchItem,
    version: ProtocolVersion,
    owner: string,
  ): ResponseBatchItem {
    const base = {
      operation: item.operation,
      ...(item.uniqueBatchItemId ? { uniqueBatchItemId: item.uniqueBatchItemId } : {}),
    };
    try {
      const payload = this.dispatch(item.operation, item.payload, version, owner);
      return { ...base, resultStatus: ResultStatus.Success, payload };
    } catch (e) {
      if (e instanceof ItemFailure) {
        return {
          ...base,
          resultStatus: ResultStatus.OperationFailed,
          resultReason: e.reason,
          resultMessage: e.message,
        };
      }
      if (
        e instanceof KmipError &&
        (e.code === 'KMIP_MESSAGE_INVALID' || e.code === 'KMIP_TTLV_INVALID_VALUE')
      ) {
        return {
          ...base,
          resultStatus: ResultStatus.OperationFailed,
          resultReason: ResultReason.InvalidMessage,
          resultMessage: e.message,
        };
      }
      return {
        ...base,
        resultStatus: ResultStatus.OperationFailed,
        resultReason: ResultReason.GeneralFailure,
        resultMessage: 'internal server error',
      };
    }
  }

  private dispatch(
    op: number,
    p: TtlvStructure,
    version: ProtocolVersion,
    owner: string,
  ): TtlvStructure {
    switch (op) {
      case Operation.DiscoverVersions: {
        if (compareVersions(version, { major: 1, minor: 1 }) < 0) {
          throw fail(
            ResultReason.OperationNotSupported,
            'DiscoverVersions is not supported by KMIP 1.0',
          );
        }
        const asked = parseDiscoverVersionsPayload(p);
        const mine = this.identity.versions;
        const answer =
          asked.length === 0 ? mine : mine.filter((v) => asked.some((a) => sameVersion(a, v)));
        return discoverVersionsPayload(Tag.ResponsePayload, answer);
      }
      case Operation.Query:
        return this.query(parseQueryRequestPayload(p), version);
      case Operation.Create:
        return this.create(p, owner);
      case Operation.Register:
        return this.register(p, owner);
      case Operation.Get:
        return this.get(p, owner);
      case Operation.GetAttributes: {
        const r = parseGetAttributesRequestPayload(p);
        const o = this.owned(r.uniqueIdentifier, owner);
        const names = new Set(r.attributeNames);
        return getAttributesResponsePayload({
          uniqueIdentifier: o.uid,
          attributes: names.size ? o.attributes.filter((a) => names.has(a.name)) : o.attributes,
        });
      }
      case Operation.Locate: {
        const r = parseLocateRequestPayload(p);
        const wanted = r.attributes.map((a) => ({ name: a.name, bytes: encodeTtlv(a.value) }));
        let found = this.store
          .list(owner)
          .filter((o) => o.state !== State.Destroyed)
          .filter((o) =>
            wanted.every((w) =>
              o.attributes.some((a) => a.name === w.name && encodeTtlv(a.value).equals(w.bytes)),
            ),
          )
          .map((o) => o.uid);
        if (r.maximumItems !== undefined && r.maximumItems >= 0)
          found = found.slice(0, r.maximumItems);
        return locateResponsePayload(found);
      }
      case Operation.Activate: {
        const o = this.owned(parseUid(p), owner);
        if (o.state !== State.PreActive) {
          throw fail(ResultReason.PermissionDenied, 'object is not in a pre-active state');
        }
        this.store.update(this.withState(o, State.Active, [this.dateAttr('Activation Date')]));
        return uidPayload(Tag.ResponsePayload, o.uid);
      }
      case Operation.Revoke: {
        const r = parseRevokeRequestPayload(p);
        const o = this.owned(r.uniqueIdentifier, owner);
        const compromised = r.reasonCode === 2 || r.reasonCode === 3; // Key / CA Compromise
        if (o.state === State.Destroyed)
          throw fail(ResultReason.PermissionDenied, 'object is destroyed');
        const next = compromised ? State.Compromised : State.Deactivated;
        this.store.update(
          this.withState(o, next, [
            this.dateAttr(compromised ? 'Compromise Date' : 'Deactivation Date'),
          ]),
        );
        return uidPayload(Tag.ResponsePayload, o.uid);
      }
      case Operation.Destroy: {
        const o = this.owned(parseUid(p), owner);
        if (o.state === State.Active) {
          throw fail(ResultReason.PermissionDenied, 'object is active and must be revoked first');
        }
        this.store.update({
          ...this.withState(
            o,
            o.state === State.Compromised ? State.DestroyedCompromised : State.Destroyed,
            [this.dateAttr('Destroy Date')],
          ),
          object: undefined,
        });
        return uidPayload(Tag.ResponsePayload, o.uid);
      }
      default:
        throw fail(
          ResultReason.OperationNotSupported,
          `${enumValueName(Tag.Operation, op) ?? `operation ${op}`} is not supported by this server`,
        );
    }
  }

  private query(functions: readonly number[], version: ProtocolVersion): TtlvStructure {
    const has = (f: number): boolean => functions.includes(f);
    const ops = SERVER_OPERATIONS.filter(
      (o) =>
        o !== Operation.DiscoverVersions || compareVersions(version, { major: 1, minor: 1 }) >= 0,
    );
    return queryResponsePayload({
      operations: has(QueryFunction.QueryOperations) ? ops : [],
      objectTypes: has(QueryFunction.QueryObjects) ? SERVER_OBJECT_TYPES : [],
      ...(has(QueryFunction.QueryServerInformation)
        ? {
            vendorIdentification: this.identity.vendorIdentification,
            ...(this.identity.serverInformation
              ? { serverInformation: this.identity.serverInformation }
              : {}),
          }
        : {}),
      applicationNamespaces: [],
      extensionInformation: [],
      other: [],
    });
  }

  private owned(uid: string | undefined, owner: string): StoredObject {
    if (uid === undefined) {
      throw fail(
        ResultReason.InvalidField,
        'Unique Identifier is required (ID placeholders are not supported)',
      );
    }
    const o = this.store.get(uid);
    if (!o || o.state === State.Destroyed || o.state === State.DestroyedCompromised) {
      throw fail(ResultReason.ItemNotFound, `Could not locate object: ${uid}`);
    }
    if (o.owner !== owner)
      throw fail(ResultReason.PermissionDenied, `Could not locate object: ${uid}`);
    return o;
  }

  private dateAttr(name: string): Attribute {
    return { name, value: dateTime(Tag.AttributeValue, this.now()) };
  }

  private withState(o: StoredObject, state: number, extra: readonly Attribute[]): StoredObject {
    const replaced = new Set(['State', 'Last Change Date', ...extra.map((a) => a.name)]);
    return {
      ...o,
      state,
      attributes: [
        ...o.attributes.filter((a) => !replaced.has(a.name)),
        attr.state(state),
        ...extra,
        this.dateAttr('Last Change Date'),
      ],
    };
  }

  private newObject(
    owner: string,
    objectType: number,
    object: ManagedObject,
    client: readonly Attribute[],
  ): StoredObject {
    const uid = randomUUID();
    const clientOnly = client.filter(
      (a) =>
        !['Unique Identifier', 'Object Type', 'State', 'Initial Date', 'Last Change Date'].includes(
          a.name,
        ),
    );
    const attributes: Attribute[] = [
      {
        name: 'Unique Identifier',
        value: { tag: Tag.AttributeValue, type: 'TextString', value: uid },
      },
      attr.objectType(objectType),
      ...clientOnly,
      attr.state(State.PreActive),
      this.dateAttr('Initial Date'),
      this.dateAttr('Last Change Date'),
    ];
    const stored: StoredObject = {
      uid,
      owner,
      objectType,
      state: State.PreActive,
      object: encodeManagedObject(object),
      attributes,
    };
    this.store.insert(stored);
    return stored;
  }

  private create(p: TtlvStructure, owner: string): TtlvStructure {
    const r = parseCreateRequestPayload(p);
    if (r.objectType !== ObjectType.SymmetricKey) {
      throw fail(ResultReason.InvalidField, 'Create supports Symmetric Key objects only');
    }
    const one = (name: string): TtlvNode => {
      const found = r.attributes.filter((a) => a.name === name);
      if (found.length !== 1) {
        throw fail(ResultReason.InvalidField, `Create needs exactly one ${name} attribute`);
      }
      return found[0]!.value;
    };
    const alg = one('Cryptographic Algorithm');
    const len = one('Cryptographic Length');
    const mask = one('Cryptographic Usage Mask');
    if (alg.type !== 'Enumeration' || len.type !== 'Integer' || mask.type !== 'Integer') {
      throw fail(
        ResultReason.InvalidField,
        'Cryptographic Algorithm, Length or Usage Mask has the wrong type',
      );
    }
    const lengths = SYMMETRIC_LENGTHS.get(alg.value);
    if (!lengths)
      throw fail(ResultReason.InvalidField, `unsupported Cryptographic Algorithm ${alg.value}`);
    if (!lengths.includes(len.value)) {
      throw fail(
        ResultReason.InvalidField,
        `unsupported Cryptographic Length ${len.value} for this algorithm`,
      );
    }
    const object: ManagedObject = {
      kind: 'SymmetricKey',
      keyBlock: {
        keyFormatType: KeyFormatType.Raw,
        keyMaterial: randomBytes(len.value / 8),
        cryptographicAlgorithm: alg.value,
        cryptographicLength: len.value,
      },
    };
    const o = this.newObject(owner, ObjectType.SymmetricKey, object, r.attributes);
    return createResponsePayload({
      objectType: o.objectType,
      uniqueIdentifier: o.uid,
      attributes: [],
    });
  }

  private register(p: TtlvStructure, owner: string): TtlvStructure {
    const r = parseRegisterRequestPayload(p);
    const objectType =
      r.object.kind === 'SymmetricKey'
        ? ObjectType.SymmetricKey
        : r.object.kind === 'SecretData'
          ? ObjectType.SecretData
          : r.object.objectType;
    if (!SERVER_OBJECT_TYPES.includes(objectType)) {
      throw fail(ResultReason.InvalidField, `Register does not support Object Type ${objectType}`);
    }
    const derived: Attribute[] =
      r.object.kind === 'Other'
        ? []
        : [
            ...(r.object.keyBlock.cryptographicAlgorithm === undefined ||
            r.attributes.some((a) => a.name === 'Cryptographic Algorithm')
              ? []
              : [attr.cryptographicAlgorithm(r.object.keyBlock.cryptographicAlgorithm)]),
            ...(r.object.keyBlock.cryptographicLength === undefined ||
            r.attributes.some((a) => a.name === 'Cryptographic Length')
              ? []
              : [attr.cryptographicLength(r.object.keyBlock.cryptographicLength)]),
          ];
    const o = this.newObject(owner, objectType, r.object, [...r.attributes, ...derived]);
    return uidPayload(Tag.ResponsePayload, o.uid);
  }

  private get(p: TtlvStructure, owner: string): TtlvStructure {
    const r = parseGetRequestPayload(p);
    const o = this.owned(r.uniqueIdentifier, owner);
    if (!o.object) throw fail(ResultReason.ItemNotFound, `object ${o.uid} has no key material`);
    const object = parseManagedObject(o.objectType, struct(Tag.ResponsePayload, [o.object]));
    if (
      r.keyFormatType !== undefined &&
      object.kind !== 'Other' &&
      r.keyFormatType !== object.keyBlock.keyFormatType
    ) {
      throw fail(ResultReason.KeyFormatTypeNotSupported, 'key format conversion is not supported');
    }
    return getResponsePayload({ objectType: o.objectType, uniqueIdentifier: o.uid, object });
  }
}
