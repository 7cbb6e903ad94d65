/**
 * The 128 bytes of sense data of each event ID (error code 1785), as the detailed view shows
 * them in `sense1` … `sense8` (16 bytes a line) and as docs/events.md documents them.
 *
 * Integers are unsigned big-endian. Text fields are UTF-8, cut to the field on a character
 * boundary (never inside a multi-byte sequence) and padded with NUL bytes; a text reads up to
 * its first NUL. Bytes not named by a layout are zero.
 *
 * | Event  | Bytes  | Field                                                                  |
 * |--------|--------|------------------------------------------------------------------------|
 * | 086006 | 0–3    | KMIP error code: the client-side code, 0 when the server answered with |
 * |        |        | a proper failure (reference Q4)                                        |
 * |        | 4–7    | KMIP Result Status (KMIP 1.4 §9.1.3.2.26)                              |
 * |        | 8–11   | KMIP Result Reason (KMIP 1.4 §9.1.3.2.27)                              |
 * |        | 12–127 | KMIP Result Message                                                    |
 * | 086007 | 0–1    | KMIP version major (highest common; 0 if unknown)                      |
 * |        | 2–3    | KMIP version minor                                                     |
 * |        | 4–7    | reason: 1 KMIP below 1.3, 2 unsupported vendor/type, 3 unsupported     |
 * |        |        | product version                                                        |
 * |        | 8–63   | Vendor Identification                                                  |
 * |        | 64–95  | product version                                                        |
 * |        | 96–127 | server type                                                            |
 * | 086008 | 0–3    | stage: 1 service_ip, 2 dns, 3 tcp, 4 tls, 5 certificates               |
 * |        | 4–7    | reserved, 0                                                            |
 * |        | 8–39   | cause code (ECONNREFUSED, CERT_HAS_EXPIRED, …)                         |
 * |        | 40–127 | message                                                                |
 * | 086009 | 0–31   | server type reported (e.g. "clone")                                    |
 * |        | 32–127 | message                                                                |
 */
import { SENSE_BYTES, type EventId } from './types.ts';

/** Reasons of 086007 (bytes 4–7). */
export const VENDOR_REASON_CODES = {
  kmip_version: 1,
  vendor: 2,
  product_version: 3,
} as const;

/** Stages of 086008 (bytes 0–3): where the connection failed. */
export const CONNECTION_STAGE_CODES = {
  service_ip: 1,
  dns: 2,
  tcp: 3,
  tls: 4,
  certificates: 5,
} as const;

/** 086006: the key server reported a KMIP error. */
export interface KmipErrorSense {
  readonly eventId: '086006';
  /** Client-side error code; 0 when the server returned a proper failure response. */
  readonly clientErrorCode: number;
  readonly resultStatus: number;
  readonly resultReason: number;
  /** At most 116 bytes of UTF-8 are kept. */
  readonly resultMessage: string;
}

/** 086007: vendor information (unsupported KMIP version, vendor/type or product version). */
export interface VendorSense {
  readonly eventId: '086007';
  readonly kmipMajor: number;
  readonly kmipMinor: number;
  /** One of {@link VENDOR_REASON_CODES}. */
  readonly reason: number;
  /** At most 56 bytes. */
  readonly vendorIdentification: string;
  /** At most 32 bytes. */
  readonly productVersion: string;
  /** At most 32 bytes. */
  readonly serverType: string;
}

/** 086008: a node could not connect to the key server. */
export interface ConnectionSense {
  readonly eventId: '086008';
  /** One of {@link CONNECTION_STAGE_CODES}. */
  readonly stageCode: number;
  /** At most 32 bytes. */
  readonly causeCode: string;
  /** At most 88 bytes. */
  readonly message: string;
}

/** 086009: the server defined as primary reports another role. */
export interface PrimarySense {
  readonly eventId: '086009';
  /** At most 32 bytes. */
  readonly serverType: string;
  /** At most 96 bytes. */
  readonly message: string;
}

export type SenseData = KmipErrorSense | VendorSense | ConnectionSense | PrimarySense;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8');

/** UTF-8 of `text` in at most `max` bytes, cut before a partial character. */
export function utf8Prefix(text: string, max: number): Uint8Array {
  const bytes = utf8.encode(text);
  if (bytes.length <= max) return bytes;
  let cut = max;
  // Back off over continuation bytes (10xxxxxx) so the cut lands on a character's first byte.
  while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut--;
  return bytes.subarray(0, cut);
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function putU16(b: Uint8Array, at: number, v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) {
    throw new RangeError(`${what} must be an integer 0-65535, got ${v}`);
  }
  view(b).setUint16(at, v);
}

function putU32(b: Uint8Array, at: number, v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new RangeError(`${what} must be an integer 0-4294967295, got ${v}`);
  }
  view(b).setUint32(at, v);
}

/** Writes `text` into bytes [from, to); the rest of the field stays NUL. */
function putText(b: Uint8Array, from: number, to: number, text: string): void {
  b.set(utf8Prefix(text, to - from), from);
}

/** Text of bytes [from, to) up to the first NUL; malformed UTF-8 reads as U+FFFD. */
function getText(b: Uint8Array, from: number, to: number): string {
  const field = b.subarray(from, to);
  const nul = field.indexOf(0);
  return fromUtf8.decode(nul === -1 ? field : field.subarray(0, nul));
}

/** The {@link SENSE_BYTES} sense bytes of an event. Throws RangeError for an out-of-range number. */
export function encodeSense(data: SenseData): Uint8Array {
  const b = new Uint8Array(SENSE_BYTES);
  switch (data.eventId) {
    case '086006':
      putU32(b, 0, data.clientErrorCode, 'clientErrorCode');
      putU32(b, 4, data.resultStatus, 'resultStatus');
      putU32(b, 8, data.resultReason, 'resultReason');
      putText(b, 12, 128, data.resultMessage);
      break;
    case '086007':
      putU16(b, 0, data.kmipMajor, 'kmipMajor');
      putU16(b, 2, data.kmipMinor, 'kmipMinor');
      putU32(b, 4, data.reason, 'reason');
      putText(b, 8, 64, data.vendorIdentification);
      putText(b, 64, 96, data.productVersion);
      putText(b, 96, 128, data.serverType);
      break;
    case '086008':
      putU32(b, 0, data.stageCode, 'stageCode');
      putText(b, 8, 40, data.causeCode);
      putText(b, 40, 128, data.message);
      break;
    case '086009':
      putText(b, 0, 32, data.serverType);
      putText(b, 32, 128, data.message);
      break;
    default: {
      const never: never = data;
      throw new TypeError(`unknown event ID ${String((never as { eventId: unknown }).eventId)}`);
    }
  }
  return b;
}

/** Reads the sense bytes of an event back. Throws RangeError unless there are 128 bytes. */
export function decodeSense(eventId: EventId, bytes: Uint8Array): SenseData {
  if (bytes.length !== SENSE_BYTES) {
    throw new RangeError(`sense data must be ${SENSE_BYTES} bytes, got ${bytes.length}`);
  }
  const v = view(bytes);
  switch (eventId) {
    case '086006':
      return {
        eventId,
        clientErrorCode: v.getUint32(0),
        resultStatus: v.getUint32(4),
        resultReason: v.getUint32(8),
        resultMessage: getText(bytes, 12, 128),
      };
    case '086007':
      return {
        eventId,
        kmipMajor: v.getUint16(0),
        kmipMinor: v.getUint16(2),
        reason: v.getUint32(4),
        vendorIdentification: getText(bytes, 8, 64),
        productVersion: getText(bytes, 64, 96),
        serverType: getText(bytes, 96, 128),
      };
    case '086008':
      return {
        eventId,
        stageCode: v.getUint32(0),
        causeCode: getText(bytes, 8, 40),
        message: getText(bytes, 40, 128),
      };
    case '086009':
      return { eventId, serverType: getText(bytes, 0, 32), message: getText(bytes, 32, 128) };
    default: {
      const never: never = eventId;
      throw new TypeError(`unknown event ID ${String(never)}`);
    }
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Number of lines (`sense1` … `sense8`) and bytes per line of the detailed view. */
export const SENSE_LINES = 8;
export const SENSE_LINE_BYTES = SENSE_BYTES / SENSE_LINES;

/**
 * The 8 lines of the detailed view: 16 bytes each as 32 lowercase hex digits. Shorter input
 * reads as zero-padded; longer input is a RangeError.
 */
export function senseLines(bytes: Uint8Array): string[] {
  if (bytes.length > SENSE_BYTES) {
    throw new RangeError(`sense data must be at most ${SENSE_BYTES} bytes, got ${bytes.length}`);
  }
  const lines: string[] = [];
  for (let line = 0; line < SENSE_LINES; line++) {
    let s = '';
    for (let i = line * SENSE_LINE_BYTES; i < (line + 1) * SENSE_LINE_BYTES; i++) {
      s += HEX[bytes[i] ?? 0]!;
    }
    lines.push(s);
  }
  return lines;
}
