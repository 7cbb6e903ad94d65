/** The 128-byte sense data of events 086006–086009: layouts, round trips, truncation, hex lines. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import {
  CONNECTION_STAGE_CODES,
  SENSE_BYTES,
  VENDOR_REASON_CODES,
  decodeSense,
  encodeSense,
  senseLines,
  type SenseData,
} from '../../src/events/index.ts';

const hex = (b: Uint8Array, from: number, to: number): string =>
  Buffer.from(b.subarray(from, to)).toString('hex');
const zero = (b: Uint8Array, from: number, to: number): boolean =>
  b.subarray(from, to).every((x) => x === 0);

const SAMPLES: readonly SenseData[] = [
  {
    eventId: '086006',
    clientErrorCode: 0,
    resultStatus: 1,
    resultReason: 0x100,
    resultMessage: 'General Failure: key not found',
  },
  {
    eventId: '086007',
    kmipMajor: 1,
    kmipMinor: 2,
    reason: VENDOR_REASON_CODES.kmip_version,
    vendorIdentification: 'IBM Security Key Lifecycle Manager',
    productVersion: '2.5.0.1',
    serverType: 'master',
  },
  {
    eventId: '086008',
    stageCode: CONNECTION_STAGE_CODES.tls,
    causeCode: 'CERT_HAS_EXPIRED',
    message: 'certificate has expired',
  },
  { eventId: '086009', serverType: 'clone', message: '鍵サーバー 0 は clone です' },
];

describe('sense data', () => {
  it('round-trips a sample of every event ID', () => {
    for (const s of SAMPLES) {
      const b = encodeSense(s);
      assert.equal(b.length, SENSE_BYTES);
      assert.deepEqual(decodeSense(s.eventId, b), s);
    }
  });

  it('lays out 086006 big-endian: error code, status, reason, message', () => {
    const b = encodeSense({
      eventId: '086006',
      clientErrorCode: 0x01020304,
      resultStatus: 1,
      resultReason: 0x100,
      resultMessage: 'AB',
    });
    assert.equal(hex(b, 0, 14), '0102030400000001000001004142');
    assert.ok(zero(b, 14, 128));
  });

  it('lays out 086007: version, reason, vendor, product version, server type', () => {
    const b = encodeSense(SAMPLES[1]!);
    assert.equal(hex(b, 0, 8), '0001000200000001');
    assert.equal(Buffer.from(b.subarray(8, 42)).toString(), 'IBM Security Key Lifecycle Manager');
    assert.ok(zero(b, 42, 64));
    assert.equal(Buffer.from(b.subarray(64, 71)).toString(), '2.5.0.1');
    assert.ok(zero(b, 71, 96));
    assert.equal(Buffer.from(b.subarray(96, 102)).toString(), 'master');
    assert.ok(zero(b, 102, 128));
  });

  it('lays out 086008: stage, reserved zero, cause code at 8, message at 40', () => {
    const b = encodeSense(SAMPLES[2]!);
    assert.equal(hex(b, 0, 8), '0000000400000000');
    assert.equal(Buffer.from(b.subarray(8, 24)).toString(), 'CERT_HAS_EXPIRED');
    assert.ok(zero(b, 24, 40));
    assert.equal(Buffer.from(b.subarray(40, 63)).toString(), 'certificate has expired');
  });

  it('lays out 086009: server type at 0, message at 32', () => {
    const b = encodeSense({ eventId: '086009', serverType: 'clone', message: 'm' });
    assert.equal(Buffer.from(b.subarray(0, 5)).toString(), 'clone');
    assert.ok(zero(b, 5, 32));
    assert.equal(b[32], 0x6d);
    assert.ok(zero(b, 33, 128));
  });

  it('truncates a long UTF-8 message on a character boundary', () => {
    // 'あ' is 3 bytes: the 116-byte field of 086006 holds 38 of them (114 bytes), not 38⅔.
    const b = encodeSense({
      eventId: '086006',
      clientErrorCode: 7,
      resultStatus: 1,
      resultReason: 4,
      resultMessage: 'あ'.repeat(50),
    });
    assert.ok(zero(b, 12 + 114, 128));
    const d = decodeSense('086006', b);
    assert.equal(d.eventId === '086006' && d.resultMessage, 'あ'.repeat(38));
    // A 4-byte character that would straddle the end of the 32-byte cause code is dropped whole.
    const c = decodeSense(
      '086008',
      encodeSense({
        eventId: '086008',
        stageCode: 3,
        causeCode: 'x'.repeat(30) + '😀',
        message: '',
      }),
    );
    assert.equal(c.eventId === '086008' && c.causeCode, 'x'.repeat(30));
  });

  it('keeps every text field within its bytes, as a prefix of the input', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 80 }),
        fc.string({ maxLength: 40 }),
        (m, t) => {
          const d = decodeSense(
            '086007',
            encodeSense({
              eventId: '086007',
              kmipMajor: 1,
              kmipMinor: 4,
              reason: 2,
              vendorIdentification: m,
              productVersion: t,
              serverType: t,
            }),
          );
          assert.ok(d.eventId === '086007');
          // A text reads up to its first NUL; otherwise it is a prefix cut on a character boundary.
          const upToNul = (s: string): string => s.split('\0')[0]!;
          for (const [got, input, max] of [
            [d.vendorIdentification, m, 56],
            [d.productVersion, t, 32],
            [d.serverType, t, 32],
          ] as const) {
            assert.ok(upToNul(input.replace(/\p{Cs}/gu, '\ufffd')).startsWith(got));
            assert.ok(Buffer.byteLength(got) <= max);
            if (Buffer.byteLength(upToNul(input)) <= max) assert.equal(got, upToNul(input));
          }
        },
      ),
    );
  });

  it('refuses numbers that do not fit their field', () => {
    assert.throws(
      () =>
        encodeSense({
          eventId: '086007',
          kmipMajor: 0x10000,
          kmipMinor: 0,
          reason: 1,
          vendorIdentification: '',
          productVersion: '',
          serverType: '',
        }),
      RangeError,
    );
    assert.throws(
      () => encodeSense({ eventId: '086008', stageCode: -1, causeCode: '', message: '' }),
      RangeError,
    );
    assert.throws(
      () =>
        encodeSense({
          eventId: '086006',
          clientErrorCode: 1.5,
          resultStatus: 0,
          resultReason: 0,
          resultMessage: '',
        }),
      RangeError,
    );
  });

  it('decodes only 128 bytes', () => {
    assert.throws(() => decodeSense('086009', new Uint8Array(127)), RangeError);
    assert.throws(() => decodeSense('086009', new Uint8Array(129)), RangeError);
  });

  it('shows 8 lines of 32 lowercase hex digits', () => {
    const b = new Uint8Array(SENSE_BYTES);
    b[0] = 0xab;
    b[17] = 0x0c;
    b[127] = 0xff;
    const lines = senseLines(b);
    assert.equal(lines.length, 8);
    for (const l of lines) assert.match(l, /^[0-9a-f]{32}$/);
    assert.equal(lines[0], 'ab' + '0'.repeat(30));
    assert.equal(lines[1], '000c' + '0'.repeat(28));
    assert.equal(lines[7], '0'.repeat(30) + 'ff');
    assert.deepEqual(senseLines(new Uint8Array([1])), [
      '01' + '0'.repeat(30),
      ...Array.from({ length: 7 }, () => '0'.repeat(32)),
    ]);
    assert.throws(() => senseLines(new Uint8Array(129)), RangeError);
  });
});
