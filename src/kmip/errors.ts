/**
 * Errors of the KMIP library. Every error carries a stable string `code` from
 * {@link KmipErrorCode}; codec errors also carry the byte offset and the tag path
 * where decoding stopped (like js-bson's offset errors), operation errors carry the
 * KMIP result of the failed batch item. The registry is documented in docs/errors.md.
 */

/** Every code the KMIP library throws. Never reuse a retired code. */
export const KMIP_ERROR_CODES = {
  KMIP_TTLV_TRUNCATED: 'the input ends inside an item',
  KMIP_TTLV_BAD_TYPE: 'an item has an unknown type byte',
  KMIP_TTLV_BAD_LENGTH: 'an item length does not fit its type or its parent structure',
  KMIP_TTLV_BAD_PADDING: 'a padding byte is not zero',
  KMIP_TTLV_BAD_BOOLEAN: 'a Boolean is neither 0 nor 1',
  KMIP_TTLV_BAD_UTF8: 'a Text String is not valid UTF-8',
  KMIP_TTLV_BAD_BIG_INTEGER: 'a Big Integer is empty or carries redundant sign-extension words',
  KMIP_TTLV_DEPTH_LIMIT: 'structures nest deeper than the configured limit',
  KMIP_TTLV_SIZE_LIMIT: 'the message is larger than the configured limit',
  KMIP_TTLV_TRAILING_BYTES: 'bytes follow the top-level item',
  KMIP_TTLV_INVALID_VALUE: 'a value cannot be encoded in its TTLV type',
  KMIP_JSON_INVALID: 'KMIP JSON input does not follow the encoding',
  KMIP_HEX_INVALID: 'hexadecimal input is malformed',
  KMIP_MESSAGE_INVALID: 'a TTLV tree is not a well-formed KMIP message or payload',
  KMIP_OPERATION_FAILED: 'the server answered a batch item with a failure result',
  KMIP_PROTOCOL_ERROR: 'the peer broke the request/response protocol',
  KMIP_VERSION_UNSUPPORTED: 'no protocol version is supported by both sides',
  KMIP_CONNECT_FAILED: 'the TCP connection could not be made',
  KMIP_CONNECT_TIMEOUT: 'the connection (TCP and TLS) did not complete in time',
  KMIP_TLS_FAILED: 'the TLS handshake or certificate verification failed',
  KMIP_REQUEST_TIMEOUT: 'no response arrived in time',
  KMIP_CONNECTION_CLOSED: 'the connection closed before the response arrived',
  KMIP_CLIENT_CLOSED: 'the client was closed',
  KMIP_STORE_FAILED: 'the server object store failed',
} as const;

export type KmipErrorCode = keyof typeof KMIP_ERROR_CODES;

/** Base class of every error the KMIP library throws. */
export class KmipError extends Error {
  readonly code: KmipErrorCode;
  constructor(code: KmipErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KmipError';
    this.code = code;
  }
}

/**
 * A TTLV, hex or JSON codec failure. `offset` is the byte offset (from the start of
 * the decoded input) of the item that failed; `tagPath` holds the enclosing tags,
 * outermost first (the caller that knows the tag tables can name them). The message
 * reads "DETAIL (at byte N, in 0x420078/0x42000F)".
 */
export class KmipCodecError extends KmipError {
  readonly detail: string;
  readonly offset: number;
  readonly tagPath: readonly number[];
  constructor(
    code: KmipErrorCode,
    detail: string,
    offset: number,
    tagPath: readonly number[] = [],
  ) {
    const where = tagPath.length ? `, in ${tagPath.map(hexTag).join('/')}` : '';
    super(code, `${detail} (at byte ${offset}${where})`);
    this.name = 'KmipCodecError';
    this.detail = detail;
    this.offset = offset;
    this.tagPath = tagPath;
  }

  /** The same error with one more enclosing tag in front of its path. */
  within(tag: number): KmipCodecError {
    return new KmipCodecError(this.code, this.detail, this.offset, [tag, ...this.tagPath]);
  }
}

/** `0x42007B` form of a tag. */
export function hexTag(tag: number): string {
  return '0x' + tag.toString(16).toUpperCase().padStart(6, '0');
}

/** The KMIP result of a batch item that failed (KMIP 1.4 §6.9–6.11). */
export interface KmipFailure {
  /** Result Status value (1 Operation Failed, 2 Pending, 3 Undone). */
  readonly resultStatus: number;
  /** Result Reason value, when the server gave one. */
  readonly resultReason?: number;
  /** Result Message text, when the server gave one. */
  readonly resultMessage?: string;
  /** The Operation of the batch item (as echoed, or as requested). */
  readonly operation?: number;
  /**
   * True when the server rejected the whole message: its one response item carried no
   * Operation (PyKMIP and Sekisho answer parse, version and authentication faults so).
   */
  readonly messageRejected?: boolean;
}

/** A batch item answered with a failure result. */
export class KmipOperationError extends KmipError implements KmipFailure {
  readonly resultStatus: number;
  readonly resultReason?: number;
  readonly resultMessage?: string;
  readonly operation?: number;
  readonly messageRejected: boolean;
  constructor(message: string, failure: KmipFailure) {
    super('KMIP_OPERATION_FAILED', message);
    this.name = 'KmipOperationError';
    this.resultStatus = failure.resultStatus;
    if (failure.resultReason !== undefined) this.resultReason = failure.resultReason;
    if (failure.resultMessage !== undefined) this.resultMessage = failure.resultMessage;
    if (failure.operation !== undefined) this.operation = failure.operation;
    this.messageRejected = failure.messageRejected ?? false;
  }
}
