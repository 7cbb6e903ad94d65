/**
 * TTLV item types and the decoded tree (KMIP 1.4 §9.1.1.2, Table 191; KMIP 2.0 §9.1.1.2 adds
 * Date-Time Extended). A tree node is a discriminated union on `type`; 64-bit and larger
 * integers and dates are `bigint` so that every value survives a round trip.
 */

/** Item Type byte of each TTLV type. */
export const TtlvType = {
  Structure: 0x01,
  Integer: 0x02,
  LongInteger: 0x03,
  BigInteger: 0x04,
  Enumeration: 0x05,
  Boolean: 0x06,
  TextString: 0x07,
  ByteString: 0x08,
  DateTime: 0x09,
  Interval: 0x0a,
  /** KMIP 2.0: microseconds since the POSIX epoch, signed 64-bit. */
  DateTimeExtended: 0x0b,
} as const;

export type TtlvTypeName = keyof typeof TtlvType;

/** TTLV type names indexed by their type byte (index 0 unused). */
export const TTLV_TYPE_NAMES: readonly (TtlvTypeName | undefined)[] = [
  undefined,
  'Structure',
  'Integer',
  'LongInteger',
  'BigInteger',
  'Enumeration',
  'Boolean',
  'TextString',
  'ByteString',
  'DateTime',
  'Interval',
  'DateTimeExtended',
];

export interface TtlvStructure {
  readonly tag: number;
  readonly type: 'Structure';
  readonly value: readonly TtlvNode[];
}
/** Signed 32-bit integer. */
export interface TtlvInteger {
  readonly tag: number;
  readonly type: 'Integer';
  readonly value: number;
}
/** Signed 64-bit integer. */
export interface TtlvLongInteger {
  readonly tag: number;
  readonly type: 'LongInteger';
  readonly value: bigint;
}
/** Arbitrary-precision two's-complement integer. */
export interface TtlvBigInteger {
  readonly tag: number;
  readonly type: 'BigInteger';
  readonly value: bigint;
}
/** Unsigned 32-bit enumeration value. */
export interface TtlvEnumeration {
  readonly tag: number;
  readonly type: 'Enumeration';
  readonly value: number;
}
export interface TtlvBoolean {
  readonly tag: number;
  readonly type: 'Boolean';
  readonly value: boolean;
}
export interface TtlvTextString {
  readonly tag: number;
  readonly type: 'TextString';
  readonly value: string;
}
export interface TtlvByteString {
  readonly tag: number;
  readonly type: 'ByteString';
  readonly value: Uint8Array;
}
/** Seconds since the POSIX epoch, signed 64-bit. */
export interface TtlvDateTime {
  readonly tag: number;
  readonly type: 'DateTime';
  readonly value: bigint;
}
/** Unsigned 32-bit number of seconds. */
export interface TtlvInterval {
  readonly tag: number;
  readonly type: 'Interval';
  readonly value: number;
}
/** Microseconds since the POSIX epoch, signed 64-bit (KMIP 2.0). */
export interface TtlvDateTimeExtended {
  readonly tag: number;
  readonly type: 'DateTimeExtended';
  readonly value: bigint;
}

export type TtlvNode =
  | TtlvStructure
  | TtlvInteger
  | TtlvLongInteger
  | TtlvBigInteger
  | TtlvEnumeration
  | TtlvBoolean
  | TtlvTextString
  | TtlvByteString
  | TtlvDateTime
  | TtlvInterval
  | TtlvDateTimeExtended;

/** Limits applied while decoding untrusted input. */
export interface TtlvLimits {
  /** Largest accepted encoded message, in bytes. Default 1 MiB (PyKMIP's response limit). */
  readonly maxBytes?: number;
  /**
   * Deepest accepted structure nesting; the top-level item is depth 1. Default 32; values
   * above {@link MAX_DEPTH_CEILING} are lowered to it.
   */
  readonly maxDepth?: number;
}

export const DEFAULT_MAX_BYTES = 1024 * 1024;
export const DEFAULT_MAX_DEPTH = 32;
/** Highest depth limit honoured (recursion stays far from the stack limit). */
export const MAX_DEPTH_CEILING = 1000;
