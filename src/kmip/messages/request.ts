/** Request Message (KMIP 1.4 §7.1, §7.2 Request Header, Batch Item). */
import { Tag } from '../spec/index.ts';
import type { TtlvNode, TtlvStructure } from '../ttlv/index.ts';
import {
  all,
  asStructure,
  boolean,
  byteString,
  dateTime,
  enumeration,
  integer,
  invalidMessage,
  optional,
  optionalValue,
  required,
  requiredValue,
  struct,
  textString,
} from './nodes.ts';
import { encodeVersion, parseVersionNode, type ProtocolVersion } from './protocol-version.ts';

/** Username and Password credential (Credential Type 1). */
export interface UsernamePassword {
  readonly username: string;
  readonly password?: string;
}

export interface RequestHeader {
  readonly protocolVersion: ProtocolVersion;
  /** Largest response the client accepts, in bytes. */
  readonly maximumResponseSize?: number;
  readonly asynchronousIndicator?: boolean;
  readonly authentication?: UsernamePassword;
  /** Batch Error Continuation Option: 1 Continue, 2 Stop, 3 Undo. */
  readonly batchErrorContinuationOption?: number;
  readonly batchOrderOption?: boolean;
  /** Seconds since the epoch. */
  readonly timeStamp?: bigint;
}

export interface RequestBatchItem {
  /** Operation enumeration value. */
  readonly operation: number;
  readonly uniqueBatchItemId?: Uint8Array;
  readonly payload: TtlvStructure;
}

export interface RequestMessage {
  readonly header: RequestHeader;
  readonly batchItems: readonly RequestBatchItem[];
}

/** Builds the TTLV tree of a request. Batch Count is derived from the items. */
export function encodeRequest(msg: RequestMessage): TtlvStructure {
  const h = msg.header;
  const auth = h.authentication;
  return struct(Tag.RequestMessage, [
    struct(Tag.RequestHeader, [
      encodeVersion(h.protocolVersion),
      h.maximumResponseSize === undefined
        ? undefined
        : integer(Tag.MaximumResponseSize, h.maximumResponseSize),
      h.asynchronousIndicator === undefined
        ? undefined
        : boolean(Tag.AsynchronousIndicator, h.asynchronousIndicator),
      auth
        ? struct(Tag.Authentication, [
            struct(Tag.Credential, [
              enumeration(Tag.CredentialType, 1),
              struct(Tag.CredentialValue, [
                textString(Tag.Username, auth.username),
                auth.password === undefined ? undefined : textString(Tag.Password, auth.password),
              ]),
            ]),
          ])
        : undefined,
      h.batchErrorContinuationOption === undefined
        ? undefined
        : enumeration(Tag.BatchErrorContinuationOption, h.batchErrorContinuationOption),
      h.batchOrderOption === undefined
        ? undefined
        : boolean(Tag.BatchOrderOption, h.batchOrderOption),
      h.timeStamp === undefined ? undefined : dateTime(Tag.TimeStamp, h.timeStamp),
      integer(Tag.BatchCount, msg.batchItems.length),
    ]),
    ...msg.batchItems.map((item) =>
      struct(Tag.BatchItem, [
        enumeration(Tag.Operation, item.operation),
        item.uniqueBatchItemId
          ? byteString(Tag.UniqueBatchItemID, item.uniqueBatchItemId)
          : undefined,
        item.payload,
      ]),
    ),
  ]);
}

/**
 * Parses a request tree (server side). Checks the header fields' types, that Batch Count
 * matches the items and that batched items carry Unique Batch Item IDs.
 */
export function parseRequest(node: TtlvNode): RequestMessage {
  if (node.type !== 'Structure') throw invalidMessage('a request must be a Structure');
  const msg = asStructure(node, Tag.RequestMessage);
  const h = required(msg, Tag.RequestHeader, 'Structure');
  const authNode = optional(h, Tag.Authentication, 'Structure');
  let authentication: UsernamePassword | undefined;
  if (authNode) {
    const cred = required(authNode, Tag.Credential, 'Structure');
    const type = requiredValue(cred, Tag.CredentialType, 'Enumeration');
    const value = required(cred, Tag.CredentialValue, 'Structure');
    if (type === 1) {
      const password = optionalValue(value, Tag.Password, 'TextString');
      authentication = {
        username: requiredValue(value, Tag.Username, 'TextString'),
        ...(password === undefined ? {} : { password }),
      };
    }
  }
  const items = all(msg, Tag.BatchItem, 'Structure').map((b): RequestBatchItem => {
    const id = optionalValue(b, Tag.UniqueBatchItemID, 'ByteString');
    return {
      operation: requiredValue(b, Tag.Operation, 'Enumeration'),
      ...(id === undefined ? {} : { uniqueBatchItemId: id }),
      payload: required(b, Tag.RequestPayload, 'Structure'),
    };
  });
  const count = requiredValue(h, Tag.BatchCount, 'Integer');
  if (count !== items.length) {
    throw invalidMessage(
      `Batch Count is ${count} but the message holds ${items.length} Batch Items`,
    );
  }
  if (items.length === 0) throw invalidMessage('the request holds no Batch Item');
  if (items.length > 1 && items.some((i) => i.uniqueBatchItemId === undefined)) {
    throw invalidMessage('every Batch Item of a batch needs a Unique Batch Item ID');
  }
  const header: RequestHeader = {
    protocolVersion: parseVersionNode(required(h, Tag.ProtocolVersion, 'Structure')),
    ...opt('maximumResponseSize', optionalValue(h, Tag.MaximumResponseSize, 'Integer')),
    ...opt('asynchronousIndicator', optionalValue(h, Tag.AsynchronousIndicator, 'Boolean')),
    ...opt('authentication', authentication),
    ...opt(
      'batchErrorContinuationOption',
      optionalValue(h, Tag.BatchErrorContinuationOption, 'Enumeration'),
    ),
    ...opt('batchOrderOption', optionalValue(h, Tag.BatchOrderOption, 'Boolean')),
    ...opt('timeStamp', optionalValue(h, Tag.TimeStamp, 'DateTime')),
  };
  return { header, batchItems: items };
}

/** `{ [key]: value }` when value is defined, `{}` otherwise (for exactOptionalPropertyTypes). */
export function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
