/** Hexadecimal text ⇄ bytes, strict: whitespace and a leading `0x` are the only leniencies. */
import { KmipCodecError } from '../errors.ts';

/**
 * Parses hex text (case-insensitive; spaces, tabs and newlines between byte pairs are
 * ignored; one leading `0x` allowed).
 * @throws KmipCodecError KMIP_HEX_INVALID whose offset is the byte (pair of digits, after
 * removing whitespace and the prefix) that holds the first bad digit.
 */
export function hexToBytes(text: string): Buffer {
  let s = text.replace(/[\s]+/g, '');
  if (s.startsWith('0x') || s.startsWith('0X')) s = s.slice(2);
  const bad = /[^0-9a-fA-F]/.exec(s);
  if (bad) {
    throw new KmipCodecError(
      'KMIP_HEX_INVALID',
      `not a hexadecimal digit: ${JSON.stringify(bad[0])}`,
      Math.floor(bad.index / 2),
    );
  }
  if (s.length % 2 !== 0) {
    throw new KmipCodecError(
      'KMIP_HEX_INVALID',
      'odd number of hexadecimal digits',
      Math.floor(s.length / 2),
    );
  }
  return Buffer.from(s, 'hex');
}

/** Lower-case hex of `bytes`, no separators. */
export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}
