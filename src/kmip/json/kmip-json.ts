/**
 * The KMIP JSON encoding of TTLV (KMIP Additional Message Encodings 1.0 / KMIP Profiles
 * 1.3–1.4, see docs/kmip-json.md): every item is `{"tag", "type", "value"}`; `type` may be
 * omitted for a Structure; tags and enumeration values are written by name where the
 * tables know them and as hex otherwise, so unknown items survive a round trip unchanged.
 * Attribute Values of KMIP 1.x attributes are named after their Attribute Name sibling.
 */
import { KmipCodecError } from '../errors.ts';
import {
  attributeTag,
  enumValueByName,
  enumValueName,
  maskNames,
  maskOf,
  maskValue,
  Tag,
  tagByName,
  tagName,
} from '../spec/index.ts';
import { TtlvType, type TtlvNode, type TtlvTypeName } from '../ttlv/index.ts';

/** One item of the KMIP JSON encoding. */
export interface KmipJsonItem {
  readonly tag: string;
  readonly type?: TtlvTypeName;
  readonly value: KmipJsonValue;
}
export type KmipJsonValue = string | number | boolean | readonly KmipJsonItem[];

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
/** Largest JSON document accepted by {@link fromKmipJson}: depth of nested items. */
const MAX_JSON_DEPTH = 64;

function hex8(n: number): string {
  return '0x' + (n >>> 0).toString(16).toUpperCase().padStart(8, '0');
}
function hex16(n: bigint): string {
  return '0x' + BigInt.asUintN(64, n).toString(16).toUpperCase().padStart(16, '0');
}

/** `0x42XXXX` for unknown tags, the normalized name otherwise. */
function jsonTag(tag: number): string {
  return tagName(tag) ?? '0x' + tag.toString(16).toUpperCase().padStart(6, '0');
}

/** ISO 8601 UTC text of `seconds` (or microseconds), or undefined outside years 0001–9999. */
function isoOf(value: bigint, micro: boolean): string | undefined {
  const ms = micro ? (value - (((value % 1000n) + 1000n) % 1000n)) / 1000n : value * 1000n;
  if (ms < -62135596800000n || ms > 253402300799999n) return undefined;
  const iso = new Date(Number(ms)).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  if (!micro) return iso.slice(0, 19) + 'Z';
  const us = ((value % 1_000_000n) + 1_000_000n) % 1_000_000n;
  return `${iso.slice(0, 19)}.${us.toString().padStart(6, '0')}Z`;
}

/**
 * Converts a TTLV tree to KMIP JSON. `valueTag` is the tag whose tables name an
 * Attribute Value (from its Attribute Name sibling).
 */
export function toKmipJson(node: TtlvNode, valueTag: number = node.tag): KmipJsonItem {
  const tag = jsonTag(node.tag);
  switch (node.type) {
    case 'Structure': {
      const nameNode = node.value.find(
        (c) => c.tag === Tag.AttributeName && c.type === 'TextString',
      );
      const attrTag = nameNode?.type === 'TextString' ? attributeTag(nameNode.value) : undefined;
      return {
        tag,
        value: node.value.map((c) =>
          toKmipJson(c, c.tag === Tag.AttributeValue && attrTag !== undefined ? attrTag : c.tag),
        ),
      };
    }
    case 'Integer': {
      if (maskOf(valueTag) !== undefined && node.value > 0) {
        const names = maskNames(valueTag, node.value);
        if (names) return { tag, type: 'Integer', value: names.join('|') };
      }
      return { tag, type: 'Integer', value: node.value };
    }
    case 'Enumeration':
      return {
        tag,
        type: 'Enumeration',
        value: enumValueName(valueTag, node.value) ?? hex8(node.value),
      };
    case 'LongInteger':
      return {
        tag,
        type: 'LongInteger',
        value:
          node.value >= BigInt(Number.MIN_SAFE_INTEGER) &&
          node.value <= BigInt(Number.MAX_SAFE_INTEGER)
            ? Number(node.value)
            : hex16(node.value),
      };
    case 'BigInteger': {
      const bytes = bigIntegerBytes(node.value);
      return {
        tag,
        type: 'BigInteger',
        value: '0x' + Buffer.from(bytes).toString('hex').toUpperCase(),
      };
    }
    case 'Boolean':
      return { tag, type: 'Boolean', value: node.value };
    case 'TextString':
      return { tag, type: 'TextString', value: node.value };
    case 'ByteString':
      return {
        tag,
        type: 'ByteString',
        value: Buffer.from(node.value).toString('hex').toUpperCase(),
      };
    case 'DateTime':
      return { tag, type: 'DateTime', value: isoOf(node.value, false) ?? hex16(node.value) };
    case 'DateTimeExtended':
      return { tag, type: 'DateTimeExtended', value: isoOf(node.value, true) ?? hex16(node.value) };
    case 'Interval':
      return { tag, type: 'Interval', value: node.value };
    default: {
      const never: never = node;
      return never;
    }
  }
}

/** Minimal two's-complement big-endian bytes of `x`, left-padded with sign bytes to a multiple of 8. */
function bigIntegerBytes(x: bigint): Uint8Array {
  const m = x < 0n ? ~x : x;
  const bits = m.toString(2).length + 1;
  const len = Math.max(8, Math.ceil(Math.ceil(bits / 8) / 8) * 8);
  let u = BigInt.asUintN(len * 8, x);
  const out = new Uint8Array(len);
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(u & 0xffn);
    u >>= 8n;
  }
  return out;
}

class JsonPath {
  readonly parts: readonly string[];
  constructor(parts: readonly string[] = []) {
    this.parts = parts;
  }
  child(part: string): JsonPath {
    return new JsonPath([...this.parts, part]);
  }
  toString(): string {
    return this.parts.length ? this.parts.join('') : '(root)';
  }
}

function bad(path: JsonPath, detail: string): KmipCodecError {
  return new KmipCodecError('KMIP_JSON_INVALID', `${detail} at ${path.toString()}`, 0);
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

const HEX_RE = /^0x[0-9a-fA-F]+$/;

function parseHexBig(path: JsonPath, s: string, digits: number | undefined): bigint {
  if (!HEX_RE.test(s)) throw bad(path, `expected hex like 0x…, got ${JSON.stringify(s)}`);
  if (digits !== undefined && s.length - 2 !== digits) {
    throw bad(path, `expected exactly ${digits} hex digits, got ${s.length - 2}`);
  }
  return BigInt(s);
}

/** Parses a JSON tag: a normalized name or `0x` + 6 hex digits. */
function parseTag(path: JsonPath, t: unknown): number {
  if (typeof t !== 'string') throw bad(path, '"tag" must be a string');
  if (t.startsWith('0x') || t.startsWith('0X')) {
    if (!/^0[xX][0-9a-fA-F]{6}$/.test(t))
      throw bad(path, `tag ${JSON.stringify(t)} must be 0x and 6 hex digits`);
    return Number.parseInt(t.slice(2), 16);
  }
  const n = tagByName(t);
  if (n === undefined) throw bad(path, `unknown tag name ${JSON.stringify(t)}`);
  return n;
}

function parseIso(path: JsonPath, s: string, micro: boolean): bigint {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(s);
  if (!m)
    throw bad(
      path,
      `expected an ISO 8601 date-time like 2026-01-31T12:00:00Z, got ${JSON.stringify(s)}`,
    );
  const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[8]}`);
  // Date.parse rolls impossible dates forward (2021-02-29 → 03-01): check the calendar day.
  const day = new Date(0);
  day.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (
    Number.isNaN(ms) ||
    day.getUTCDate() !== Number(m[3]) ||
    Number(m[4]) > 23 ||
    Number(m[5]) > 59 ||
    Number(m[6]) > 59
  ) {
    throw bad(path, `invalid date-time ${JSON.stringify(s)}`);
  }
  const frac = (m[7] ?? '').padEnd(9, '0');
  const seconds = BigInt(ms) / 1000n;
  if (!micro) {
    if (/[1-9]/.test(frac)) throw bad(path, 'a Date-Time has whole seconds only');
    return seconds;
  }
  if (/[1-9]/.test(frac.slice(6)))
    throw bad(path, 'a Date-Time Extended has microsecond precision');
  return seconds * 1_000_000n + BigInt(frac.slice(0, 6));
}

function int32Of(path: JsonPath, v: unknown, tag: number): number {
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff)
      throw bad(path, `${v} is not a 32-bit integer`);
    return v;
  }
  if (typeof v !== 'string') throw bad(path, 'an Integer is a number, hex text or mask names');
  if (HEX_RE.test(v)) return Number(BigInt.asIntN(32, parseHexBig(path, v, 8)));
  const names = v.split('|').map((s) => s.trim());
  let total = 0;
  for (const n of names) {
    if (HEX_RE.test(n)) {
      total |= Number(parseHexBig(path, n, 8));
      continue;
    }
    const bit = maskValue(tag, [n]);
    if (bit === undefined) throw bad(path, `unknown mask name ${JSON.stringify(n)}`);
    total |= bit;
  }
  return total | 0;
}

function uint32Of(path: JsonPath, v: unknown, what: string): number {
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff)
      throw bad(path, `${v} is not an unsigned 32-bit ${what}`);
    return v;
  }
  if (typeof v === 'string') return Number(parseHexBig(path, v, 8));
  throw bad(path, `${what} must be a number or 0x and 8 hex digits`);
}

function int64Of(path: JsonPath, v: unknown): bigint {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v))
      throw bad(path, `${v} is not an exact integer; use 0x and 16 hex digits`);
    return BigInt(v);
  }
  if (typeof v === 'string') return BigInt.asIntN(64, parseHexBig(path, v, 16));
  throw bad(path, 'a Long Integer is a number or 0x and 16 hex digits');
}

/**
 * Parses KMIP JSON (already parsed by JSON.parse, so `unknown`) into a TTLV tree.
 * @throws KmipCodecError KMIP_JSON_INVALID naming the JSON path of the fault.
 */
export function fromKmipJson(input: unknown): TtlvNode {
  return parseItem(input, new JsonPath(), undefined, 1);
}

function parseItem(
  x: unknown,
  path: JsonPath,
  valueTag: number | undefined,
  depth: number,
): TtlvNode {
  if (depth > MAX_JSON_DEPTH) throw bad(path, `items nest deeper than ${MAX_JSON_DEPTH}`);
  if (!isRecord(x)) throw bad(path, 'an item must be an object {"tag", "type", "value"}');
  for (const k of Object.keys(x)) {
    if (k !== 'tag' && k !== 'type' && k !== 'value')
      throw bad(path, `unexpected key ${JSON.stringify(k)}`);
  }
  const tag = parseTag(path, x['tag']);
  const typeName = x['type'] ?? 'Structure';
  if (typeof typeName !== 'string' || !Object.hasOwn(TtlvType, typeName)) {
    throw bad(path, `unknown type ${JSON.stringify(typeName)}`);
  }
  const type = typeName as TtlvTypeName;
  const v = x['value'];
  const at = path.child(`.${jsonTag(tag)}`);
  const vt = valueTag ?? tag;
  switch (type) {
    case 'Structure': {
      if (!Array.isArray(v)) throw bad(at, 'a Structure value is an array of items');
      const items: readonly unknown[] = v;
      // The Attribute Name that names an Attribute Value's enumeration: the first Text String
      // Attribute Name, as toKmipJson chooses it; tags may be names or hex of either case.
      const tagOf = (c: unknown): number | undefined => {
        if (!isRecord(c)) return undefined;
        try {
          return parseTag(at, c['tag']);
        } catch {
          return undefined;
        }
      };
      const nameItem = items.find(
        (c) =>
          isRecord(c) &&
          tagOf(c) === Tag.AttributeName &&
          c['type'] === 'TextString' &&
          typeof c['value'] === 'string',
      );
      const attrTag = isRecord(nameItem) ? attributeTag(nameItem['value'] as string) : undefined;
      const children = items.map((c, i) => {
        const isValue = tagOf(c) === Tag.AttributeValue;
        return parseItem(c, at.child(`[${i}]`), isValue ? attrTag : undefined, depth + 1);
      });
      return { tag, type, value: children };
    }
    case 'Integer':
      return { tag, type, value: int32Of(at, v, vt) };
    case 'Enumeration': {
      if (typeof v === 'string' && !HEX_RE.test(v)) {
        const n = enumValueByName(vt, v);
        if (n === undefined) throw bad(at, `unknown enumeration name ${JSON.stringify(v)}`);
        return { tag, type, value: n };
      }
      return { tag, type, value: uint32Of(at, v, 'Enumeration') };
    }
    case 'Interval':
      return { tag, type, value: uint32Of(at, v, 'Interval') };
    case 'LongInteger':
      return { tag, type, value: int64Of(at, v) };
    case 'BigInteger': {
      if (typeof v === 'number') {
        if (!Number.isSafeInteger(v)) throw bad(at, `${v} is not an exact integer; use hex`);
        return { tag, type, value: BigInt(v) };
      }
      if (typeof v !== 'string' || !HEX_RE.test(v) || (v.length - 2) % 16 !== 0) {
        throw bad(at, "a Big Integer is 0x and a multiple of 16 hex digits (two's complement)");
      }
      return { tag, type, value: BigInt.asIntN((v.length - 2) * 4, BigInt(v)) };
    }
    case 'Boolean': {
      if (typeof v === 'boolean') return { tag, type, value: v };
      if (typeof v === 'string') {
        const n = parseHexBig(at, v, 16);
        if (n > 1n) throw bad(at, 'a Boolean in hex is 0x0000000000000000 or …01');
        return { tag, type, value: n === 1n };
      }
      throw bad(at, 'a Boolean is true, false or 16 hex digits');
    }
    case 'TextString':
      if (typeof v !== 'string') throw bad(at, 'a Text String value is a string');
      if (!v.isWellFormed()) throw bad(at, 'the Text String has a lone surrogate');
      return { tag, type, value: v };
    case 'ByteString':
      if (typeof v !== 'string' || !/^(?:[0-9a-fA-F]{2})*$/.test(v)) {
        throw bad(at, 'a Byte String value is hex text with an even number of digits, no 0x');
      }
      return { tag, type, value: new Uint8Array(Buffer.from(v, 'hex')) };
    case 'DateTime':
      if (typeof v !== 'string')
        throw bad(at, 'a Date-Time value is ISO 8601 text or 0x and 16 hex digits');
      return {
        tag,
        type,
        value: HEX_RE.test(v) ? BigInt.asIntN(64, parseHexBig(at, v, 16)) : parseIso(at, v, false),
      };
    case 'DateTimeExtended': {
      if (typeof v !== 'string')
        throw bad(at, 'a Date-Time Extended value is ISO 8601 text or hex');
      const n = HEX_RE.test(v) ? BigInt.asIntN(64, parseHexBig(at, v, 16)) : parseIso(at, v, true);
      if (n < INT64_MIN || n > INT64_MAX) throw bad(at, 'the date is out of the 64-bit range');
      return { tag, type, value: n };
    }
    default: {
      const never: never = type;
      return never;
    }
  }
}
