/**
 * Property tests of the TTLV and KMIP JSON codecs (fast-check): arbitrary trees round-trip
 * exactly, and arbitrary or mutated input either decodes to something that re-encodes to the
 * same bytes or fails with a KmipCodecError — never with anything else.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import {
  ATTRIBUTE_NAMES,
  ENUMERATIONS,
  KmipCodecError,
  MASKS,
  TAG_INFO,
  Tag,
  TtlvType,
  attributeTag,
  decodeTtlv,
  encodeTtlv,
  enumerationOf,
  fromKmipJson,
  maskOf,
  toKmipJson,
} from '../../src/kmip/index.ts';
import type { TtlvNode, TtlvTypeName } from '../../src/kmip/index.ts';
import { ALL_ENCODINGS } from './fixtures.ts';

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const MAX_DEPTH = 6;

// ---------------------------------------------------------------------------------------------
// Arbitraries

const KNOWN_TAGS = TAG_INFO.map((t) => t.value);

const tagArb = fc.oneof(
  fc.integer({ min: 0x420000, max: 0x42ffff }),
  fc.integer({ min: 0x540000, max: 0x54ffff }),
  fc.constantFrom(...KNOWN_TAGS),
);

const int64Arb = fc.oneof(
  fc.bigInt({ min: INT64_MIN, max: INT64_MAX }),
  fc.bigInt({ min: -(10n ** 16n), max: 10n ** 16n }),
  fc.constantFrom(0n, -1n, 1n, INT64_MIN, INT64_MAX, -(2n ** 53n), 2n ** 53n, -1_000_001n),
);

const bigIntegerArb = fc.oneof(
  fc.bigInt({ min: -(1n << 520n), max: 1n << 520n }),
  fc.bigInt({ min: -(1n << 72n), max: 1n << 72n }),
  fc.bigInt(),
  fc.constantFrom(
    0n,
    -1n,
    1n,
    INT64_MAX,
    INT64_MIN,
    INT64_MAX + 1n,
    INT64_MIN - 1n,
    (1n << 64n) - 1n,
    1n << 64n,
    -(1n << 64n),
    -(1n << 127n),
  ),
);

const textArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ maxLength: 12 }),
  fc.constantFrom(
    '',
    'a',
    '鍵',
    '🔑',
    '\u0000',
    'e\u0301',
    '\u{10FFFF}',
    'Cryptographic Algorithm',
  ),
);

function typed(type: TtlvTypeName, value: fc.Arbitrary<unknown>): fc.Arbitrary<TtlvNode> {
  return fc
    .record({ tag: tagArb, value })
    .map(({ tag, value: v }) => ({ tag, type, value: v }) as TtlvNode);
}

/** An Enumeration on a tag that has a table, usually with a value the table names. */
const ENUM_TAGS = TAG_INFO.flatMap((t) =>
  t.enumeration === undefined
    ? []
    : [{ tag: t.value, values: ENUMERATIONS[t.enumeration].map((e) => e.value) }],
);
function enumValueArb(values: readonly number[]): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...values) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffffffff }) },
  );
}
const knownEnumArb: fc.Arbitrary<TtlvNode> = fc
  .constantFrom(...ENUM_TAGS)
  .chain(({ tag, values }) =>
    enumValueArb(values).map((value): TtlvNode => ({ tag, type: 'Enumeration', value })),
  );

/** An Integer on a bit-mask tag, usually an OR of named bits. */
const MASK_TAGS = TAG_INFO.flatMap((t) =>
  t.mask === undefined ? [] : [{ tag: t.value, bits: MASKS[t.mask].map((b) => b.value) }],
);
function maskValueArb(bits: readonly number[]): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.subarray([...bits]).map((s) => s.reduce((a, b) => a | b, 0)) },
    { weight: 1, arbitrary: fc.integer({ min: -0x80000000, max: 0x7fffffff }) },
  );
}
const knownMaskArb: fc.Arbitrary<TtlvNode> = fc
  .constantFrom(...MASK_TAGS)
  .chain(({ tag, bits }) =>
    maskValueArb(bits).map((value): TtlvNode => ({ tag, type: 'Integer', value })),
  );

/** KMIP 1.x Attribute structures whose value is named after the Attribute Name. */
const NAMED_ATTRIBUTES = ATTRIBUTE_NAMES.flatMap(([name]) => {
  const tag = attributeTag(name);
  if (tag === undefined) return [];
  const enumeration = enumerationOf(tag);
  if (enumeration !== undefined) {
    const values = ENUMERATIONS[enumeration].map((e) => e.value);
    return [
      {
        name,
        value: enumValueArb(values).map((v): TtlvNode => ({
          tag: Tag.AttributeValue,
          type: 'Enumeration',
          value: v,
        })),
      },
    ];
  }
  const mask = maskOf(tag);
  if (mask !== undefined) {
    const bits = MASKS[mask].map((b) => b.value);
    return [
      {
        name,
        value: maskValueArb(bits).map((v): TtlvNode => ({
          tag: Tag.AttributeValue,
          type: 'Integer',
          value: v,
        })),
      },
    ];
  }
  return [];
});
const attributeArb: fc.Arbitrary<TtlvNode> = fc
  .constantFrom(...NAMED_ATTRIBUTES)
  .chain(({ name, value }) =>
    fc
      .tuple(value, fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }))
      .map(([v, index]): TtlvNode => ({
        tag: Tag.Attribute,
        type: 'Structure',
        value: [
          { tag: Tag.AttributeName, type: 'TextString', value: name },
          ...(index === undefined
            ? []
            : [{ tag: Tag.AttributeIndex, type: 'Integer' as const, value: index }]),
          v,
        ],
      })),
  );

const leafArb: fc.Arbitrary<TtlvNode> = fc.oneof(
  typed('Integer', fc.integer({ min: -0x80000000, max: 0x7fffffff })),
  typed('LongInteger', int64Arb),
  typed('BigInteger', bigIntegerArb),
  typed('Enumeration', fc.integer({ min: 0, max: 0xffffffff })),
  typed('Boolean', fc.boolean()),
  typed('TextString', textArb),
  typed('ByteString', fc.uint8Array({ maxLength: 40 })),
  typed('DateTime', int64Arb),
  typed('Interval', fc.integer({ min: 0, max: 0xffffffff })),
  typed('DateTimeExtended', int64Arb),
  knownEnumArb,
  knownMaskArb,
);

/** A node at `depth` (top level 1); no node is deeper than MAX_DEPTH. */
function nodeArb(depth: number): fc.Arbitrary<TtlvNode> {
  if (depth >= MAX_DEPTH) return leafArb;
  const structure = fc
    .record({ tag: tagArb, value: fc.array(nodeArb(depth + 1), { maxLength: 4 }) })
    .map(({ tag, value }): TtlvNode => ({ tag, type: 'Structure', value }));
  return fc.oneof(
    { weight: 3, arbitrary: leafArb },
    { weight: 2, arbitrary: structure },
    { weight: 1, arbitrary: attributeArb },
  );
}

const treeArb = nodeArb(1);

function depthOf(node: TtlvNode): number {
  return node.type === 'Structure' ? 1 + Math.max(0, ...node.value.map(depthOf)) : 1;
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** Decodes; returns the node, or undefined after checking that the failure is a codec error. */
function decodeOrCodecError(bytes: Uint8Array): TtlvNode | undefined {
  try {
    return decodeTtlv(bytes);
  } catch (e) {
    assert.ok(e instanceof KmipCodecError, `not a KmipCodecError: ${String(e)}`);
    assert.ok(e.offset >= 0 && e.offset <= bytes.length, `offset ${e.offset} of ${bytes.length}`);
    assert.ok(e.message.includes(`at byte ${e.offset}`), e.message);
    return undefined;
  }
}

/** Strict TTLV has one encoding per tree: what decodes must re-encode to the same bytes. */
function assertCanonical(bytes: Uint8Array): boolean {
  const node = decodeOrCodecError(bytes);
  if (node === undefined) return false;
  assert.deepEqual(encodeTtlv(node), Buffer.from(bytes));
  return true;
}

const mutationArb = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    byte: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record({
    kind: fc.constant('xor' as const),
    at: fc.nat(),
    mask: fc.integer({ min: 1, max: 255 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 9 }),
  }),
  fc.record({
    kind: fc.constant('delete' as const),
    at: fc.nat(),
    count: fc.integer({ min: 1, max: 9 }),
  }),
  fc.record({
    kind: fc.constant('length' as const),
    item: fc.nat(),
    len: fc.oneof(fc.nat({ max: 64 }), fc.constantFrom(0x7fffffff, 0x80000000, 0xffffffff)),
  }),
);
type Mutation = typeof mutationArb extends fc.Arbitrary<infer M> ? M : never;

/** Header offsets of `bytes`, found by following lengths (stops at the first bad header). */
function headerOffsets(bytes: Uint8Array): number[] {
  const out: number[] = [];
  const visit = (from: number, to: number): void => {
    for (let p = from; p + 8 <= to;) {
      out.push(p);
      const len = Buffer.from(bytes.buffer, bytes.byteOffset + p + 4, 4).readUInt32BE(0);
      if (bytes[p + 3] === 0x01) visit(p + 8, Math.min(to, p + 8 + len));
      p += 8 + Math.ceil(len / 8) * 8;
    }
  };
  visit(0, bytes.length);
  return out;
}

function mutate(bytes: Uint8Array, mutations: readonly Mutation[]): Buffer {
  let b = Buffer.from(bytes);
  for (const m of mutations) {
    switch (m.kind) {
      case 'flip':
        if (b.length > 0) b[m.at % b.length] = m.byte;
        break;
      case 'xor':
        if (b.length > 0) b[m.at % b.length]! ^= m.mask;
        break;
      case 'truncate':
        b = b.subarray(0, m.at % (b.length + 1));
        break;
      case 'insert': {
        const at = m.at % (b.length + 1);
        b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
        break;
      }
      case 'delete': {
        const at = m.at % (b.length + 1);
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.count)]);
        break;
      }
      case 'length': {
        const heads = headerOffsets(b);
        if (heads.length > 0) b.writeUInt32BE(m.len, heads[m.item % heads.length]! + 4);
        break;
      }
    }
  }
  return b;
}

const VECTOR_BYTES = ALL_ENCODINGS.map((e) => e.bytes);

// ---------------------------------------------------------------------------------------------

describe('TTLV round trip of arbitrary trees', () => {
  it('encode → decode gives the same tree, and re-encoding the same bytes', () => {
    fc.assert(
      fc.property(treeArb, (node) => {
        assert.ok(depthOf(node) <= MAX_DEPTH);
        const bytes = encodeTtlv(node);
        assert.equal(bytes.length % 8, 0);
        const back = decodeTtlv(bytes);
        assert.deepEqual(back, node);
        assert.deepEqual(encodeTtlv(back), bytes);
      }),
      { numRuns: 400 },
    );
  });

  it('every type, both tag ranges and deep trees are generated', () => {
    const types = new Set<string>();
    let ext = 0;
    let deepest = 0;
    for (const node of fc.sample(treeArb, { numRuns: 400, seed: 42 })) {
      deepest = Math.max(deepest, depthOf(node));
      const visit = (n: TtlvNode): void => {
        types.add(n.type);
        if (n.tag >>> 16 === 0x54) ext++;
        if (n.type === 'Structure') n.value.forEach(visit);
      };
      visit(node);
    }
    assert.deepEqual([...types].sort(), Object.keys(TtlvType).sort());
    assert.ok(ext > 0, 'extension tags 0x54xxxx appear');
    assert.equal(deepest, MAX_DEPTH);
  });

  it('through KMIP JSON text: toKmipJson → JSON → fromKmipJson gives the same tree and bytes', () => {
    fc.assert(
      fc.property(treeArb, (node) => {
        const json: unknown = JSON.parse(JSON.stringify(toKmipJson(node)));
        const back = fromKmipJson(json);
        assert.deepEqual(back, node);
        assert.deepEqual(encodeTtlv(back), encodeTtlv(node));
      }),
      { numRuns: 400 },
    );
  });

  it('Date-Time Extended values round-trip through KMIP JSON, negative microseconds included', () => {
    fc.assert(
      fc.property(int64Arb, (value) => {
        const node: TtlvNode = { tag: 0x420020, type: 'DateTimeExtended', value };
        assert.deepEqual(fromKmipJson(JSON.parse(JSON.stringify(toKmipJson(node)))), node);
      }),
      { numRuns: 300, examples: [[-1n], [-999n], [-1_000_001n], [-62135596800000001n]] },
    );
  });
});

describe('hostile TTLV input', () => {
  it('random bytes decode canonically or fail with a KmipCodecError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        assertCanonical(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('random item sequences with plausible headers decode canonically or fail with a KmipCodecError', () => {
    // Mostly self-consistent items (value bytes matching the length, zero padding), some not.
    const rawItem = fc.record({
      tag: tagArb,
      type: fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: 1, max: 11 }) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
      ),
      len: fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(0, 4, 8, 16) },
        { weight: 2, arbitrary: fc.nat({ max: 40 }) },
        { weight: 1, arbitrary: fc.constantFrom(0x7fffffff, 0xffffffff) },
      ),
      consistent: fc.boolean(),
      body: fc.uint8Array({ maxLength: 40 }),
    });
    let decoded = 0;
    fc.assert(
      fc.property(
        fc.array(rawItem, { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        (items, wrap) => {
          const parts: Buffer[] = [];
          for (const it of items) {
            const head = Buffer.alloc(8);
            head.writeUIntBE(it.tag, 0, 3);
            head[3] = it.type;
            const len = it.type === 0x01 ? 0 : it.len;
            head.writeUInt32BE(len, 4);
            if (it.consistent && len <= 40) {
              const value = Buffer.alloc(Math.ceil(len / 8) * 8);
              value.set(it.body.subarray(0, len));
              parts.push(head, value);
            } else {
              parts.push(head, Buffer.from(it.body));
            }
          }
          let bytes = Buffer.concat(parts);
          if (wrap || items.length > 1) {
            const head = Buffer.alloc(8);
            head.writeUIntBE(0x420078, 0, 3);
            head[3] = 0x01;
            head.writeUInt32BE(bytes.length, 4);
            bytes = Buffer.concat([head, bytes]);
          }
          if (assertCanonical(bytes)) decoded++;
        },
      ),
      { numRuns: 800 },
    );
    assert.ok(decoded > 0, 'the success path is exercised too');
  });

  it('mutated vectors decode canonically or fail with a KmipCodecError', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...VECTOR_BYTES),
        fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
        (bytes, mutations) => {
          assertCanonical(mutate(bytes, mutations));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('mutated encodings of arbitrary trees decode canonically or fail with a KmipCodecError', () => {
    fc.assert(
      fc.property(
        treeArb,
        fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
        (node, mutations) => {
          assertCanonical(mutate(encodeTtlv(node), mutations));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('every single-byte change of every vector decodes canonically or fails with a KmipCodecError', () => {
    // Exhaustive over positions, a few values each: 0x00, 0x01, 0x80, 0xFF and the bit-flipped byte.
    for (const original of VECTOR_BYTES) {
      for (let i = 0; i < original.length; i++) {
        for (const v of [0x00, 0x01, 0x80, 0xff, original[i]! ^ 0xff]) {
          if (v === original[i]) continue;
          const b = Buffer.from(original);
          b[i] = v;
          assertCanonical(b);
        }
      }
    }
  });
});

describe('hostile KMIP JSON input', () => {
  function fromJsonOrInvalid(x: unknown): TtlvNode | undefined {
    try {
      return fromKmipJson(x);
    } catch (e) {
      assert.ok(e instanceof KmipCodecError, `not a KmipCodecError: ${String(e)}`);
      assert.equal(e.code, 'KMIP_JSON_INVALID', e.message);
      return undefined;
    }
  }

  /** What fromKmipJson accepts must encode, and survive TTLV and JSON round trips. */
  function assertUsable(node: TtlvNode): void {
    const bytes = encodeTtlv(node);
    assert.deepEqual(encodeTtlv(decodeTtlv(bytes)), bytes);
    const again = fromKmipJson(JSON.parse(JSON.stringify(toKmipJson(node))));
    assert.deepEqual(encodeTtlv(again), bytes);
  }

  it('arbitrary JSON values are accepted or rejected with KMIP_JSON_INVALID', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.anything()), (x) => {
        const node = fromJsonOrInvalid(x);
        if (node !== undefined) assertUsable(node);
      }),
      { numRuns: 500 },
    );
  });

  it('item-shaped JSON with plausible tags, types and values is accepted or rejected with KMIP_JSON_INVALID', () => {
    const typeNames = Object.keys(TtlvType);
    const { item } = fc.letrec((tie) => ({
      item: fc.record(
        {
          tag: fc.oneof(
            fc.constantFrom(
              'RequestMessage',
              'Operation',
              'CryptographicUsageMask',
              'CryptographicAlgorithm',
              'Attribute',
              'AttributeName',
              'AttributeValue',
              'TimeStamp',
              '0x540001',
              '0x42007b',
              '0x42000B',
              '0x4200',
              'Frobnicate',
              '',
            ),
            fc.string({ maxLength: 8 }),
          ),
          type: fc.oneof(
            fc.constantFrom(...typeNames),
            fc.constantFrom('Float', 'structure', ''),
            fc.constant(null),
          ),
          value: fc.oneof(
            fc.constantFrom(
              0,
              -1,
              1.5,
              2 ** 31,
              2 ** 53,
              -0,
              true,
              '',
              '0x00000001',
              '0xFFFFFFFF',
              '0x0000000000000001',
              '0xFFFFFFFFFFFFFFFF',
              'Encrypt|Decrypt',
              'Encrypt|0x00000100',
              'AES',
              'Cryptographic Algorithm',
              'Cryptographic Usage Mask',
              '2008-03-14T11:56:40Z',
              '2008-03-14T11:56:40.123456+10:00',
              '0102',
              '010',
              '\ud800',
            ),
            fc.jsonValue({ maxDepth: 1 }),
            fc.array(tie('item'), { maxLength: 3 }),
          ),
          extra: fc.jsonValue({ maxDepth: 0 }),
        },
        { requiredKeys: ['tag', 'value'] },
      ),
    }));
    let accepted = 0;
    fc.assert(
      fc.property(item, (x) => {
        const node = fromJsonOrInvalid(x);
        if (node !== undefined) {
          accepted++;
          assertUsable(node);
        }
      }),
      { numRuns: 1500 },
    );
    assert.ok(accepted > 0, 'some generated items are valid');
  });
});
