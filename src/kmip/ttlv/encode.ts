/**
 * TTLV encoder (KMIP 1.4 §9.1). Two passes: measure, then write into one buffer.
 * Values are checked against their type (Integer is int32, Enumeration and Interval
 * uint32, 64-bit types within int64, Text Strings well formed) and a failure throws
 * {@link KmipCodecError} KMIP_TTLV_INVALID_VALUE with the tag path.
 */
import { KmipCodecError } from '../errors.ts';
import { TtlvType, type TtlvNode } from './types.ts';

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** Encodes one TTLV item (and its children) into a new byte array. */
export function encodeTtlv(node: TtlvNode): Buffer {
  const out = Buffer.allocUnsafe(measure(node, []));
  const end = write(out, 0, node);
  // allocUnsafe memory is not zeroed: every byte, padding included, is written by `write`.
  return end === out.length ? out : out.subarray(0, end);
}

function invalid(path: readonly number[], detail: string): KmipCodecError {
  return new KmipCodecError('KMIP_TTLV_INVALID_VALUE', detail, 0, path);
}

function pad8(n: number): number {
  return n + ((8 - (n % 8)) % 8);
}

/** Number of value bytes of a Big Integer in minimal two's-complement form, padded to 8. */
function bigIntegerLength(x: bigint): number {
  // Bits needed for two's complement: bit length of x (x >= 0) or of ~x (x < 0), plus a sign bit.
  const m = x < 0n ? ~x : x;
  const bits = m.toString(2).length + 1;
  return Math.max(8, pad8(Math.ceil(bits / 8)));
}

function measure(node: TtlvNode, path: readonly number[]): number {
  // Trees may come from untyped callers: check the shape, not only the types.
  const untyped: unknown = node;
  if (typeof untyped !== 'object' || untyped === null)
    throw invalid(path, 'an item is not an object');
  const tag = node.tag;
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xffffff) {
    throw invalid(path, `tag ${String(tag)} is not a 3-byte unsigned integer`);
  }
  switch (node.type) {
    case 'Structure': {
      const children: unknown = node.value;
      if (!Array.isArray(children)) {
        throw invalid([...path, tag], 'Structure value is not an array of items');
      }
      let n = 8;
      const inner = [...path, tag];
      for (const child of node.value) n += measure(child, inner);
      return n;
    }
    case 'Integer':
      if (!Number.isInteger(node.value) || node.value < -0x80000000 || node.value > 0x7fffffff) {
        throw invalid(
          [...path, tag],
          `Integer ${String(node.value)} is not a signed 32-bit integer`,
        );
      }
      return 16;
    case 'Enumeration':
    case 'Interval':
      if (!Number.isInteger(node.value) || node.value < 0 || node.value > 0xffffffff) {
        throw invalid(
          [...path, tag],
          `${node.type} ${String(node.value)} is not an unsigned 32-bit integer`,
        );
      }
      return 16;
    case 'LongInteger':
    case 'DateTime':
    case 'DateTimeExtended':
      if (typeof node.value !== 'bigint' || node.value < INT64_MIN || node.value > INT64_MAX) {
        throw invalid([...path, tag], `${node.type} value is not a signed 64-bit bigint`);
      }
      return 16;
    case 'Boolean':
      if (typeof node.value !== 'boolean') {
        throw invalid([...path, tag], 'Boolean value is not a boolean');
      }
      return 16;
    case 'BigInteger':
      if (typeof node.value !== 'bigint') {
        throw invalid([...path, tag], 'Big Integer value is not a bigint');
      }
      return 8 + bigIntegerLength(node.value);
    case 'TextString':
      if (typeof node.value !== 'string' || !node.value.isWellFormed()) {
        throw invalid([...path, tag], 'Text String is not a well-formed string');
      }
      return 8 + pad8(Buffer.byteLength(node.value, 'utf8'));
    case 'ByteString':
      if (!(node.value instanceof Uint8Array)) {
        throw invalid([...path, tag], 'Byte String value is not a Uint8Array');
      }
      return 8 + pad8(node.value.length);
    default: {
      const never: never = node;
      throw invalid(path, `unknown item type ${String((never as { type: unknown }).type)}`);
    }
  }
}

function header(out: Buffer, at: number, tag: number, type: number, len: number): void {
  out[at] = tag >>> 16;
  out[at + 1] = (tag >>> 8) & 0xff;
  out[at + 2] = tag & 0xff;
  out[at + 3] = type;
  out.writeUInt32BE(len, at + 4);
}

function zero(out: Buffer, from: number, to: number): void {
  for (let i = from; i < to; i++) out[i] = 0;
}

/** Writes `node` at `at` (values already checked by `measure`); returns the end offset. */
function write(out: Buffer, at: number, node: TtlvNode): number {
  const v = at + 8;
  switch (node.type) {
    case 'Structure': {
      let p = v;
      for (const child of node.value) p = write(out, p, child);
      header(out, at, node.tag, TtlvType.Structure, p - v);
      return p;
    }
    case 'Integer':
      header(out, at, node.tag, TtlvType.Integer, 4);
      out.writeInt32BE(node.value, v);
      out.writeUInt32BE(0, v + 4);
      return v + 8;
    case 'Enumeration':
      header(out, at, node.tag, TtlvType.Enumeration, 4);
      out.writeUInt32BE(node.value, v);
      out.writeUInt32BE(0, v + 4);
      return v + 8;
    case 'Interval':
      header(out, at, node.tag, TtlvType.Interval, 4);
      out.writeUInt32BE(node.value, v);
      out.writeUInt32BE(0, v + 4);
      return v + 8;
    case 'LongInteger':
      header(out, at, node.tag, TtlvType.LongInteger, 8);
      out.writeBigInt64BE(node.value, v);
      return v + 8;
    case 'DateTime':
      header(out, at, node.tag, TtlvType.DateTime, 8);
      out.writeBigInt64BE(node.value, v);
      return v + 8;
    case 'DateTimeExtended':
      header(out, at, node.tag, TtlvType.DateTimeExtended, 8);
      out.writeBigInt64BE(node.value, v);
      return v + 8;
    case 'Boolean':
      header(out, at, node.tag, TtlvType.Boolean, 8);
      out.writeUInt32BE(0, v);
      out.writeUInt32BE(node.value ? 1 : 0, v + 4);
      return v + 8;
    case 'BigInteger': {
      const len = bigIntegerLength(node.value);
      header(out, at, node.tag, TtlvType.BigInteger, len);
      // Two's complement in `len` bytes, most significant word first.
      let x = BigInt.asUintN(len * 8, node.value);
      for (let i = len - 8; i >= 0; i -= 8) {
        out.writeBigUInt64BE(x & 0xffffffffffffffffn, v + i);
        x >>= 64n;
      }
      return v + len;
    }
    case 'TextString': {
      const len = out.write(node.value, v, 'utf8');
      header(out, at, node.tag, TtlvType.TextString, len);
      const end = v + pad8(len);
      zero(out, v + len, end);
      return end;
    }
    case 'ByteString': {
      const len = node.value.length;
      out.set(node.value, v);
      header(out, at, node.tag, TtlvType.ByteString, len);
      const end = v + pad8(len);
      zero(out, v + len, end);
      return end;
    }
    default: {
      const never: never = node;
      return never;
    }
  }
}
