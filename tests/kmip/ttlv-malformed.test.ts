/**
 * Malformed input: the strict TTLV decoder, the stream framer, the hex parser and the
 * encoder's value checks. Every failure must be a KmipCodecError with a stable code, the
 * byte offset of the fault and the enclosing tags; nothing else may escape.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_DEPTH,
  KmipCodecError,
  KmipError,
  Tag,
  TtlvFramer,
  bytesToHex,
  decodeTtlv,
  encodeTtlv,
  hexToBytes,
} from '../../src/kmip/index.ts';
import type { TtlvNode } from '../../src/kmip/index.ts';
import {
  PYKMIP_MESSAGES,
  SPEC,
  assertCodecError,
  codecError,
  nestedStructures,
  vector,
  walk,
} from './fixtures.ts';

const T = 0x420020;

function hex(s: string): Buffer {
  return hexToBytes(s);
}

/** A copy of `bytes` with `edit` applied. */
function edited(bytes: Uint8Array, edit: (b: Buffer) => void): Buffer {
  const b = Buffer.from(bytes);
  edit(b);
  return b;
}

const PAD_TYPES: Readonly<Record<number, string>> = {
  0x02: 'Integer',
  0x05: 'Enumeration',
  0x07: 'Text String',
  0x08: 'Byte String',
  0x0a: 'Interval',
};

describe('decodeErrors of spec-examples.json', () => {
  for (const c of SPEC.decodeErrors) {
    it(`${c.name} → ${c.code}`, () => {
      const e = assertCodecError(() => decodeTtlv(hex(c.hex)), c.code, {
        ...(c.offset !== undefined ? { offset: c.offset } : {}),
        ...(c.tagPath !== undefined
          ? { tagPath: c.tagPath.map((t) => Number.parseInt(t, 16)) }
          : {}),
      });
      assert.ok(e instanceof KmipError, 'a KmipCodecError is a KmipError');
      assert.equal(e.name, 'KmipCodecError');
    });
  }
});

describe('truncation', () => {
  for (const m of PYKMIP_MESSAGES) {
    it(`${m.label}: every prefix (0..${m.bytes.length - 1} bytes) is rejected as truncated`, () => {
      for (let k = 0; k < m.bytes.length; k++) {
        const e = codecError(() => decodeTtlv(m.bytes.subarray(0, k)), `prefix of ${k} bytes`);
        assert.ok(
          e.code === 'KMIP_TTLV_TRUNCATED' || e.code === 'KMIP_TTLV_BAD_LENGTH',
          `prefix of ${k} bytes: ${e.code} ${e.message}`,
        );
        assert.ok(e.offset >= 0 && e.offset <= k, `prefix of ${k} bytes: offset ${e.offset}`);
        assert.ok(e.message.includes(`at byte ${e.offset}`), e.message);
      }
    });
  }

  it('every vector cut at every 8-byte boundary, outer length patched: children overrun, BAD_LENGTH', () => {
    // The outer Structure now claims exactly the bytes that are there, so the input is not
    // truncated: any child that runs past the end lies about its length.
    let rejected = 0;
    for (const m of PYKMIP_MESSAGES) {
      for (let k = 8; k < m.bytes.length; k += 8) {
        const cut = Buffer.from(m.bytes.subarray(0, k));
        cut.writeUInt32BE(k - 8, 4);
        const where = `${m.label} cut at ${k}`;
        let node: TtlvNode;
        try {
          node = decodeTtlv(cut);
        } catch (e) {
          assert.ok(e instanceof KmipCodecError, `${where}: ${String(e)}`);
          assert.equal(e.code, 'KMIP_TTLV_BAD_LENGTH', `${where}: ${e.message}`);
          assert.ok(e.offset >= 8 && e.offset < k, `${where}: offset ${e.offset}`);
          assert.equal(e.tagPath[0], m.bytes.readUIntBE(0, 3), 'the path starts at the message');
          rejected++;
          continue;
        }
        // A cut between two top-level children leaves a shorter well-formed message.
        assert.deepEqual(encodeTtlv(node), cut, `${where} re-encodes`);
      }
    }
    assert.ok(rejected > 100, `${rejected} cuts rejected`);
  });
});

describe('padding', () => {
  for (const m of PYKMIP_MESSAGES) {
    it(`${m.label}: every padding byte, set non-zero, is reported at its own offset`, () => {
      let flipped = 0;
      for (const item of walk(m.bytes)) {
        if (PAD_TYPES[item.type] === undefined) continue;
        const valueEnd = item.offset + 8 + item.length;
        const padEnd = item.offset + 8 + Math.ceil(item.length / 8) * 8;
        for (let at = valueEnd; at < padEnd; at++) {
          for (const bad of [0x01, 0x80, 0xff]) {
            const b = edited(m.bytes, (x) => (x[at] = bad));
            assertCodecError(() => decodeTtlv(b), 'KMIP_TTLV_BAD_PADDING', {
              offset: at,
              tagPath: [...item.parents, item.tag],
            });
          }
          flipped++;
        }
      }
      assert.ok(flipped > 0, 'the message has padding');
    });
  }

  it('Integer, Enumeration and Text String padding in the discover_versions request', () => {
    const req = hex(vector('discover_versions').request_hex);
    // Protocol Version Major: header at 0x18, value 0x20..0x23, padding 0x24..0x27.
    assertCodecError(() => decodeTtlv(edited(req, (b) => (b[0x25] = 1))), 'KMIP_TTLV_BAD_PADDING', {
      offset: 0x25,
      tagPath: [
        Tag.RequestMessage,
        Tag.RequestHeader,
        Tag.ProtocolVersion,
        Tag.ProtocolVersionMajor,
      ],
    });
    // Operation: header at 0x50, value 0x58..0x5B, padding 0x5C..0x5F.
    assertCodecError(
      () => decodeTtlv(edited(req, (b) => (b[0x5f] = 0x20))),
      'KMIP_TTLV_BAD_PADDING',
      {
        offset: 0x5f,
        tagPath: [Tag.RequestMessage, Tag.BatchItem, Tag.Operation],
      },
    );
    // Vendor Identification of the query14 response: 29 bytes, so 3 padding bytes.
    const res = hex(vector('query14').response_hex);
    const vendor = walk(res).find((i) => i.tag === Tag.VendorIdentification);
    assert.ok(vendor);
    const at = vendor.offset + 8 + 29 + 1;
    const e = assertCodecError(
      () => decodeTtlv(edited(res, (b) => (b[at] = 0x41))),
      'KMIP_TTLV_BAD_PADDING',
      { offset: at },
    );
    assert.equal(e.tagPath.at(-1), Tag.VendorIdentification);
    assert.match(e.message, /padding byte is 0x41/);
  });
});

describe('lengths and types of items inside the vectors', () => {
  for (const m of PYKMIP_MESSAGES) {
    it(`${m.label}: a wrong fixed length of any item is KMIP_TTLV_BAD_LENGTH at that item`, () => {
      for (const item of walk(m.bytes)) {
        const fixed =
          item.type === 0x02 || item.type === 0x05 || item.type === 0x0a
            ? [0, 1, 2, 3, 5, 6, 7, 8]
            : item.type === 0x03 || item.type === 0x06 || item.type === 0x09 || item.type === 0x0b
              ? [0, 1, 4, 7]
              : [];
        for (const len of fixed) {
          const b = edited(m.bytes, (x) => x.writeUInt32BE(len, item.offset + 4));
          assertCodecError(() => decodeTtlv(b), 'KMIP_TTLV_BAD_LENGTH', {
            offset: item.offset,
            tagPath: [...item.parents, item.tag],
          });
        }
      }
    });

    it(`${m.label}: an unknown type byte (0x00, 0x0C, 0xFF) on any item is KMIP_TTLV_BAD_TYPE`, () => {
      for (const item of walk(m.bytes)) {
        for (const type of [0x00, 0x0c, 0xff]) {
          const b = edited(m.bytes, (x) => (x[item.offset + 3] = type));
          const e = assertCodecError(() => decodeTtlv(b), 'KMIP_TTLV_BAD_TYPE', {
            offset: item.offset,
            tagPath: [...item.parents, item.tag],
          });
          assert.match(
            e.message,
            new RegExp(`unknown item type 0x${type.toString(16).padStart(2, '0')}`),
          );
        }
      }
    });
  }
});

describe('single items', () => {
  function item(type: number, len: number, value: string): Buffer {
    return hex(
      `420020${type.toString(16).padStart(2, '0')}${len.toString(16).padStart(8, '0')}${value}`,
    );
  }

  it('Integer, Enumeration and Interval need length 4; Long Integer, Boolean, Date-Time and Date-Time Extended 8', () => {
    for (const type of [0x02, 0x05, 0x0a]) {
      for (const len of [0, 1, 3, 5, 8]) {
        assertCodecError(
          () => decodeTtlv(item(type, len, '0000000100000000')),
          'KMIP_TTLV_BAD_LENGTH',
          {
            offset: 0,
            tagPath: [T],
          },
        );
      }
      assert.doesNotThrow(() => decodeTtlv(item(type, 4, '0000000100000000')));
    }
    for (const type of [0x03, 0x06, 0x09, 0x0b]) {
      for (const len of [0, 4, 7]) {
        assertCodecError(
          () => decodeTtlv(item(type, len, '0000000000000001')),
          'KMIP_TTLV_BAD_LENGTH',
          {
            offset: 0,
          },
        );
      }
      for (const len of [9, 16]) {
        assertCodecError(
          () => decodeTtlv(item(type, len, '00000000000000000000000000000001')),
          'KMIP_TTLV_BAD_LENGTH',
          { offset: 0 },
        );
      }
      assert.doesNotThrow(() => decodeTtlv(item(type, 8, '0000000000000001')));
    }
  });

  it('Boolean is 0 or 1 in the low word, the high word zero', () => {
    assert.equal(decodeTtlv(item(0x06, 8, '0000000000000000')).value, false);
    assert.equal(decodeTtlv(item(0x06, 8, '0000000000000001')).value, true);
    for (const v of [
      '0000000000000002',
      '00000000000000ff',
      '0000000100000000',
      '8000000000000001',
      'ffffffffffffffff',
    ]) {
      assertCodecError(() => decodeTtlv(item(0x06, 8, v)), 'KMIP_TTLV_BAD_BOOLEAN', {
        offset: 0,
        tagPath: [T],
      });
    }
  });

  it('Text Strings must be valid UTF-8', () => {
    const bad: [string, string][] = [
      ['c328', 'bad continuation byte'],
      ['80', 'lone continuation byte'],
      ['c0af', 'overlong encoding of "/"'],
      ['e080af', 'overlong 3-byte encoding'],
      ['eda080', 'UTF-16 surrogate D800'],
      ['edbfbf', 'UTF-16 surrogate DFFF'],
      ['f4908080', 'code point above U+10FFFF'],
      ['ff', 'byte 0xFF'],
      ['41e282', 'sequence cut at the end'],
    ];
    for (const [bytes, why] of bad) {
      const len = bytes.length / 2;
      const padded = bytes.padEnd(Math.ceil(len / 8) * 16, '0');
      const e = assertCodecError(() => decodeTtlv(item(0x07, len, padded)), 'KMIP_TTLV_BAD_UTF8', {
        offset: 0,
        tagPath: [T],
      });
      assert.match(e.message, /UTF-8/, why);
    }
    // The same bytes are fine in a Byte String, and real multi-byte text is fine.
    assert.deepEqual(
      decodeTtlv(item(0x08, 2, 'c328000000000000')).value,
      new Uint8Array([0xc3, 0x28]),
    );
    assert.equal(decodeTtlv(item(0x07, 4, 'f09f9491' + '00000000')).value, '🔑');
    assert.equal(decodeTtlv(item(0x07, 3, 'efbbbf' + '0000000000')).value, '\ufeff');
  });

  it('unknown type bytes 0x00, 0x0C, 0x0F, 0x80 and 0xFF', () => {
    for (const type of [0x00, 0x0c, 0x0f, 0x80, 0xff]) {
      assertCodecError(() => decodeTtlv(item(type, 0, '')), 'KMIP_TTLV_BAD_TYPE', {
        offset: 0,
        tagPath: [T],
      });
    }
  });

  it('huge declared lengths in a short buffer fail as truncated (top level) or bad length (inside)', () => {
    for (const len of [0x7fffffff, 0x80000000, 0xfffffff8, 0xffffffff]) {
      for (const type of [0x01, 0x04, 0x07, 0x08, 0x02]) {
        const top = hex(
          `420078${type.toString(16).padStart(2, '0')}${len.toString(16).padStart(8, '0')}0000000000000000`,
        );
        const e = assertCodecError(() => decodeTtlv(top), 'KMIP_TTLV_TRUNCATED', { offset: 0 });
        assert.match(e.message, new RegExp(`declared length ${len}`));
        const inner = Buffer.concat([hex('4200780100000018'), top, hex('0000000000000000')]);
        assertCodecError(() => decodeTtlv(inner), 'KMIP_TTLV_BAD_LENGTH', {
          offset: 8,
          tagPath: [0x420078, 0x420078],
        });
      }
    }
  });

  it('a child overrunning its parent names the parent in its tag path', () => {
    // Request Message { Request Header (len 16) { Text String claiming 16 bytes } , Batch Item {} }
    const notLast = hex(
      '4200780100000028' +
        '4200770100000010' +
        '4200200700000010' +
        '0000000000000000' +
        '42000f0100000008' +
        '4200210100000000',
    );
    assertCodecError(() => decodeTtlv(notLast), 'KMIP_TTLV_BAD_LENGTH', {
      offset: 16,
      tagPath: [Tag.RequestMessage, Tag.RequestHeader, T],
    });
  });

  it('a child overrunning a parent that ends exactly at the end of the input is BAD_LENGTH too', () => {
    // The input is complete (the outer length matches it); the child lies about its length.
    const last = hex(
      '4200780100000018' + '4200770100000010' + '4200200700000010' + '0000000000000000',
    );
    const e = assertCodecError(() => decodeTtlv(last), 'KMIP_TTLV_BAD_LENGTH', {
      offset: 16,
      tagPath: [Tag.RequestMessage, Tag.RequestHeader, T],
    });
    assert.match(e.message, /overruns the enclosing structure/);
    const direct = hex('4200780100000010' + '4200770100000010' + '0000000000000000');
    assertCodecError(() => decodeTtlv(direct), 'KMIP_TTLV_BAD_LENGTH', {
      offset: 8,
      tagPath: [Tag.RequestMessage, Tag.RequestHeader],
    });
  });

  it('Structure lengths must be multiples of 8', () => {
    for (const len of [1, 4, 7, 9, 12, 15]) {
      const b = Buffer.concat([
        hex(`42007801${len.toString(16).padStart(8, '0')}`),
        Buffer.alloc(16),
      ]);
      assertCodecError(
        () => decodeTtlv(b.subarray(0, 8 + Math.ceil(len / 8) * 8)),
        'KMIP_TTLV_BAD_LENGTH',
        {
          offset: 0,
          tagPath: [0x420078],
        },
      );
    }
  });

  it('trailing bytes after the top-level item', () => {
    const ok = hex(vector('query14').request_hex);
    for (const extra of [1, 7, 8, 16]) {
      const e = assertCodecError(
        () => decodeTtlv(Buffer.concat([ok, Buffer.alloc(extra)])),
        'KMIP_TTLV_TRAILING_BYTES',
        { offset: ok.length, tagPath: [] },
      );
      assert.match(e.message, new RegExp(`^${extra} bytes follow the top-level item`));
    }
    // Two whole messages back to back are trailing bytes to decodeTtlv (the framer splits them).
    assertCodecError(() => decodeTtlv(Buffer.concat([ok, ok])), 'KMIP_TTLV_TRAILING_BYTES', {
      offset: ok.length,
    });
  });

  it('Big Integers: minimal form, non-zero multiple of 8 bytes', () => {
    assertCodecError(
      () => decodeTtlv(item(0x04, 16, '0000000000000000' + '0000000000000001')),
      'KMIP_TTLV_BAD_BIG_INTEGER',
      { offset: 0, tagPath: [T] },
    );
    assertCodecError(
      () => decodeTtlv(item(0x04, 16, 'ffffffffffffffff' + 'ffffffffffffffff')),
      'KMIP_TTLV_BAD_BIG_INTEGER',
    );
    assertCodecError(
      () =>
        decodeTtlv(item(0x04, 24, '0000000000000000' + '0000000000000000' + '8000000000000000')),
      'KMIP_TTLV_BAD_BIG_INTEGER',
    );
    // Sign words that are needed are fine.
    assert.equal(
      decodeTtlv(item(0x04, 16, '0000000000000000' + '8000000000000000')).value,
      1n << 63n,
    );
    assert.equal(
      decodeTtlv(item(0x04, 16, 'ffffffffffffffff' + '7fffffffffffffff')).value,
      -(1n << 63n) - 1n,
    );
    assert.equal(decodeTtlv(item(0x04, 16, '00000000000000010000000000000000')).value, 1n << 64n);
    assert.equal(decodeTtlv(item(0x04, 8, 'ffffffffffffffff')).value, -1n);
    for (const len of [0, 4, 12]) {
      assertCodecError(
        () => decodeTtlv(item(0x04, len, '0000000000000000' + '0000000000000000')),
        'KMIP_TTLV_BAD_LENGTH',
        {
          offset: 0,
        },
      );
    }
  });
});

describe('depth and size limits', () => {
  it(`the default depth limit is ${DEFAULT_MAX_DEPTH}: that deep decodes, one more does not`, () => {
    assert.equal(DEFAULT_MAX_DEPTH, 32);
    const ok = nestedStructures(32);
    assert.deepEqual(encodeTtlv(decodeTtlv(ok)), ok);
    const e = assertCodecError(() => decodeTtlv(nestedStructures(33)), 'KMIP_TTLV_DEPTH_LIMIT', {
      offset: 32 * 8,
    });
    assert.equal(e.tagPath.length, 33);
  });

  it('a depth bomb of 1,000 nested structures fails with DEPTH_LIMIT', () => {
    assertCodecError(() => decodeTtlv(nestedStructures(1000)), 'KMIP_TTLV_DEPTH_LIMIT', {
      offset: 32 * 8,
    });
  });

  it('a depth bomb of 100,000 nested structures (800,000 bytes) fails with DEPTH_LIMIT, no stack overflow', () => {
    const bomb = nestedStructures(100_000);
    assert.ok(bomb.length <= DEFAULT_MAX_BYTES);
    assertCodecError(() => decodeTtlv(bomb), 'KMIP_TTLV_DEPTH_LIMIT', { offset: 32 * 8 });
  });

  it('maxDepth is respected; only Structures count, the top level is depth 1', () => {
    assertCodecError(
      () => decodeTtlv(nestedStructures(2), { maxDepth: 1 }),
      'KMIP_TTLV_DEPTH_LIMIT',
      {
        offset: 8,
        tagPath: [0x420001, 0x420001],
      },
    );
    // Depth 1 with primitive children is fine at maxDepth 1.
    const flat = hex(vector('query14').response_hex);
    assert.doesNotThrow(() =>
      decodeTtlv(hex('4200880100000010' + '4200200200000004' + '0000000100000000'), {
        maxDepth: 1,
      }),
    );
    // The PyKMIP responses nest 4 deep (message / batch item / payload / protocol version).
    assert.doesNotThrow(() => decodeTtlv(flat, { maxDepth: 3 }));
    assertCodecError(() => decodeTtlv(flat, { maxDepth: 2 }), 'KMIP_TTLV_DEPTH_LIMIT', {
      tagPath: [Tag.ResponseMessage, Tag.ResponseHeader, Tag.ProtocolVersion],
    });
    assertCodecError(
      () => decodeTtlv(nestedStructures(1), { maxDepth: 0 }),
      'KMIP_TTLV_DEPTH_LIMIT',
      { offset: 0 },
    );
    assert.doesNotThrow(() => decodeTtlv(nestedStructures(1000), { maxDepth: 1000 }));
    assertCodecError(
      () => decodeTtlv(nestedStructures(1001), { maxDepth: 1000 }),
      'KMIP_TTLV_DEPTH_LIMIT',
      {
        offset: 8000,
      },
    );
  });

  it('maxBytes is respected (default 1 MiB), checked before anything is read', () => {
    assert.equal(DEFAULT_MAX_BYTES, 1024 * 1024);
    const msg = hex(vector('discover_versions').response_hex);
    assert.doesNotThrow(() => decodeTtlv(msg, { maxBytes: msg.length }));
    const e = assertCodecError(
      () => decodeTtlv(msg, { maxBytes: msg.length - 1 }),
      'KMIP_TTLV_SIZE_LIMIT',
      {
        offset: 0,
      },
    );
    assert.match(
      e.message,
      new RegExp(`${msg.length} bytes exceeds the limit of ${msg.length - 1}`),
    );
    // Size is checked first: even garbage is reported as too large, not as malformed.
    assertCodecError(
      () => decodeTtlv(Buffer.alloc(DEFAULT_MAX_BYTES + 8, 0xff)),
      'KMIP_TTLV_SIZE_LIMIT',
    );
    const big = encodeTtlv({
      tag: 0x420078,
      type: 'Structure',
      value: [{ tag: T, type: 'ByteString', value: new Uint8Array(DEFAULT_MAX_BYTES - 16) }],
    });
    assert.equal(big.length, DEFAULT_MAX_BYTES);
    assert.doesNotThrow(() => decodeTtlv(big));
  });
});

describe('TtlvFramer', () => {
  function drain(framer: TtlvFramer, chunks: readonly Uint8Array[]): Buffer[] {
    const out: Buffer[] = [];
    for (const c of chunks) out.push(...framer.push(c));
    return out;
  }

  for (const m of PYKMIP_MESSAGES) {
    it(`${m.label}: any split into two chunks, and byte by byte, yields the message`, () => {
      const b = m.bytes;
      for (let s = 0; s <= b.length; s++) {
        const f = new TtlvFramer();
        const got = drain(f, [b.subarray(0, s), b.subarray(s)]);
        assert.equal(got.length, 1, `split at ${s}`);
        assert.deepEqual(got[0], b, `split at ${s}`);
        assert.equal(f.pending, 0);
      }
      const f = new TtlvFramer();
      const got: Buffer[] = [];
      for (let i = 0; i < b.length; i++) {
        const out = f.push(b.subarray(i, i + 1));
        if (i < b.length - 1) {
          assert.deepEqual(out, [], `nothing before the last byte (${i})`);
          assert.equal(f.pending, i + 1);
        }
        got.push(...out);
      }
      assert.deepEqual(got, [b]);
      assert.equal(f.pending, 0);
    });
  }

  it('all vectors in one chunk, and in irregular chunks, come out in order', () => {
    const all = PYKMIP_MESSAGES.map((m) => m.bytes);
    const stream = Buffer.concat(all);
    assert.deepEqual(drain(new TtlvFramer(), [stream]), all);
    // Deterministic irregular chunk sizes 1..97.
    const chunks: Buffer[] = [];
    for (let p = 0, n = 1; p < stream.length; n = (n * 37 + 11) % 97 || 1) {
      chunks.push(stream.subarray(p, p + n));
      p += n;
    }
    assert.deepEqual(drain(new TtlvFramer(), chunks), all);
  });

  it('two messages in one chunk, then a partial third stays pending', () => {
    const a = hex(vector('query14').request_hex);
    const b = hex(vector('discover_versions').request_hex);
    const f = new TtlvFramer();
    const got = f.push(Buffer.concat([a, b, b.subarray(0, 20)]));
    assert.deepEqual(got, [a, b]);
    assert.equal(f.pending, 20);
    assert.deepEqual(f.push(b.subarray(20)), [b]);
    assert.equal(f.pending, 0);
    assert.deepEqual(f.push(new Uint8Array(0)), []);
  });

  it('a header announcing 2^31 bytes is rejected as soon as its 8 bytes arrive', () => {
    const header = hex('42007b0180000000');
    const f = new TtlvFramer();
    for (let i = 0; i < 7; i++) {
      assert.deepEqual(f.push(header.subarray(i, i + 1)), []);
      assert.equal(f.pending, i + 1);
    }
    const e = assertCodecError(() => f.push(header.subarray(7, 8)), 'KMIP_TTLV_SIZE_LIMIT', {
      offset: 0,
    });
    assert.match(e.message, /2147483656 bytes exceeds the limit of 1048576/);
    assert.ok(f.pending <= 8, `pending ${f.pending}`);
    // In one piece too, and at a stream offset after a good message.
    const good = hex(vector('query14').request_hex);
    const g = new TtlvFramer();
    assert.deepEqual(g.push(good), [good]);
    assertCodecError(() => g.push(header), 'KMIP_TTLV_SIZE_LIMIT', { offset: good.length });
    assert.ok(g.pending <= 8);
  });

  it('maxBytes counts the header: a limit of exactly the message length accepts it', () => {
    const msg = hex(vector('discover_versions').request_hex);
    assert.deepEqual(new TtlvFramer(msg.length).push(msg), [msg]);
    assertCodecError(() => new TtlvFramer(msg.length - 8).push(msg), 'KMIP_TTLV_SIZE_LIMIT', {
      offset: 0,
    });
    assertCodecError(
      () => new TtlvFramer(DEFAULT_MAX_BYTES).push(hex('42007b01fffffff8')),
      'KMIP_TTLV_SIZE_LIMIT',
    );
  });

  it('a message header that is not a Structure is KMIP_TTLV_BAD_TYPE', () => {
    for (const type of ['00', '02', '07', '0c']) {
      const e = assertCodecError(
        () => new TtlvFramer().push(hex(`42007b${type}00000008`)),
        'KMIP_TTLV_BAD_TYPE',
        {
          offset: 0,
        },
      );
      assert.match(e.message, new RegExp(`type 0x${type}`));
    }
  });

  it('a message length that is not a multiple of 8 is KMIP_TTLV_BAD_LENGTH', () => {
    for (const len of ['00000001', '00000004', '0000000f', '7fffffff']) {
      assertCodecError(() => new TtlvFramer().push(hex(`42007b01${len}`)), 'KMIP_TTLV_BAD_LENGTH', {
        offset: 0,
      });
    }
  });

  it('a large message fed in 1-byte chunks', () => {
    const msg = encodeTtlv({
      tag: Tag.ResponseMessage,
      type: 'Structure',
      value: Array.from({ length: 256 }, (_, i) => ({
        tag: Tag.KeyMaterial,
        type: 'ByteString' as const,
        value: new Uint8Array(56).fill(i),
      })),
    });
    assert.equal(msg.length, 16392);
    const f = new TtlvFramer();
    const got: Buffer[] = [];
    for (let i = 0; i < msg.length; i++) got.push(...f.push(msg.subarray(i, i + 1)));
    assert.deepEqual(got, [msg]);
  });
});

describe('hexToBytes and bytesToHex', () => {
  it('accepts either case, whitespace and one leading 0x', () => {
    assert.deepEqual(hexToBytes('0102ff'), Buffer.from([1, 2, 255]));
    assert.deepEqual(hexToBytes('0x0102FF'), Buffer.from([1, 2, 255]));
    assert.deepEqual(hexToBytes('0X0aBc'), Buffer.from([0x0a, 0xbc]));
    assert.deepEqual(hexToBytes(' 01 02\n03\t04\r\n'), Buffer.from([1, 2, 3, 4]));
    assert.deepEqual(hexToBytes('  0x 01 02'), Buffer.from([1, 2]));
    assert.deepEqual(hexToBytes(''), Buffer.alloc(0));
    assert.deepEqual(hexToBytes('0x'), Buffer.alloc(0));
    // The §A.7 hexdump layout (without offsets) parses.
    assert.deepEqual(
      hexToBytes('42 00 78 01 00 00 00 60  42 00 77 01 00 00 00 38'),
      hex('42007801000000604200770100000038'),
    );
  });

  it('rejects odd digit counts and non-hex characters with KMIP_HEX_INVALID', () => {
    // The offset is the byte (pair of digits, whitespace and prefix removed) of the fault.
    const cases: [string, number][] = [
      ['0', 0],
      ['012', 1],
      ['0x012', 1],
      ['01 2', 1],
      ['010203 4', 3],
      ['01zz', 1],
      ['0102z0', 2],
      ['0g', 0],
      ['0x0x01', 0],
      ['-01', 0],
      ['01:02', 1],
      ['x01', 0],
    ];
    for (const [text, offset] of cases) {
      const e = assertCodecError(() => hexToBytes(text), 'KMIP_HEX_INVALID', { offset });
      assert.ok(e instanceof KmipCodecError);
    }
  });

  it('bytesToHex writes lower case and round-trips, also for views', () => {
    const bytes = new Uint8Array([0, 1, 0xab, 0xff, 0x10]);
    assert.equal(bytesToHex(bytes), '0001abff10');
    assert.equal(bytesToHex(bytes.subarray(2, 4)), 'abff');
    assert.deepEqual(hexToBytes(bytesToHex(bytes)), Buffer.from(bytes));
    assert.equal(bytesToHex(new Uint8Array(0)), '');
  });
});

describe('encoder value checks', () => {
  function invalid(node: unknown, why: string, tagPath: readonly number[] = [T]): void {
    const e = assertCodecError(() => encodeTtlv(node as TtlvNode), 'KMIP_TTLV_INVALID_VALUE', {
      tagPath,
    });
    assert.ok(e.detail.length > 0, why);
  }

  it('Integer is a signed 32-bit integer', () => {
    invalid({ tag: T, type: 'Integer', value: 2 ** 31 }, '2^31');
    invalid({ tag: T, type: 'Integer', value: -(2 ** 31) - 1 }, '-2^31-1');
    invalid({ tag: T, type: 'Integer', value: 1.5 }, 'fraction');
    invalid({ tag: T, type: 'Integer', value: Number.NaN }, 'NaN');
    invalid({ tag: T, type: 'Integer', value: Number.POSITIVE_INFINITY }, 'Infinity');
    invalid({ tag: T, type: 'Integer', value: 1n }, 'bigint');
    invalid({ tag: T, type: 'Integer', value: '1' }, 'string');
    assert.equal(
      bytesToHex(encodeTtlv({ tag: T, type: 'Integer', value: -(2 ** 31) })),
      '42002002000000048000000000000000',
    );
  });

  it('Enumeration and Interval are unsigned 32-bit integers', () => {
    for (const type of ['Enumeration', 'Interval']) {
      invalid({ tag: T, type, value: -1 }, `${type} -1`);
      invalid({ tag: T, type, value: 2 ** 32 }, `${type} 2^32`);
      invalid({ tag: T, type, value: 0.5 }, `${type} fraction`);
      invalid({ tag: T, type, value: 3n }, `${type} bigint`);
    }
  });

  it('Long Integer, Date-Time and Date-Time Extended are signed 64-bit bigints', () => {
    for (const type of ['LongInteger', 'DateTime', 'DateTimeExtended']) {
      invalid({ tag: T, type, value: 1n << 63n }, `${type} 2^63`);
      invalid({ tag: T, type, value: -(1n << 63n) - 1n }, `${type} -2^63-1`);
      invalid({ tag: T, type, value: 5 }, `${type} number`);
    }
  });

  it('Big Integer is a bigint, Boolean a boolean', () => {
    invalid({ tag: T, type: 'BigInteger', value: 1 }, 'number');
    invalid({ tag: T, type: 'Boolean', value: 1 }, 'number');
    invalid({ tag: T, type: 'Boolean', value: 'true' }, 'string');
  });

  it('tags are 3-byte unsigned integers', () => {
    invalid({ tag: 0x1000000, type: 'Integer', value: 1 }, 'tag > 0xFFFFFF', []);
    invalid({ tag: -1, type: 'Integer', value: 1 }, 'negative tag', []);
    invalid({ tag: 0x420020 + 0.5, type: 'Integer', value: 1 }, 'fractional tag', []);
    invalid({ tag: '0x420020', type: 'Integer', value: 1 }, 'string tag', []);
  });

  it('Text Strings are well-formed strings', () => {
    invalid({ tag: T, type: 'TextString', value: 'a\ud800b' }, 'lone high surrogate');
    invalid({ tag: T, type: 'TextString', value: '\udc00' }, 'lone low surrogate');
    invalid({ tag: T, type: 'TextString', value: 42 }, 'number');
    invalid({ tag: T, type: 'TextString', value: new Uint8Array([0x41]) }, 'bytes');
  });

  it('Byte Strings are Uint8Arrays', () => {
    invalid({ tag: T, type: 'ByteString', value: [1, 2, 3] }, 'array');
    invalid({ tag: T, type: 'ByteString', value: '010203' }, 'string');
    invalid({ tag: T, type: 'ByteString', value: new ArrayBuffer(3) }, 'ArrayBuffer');
    invalid({ tag: T, type: 'ByteString', value: new Uint16Array(2) }, 'Uint16Array');
    // A Buffer is a Uint8Array; a view encodes only its own bytes.
    const view = new Uint8Array([9, 9, 1, 2, 3, 9]).subarray(2, 5);
    assert.equal(
      bytesToHex(encodeTtlv({ tag: T, type: 'ByteString', value: view })),
      '42002008000000030102030000000000',
    );
    assert.equal(
      bytesToHex(encodeTtlv({ tag: T, type: 'ByteString', value: Buffer.from([1]) })),
      '42002008000000010100000000000000',
    );
  });

  it('a Structure value that is not an array of nodes is rejected, not a TypeError', () => {
    invalid({ tag: T, type: 'Structure', value: null }, 'null');
    invalid({ tag: T, type: 'Structure', value: {} }, 'object');
    invalid({ tag: T, type: 'Structure', value: [null] }, 'null child', [T]);
  });

  it('an unknown type name is rejected', () => {
    invalid({ tag: T, type: 'Float', value: 1 }, 'unknown type', []);
  });

  it('the tag path of a nested invalid value names every enclosing structure', () => {
    invalid(
      {
        tag: Tag.RequestMessage,
        type: 'Structure',
        value: [
          {
            tag: Tag.RequestHeader,
            type: 'Structure',
            value: [{ tag: Tag.BatchCount, type: 'Integer', value: 1 }],
          },
          {
            tag: Tag.BatchItem,
            type: 'Structure',
            value: [{ tag: Tag.Operation, type: 'Enumeration', value: -1 }],
          },
        ],
      },
      'nested',
      [Tag.RequestMessage, Tag.BatchItem, Tag.Operation],
    );
  });
});
