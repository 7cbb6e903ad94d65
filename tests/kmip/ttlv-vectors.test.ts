/**
 * Known-answer tests of the TTLV codec: real PyKMIP 0.10 wire captures, the KMIP 1.0 §9.1.2
 * encoding examples and KMIP 1.1 test-case messages decode to the expected trees and
 * re-encode byte for byte, and survive a KMIP JSON round trip with their names intact.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  Tag,
  bytesToHex,
  decodeTtlv,
  encodeTtlv,
  enumValueName,
  fromKmipJson,
  hexToBytes,
  tagName,
  toKmipJson,
} from '../../src/kmip/index.ts';
import type { KmipJsonItem, TtlvNode } from '../../src/kmip/index.ts';
import { ALL_ENCODINGS, PYKMIP, PYKMIP_MESSAGES, SPEC, vector } from './fixtures.ts';
import type { ExpectedItem, Message } from './fixtures.ts';

function decodeHex(hex: string): TtlvNode {
  return decodeTtlv(hexToBytes(hex));
}

function children(node: TtlvNode): readonly TtlvNode[] {
  if (node.type !== 'Structure') {
    assert.fail(`0x${node.tag.toString(16)} is a ${node.type}, not a Structure`);
  }
  return node.value;
}

/** The first descendant (depth first, `node` included) with `tag`. */
function find(node: TtlvNode, tag: number): TtlvNode {
  const all = findAll(node, tag);
  assert.ok(all.length > 0, `tag 0x${tag.toString(16)} present`);
  return all[0]!;
}

function findAll(node: TtlvNode, tag: number): TtlvNode[] {
  const out: TtlvNode[] = [];
  const visit = (n: TtlvNode): void => {
    if (n.tag === tag) out.push(n);
    if (n.type === 'Structure') n.value.forEach(visit);
  };
  visit(node);
  return out;
}

/** Every JSON item (depth first) whose tag is `tag`. */
/** The hex of the KMIP 1.1 test case whose name starts with `prefix`. */
function testCase(prefix: string): string {
  const found = SPEC.testCases.filter((t) => t.name.startsWith(prefix));
  assert.equal(found.length, 1, `one test case named ${prefix}…`);
  return found[0]!.hex;
}

function jsonAll(item: KmipJsonItem, tag: string): KmipJsonItem[] {
  const out: KmipJsonItem[] = [];
  const visit = (i: KmipJsonItem): void => {
    if (i.tag === tag) out.push(i);
    if (Array.isArray(i.value)) (i.value as readonly KmipJsonItem[]).forEach(visit);
  };
  visit(item);
  return out;
}

function jsonValues(item: KmipJsonItem, tag: string): unknown[] {
  return jsonAll(item, tag).map((i) => i.value);
}

/** Pre-order list of (depth, node). */
function flatten(node: TtlvNode, depth = 0): { depth: number; node: TtlvNode }[] {
  const out = [{ depth, node }];
  if (node.type === 'Structure') for (const c of node.value) out.push(...flatten(c, depth + 1));
  return out;
}

/** PyKMIP spells names in upper snake case, we in normalized CamelCase. */
function squash(name: string): string {
  return name.replace(/_/g, '').toLowerCase();
}

/** Value length as the listing states it (padding not counted, Structures whole). */
function valueLength(node: TtlvNode): number {
  switch (node.type) {
    case 'Structure':
      return encodeTtlv(node).length - 8;
    case 'TextString':
      return Buffer.byteLength(node.value, 'utf8');
    case 'ByteString':
      return node.value.length;
    case 'Integer':
    case 'Enumeration':
    case 'Interval':
      return 4;
    case 'LongInteger':
    case 'Boolean':
    case 'DateTime':
    case 'DateTimeExtended':
      return 8;
    case 'BigInteger':
      return encodeTtlv(node).length - 8;
  }
}

const LISTING_LINE = /^( *)([0-9A-F]{6}) ([A-Z0-9_]+) (\w+) len=(\d+)(?: = (.*))?$/;

/**
 * Compares a decoded tree with the team's decoded listing of the vector file, line by line:
 * depth, tag, tag name, type, length and value (enumeration names included).
 */
function assertMatchesListing(node: TtlvNode, listing: readonly string[]): void {
  const flat = flatten(node);
  assert.equal(flat.length, listing.length, 'one listing line per item');
  flat.forEach(({ depth, node: n }, i) => {
    const line = listing[i]!;
    const m = LISTING_LINE.exec(line);
    assert.ok(m, `listing line parses: ${line}`);
    const [, indent, tagHex, name, type, len, value] = m;
    const where = `line ${i}: ${line}`;
    assert.equal(indent!.length, depth * 2, `depth, ${where}`);
    assert.equal(n.tag, Number.parseInt(tagHex!, 16), `tag, ${where}`);
    assert.equal(squash(tagName(n.tag) ?? '?'), squash(name!), `tag name, ${where}`);
    assert.equal(n.type, type, `type, ${where}`);
    assert.equal(valueLength(n), Number(len), `length, ${where}`);
    switch (n.type) {
      case 'Structure':
        assert.equal(value, undefined, where);
        break;
      case 'Integer':
        assert.equal(n.value, Number(value), `value, ${where}`);
        break;
      case 'Enumeration': {
        const e = /^0x([0-9A-F]{8})(?: \((\w+)\))?$/.exec(value ?? '');
        assert.ok(e, `enumeration value parses, ${where}`);
        assert.equal(n.value, Number.parseInt(e[1]!, 16), `value, ${where}`);
        if (e[2] !== undefined) {
          assert.equal(squash(enumValueName(n.tag, n.value) ?? '?'), squash(e[2]), where);
        }
        break;
      }
      case 'DateTime': {
        const d = /^(-?\d+) \((\S+)\)$/.exec(value ?? '');
        assert.ok(d, `date-time value parses, ${where}`);
        assert.equal(n.value, BigInt(d[1]!), `value, ${where}`);
        assert.equal(toKmipJson(n).value, d[2], `ISO text, ${where}`);
        break;
      }
      case 'TextString':
        assert.equal(`'${n.value}'`, value, `value, ${where}`);
        break;
      case 'ByteString':
        assert.equal(bytesToHex(n.value), value, `value, ${where}`);
        break;
      case 'LongInteger':
      case 'BigInteger':
      case 'Boolean':
      case 'Interval':
      case 'DateTimeExtended':
        assert.fail(`the listings hold no ${n.type}; extend this comparison (${where})`);
    }
  });
}

/** Converts an expected item of spec-examples.json to a tree node. */
function expectedNode(e: ExpectedItem): TtlvNode {
  const tag = Number.parseInt(e.tag, 16);
  const v = e.value;
  switch (e.type) {
    case 'Structure':
      assert.ok(Array.isArray(v));
      return { tag, type: 'Structure', value: (v as readonly ExpectedItem[]).map(expectedNode) };
    case 'Integer':
    case 'Enumeration':
    case 'Interval':
      assert.equal(typeof v, 'number');
      return { tag, type: e.type, value: v as number };
    case 'LongInteger':
    case 'BigInteger':
    case 'DateTime':
    case 'DateTimeExtended':
      assert.equal(typeof v, 'string');
      return { tag, type: e.type, value: BigInt(v as string) };
    case 'Boolean':
      assert.equal(typeof v, 'boolean');
      return { tag, type: 'Boolean', value: v as boolean };
    case 'TextString':
      assert.equal(typeof v, 'string');
      return { tag, type: 'TextString', value: v as string };
    case 'ByteString':
      assert.equal(typeof v, 'string');
      return { tag, type: 'ByteString', value: new Uint8Array(hexToBytes(v as string)) };
    default:
      return assert.fail(`unknown expected type ${e.type}`);
  }
}

describe('PyKMIP 0.10 vectors (tests/vectors/kmip/pykmip-0.10.json)', () => {
  it('the file is the shared capture with its provenance', () => {
    assert.equal(PYKMIP.vectors.length, 17);
    assert.match(PYKMIP.provenance['peer'] ?? '', /python3-pykmip 0\.10\.0-4/);
    assert.equal(PYKMIP.vendor_identification, 'PyKMIP 0.10.0 Software Server');
    const names = new Set(PYKMIP.vectors.map((v) => v.name));
    assert.equal(names.size, PYKMIP.vectors.length, 'vector names are unique');
  });

  for (const m of PYKMIP_MESSAGES) {
    it(`${m.label}: decodes and re-encodes byte for byte`, () => {
      assert.equal(m.bytes.length, m.declaredLength);
      const node = decodeTtlv(m.bytes);
      assert.equal(node.type, 'Structure');
      assert.equal(node.tag, m.direction === 'request' ? Tag.RequestMessage : Tag.ResponseMessage);
      const again = encodeTtlv(node);
      assert.deepEqual(again, m.bytes);
      assert.equal(
        bytesToHex(again),
        m.direction === 'request' ? m.vector.request_hex : m.vector.response_hex,
      );
    });
  }

  for (const m of PYKMIP_MESSAGES) {
    it(`${m.label}: matches the decoded listing (tags, names, types, lengths, values)`, () => {
      assertMatchesListing(decodeTtlv(m.bytes), m.listing);
    });
  }

  it('discover_versions request: the exact tree', () => {
    const node = decodeHex(vector('discover_versions').request_hex);
    assert.deepEqual(node, {
      tag: 0x420078,
      type: 'Structure',
      value: [
        {
          tag: 0x420077,
          type: 'Structure',
          value: [
            {
              tag: 0x420069,
              type: 'Structure',
              value: [
                { tag: 0x42006a, type: 'Integer', value: 1 },
                { tag: 0x42006b, type: 'Integer', value: 2 },
              ],
            },
            { tag: 0x42000d, type: 'Integer', value: 1 },
          ],
        },
        {
          tag: 0x42000f,
          type: 'Structure',
          value: [
            { tag: 0x42005c, type: 'Enumeration', value: 0x1e },
            { tag: 0x420079, type: 'Structure', value: [] },
          ],
        },
      ],
    });
  });

  it('discover_versions response: six versions, newest first, and the time stamp', () => {
    const node = decodeHex(vector('discover_versions').response_hex);
    const stamp = find(node, Tag.TimeStamp);
    assert.deepEqual(stamp, { tag: Tag.TimeStamp, type: 'DateTime', value: 1795430549n });
    const payload = find(node, Tag.ResponsePayload);
    const versions = children(payload).map((pv) =>
      children(pv).map((x) => (x.type === 'Integer' ? x.value : NaN)),
    );
    assert.deepEqual(versions, [
      [2, 0],
      [1, 4],
      [1, 3],
      [1, 2],
      [1, 1],
      [1, 0],
    ]);
  });

  it('query_ops_objs_info response: 18 operations and the vendor identification', () => {
    const node = decodeHex(vector('query_ops_objs_info').response_hex);
    const payload = children(find(node, Tag.ResponsePayload));
    const ops = payload.filter((c) => c.tag === Tag.Operation).map((c) => c.value);
    assert.deepEqual(
      ops,
      [
        0x01, 0x02, 0x03, 0x05, 0x08, 0x0a, 0x0b, 0x0c, 0x12, 0x13, 0x14, 0x18, 0x1e, 0x1f, 0x20,
        0x21, 0x22, 0x23,
      ],
    );
    assert.deepEqual(payload.at(-1), {
      tag: Tag.VendorIdentification,
      type: 'TextString',
      value: 'PyKMIP 0.10.0 Software Server',
    });
    assert.deepEqual(find(node, Tag.ResultStatus), {
      tag: Tag.ResultStatus,
      type: 'Enumeration',
      value: 0,
    });
  });

  it('query_ops_objs_info request: three Query Functions', () => {
    const node = decodeHex(vector('query_ops_objs_info').request_hex);
    const payload = children(find(node, Tag.RequestPayload));
    assert.deepEqual(payload, [
      { tag: Tag.QueryFunction, type: 'Enumeration', value: 1 },
      { tag: Tag.QueryFunction, type: 'Enumeration', value: 2 },
      { tag: Tag.QueryFunction, type: 'Enumeration', value: 3 },
    ]);
  });

  it('get response: the 32-byte key material is a Uint8Array copy of the input bytes', () => {
    const bytes = hexToBytes(vector('get').response_hex);
    const node = decodeTtlv(bytes);
    const material = find(node, Tag.KeyMaterial);
    assert.equal(material.type, 'ByteString');
    assert.ok(material.value instanceof Uint8Array);
    assert.equal(
      bytesToHex(material.value),
      '52a94c1f7e62f8f418b1e306cac9274019cbda64c2337e7d7a2532e40edf108e',
    );
    // Decoding copies: changing the input afterwards leaves the tree alone.
    bytes.fill(0);
    assert.equal(material.value[0], 0x52);
  });

  it('batch_of_two request: Unique Batch Item IDs are Byte Strings "a1" and "b2"', () => {
    const node = decodeHex(vector('batch_of_two').request_hex);
    const ids = findAll(node, Tag.UniqueBatchItemID).map((n) =>
      n.type === 'ByteString' ? Buffer.from(n.value).toString('latin1') : '',
    );
    assert.deepEqual(ids, ['a1', 'b2']);
    assert.equal(findAll(node, Tag.BatchItem).length, 2);
  });

  it('decodes from a Uint8Array view at a non-zero offset of a larger buffer', () => {
    const bytes = hexToBytes(vector('query14').response_hex);
    const big = new Uint8Array(bytes.length + 24);
    big.set(bytes, 16);
    const view = big.subarray(16, 16 + bytes.length);
    assert.deepEqual(encodeTtlv(decodeTtlv(view)), bytes);
  });
});

describe('KMIP 1.0 §9.1.2 encoding examples (tests/vectors/kmip/spec-examples.json)', () => {
  it('lists the ten examples of the specification', () => {
    assert.deepEqual(
      SPEC.examples.map((e) => e.expected.type),
      [
        'Integer',
        'LongInteger',
        'BigInteger',
        'Enumeration',
        'Boolean',
        'TextString',
        'ByteString',
        'DateTime',
        'Interval',
        'Structure',
      ],
    );
  });

  for (const ex of SPEC.examples) {
    it(`${ex.name}: decodes to the expected value`, () => {
      assert.deepEqual(decodeHex(ex.hex), expectedNode(ex.expected));
    });
    it(`${ex.name}: the expected value encodes to the specification's bytes`, () => {
      assert.equal(bytesToHex(encodeTtlv(expectedNode(ex.expected))), ex.hex);
    });
  }

  it('Date-Time 0x47DA67F8 is 2008-03-14T11:56:40Z', () => {
    const dt = SPEC.examples.find((e) => e.expected.type === 'DateTime');
    assert.ok(dt);
    const node = decodeHex(dt.hex);
    assert.equal(node.value, 0x47da67f8n);
    assert.equal(toKmipJson(node).value, '2008-03-14T11:56:40Z');
  });

  it('Big Integer boundaries encode in minimal two-complement words', () => {
    const cases: [bigint, string][] = [
      [0n, '0000000000000000'],
      [1n, '0000000000000001'],
      [-1n, 'ffffffffffffffff'],
      [(1n << 63n) - 1n, '7fffffffffffffff'],
      [1n << 63n, '00000000000000008000000000000000'],
      [-(1n << 63n), '8000000000000000'],
      [-(1n << 63n) - 1n, 'ffffffffffffffff7fffffffffffffff'],
      [(1n << 64n) - 1n, '0000000000000000ffffffffffffffff'],
      [-(1n << 127n), '80000000000000000000000000000000'],
    ];
    for (const [value, hex] of cases) {
      const bytes = encodeTtlv({ tag: 0x420020, type: 'BigInteger', value });
      const len = (hex.length / 2).toString(16).padStart(8, '0');
      assert.equal(bytesToHex(bytes), `42002004${len}${hex}`, `${value}`);
      assert.deepEqual(decodeTtlv(bytes), { tag: 0x420020, type: 'BigInteger', value });
    }
  });

  it('other fixed-width boundaries round-trip', () => {
    const nodes: TtlvNode[] = [
      { tag: 0x420020, type: 'Integer', value: -0x80000000 },
      { tag: 0x420020, type: 'Integer', value: 0x7fffffff },
      { tag: 0x420020, type: 'Integer', value: -1 },
      { tag: 0x420020, type: 'Enumeration', value: 0xffffffff },
      { tag: 0x420020, type: 'Interval', value: 0xffffffff },
      { tag: 0x420020, type: 'LongInteger', value: -(1n << 63n) },
      { tag: 0x420020, type: 'LongInteger', value: (1n << 63n) - 1n },
      { tag: 0x420020, type: 'DateTime', value: -1n },
      { tag: 0x420020, type: 'DateTimeExtended', value: (1n << 63n) - 1n },
      { tag: 0x420020, type: 'Boolean', value: false },
      { tag: 0x420020, type: 'TextString', value: '' },
      { tag: 0x420020, type: 'TextString', value: '鍵 🔑 kagi' },
      { tag: 0x420020, type: 'ByteString', value: new Uint8Array(0) },
      { tag: 0x420020, type: 'ByteString', value: new Uint8Array(8).fill(0xff) },
      { tag: 0xffffff, type: 'Structure', value: [] },
      { tag: 0, type: 'Integer', value: 0 },
    ];
    nodes.forEach((n, i) => {
      const bytes = encodeTtlv(n);
      assert.equal(bytes.length % 8, 0);
      assert.deepEqual(decodeTtlv(bytes), n, `case ${i}: ${n.type}`);
    });
    assert.equal(
      bytesToHex(encodeTtlv({ tag: 0x420020, type: 'TextString', value: '鍵 🔑 kagi' })),
      '420020070000000d' + 'e98db520f09f9491206b616769' + '000000',
    );
  });
});

describe('KMIP 1.1 test cases (tests/vectors/kmip/spec-examples.json)', () => {
  for (const tc of SPEC.testCases) {
    it(`${tc.name}: decodes and re-encodes byte for byte`, () => {
      const bytes = hexToBytes(tc.hex);
      assert.deepEqual(encodeTtlv(decodeTtlv(bytes)), bytes);
    });
  }

  it('§16.1 request is the PyKMIP discover_versions request with Protocol Version Minor 1', () => {
    const tc = SPEC.testCases.find((t) =>
      t.name.startsWith('TC11 16.1 time 0: Discover Versions request'),
    );
    assert.ok(tc);
    const ours = decodeHex(vector('discover_versions').request_hex);
    const theirs = decodeHex(tc.hex);
    assert.deepEqual(find(theirs, Tag.ProtocolVersionMinor), {
      tag: Tag.ProtocolVersionMinor,
      type: 'Integer',
      value: 1,
    });
    assert.deepEqual(find(ours, Tag.ProtocolVersionMinor).value, 2);
    assert.deepEqual(find(theirs, Tag.BatchItem), find(ours, Tag.BatchItem));
  });

  it('§16.1 responses: 1.1 and 1.0, then an empty Response Payload', () => {
    const both = decodeHex(testCase('TC11 16.1 time 0: Discover Versions response'));
    assert.deepEqual(
      findAll(find(both, Tag.ResponsePayload), Tag.ProtocolVersionMinor).map((n) => n.value),
      [1, 0],
    );
    assert.equal(find(both, Tag.TimeStamp).value, 0x4ed73ed7n);
    const none = decodeHex(testCase('TC11 16.1 time 3'));
    assert.deepEqual(find(none, Tag.ResponsePayload), {
      tag: Tag.ResponsePayload,
      type: 'Structure',
      value: [],
    });
  });

  it('§12.1 Response Too Large carries its Result Message', () => {
    const node = decodeHex(testCase('TC11 12.1 time 0'));
    assert.equal(find(node, Tag.ResultReason).value, 2);
    assert.equal(
      find(node, Tag.ResultMessage).value,
      'Response size: 648, Maximum Response Size indicated in request: 256',
    );
  });

  it('§12.1 success: 26 Operations, 6 Object Types, vendor, and an empty Server Information', () => {
    const node = decodeHex(testCase('TC11 12.1 time 1'));
    const payload = children(find(node, Tag.ResponsePayload));
    assert.equal(payload.filter((c) => c.tag === Tag.Operation).length, 26);
    assert.deepEqual(
      payload.filter((c) => c.tag === Tag.ObjectType).map((c) => c.value),
      [1, 2, 3, 4, 6, 7],
    );
    assert.equal(
      find(node, Tag.VendorIdentification).value,
      'IBM test server, not-TKLM 2.0.1.1 KMIP 2.0.0.1',
    );
    assert.deepEqual(payload.at(-1), { tag: Tag.ServerInformation, type: 'Structure', value: [] });
  });

  it('an empty Structure on its own (4200880100000000) decodes', () => {
    const tc = SPEC.testCases.at(-1);
    assert.equal(tc?.hex, '4200880100000000');
    assert.deepEqual(decodeHex(tc.hex), { tag: 0x420088, type: 'Structure', value: [] });
    assert.equal(bytesToHex(encodeTtlv({ tag: 0x420088, type: 'Structure', value: [] })), tc.hex);
  });
});

describe('KMIP JSON round trip of every vector', () => {
  for (const { label, bytes } of ALL_ENCODINGS) {
    it(`${label}: toKmipJson → JSON text → fromKmipJson → encodeTtlv gives the original bytes`, () => {
      const node = decodeTtlv(bytes);
      const text = JSON.stringify(toKmipJson(node));
      const back = fromKmipJson(JSON.parse(text));
      assert.deepEqual(back, node);
      assert.deepEqual(encodeTtlv(back), bytes);
    });
  }
});

describe('names in the KMIP JSON of the vectors', () => {
  function json(name: string, direction: Message['direction']): KmipJsonItem {
    const v = vector(name);
    return toKmipJson(decodeHex(direction === 'request' ? v.request_hex : v.response_hex));
  }

  it('discover_versions: tags by name, Structures without a type, Operation "DiscoverVersions"', () => {
    const j = json('discover_versions', 'request');
    assert.deepEqual(j, {
      tag: 'RequestMessage',
      value: [
        {
          tag: 'RequestHeader',
          value: [
            {
              tag: 'ProtocolVersion',
              value: [
                { tag: 'ProtocolVersionMajor', type: 'Integer', value: 1 },
                { tag: 'ProtocolVersionMinor', type: 'Integer', value: 2 },
              ],
            },
            { tag: 'BatchCount', type: 'Integer', value: 1 },
          ],
        },
        {
          tag: 'BatchItem',
          value: [
            { tag: 'Operation', type: 'Enumeration', value: 'DiscoverVersions' },
            { tag: 'RequestPayload', value: [] },
          ],
        },
      ],
    });
    const r = json('discover_versions', 'response');
    assert.deepEqual(jsonValues(r, 'TimeStamp'), ['2026-11-23T10:42:29Z']);
    assert.deepEqual(jsonValues(r, 'ResultStatus'), ['Success']);
  });

  it('Result Status and Result Reason of the error vectors are named', () => {
    const expected: [string, string][] = [
      ['get_after_destroy', 'ItemNotFound'],
      ['future_timestamp', 'InvalidMessage'],
      ['bad_version_3_0', 'InvalidMessage'],
      ['no_client_auth_eku', 'AuthenticationNotSuccessful'],
      ['max_response_size_128', 'ResponseTooLarge'],
      ['cancel_unsupported', 'InvalidMessage'],
      ['discover_versions_kmip10', 'OperationNotSupported'],
      ['query_no_function', 'InvalidMessage'],
    ];
    for (const [name, reason] of expected) {
      const j = json(name, 'response');
      assert.deepEqual(jsonValues(j, 'ResultStatus'), ['OperationFailed'], name);
      assert.deepEqual(jsonValues(j, 'ResultReason'), [reason], name);
    }
  });

  it('query_ops_objs_info: operations and query functions by name', () => {
    assert.deepEqual(jsonValues(json('query_ops_objs_info', 'request'), 'QueryFunction'), [
      'QueryOperations',
      'QueryObjects',
      'QueryServerInformation',
    ]);
    const ops = jsonValues(json('query_ops_objs_info', 'response'), 'Operation');
    assert.deepEqual(ops.slice(0, 4), ['Query', 'Create', 'CreateKeyPair', 'Register']);
    assert.ok(ops.includes('DiscoverVersions'));
    assert.ok(ops.includes('SignatureVerify'));
    assert.ok(
      ops.every((o) => typeof o === 'string' && !o.startsWith('0x')),
      'all named',
    );
  });

  it('create_aes256: attribute values named after their Attribute Name', () => {
    const j = json('create_aes256', 'request');
    const attributes = jsonAll(j, 'Attribute').map((a) => a.value);
    assert.deepEqual(attributes, [
      [
        { tag: 'AttributeName', type: 'TextString', value: 'Cryptographic Algorithm' },
        { tag: 'AttributeValue', type: 'Enumeration', value: 'AES' },
      ],
      [
        { tag: 'AttributeName', type: 'TextString', value: 'Cryptographic Length' },
        { tag: 'AttributeValue', type: 'Integer', value: 256 },
      ],
      [
        { tag: 'AttributeName', type: 'TextString', value: 'Cryptographic Usage Mask' },
        { tag: 'AttributeValue', type: 'Integer', value: 'Encrypt|Decrypt' },
      ],
      [
        { tag: 'AttributeName', type: 'TextString', value: 'Name' },
        {
          tag: 'AttributeValue',
          value: [
            { tag: 'NameValue', type: 'TextString', value: 'check-key' },
            { tag: 'NameType', type: 'Enumeration', value: 'UninterpretedTextString' },
          ],
        },
      ],
    ]);
    assert.deepEqual(jsonValues(j, 'ObjectType'), ['SymmetricKey']);
  });

  it('get response: key block fields named, key material as hex', () => {
    const j = json('get', 'response');
    assert.deepEqual(jsonValues(j, 'KeyFormatType'), ['Raw']);
    assert.deepEqual(jsonValues(j, 'CryptographicAlgorithm'), ['AES']);
    assert.deepEqual(jsonValues(j, 'CryptographicLength'), [256]);
    assert.deepEqual(jsonValues(j, 'KeyMaterial'), [
      '52A94C1F7E62F8F418B1E306CAC9274019CBDA64C2337E7D7A2532E40EDF108E',
    ]);
  });

  it('batch_of_two: Unique Batch Item IDs as Byte String hex', () => {
    assert.deepEqual(jsonValues(json('batch_of_two', 'request'), 'UniqueBatchItemID'), [
      '6131',
      '6232',
    ]);
  });

  it('spec examples: the placeholder tag 420020 is Compromise Date, 420004/5 are named', () => {
    const structure = SPEC.examples.at(-1);
    assert.ok(structure);
    assert.deepEqual(toKmipJson(decodeHex(structure.hex)), {
      tag: 'CompromiseDate',
      value: [
        { tag: 'ApplicationSpecificInformation', type: 'Enumeration', value: '0x000000FE' },
        { tag: 'ArchiveDate', type: 'Integer', value: 255 },
      ],
    });
  });
});
