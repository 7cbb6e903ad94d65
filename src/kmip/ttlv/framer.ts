/**
 * Incremental framer for a TLS byte stream carrying TTLV messages back to back
 * (KMIP 1.4 §9.1: a message is one top-level Structure, no other framing). Bytes are
 * buffered only up to the configured maximum message size, so a peer announcing a huge
 * length is rejected from its 8-byte header, before anything is buffered for it.
 */
import { KmipCodecError } from '../errors.ts';
import { DEFAULT_MAX_BYTES } from './types.ts';

export class TtlvFramer {
  private readonly maxBytes: number;
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Stream offset of the first buffered byte, for error messages. */
  private streamOffset = 0;

  /** @param maxBytes largest accepted message, header included (default 1 MiB). */
  constructor(maxBytes: number = DEFAULT_MAX_BYTES) {
    this.maxBytes = maxBytes;
  }

  /** Bytes received but not yet returned as a whole message. */
  get pending(): number {
    return this.buffered;
  }

  /**
   * Adds received bytes; returns every message now complete (possibly none), each a
   * whole encoded TTLV item, header included.
   * @throws KmipCodecError when a header is not a Structure, or announces a length that
   * is not a multiple of 8 or exceeds the limit. The framer is unusable afterwards.
   */
  push(chunk: Uint8Array): Buffer[] {
    if (chunk.length === 0) return [];
    this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
    this.buffered += chunk.length;
    const out: Buffer[] = [];
    for (;;) {
      if (this.buffered < 8) break;
      const head = this.peek(8);
      const type = head[3]!;
      const len = head.readUInt32BE(4);
      if (type !== 0x01) {
        throw new KmipCodecError(
          'KMIP_TTLV_BAD_TYPE',
          `a message must be a Structure, got type 0x${type.toString(16).padStart(2, '0')}`,
          this.streamOffset,
        );
      }
      if (len % 8 !== 0) {
        throw new KmipCodecError(
          'KMIP_TTLV_BAD_LENGTH',
          `message length ${len} is not a multiple of 8`,
          this.streamOffset,
        );
      }
      const total = 8 + len;
      if (total > this.maxBytes) {
        throw new KmipCodecError(
          'KMIP_TTLV_SIZE_LIMIT',
          `message of ${total} bytes exceeds the limit of ${this.maxBytes}`,
          this.streamOffset,
        );
      }
      if (this.buffered < total) break;
      out.push(this.take(total));
    }
    return out;
  }

  /** The first `n` buffered bytes (n ≤ buffered), copying only the chunks that hold them. */
  private peek(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) return first;
    let have = 0;
    let i = 0;
    while (have < n) have += this.chunks[i++]!.length;
    return Buffer.concat(this.chunks.slice(0, i), n);
  }

  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    let msg: Buffer;
    if (first.length === n) {
      this.chunks.shift();
      msg = first;
    } else if (first.length > n) {
      msg = first.subarray(0, n);
      this.chunks[0] = first.subarray(n);
    } else {
      // Copy whole chunks by index and drop them with one splice: small TLS records must
      // not make framing quadratic.
      msg = Buffer.allocUnsafe(n);
      let p = 0;
      let i = 0;
      while (p < n) {
        const c = this.chunks[i]!;
        const k = Math.min(c.length, n - p);
        c.copy(msg, p, 0, k);
        p += k;
        if (k === c.length) i++;
        else this.chunks[i] = c.subarray(k);
      }
      this.chunks.splice(0, i);
    }
    this.buffered -= n;
    this.streamOffset += n;
    return msg;
  }
}
