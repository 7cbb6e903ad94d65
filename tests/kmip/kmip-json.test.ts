/**
 * The KMIP JSON encoding (docs/kmip-json.md): the shape toKmipJson writes, the forms
 * fromKmipJson accepts, and the KMIP_JSON_INVALID errors, which name the JSON path.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  DigitalSignatureAlgorithm,
  KmipCodecError,
  Tag,
  encodeTtlv,
  enumValueName,
  fromKmipJson,
  toKmipJson,
} from '../../src/kmip/index.ts';
import type { KmipJsonItem, TtlvNode } from '../../src/kmip/index.ts';
import { codecError } from './fixtures.ts';

const T = 0x420020; // Compromise Date: a plain tag with no enumeration or mask table.
const EXT = 0x540001;

function json(node: TtlvNode): KmipJsonItem {
  return toKmipJson(node);
}

/** fromKmipJson of `x`; the value of the single resulting node. */
function valueOf(x: unknown): unknown {
  return fromKmipJson(x).value;
}

function label(x: unknown): string {
  try {
    return x === undefined ? 'undefined' : JSON.stringify(x).slice(0, 200);
  } catch {
    return '(unprintable)';
  }
}

/** Asserts KMIP_JSON_INVALID whose message contains every one of `parts`. */
function rejects(x: unknown, ...parts: string[]): KmipCodecError {
  const e = codecError(() => fromKmipJson(x), `fromKmipJson(${label(x)})`);
  assert.equal(e.code, 'KMIP_JSON_INVALID', e.message);
  for (const p of parts) assert.ok(e.message.includes(p), `"${e.message}" mentions ${p}`);
  return e;
}

function nest(depth: number): unknown {
  let x: unknown = { tag: 'Attribute', value: [] };
  for (let i = 1; i < depth; i++) x = { tag: 'Attribute', value: [x] };
  return x;
}

describe('toKmipJson output', () => {
  it('Structures have no type; tags are names; children keep their order', () => {
    const node: TtlvNode = {
      tag: Tag.ProtocolVersion,
      type: 'Structure',
      value: [
        { tag: Tag.ProtocolVersionMajor, type: 'Integer', value: 1 },
        { tag: Tag.ProtocolVersionMinor, type: 'Integer', value: 4 },
      ],
    };
    const j = json(node);
    assert.deepEqual(j, {
      tag: 'ProtocolVersion',
      value: [
        { tag: 'ProtocolVersionMajor', type: 'Integer', value: 1 },
        { tag: 'ProtocolVersionMinor', type: 'Integer', value: 4 },
      ],
    });
    assert.ok(!('type' in j));
    assert.deepEqual(json({ tag: Tag.RequestPayload, type: 'Structure', value: [] }), {
      tag: 'RequestPayload',
      value: [],
    });
  });

  it('unknown tags are 0x and 6 upper-case hex digits', () => {
    assert.equal(json({ tag: EXT, type: 'Integer', value: 1 }).tag, '0x540001');
    assert.equal(json({ tag: 0x54abcd, type: 'Integer', value: 1 }).tag, '0x54ABCD');
    assert.equal(json({ tag: 0x42ffff, type: 'Integer', value: 1 }).tag, '0x42FFFF');
    assert.equal(json({ tag: 0, type: 'Integer', value: 1 }).tag, '0x000000');
  });

  it('Enumerations by name, unknown values as 0x and 8 upper-case hex digits', () => {
    assert.deepEqual(json({ tag: Tag.Operation, type: 'Enumeration', value: 0x1e }), {
      tag: 'Operation',
      type: 'Enumeration',
      value: 'DiscoverVersions',
    });
    assert.equal(
      json({ tag: Tag.Operation, type: 'Enumeration', value: 0xabcd }).value,
      '0x0000ABCD',
    );
    assert.equal(
      json({ tag: Tag.Operation, type: 'Enumeration', value: 0x80000001 }).value,
      '0x80000001',
    );
    assert.equal(json({ tag: EXT, type: 'Enumeration', value: 3 }).value, '0x00000003');
    assert.equal(json({ tag: Tag.ResultStatus, type: 'Enumeration', value: 0 }).value, 'Success');
  });

  it('Integer bit masks as names joined by |, lowest bit first; others as numbers', () => {
    const mask = (tag: number, value: number): unknown =>
      json({ tag, type: 'Integer', value }).value;
    assert.equal(mask(Tag.CryptographicUsageMask, 12), 'Encrypt|Decrypt');
    assert.equal(mask(Tag.CryptographicUsageMask, 1), 'Sign');
    assert.equal(mask(Tag.CryptographicUsageMask, 0x100c), 'Encrypt|Decrypt|CertificateSign');
    assert.equal(mask(Tag.StorageStatusMask, 3), 'OnLineStorage|ArchivalStorage');
    assert.equal(mask(Tag.ProtectionStorageMask, 0x2001), 'Software|SameJurisdiction');
    // Zero, a bit with no name, and the sign bit stay numbers.
    assert.equal(mask(Tag.CryptographicUsageMask, 0), 0);
    assert.equal(mask(Tag.CryptographicUsageMask, 0x40000000), 0x40000000);
    assert.equal(mask(Tag.CryptographicUsageMask, 0x4000000c), 0x4000000c);
    assert.equal(mask(Tag.CryptographicUsageMask, -0x80000000), -0x80000000);
    // Not a mask tag.
    assert.equal(mask(Tag.CryptographicLength, 12), 12);
    assert.equal(mask(T, -5), -5);
  });

  it('Long Integers as numbers within ±(2^53−1), else 0x and 16 upper-case hex digits', () => {
    const long = (value: bigint): unknown => json({ tag: T, type: 'LongInteger', value }).value;
    assert.equal(long(0n), 0);
    assert.equal(long(-1n), -1);
    assert.equal(long(2n ** 53n - 1n), 9007199254740991);
    assert.equal(long(-(2n ** 53n - 1n)), -9007199254740991);
    assert.equal(long(2n ** 53n), '0x0020000000000000');
    assert.equal(long(-(2n ** 53n)), '0xFFE0000000000000');
    assert.equal(long(-(2n ** 63n)), '0x8000000000000000');
    assert.equal(long(2n ** 63n - 1n), '0x7FFFFFFFFFFFFFFF');
  });

  it("Big Integers as 0x and minimal two's complement in multiples of 16 hex digits", () => {
    const big = (value: bigint): unknown => json({ tag: T, type: 'BigInteger', value }).value;
    assert.equal(big(1234567890000000000000000000n), '0x0000000003FD35EB6BC2DF4618080000');
    assert.equal(big(0n), '0x0000000000000000');
    assert.equal(big(-1n), '0xFFFFFFFFFFFFFFFF');
    assert.equal(big(2n ** 63n), '0x00000000000000008000000000000000');
    assert.equal(big(-(2n ** 63n)), '0x8000000000000000');
    assert.equal(big(-(2n ** 63n) - 1n), '0xFFFFFFFFFFFFFFFF7FFFFFFFFFFFFFFF');
  });

  it('Byte Strings as hex without 0x; Text Strings, Booleans and Intervals as is', () => {
    assert.equal(
      json({ tag: T, type: 'ByteString', value: new Uint8Array([0x0a, 0x0b, 0xff]) }).value,
      '0A0BFF',
    );
    assert.equal(json({ tag: T, type: 'ByteString', value: new Uint8Array(0) }).value, '');
    assert.equal(json({ tag: T, type: 'TextString', value: 'Hello 🔑' }).value, 'Hello 🔑');
    assert.equal(json({ tag: T, type: 'Boolean', value: true }).value, true);
    assert.equal(json({ tag: T, type: 'Boolean', value: false }).value, false);
    assert.equal(json({ tag: T, type: 'Interval', value: 864000 }).value, 864000);
    assert.equal(json({ tag: T, type: 'Interval', value: 0xffffffff }).value, 4294967295);
  });

  it('Date-Times as ISO 8601 UTC seconds within years 0001–9999, else 16 hex digits', () => {
    const dt = (value: bigint): unknown => json({ tag: T, type: 'DateTime', value }).value;
    assert.equal(dt(0x47da67f8n), '2008-03-14T11:56:40Z');
    assert.equal(dt(0n), '1970-01-01T00:00:00Z');
    assert.equal(dt(-1n), '1969-12-31T23:59:59Z');
    assert.equal(dt(253402300799n), '9999-12-31T23:59:59Z');
    assert.equal(dt(-62135596800n), '0001-01-01T00:00:00Z');
    assert.equal(dt(253402300800n), '0x0000003AFFF44180');
    assert.equal(dt(-62135596801n), '0xFFFFFFF1886E08FF');
    assert.equal(dt(2n ** 63n - 1n), '0x7FFFFFFFFFFFFFFF');
  });

  it('Date-Time Extended as ISO 8601 UTC with six fraction digits', () => {
    const dtx = (value: bigint): unknown => json({ tag: T, type: 'DateTimeExtended', value }).value;
    assert.equal(dtx(1205495800123456n), '2008-03-14T11:56:40.123456Z');
    assert.equal(dtx(1205495800000001n), '2008-03-14T11:56:40.000001Z');
    assert.equal(dtx(0n), '1970-01-01T00:00:00.000000Z');
    assert.equal(dtx(-1_500_000n), '1969-12-31T23:59:58.500000Z');
    assert.equal(dtx(-1_000_000n), '1969-12-31T23:59:59.000000Z');
    assert.equal(dtx(2n ** 63n - 1n), '0x7FFFFFFFFFFFFFFF');
  });

  it('Date-Time Extended before 1970 with a sub-millisecond part is the right instant', () => {
    const dtx = (value: bigint): unknown => json({ tag: T, type: 'DateTimeExtended', value }).value;
    // One microsecond before the epoch.
    assert.equal(dtx(-1n), '1969-12-31T23:59:59.999999Z');
    assert.equal(dtx(-999n), '1969-12-31T23:59:59.999001Z');
    assert.equal(dtx(-1_000_001n), '1969-12-31T23:59:58.999999Z');
  });

  it('Attribute Values are named after their Attribute Name sibling', () => {
    const attribute = (name: string, value: TtlvNode): KmipJsonItem =>
      json({
        tag: Tag.Attribute,
        type: 'Structure',
        value: [{ tag: Tag.AttributeName, type: 'TextString', value: name }, value],
      });
    const enumValue: TtlvNode = { tag: Tag.AttributeValue, type: 'Enumeration', value: 3 };
    const maskValue: TtlvNode = { tag: Tag.AttributeValue, type: 'Integer', value: 12 };
    assert.deepEqual(attribute('Cryptographic Algorithm', enumValue).value, [
      { tag: 'AttributeName', type: 'TextString', value: 'Cryptographic Algorithm' },
      { tag: 'AttributeValue', type: 'Enumeration', value: 'AES' },
    ]);
    assert.deepEqual(
      (attribute('Object Type', enumValue).value as KmipJsonItem[])[1]?.value,
      'PublicKey',
    );
    assert.deepEqual(
      (attribute('Cryptographic Usage Mask', maskValue).value as KmipJsonItem[])[1]?.value,
      'Encrypt|Decrypt',
    );
    // Unknown or custom attribute names, or the wrong spelling: no table, hex / numbers.
    assert.deepEqual(
      (attribute('x-custom', enumValue).value as KmipJsonItem[])[1]?.value,
      '0x00000003',
    );
    assert.deepEqual(
      (attribute('CryptographicAlgorithm', enumValue).value as KmipJsonItem[])[1]?.value,
      '0x00000003',
    );
    assert.deepEqual((attribute('x-custom', maskValue).value as KmipJsonItem[])[1]?.value, 12);
  });

  it('the output is plain JSON data (no bigint, no typed arrays)', () => {
    const node: TtlvNode = {
      tag: T,
      type: 'Structure',
      value: [
        { tag: T, type: 'LongInteger', value: 2n ** 62n },
        { tag: T, type: 'BigInteger', value: -(2n ** 100n) },
        { tag: T, type: 'DateTime', value: 1n },
        { tag: T, type: 'DateTimeExtended', value: 1n },
        { tag: T, type: 'ByteString', value: new Uint8Array([1]) },
      ],
    };
    const j = json(node);
    assert.deepEqual(JSON.parse(JSON.stringify(j)), j);
  });
});

describe('fromKmipJson accepts', () => {
  it('tags by name or as 0x and 6 hex digits in either case', () => {
    assert.equal(fromKmipJson({ tag: '0x42007B', value: [] }).tag, Tag.ResponseMessage);
    assert.equal(fromKmipJson({ tag: '0x42007b', value: [] }).tag, Tag.ResponseMessage);
    assert.equal(fromKmipJson({ tag: 'ResponseMessage', value: [] }).tag, Tag.ResponseMessage);
    assert.equal(fromKmipJson({ tag: '0x540001', type: 'Integer', value: 1 }).tag, EXT);
    assert.deepEqual(fromKmipJson({ tag: 'ResponseMessage', type: 'Structure', value: [] }), {
      tag: Tag.ResponseMessage,
      type: 'Structure',
      value: [],
    });
  });

  it('Enumerations by name, older alias, hex (either case) or number', () => {
    const op = (value: unknown): unknown =>
      valueOf({ tag: 'Operation', type: 'Enumeration', value });
    assert.equal(op('DiscoverVersions'), 0x1e);
    assert.equal(op('0x0000001E'), 0x1e);
    assert.equal(op('0x0000001e'), 0x1e);
    assert.equal(op('0x0000ABCD'), 0xabcd);
    assert.equal(op(30), 0x1e);
    assert.equal(op('0xFFFFFFFF'), 0xffffffff);
    const alias = valueOf({
      tag: 'DigitalSignatureAlgorithm',
      type: 'Enumeration',
      value: 'SHA_256WithRSAEncryptionPKCS_1V1_5',
    });
    assert.equal(alias, 5);
    const canonical = enumValueName(Tag.DigitalSignatureAlgorithm, 5);
    assert.ok(canonical !== undefined);
    assert.equal(DigitalSignatureAlgorithm[canonical as keyof typeof DigitalSignatureAlgorithm], 5);
  });

  it("Integers as numbers, as 8 hex digits (two's complement), or as mask names", () => {
    const int = (value: unknown, tag = 'CryptographicLength'): unknown =>
      valueOf({ tag, type: 'Integer', value });
    assert.equal(int(256), 256);
    assert.equal(int(-2147483648), -2147483648);
    assert.equal(int('0x00000100'), 256);
    assert.equal(int('0xFFFFFFFF'), -1);
    assert.equal(int('0x80000000'), -2147483648);
    assert.equal(int('Encrypt|Decrypt', 'CryptographicUsageMask'), 12);
    assert.equal(int('Decrypt|Encrypt', 'CryptographicUsageMask'), 12);
    assert.equal(int(' Encrypt | Decrypt ', 'CryptographicUsageMask'), 12);
    assert.equal(int('Sign', 'CryptographicUsageMask'), 1);
    assert.equal(int('CertificateSign|0x0000000C', 'CryptographicUsageMask'), 0x100c);
    assert.equal(int('OnLineStorage|ArchivalStorage', 'StorageStatusMask'), 3);
    assert.equal(int(12, 'CryptographicUsageMask'), 12);
  });

  it('mask names in an Attribute Value of "Cryptographic Usage Mask", and enumeration names of others', () => {
    const node = fromKmipJson({
      tag: 'TemplateAttribute',
      value: [
        {
          tag: 'Attribute',
          value: [
            { tag: 'AttributeName', type: 'TextString', value: 'Cryptographic Usage Mask' },
            { tag: 'AttributeValue', type: 'Integer', value: 'Encrypt|Decrypt' },
          ],
        },
        {
          tag: 'Attribute',
          value: [
            { tag: 'AttributeName', type: 'TextString', value: 'Cryptographic Algorithm' },
            { tag: 'AttributeIndex', type: 'Integer', value: 0 },
            { tag: 'AttributeValue', type: 'Enumeration', value: 'AES' },
          ],
        },
      ],
    });
    assert.deepEqual(node, {
      tag: Tag.TemplateAttribute,
      type: 'Structure',
      value: [
        {
          tag: Tag.Attribute,
          type: 'Structure',
          value: [
            { tag: Tag.AttributeName, type: 'TextString', value: 'Cryptographic Usage Mask' },
            { tag: Tag.AttributeValue, type: 'Integer', value: 12 },
          ],
        },
        {
          tag: Tag.Attribute,
          type: 'Structure',
          value: [
            { tag: Tag.AttributeName, type: 'TextString', value: 'Cryptographic Algorithm' },
            { tag: Tag.AttributeIndex, type: 'Integer', value: 0 },
            { tag: Tag.AttributeValue, type: 'Enumeration', value: 3 },
          ],
        },
      ],
    });
  });

  it('Attribute Name and Attribute Value given as lower-case hex tags are still paired', () => {
    // Tags are case-insensitive hex elsewhere ("0x42007b" is Response Message), so the
    // attribute pairing must not depend on the spelling of the tag either.
    const node = fromKmipJson({
      tag: 'Attribute',
      value: [
        { tag: '0x42000a', type: 'TextString', value: 'Cryptographic Algorithm' },
        { tag: '0x42000b', type: 'Enumeration', value: 'AES' },
      ],
    });
    assert.deepEqual(node.value, [
      { tag: Tag.AttributeName, type: 'TextString', value: 'Cryptographic Algorithm' },
      { tag: Tag.AttributeValue, type: 'Enumeration', value: 3 },
    ]);
  });

  it('the attribute pairing follows the Text String Attribute Name, as toKmipJson does', () => {
    // A TTLV Attribute with a stray non-text Attribute Name before the real one.
    const node: TtlvNode = {
      tag: Tag.Attribute,
      type: 'Structure',
      value: [
        { tag: Tag.AttributeName, type: 'ByteString', value: new Uint8Array(0) },
        { tag: Tag.AttributeName, type: 'TextString', value: 'Cryptographic Algorithm' },
        { tag: Tag.AttributeValue, type: 'Enumeration', value: 3 },
      ],
    };
    const j = toKmipJson(node);
    assert.equal((j.value as KmipJsonItem[])[2]?.value, 'AES');
    assert.deepEqual(fromKmipJson(JSON.parse(JSON.stringify(j))), node);
  });

  it('Date-Times in ISO 8601 with Z or a ±hh:mm offset, or 16 hex digits', () => {
    const dt = (value: unknown): unknown =>
      valueOf({ tag: 'CompromiseDate', type: 'DateTime', value });
    assert.equal(dt('2008-03-14T11:56:40Z'), 1205495800n);
    assert.equal(dt('2008-03-14T21:56:40+10:00'), 1205495800n);
    assert.equal(dt('2008-03-14T06:56:40-05:00'), 1205495800n);
    assert.equal(dt('2008-03-14T11:56:40+00:00'), 1205495800n);
    assert.equal(dt('2008-03-14T11:56:40.000Z'), 1205495800n);
    assert.equal(dt('1969-12-31T23:59:59Z'), -1n);
    assert.equal(dt('0x0000000047DA67F8'), 1205495800n);
    assert.equal(dt('0xFFFFFFFFFFFFFFFF'), -1n);
  });

  it('Date-Time Extended with up to microsecond fractions, or 16 hex digits', () => {
    const dtx = (value: unknown): unknown =>
      valueOf({ tag: 'CompromiseDate', type: 'DateTimeExtended', value });
    assert.equal(dtx('2008-03-14T11:56:40.123456Z'), 1205495800123456n);
    assert.equal(dtx('2008-03-14T11:56:40.1Z'), 1205495800100000n);
    assert.equal(dtx('2008-03-14T11:56:40.123456000Z'), 1205495800123456n);
    assert.equal(dtx('2008-03-14T21:56:40.5+10:00'), 1205495800500000n);
    assert.equal(dtx('2008-03-14T11:56:40Z'), 1205495800000000n);
    assert.equal(dtx('1969-12-31T23:59:59.999999Z'), -1n);
    assert.equal(dtx('0x0000000000000001'), 1n);
  });

  it('the other types in their documented forms', () => {
    const v = (type: string, value: unknown): unknown =>
      valueOf({ tag: 'CompromiseDate', type, value });
    assert.equal(v('LongInteger', 9007199254740991), 9007199254740991n);
    assert.equal(v('LongInteger', '0x8000000000000000'), -(2n ** 63n));
    assert.equal(v('LongInteger', '0x0020000000000000'), 2n ** 53n);
    assert.equal(
      v('BigInteger', '0x0000000003FD35EB6BC2DF4618080000'),
      1234567890000000000000000000n,
    );
    assert.equal(v('BigInteger', '0xFFFFFFFFFFFFFFFF'), -1n);
    assert.equal(v('BigInteger', '0x0000000000000000FFFFFFFFFFFFFFFF'), 2n ** 64n - 1n);
    assert.equal(v('BigInteger', -42), -42n);
    assert.equal(v('Boolean', true), true);
    assert.equal(v('Boolean', '0x0000000000000001'), true);
    assert.equal(v('Boolean', '0x0000000000000000'), false);
    assert.deepEqual(v('ByteString', '0a0BfF'), new Uint8Array([0x0a, 0x0b, 0xff]));
    assert.deepEqual(v('ByteString', ''), new Uint8Array(0));
    assert.equal(v('TextString', ''), '');
    assert.equal(v('Interval', 4294967295), 4294967295);
    assert.equal(v('Interval', '0x000D2F00'), 864000);
    assert.equal(v('Integer', '0x00000008'), 8);
  });

  it('nesting up to 64 items deep', () => {
    const node = fromKmipJson(nest(64));
    let depth = 0;
    for (let n: TtlvNode | undefined = node; n?.type === 'Structure'; n = n.value[0]) depth++;
    assert.equal(depth, 64);
  });
});

describe('fromKmipJson rejects with KMIP_JSON_INVALID naming the JSON path', () => {
  it('non-objects', () => {
    for (const x of [null, undefined, 'x', 5, true, [], [{ tag: 'Attribute', value: [] }]]) {
      rejects(x, 'an item must be an object', 'at (root)');
    }
    rejects({ tag: 'Attribute', value: [1] }, 'an item must be an object', 'at .Attribute[0]');
  });

  it('an unknown tag name, or a malformed hex tag', () => {
    rejects(
      { tag: 'Frobnicate', type: 'Integer', value: 1 },
      'unknown tag name "Frobnicate"',
      'at (root)',
    );
    rejects(
      { tag: 'Activation Date', type: 'DateTime', value: '2008-03-14T11:56:40Z' },
      'unknown tag name',
    );
    rejects(
      { tag: 'ACTIVATION_DATE', type: 'DateTime', value: '2008-03-14T11:56:40Z' },
      'unknown tag name',
    );
    rejects({ tag: '', value: [] }, 'unknown tag name ""');
    rejects({ tag: '0x4200', value: [] }, 'must be 0x and 6 hex digits');
    rejects({ tag: '0x42007B00', value: [] }, 'must be 0x and 6 hex digits');
    rejects({ tag: '0x42zz7B', value: [] }, 'must be 0x and 6 hex digits');
    rejects({ tag: 0x42007b, value: [] }, '"tag" must be a string');
    rejects({ value: [] }, '"tag" must be a string');
    rejects(
      {
        tag: 'RequestMessage',
        value: [{ tag: 'RequestHeader', value: [{ tag: 'Nope', value: [] }] }],
      },
      'unknown tag name "Nope"',
      'at .RequestMessage[0].RequestHeader[0]',
    );
  });

  it('an unknown type', () => {
    rejects({ tag: 'BatchCount', type: 'Float', value: 1 }, 'unknown type "Float"', 'at (root)');
    rejects({ tag: 'BatchCount', type: 'integer', value: 1 }, 'unknown type "integer"');
    rejects({ tag: 'BatchCount', type: 2, value: 1 }, 'unknown type 2');
    rejects({ tag: 'BatchCount', type: 'constructor', value: 1 }, 'unknown type "constructor"');
    rejects({ tag: 'BatchCount', type: '__proto__', value: 1 }, 'unknown type "__proto__"');
  });

  it('an extra key', () => {
    rejects(
      { tag: 'BatchCount', type: 'Integer', value: 1, name: 'x' },
      'unexpected key "name"',
      'at (root)',
    );
    rejects(
      {
        tag: 'ProtocolVersion',
        value: [{ tag: 'ProtocolVersionMajor', type: 'Integer', value: 1, Type: 'x' }],
      },
      'unexpected key "Type"',
      'at .ProtocolVersion[0]',
    );
  });

  it('a value of the wrong JSON type, for every type', () => {
    const cases: [string, unknown][] = [
      ['Structure', 'x'],
      ['Structure', { tag: 'Attribute', value: [] }],
      ['Structure', undefined],
      ['Integer', true],
      ['Integer', null],
      ['Integer', [1]],
      ['LongInteger', true],
      ['LongInteger', 'abc'],
      ['BigInteger', true],
      ['BigInteger', '123'],
      ['Enumeration', true],
      ['Enumeration', null],
      ['Boolean', 1],
      ['Boolean', 'true'],
      ['TextString', 5],
      ['TextString', null],
      ['ByteString', 5],
      ['ByteString', [1, 2]],
      ['DateTime', 1205495800],
      ['DateTime', true],
      ['Interval', true],
      ['Interval', 'ten days'],
      ['DateTimeExtended', 1],
    ];
    for (const [type, value] of cases) {
      rejects({ tag: 'CompromiseDate', type, value }, 'at .CompromiseDate');
    }
  });

  it('out-of-range and inexact numbers', () => {
    const cases: [string, unknown][] = [
      ['Integer', 2 ** 31],
      ['Integer', -(2 ** 31) - 1],
      ['Integer', 1.5],
      ['Integer', Number.NaN],
      ['Enumeration', -1],
      ['Enumeration', 2 ** 32],
      ['Enumeration', 0.5],
      ['Interval', -1],
      ['Interval', 2 ** 32],
      ['LongInteger', 2 ** 53],
      ['LongInteger', -(2 ** 53)],
      ['LongInteger', 0.5],
      ['BigInteger', 2 ** 53],
      ['BigInteger', 1e300],
    ];
    for (const [type, value] of cases) {
      rejects({ tag: 'CompromiseDate', type, value }, 'at .CompromiseDate');
    }
  });

  it('hex of the wrong width', () => {
    const cases: [string, string][] = [
      ['Integer', '0x000000001'],
      ['Integer', '0x0100'],
      ['Enumeration', '0x0000001'],
      ['Interval', '0x1'],
      ['LongInteger', '0x00000000000000001'],
      ['LongInteger', '0x01'],
      ['DateTime', '0x47DA67F8'],
      ['DateTimeExtended', '0x01'],
      ['BigInteger', '0x00'],
      ['BigInteger', '0x000000000000000001'],
      ['Boolean', '0x01'],
      ['Boolean', '0x0000000000000002'],
    ];
    for (const [type, value] of cases) {
      rejects({ tag: 'CompromiseDate', type, value }, 'at .CompromiseDate');
    }
  });

  it('Byte String hex with an odd length, a 0x prefix or non-hex digits', () => {
    for (const value of ['ABC', '0', '0x0102', 'zz', '01 02']) {
      rejects(
        { tag: 'KeyMaterial', type: 'ByteString', value },
        'a Byte String value is hex text',
        'at .KeyMaterial',
      );
    }
  });

  it('unknown enumeration and mask names', () => {
    rejects(
      { tag: 'Operation', type: 'Enumeration', value: 'Frob' },
      'unknown enumeration name "Frob"',
      'at .Operation',
    );
    rejects(
      { tag: 'Operation', type: 'Enumeration', value: 'discoverVersions' },
      'unknown enumeration name',
    );
    rejects(
      { tag: 'Operation', type: 'Enumeration', value: 'DISCOVER_VERSIONS' },
      'unknown enumeration name',
    );
    rejects(
      { tag: '0x540001', type: 'Enumeration', value: 'AES' },
      'unknown enumeration name "AES"',
      'at .0x540001',
    );
    rejects(
      { tag: 'CryptographicUsageMask', type: 'Integer', value: 'Encrypt|Frob' },
      'unknown mask name "Frob"',
    );
    rejects({ tag: 'CryptographicUsageMask', type: 'Integer', value: '' }, 'unknown mask name ""');
    rejects(
      { tag: 'CryptographicLength', type: 'Integer', value: 'Encrypt' },
      'unknown mask name "Encrypt"',
    );
  });

  it('a bad ISO 8601 date', () => {
    for (const value of [
      '2008-13-01T00:00:00Z',
      '2008-03-14 11:56:40Z',
      '2008-03-14T11:56:40',
      '2008-03-14T11:56Z',
      '14/03/2008',
      '2008-03-14',
      '2008-03-14T11:56:40+1000',
      '2008-03-14T11:56:40.Z',
      '',
    ]) {
      rejects({ tag: 'CompromiseDate', type: 'DateTime', value }, 'at .CompromiseDate');
      rejects({ tag: 'CompromiseDate', type: 'DateTimeExtended', value }, 'at .CompromiseDate');
    }
  });

  it('a calendar date that does not exist (February 30, April 31)', () => {
    for (const value of ['2021-02-29T00:00:00Z', '2020-02-30T00:00:00Z', '2020-04-31T12:00:00Z']) {
      rejects({ tag: 'CompromiseDate', type: 'DateTime', value }, 'at .CompromiseDate');
    }
  });

  it('fractional seconds on a Date-Time, sub-microsecond digits on a Date-Time Extended', () => {
    rejects(
      { tag: 'CompromiseDate', type: 'DateTime', value: '2008-03-14T11:56:40.5Z' },
      'whole seconds only',
      'at .CompromiseDate',
    );
    rejects(
      { tag: 'CompromiseDate', type: 'DateTime', value: '2008-03-14T11:56:40.000001Z' },
      'whole seconds only',
    );
    rejects(
      { tag: 'CompromiseDate', type: 'DateTimeExtended', value: '2008-03-14T11:56:40.1234567Z' },
      'microsecond precision',
    );
  });

  it('a Text String with a lone surrogate', () => {
    rejects(
      { tag: 'NameValue', type: 'TextString', value: 'a\ud800' },
      'lone surrogate',
      'at .NameValue',
    );
  });

  it('nesting deeper than 64 items', () => {
    const e = rejects(nest(65), 'items nest deeper than 64');
    assert.match(e.message, /at (\.Attribute\[0\]){64} /);
    rejects(nest(10_000), 'items nest deeper than 64');
  });

  it('the path of a value error names every level', () => {
    rejects(
      {
        tag: 'RequestMessage',
        value: [
          {
            tag: 'RequestHeader',
            value: [
              { tag: 'ProtocolVersion', value: [] },
              { tag: 'BatchCount', type: 'Integer', value: 'one' },
            ],
          },
        ],
      },
      'at .RequestMessage[0].RequestHeader[1].BatchCount',
    );
  });

  it('errors are KmipCodecErrors at byte 0 with no tag path', () => {
    const e = rejects({ tag: 'Frobnicate', value: [] });
    assert.ok(e instanceof KmipCodecError);
    assert.equal(e.offset, 0);
    assert.deepEqual(e.tagPath, []);
    assert.match(e.message, /\(at byte 0\)$/);
  });
});

describe('JSON text round trip keeps the bytes', () => {
  it('a Discover Versions request written by hand in KMIP JSON encodes like the PyKMIP client', () => {
    const request = {
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
    };
    assert.equal(
      encodeTtlv(fromKmipJson(request)).toString('hex'),
      '42007801000000604200770100000038420069010000002042006a0200000004000000010000000042006b0200000004000000020000000042000d0200000004000000010000000042000f010000001842005c05000000040000001e000000004200790100000000',
    );
  });
});
