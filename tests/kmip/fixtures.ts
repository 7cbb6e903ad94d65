/**
 * Shared fixtures of the KMIP codec tests: the vector files of tests/vectors/kmip/, a small
 * independent TTLV walker (it reads headers only, so tests can locate items and their
 * padding without trusting the decoder under test), and an assertion helper for codec errors.
 * Not a test file itself (no `.test.` in the name).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { KmipCodecError, hexToBytes } from '../../src/kmip/index.ts';
import type { KmipErrorCode } from '../../src/kmip/index.ts';

const VECTOR_DIR = join(import.meta.dirname, '..', 'vectors', 'kmip');

export interface PykmipVector {
  readonly name: string;
  readonly description: string;
  readonly origin: string;
  readonly request_hex: string;
  readonly response_hex: string;
  readonly request_len: number;
  readonly response_len: number;
  readonly volatile: readonly string[];
  readonly request_decoded: readonly string[];
  readonly response_decoded: readonly string[];
}

export interface PykmipFile {
  readonly about: string;
  readonly provenance: Readonly<Record<string, string>>;
  readonly vendor_identification: string;
  readonly vectors: readonly PykmipVector[];
}

/** Expected decoded item of spec-examples.json: tag as 6 hex digits, big values as decimal text. */
export interface ExpectedItem {
  readonly tag: string;
  readonly type: string;
  readonly value: number | string | boolean | readonly ExpectedItem[];
}

export interface SpecExample {
  readonly name: string;
  readonly hex: string;
  readonly expected: ExpectedItem;
}

export interface SpecTestCase {
  readonly name: string;
  readonly source: string;
  readonly hex: string;
}

export interface DecodeErrorCase {
  readonly name: string;
  readonly hex: string;
  readonly code: KmipErrorCode;
  readonly offset?: number;
  readonly tagPath?: readonly string[];
}

export interface SpecFile {
  readonly about: string;
  readonly examples: readonly SpecExample[];
  readonly testCases: readonly SpecTestCase[];
  readonly decodeErrors: readonly DecodeErrorCase[];
}

function load(name: string): unknown {
  return JSON.parse(readFileSync(join(VECTOR_DIR, name), 'utf8'));
}

export const PYKMIP = load('pykmip-0.10.json') as PykmipFile;
export const SPEC = load('spec-examples.json') as SpecFile;

/** One whole message of the PyKMIP file. */
export interface Message {
  /** e.g. "discover_versions request". */
  readonly label: string;
  readonly vector: PykmipVector;
  readonly direction: 'request' | 'response';
  readonly bytes: Buffer;
  readonly declaredLength: number;
  readonly listing: readonly string[];
}

export const PYKMIP_MESSAGES: readonly Message[] = PYKMIP.vectors.flatMap((vector) => [
  {
    label: `${vector.name} request`,
    vector,
    direction: 'request' as const,
    bytes: hexToBytes(vector.request_hex),
    declaredLength: vector.request_len,
    listing: vector.request_decoded,
  },
  {
    label: `${vector.name} response`,
    vector,
    direction: 'response' as const,
    bytes: hexToBytes(vector.response_hex),
    declaredLength: vector.response_len,
    listing: vector.response_decoded,
  },
]);

/** Every well-formed encoding of both files, labelled. */
export const ALL_ENCODINGS: readonly { readonly label: string; readonly bytes: Buffer }[] = [
  ...PYKMIP_MESSAGES.map((m) => ({ label: `PyKMIP ${m.label}`, bytes: m.bytes })),
  ...SPEC.examples.map((e) => ({ label: `spec example ${e.name}`, bytes: hexToBytes(e.hex) })),
  ...SPEC.testCases.map((t) => ({ label: t.name, bytes: hexToBytes(t.hex) })),
];

export function vector(name: string): PykmipVector {
  const v = PYKMIP.vectors.find((x) => x.name === name);
  assert.ok(v, `vector ${name} exists`);
  return v;
}

/** An item located by the header walker. */
export interface RawItem {
  /** Byte offset of the item header. */
  readonly offset: number;
  readonly tag: number;
  readonly type: number;
  /** Declared value length (padding not counted, except for Structures). */
  readonly length: number;
  /** Tags of the enclosing structures, outermost first. */
  readonly parents: readonly number[];
}

/**
 * Walks well-formed TTLV by its headers only, depth first, in byte order. Independent of the
 * decoder under test; it trusts the input (use it on known-good vectors).
 */
export function walk(bytes: Uint8Array): RawItem[] {
  const out: RawItem[] = [];
  const visit = (from: number, to: number, parents: readonly number[]): void => {
    let p = from;
    while (p < to) {
      const tag = (bytes[p]! << 16) | (bytes[p + 1]! << 8) | bytes[p + 2]!;
      const type = bytes[p + 3]!;
      const length =
        ((bytes[p + 4]! << 24) | (bytes[p + 5]! << 16) | (bytes[p + 6]! << 8) | bytes[p + 7]!) >>>
        0;
      out.push({ offset: p, tag, type, length, parents });
      if (type === 0x01) visit(p + 8, p + 8 + length, [...parents, tag]);
      p += 8 + Math.ceil(length / 8) * 8;
    }
  };
  visit(0, bytes.length, []);
  return out;
}

/** Runs `fn`, which must throw a KmipCodecError; returns it. Any other outcome fails the test. */
export function codecError(fn: () => unknown, what = 'the call'): KmipCodecError {
  let result: unknown;
  try {
    result = fn();
  } catch (e) {
    if (e instanceof KmipCodecError) return e;
    assert.fail(`${what} threw ${String(e)} instead of a KmipCodecError`);
  }
  assert.fail(`${what} returned ${String(result)} instead of throwing a KmipCodecError`);
}

/** Asserts a codec error's code, offset and tag path, and that its message names the offset. */
export function assertCodecError(
  fn: () => unknown,
  code: KmipErrorCode,
  expect: { readonly offset?: number; readonly tagPath?: readonly number[] } = {},
): KmipCodecError {
  const e = codecError(fn);
  assert.equal(e.code, code, `code (message: ${e.message})`);
  if (expect.offset !== undefined) assert.equal(e.offset, expect.offset, `offset of ${e.message}`);
  if (expect.tagPath !== undefined) assert.deepEqual(e.tagPath, expect.tagPath, 'tagPath');
  assert.ok(e.message.includes(`at byte ${e.offset}`), `message names the offset: ${e.message}`);
  return e;
}

/** `n` nested empty-innermost structures (tag 0x420001), as bytes. */
export function nestedStructures(n: number, tag = 0x420001): Buffer {
  const b = Buffer.alloc(8 * n);
  for (let i = 0; i < n; i++) {
    b.writeUIntBE(tag, i * 8, 3);
    b[i * 8 + 3] = 0x01;
    b.writeUInt32BE(8 * (n - 1 - i), i * 8 + 4);
  }
  return b;
}
