export * from './types.ts';
export { decodeTtlv } from './decode.ts';
export { encodeTtlv } from './encode.ts';
export { TtlvFramer } from './framer.ts';
export { hexToBytes, bytesToHex } from './hex.ts';
