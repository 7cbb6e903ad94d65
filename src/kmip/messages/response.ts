/** Response Message (KMIP 1.4 §7.1, §7.2 Response Header, Batch Item, §6.9–6.11 results). */
import { Tag } from '../spec/index.ts';
import type { TtlvNode, TtlvStructure } from '../ttlv/index.ts';
import {
  all,
  asStructure,
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
import { opt } from './request.ts';

export interface ResponseHeader {
  readonly protocolVersion: ProtocolVersion;
  /** Seconds since the epoch. */
  readonly timeStamp: bigint;
}

export interface ResponseBatchItem {
  /** Absent when the server rejected the whole message (PyKMIP does this). */
  readonly operation?: number;
  readonly uniqueBatchItemId?: Uint8Array;
  /** Result Status: 0 Success, 1 Operation Failed, 2 Operation Pending, 3 Operation Undone. */
  readonly resultStatus: number;
  readonly resultReason?: number;
  readonly resultMessage?: string;
  readonly asynchronousCorrelationValue?: Uint8Array;
  readonly payload?: TtlvStructure;
}

export interface ResponseMessage {
  readonly header: ResponseHeader;
  readonly batchItems: readonly ResponseBatchItem[];
}

export function encodeResponse(msg: ResponseMessage): TtlvStructure {
  return struct(Tag.ResponseMessage, [
    struct(Tag.ResponseHeader, [
      encodeVersion(msg.header.protocolVersion),
      dateTime(Tag.TimeStamp, msg.header.timeStamp),
      integer(Tag.BatchCount, msg.batchItems.length),
    ]),
    ...msg.batchItems.map((b) =>
      struct(Tag.BatchItem, [
        b.operation === undefined ? undefined : enumeration(Tag.Operation, b.operation),
        b.uniqueBatchItemId ? byteString(Tag.UniqueBatchItemID, b.uniqueBatchItemId) : undefined,
        enumeration(Tag.ResultStatus, b.resultStatus),
        b.resultReason === undefined ? undefined : enumeration(Tag.ResultReason, b.resultReason),
        b.resultMessage === undefined ? undefined : textString(Tag.ResultMessage, b.resultMessage),
        b.asynchronousCorrelationValue
          ? byteString(Tag.AsynchronousCorrelationValue, b.asynchronousCorrelationValue)
          : undefined,
        b.payload,
      ]),
    ),
  ]);
}

export function parseResponse(node: TtlvNode): ResponseMessage {
  if (node.type !== 'Structure') throw invalidMessage('a response must be a Structure');
  const msg = asStructure(node, Tag.ResponseMessage);
  const h = required(msg, Tag.ResponseHeader, 'Structure');
  const items = all(msg, Tag.BatchItem, 'Structure').map((b): ResponseBatchItem => ({
    ...opt('operation', optionalValue(b, Tag.Operation, 'Enumeration')),
    ...opt('uniqueBatchItemId', optionalValue(b, Tag.UniqueBatchItemID, 'ByteString')),
    resultStatus: requiredValue(b, Tag.ResultStatus, 'Enumeration'),
    ...opt('resultReason', optionalValue(b, Tag.ResultReason, 'Enumeration')),
    ...opt('resultMessage', optionalValue(b, Tag.ResultMessage, 'TextString')),
    ...opt(
      'asynchronousCorrelationValue',
      optionalValue(b, Tag.AsynchronousCorrelationValue, 'ByteString'),
    ),
    ...opt('payload', optional(b, Tag.ResponsePayload, 'Structure')),
  }));
  const count = requiredValue(h, Tag.BatchCount, 'Integer');
  if (count !== items.length) {
    throw invalidMessage(
      `Batch Count is ${count} but the message holds ${items.length} Batch Items`,
    );
  }
  return {
    header: {
      protocolVersion: parseVersionNode(required(h, Tag.ProtocolVersion, 'Structure')),
      timeStamp: requiredValue(h, Tag.TimeStamp, 'DateTime'),
    },
    batchItems: items,
  };
}
