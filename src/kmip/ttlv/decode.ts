/**
 * Strict TTLV decoder (KMIP 1.4 §9.1). Every failure is a {@link KmipCodecError} with the
 * byte offset of the offending item and the path of enclosing tags. Checks: known type
 * byte, fixed lengths (Integer, Enumeration, Interval 4; Long Integer, Boolean, Date-Time 8),
 * Big Integer and Structure lengths multiples of 8, children exactly filling their
 * structure, zero padding, Boolean 0 or 1, valid UTF-8, minimal Big Integers, total size
 * and depth limits, no trailing bytes.
 */
import { isUtf8 } from 'node:buffer';
import { KmipCodecError } from '../errors.ts';
import {
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_DEPTH,
  MAX_DEPTH_CEILING,
  type TtlvLimits,
  type TtlvNode,
} from './types.ts';

/**
 * Decodes exactly one TTLV item that fills `input`.
 * @throws KmipCodecError on malformed input or exceeded limits.
 */
export function decodeTtlv(input: Uint8Array, limits: TtlvLimits = {}): TtlvNode {
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
  if (input.length > maxBytes) {
    throw new KmipCodecError(
      'KMIP_TTLV_SIZE_LIMIT',
      `message of ${input.length} bytes exceeds the limit of ${maxBytes}`,
      0,
    );
  }
  const buf = Buffer.from(input.buffer, input.byteOffset, input.length);
  // Recursion depth is bounded by MAX_DEPTH_CEILING whatever the caller asks, so a deep
  // structure is a KmipCodecError, never a stack overflow.
  const d = new Decoder(buf, Math.min(limits.maxDepth ?? DEFAULT_MAX_DEPTH, MAX_DEPTH_CEILING));
  const node = d.item(0, buf.length, 1);
  const end = d.pos;
  if (end !== buf.length) {
    throw new KmipCodecError(
      'KMIP_TTLV_TRAILING_BYTES',
      `${buf.length - end} bytes follow the top-level item`,
      end,
    );
  }
  return node;
}

class Decoder {
  pos = 0;
  private readonly buf: Buffer;
  private readonly maxDepth: number;

  constructor(buf: Buffer, maxDepth: number) {
    this.buf = buf;
    this.maxDepth = maxDepth;
  }

  /** Decodes the item at `at`, which must end (padding included) at or before `limit`. */
  item(at: number, limit: number, depth: number): TtlvNode {
    const b = this.buf;
    if (limit - at < 8) {
      throw new KmipCodecError(
        'KMIP_TTLV_TRUNCATED',
        `item header needs 8 bytes, ${limit - at} left`,
        at,
      );
    }
    const tag = (b[at]! << 16) | (b[at + 1]! << 8) | b[at + 2]!;
    const type = b[at + 3]!;
    const len = ((b[at + 4]! << 24) | (b[at + 5]! << 16) | (b[at + 6]! << 8) | b[at + 7]!) >>> 0;
    const v = at + 8;
    // In doubles: `len` may be up to 2^32-1, past what int32 bit tricks can hold.
    const padded = len + ((8 - (len % 8)) % 8);
    if (v + padded > limit) {
      const left = limit - v;
      throw depth === 1
        ? new KmipCodecError(
            'KMIP_TTLV_TRUNCATED',
            `declared length ${len} (${padded} with padding) exceeds the ${left} bytes left`,
            at,
            [tag],
          )
        : new KmipCodecError(
            'KMIP_TTLV_BAD_LENGTH',
            `declared length ${len} (${padded} with padding) overruns the enclosing structure, which has ${left} bytes left`,
            at,
            [tag],
          );
    }
    this.pos = v + padded;
    switch (type) {
      case 0x01: {
        if (len % 8 !== 0) throw this.lengthError(at, tag, 'Structure', len, 'a multiple of 8');
        if (depth > this.maxDepth) {
          throw new KmipCodecError(
            'KMIP_TTLV_DEPTH_LIMIT',
            `structure nesting exceeds the limit of ${this.maxDepth}`,
            at,
            [tag],
          );
        }
        const end = v + len;
        const children: TtlvNode[] = [];
        let p = v;
        try {
          while (p < end) {
            children.push(this.item(p, end, depth + 1));
            p = this.pos;
          }
        } catch (e) {
          throw e instanceof KmipCodecError ? e.within(tag) : e;
        }
        this.pos = end;
        return { tag, type: 'Structure', value: children };
      }
      case 0x02: {
        if (len !== 4) throw this.lengthError(at, tag, 'Integer', len, '4');
        this.zeroPad(v + 4, 4, tag);
        return { tag, type: 'Integer', value: b.readInt32BE(v) };
      }
      case 0x03: {
        if (len !== 8) throw this.lengthError(at, tag, 'Long Integer', len, '8');
        return { tag, type: 'LongInteger', value: b.readBigInt64BE(v) };
      }
      case 0x04: {
        if (len === 0 || len % 8 !== 0) {
          throw this.lengthError(at, tag, 'Big Integer', len, 'a non-zero multiple of 8');
        }
        return { tag, type: 'BigInteger', value: this.bigInteger(at, v, len, tag) };
      }
      case 0x05: {
        if (len !== 4) throw this.lengthError(at, tag, 'Enumeration', len, '4');
        this.zeroPad(v + 4, 4, tag);
        return { tag, type: 'Enumeration', value: b.readUInt32BE(v) };
      }
      case 0x06: {
        if (len !== 8) throw this.lengthError(at, tag, 'Boolean', len, '8');
        const hi = b.readUInt32BE(v);
        const lo = b.readUInt32BE(v + 4);
        if (hi !== 0 || lo > 1) {
          throw new KmipCodecError(
            'KMIP_TTLV_BAD_BOOLEAN',
            'Boolean value is neither 0 nor 1',
            at,
            [tag],
          );
        }
        return { tag, type: 'Boolean', value: lo === 1 };
      }
      case 0x07: {
        this.zeroPad(v + len, padded - len, tag);
        return { tag, type: 'TextString', value: this.text(at, v, len, tag) };
      }
      case 0x08: {
        this.zeroPad(v + len, padded - len, tag);
        return { tag, type: 'ByteString', value: new Uint8Array(b.subarray(v, v + len)) };
      }
      case 0x09: {
        if (len !== 8) throw this.lengthError(at, tag, 'Date-Time', len, '8');
        return { tag, type: 'DateTime', value: b.readBigInt64BE(v) };
      }
      case 0x0a: {
        if (len !== 4) throw this.lengthError(at, tag, 'Interval', len, '4');
        this.zeroPad(v + 4, 4, tag);
        return { tag, type: 'Interval', value: b.readUInt32BE(v) };
      }
      case 0x0b: {
        if (len !== 8) throw this.lengthError(at, tag, 'Date-Time Extended', len, '8');
        return { tag, type: 'DateTimeExtended', value: b.readBigInt64BE(v) };
      }
      default:
        throw new KmipCodecError(
          'KMIP_TTLV_BAD_TYPE',
          `unknown item type 0x${type.toString(16).padStart(2, '0')}`,
          at,
          [tag],
        );
    }
  }

  private lengthError(
    at: number,
    tag: number,
    type: string,
    len: number,
    want: string,
  ): KmipCodecError {
    return new KmipCodecError(
      'KMIP_TTLV_BAD_LENGTH',
      `${type} length is ${len}, must be ${want}`,
      at,
      [tag],
    );
  }

  private zeroPad(from: number, count: number, tag: number): void {
    const b = this.buf;
    for (let i = 0; i < count; i++) {
      if (b[from + i] !== 0) {
        throw new KmipCodecError(
          'KMIP_TTLV_BAD_PADDING',
          `padding byte is 0x${b[from + i]!.toString(16).padStart(2, '0')}, must be 0`,
          from + i,
          [tag],
        );
      }
    }
  }

  private text(at: number, v: number, len: number, tag: number): string {
    const b = this.buf;
    // Fast path for ASCII, by far the common case in KMIP (names, identifiers, vendors).
    let ascii = true;
    for (let i = v, end = v + len; i < end; i++) {
      if (b[i]! > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (ascii) return b.toString('latin1', v, v + len);
    const slice = b.subarray(v, v + len);
    if (!isUtf8(slice)) {
      throw new KmipCodecError('KMIP_TTLV_BAD_UTF8', 'Text String is not valid UTF-8', at, [tag]);
    }
    return b.toString('utf8', v, v + len);
  }

  private bigInteger(at: number, v: number, len: number, tag: number): bigint {
    const b = this.buf;
    // Minimal form: the first 8-byte word may not be pure sign extension of the next one.
    if (len > 8) {
      const fill = b[v]!;
      if (fill === 0x00 || fill === 0xff) {
        let redundant = (b[v + 8]! & 0x80) === (fill & 0x80);
        for (let i = 1; redundant && i < 8; i++) redundant = b[v + i] === fill;
        if (redundant) {
          throw new KmipCodecError(
            'KMIP_TTLV_BAD_BIG_INTEGER',
            'Big Integer carries a redundant sign-extension word',
            at,
            [tag],
          );
        }
      }
    }
    let x = 0n;
    for (let i = 0; i < len; i += 8) x = (x << 64n) | b.readBigUInt64BE(v + i);
    return b[v]! & 0x80 ? x - (1n << BigInt(len * 8)) : x;
  }
}
