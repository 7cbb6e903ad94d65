/**
 * Managed objects carried by Register and Get (KMIP 1.4 §2.2): Symmetric Key and Secret
 * Data through a Key Block (§2.1.3) with a raw Key Value; any other object stays a TTLV tree.
 */
import { ObjectType, Tag } from '../spec/index.ts';
import type { TtlvStructure } from '../ttlv/index.ts';
import {
  asStructure,
  byteString,
  describeTag,
  enumeration,
  integer,
  invalidMessage,
  optional,
  optionalValue,
  required,
  requiredValue,
  struct,
} from './nodes.ts';

/** A key block with an unwrapped, uncompressed byte-string key material. */
export interface KeyBlock {
  /** Key Format Type (1 Raw, 2 Opaque, …). */
  readonly keyFormatType: number;
  readonly keyMaterial: Uint8Array;
  readonly cryptographicAlgorithm?: number;
  /** Bits. */
  readonly cryptographicLength?: number;
}

export type ManagedObject =
  | { readonly kind: 'SymmetricKey'; readonly keyBlock: KeyBlock }
  | { readonly kind: 'SecretData'; readonly secretDataType: number; readonly keyBlock: KeyBlock }
  | { readonly kind: 'Other'; readonly objectType: number; readonly node: TtlvStructure };

export function objectTypeOf(obj: ManagedObject): number {
  switch (obj.kind) {
    case 'SymmetricKey':
      return ObjectType.SymmetricKey;
    case 'SecretData':
      return ObjectType.SecretData;
    case 'Other':
      return obj.objectType;
    default: {
      const never: never = obj;
      return never;
    }
  }
}

function encodeKeyBlock(k: KeyBlock): TtlvStructure {
  return struct(Tag.KeyBlock, [
    enumeration(Tag.KeyFormatType, k.keyFormatType),
    struct(Tag.KeyValue, [byteString(Tag.KeyMaterial, k.keyMaterial)]),
    k.cryptographicAlgorithm === undefined
      ? undefined
      : enumeration(Tag.CryptographicAlgorithm, k.cryptographicAlgorithm),
    k.cryptographicLength === undefined
      ? undefined
      : integer(Tag.CryptographicLength, k.cryptographicLength),
  ]);
}

function parseKeyBlock(node: TtlvStructure): KeyBlock {
  const kb = asStructure(node, Tag.KeyBlock);
  const kv = optional(kb, Tag.KeyValue, 'Structure');
  if (!kv) {
    throw invalidMessage(
      'Key Block has no Key Value structure (wrapped or absent key material is not supported)',
    );
  }
  const alg = optionalValue(kb, Tag.CryptographicAlgorithm, 'Enumeration');
  const len = optionalValue(kb, Tag.CryptographicLength, 'Integer');
  return {
    keyFormatType: requiredValue(kb, Tag.KeyFormatType, 'Enumeration'),
    keyMaterial: requiredValue(kv, Tag.KeyMaterial, 'ByteString'),
    ...(alg === undefined ? {} : { cryptographicAlgorithm: alg }),
    ...(len === undefined ? {} : { cryptographicLength: len }),
  };
}

/** The object structure (Symmetric Key, Secret Data, …) as it appears in a payload. */
export function encodeManagedObject(obj: ManagedObject): TtlvStructure {
  switch (obj.kind) {
    case 'SymmetricKey':
      return struct(Tag.SymmetricKey, [encodeKeyBlock(obj.keyBlock)]);
    case 'SecretData':
      return struct(Tag.SecretData, [
        enumeration(Tag.SecretDataType, obj.secretDataType),
        encodeKeyBlock(obj.keyBlock),
      ]);
    case 'Other':
      return obj.node;
    default: {
      const never: never = obj;
      return never;
    }
  }
}

/** Tag of the object structure for an Object Type, when this library knows it. */
export const OBJECT_TAGS: ReadonlyMap<number, number> = new Map([
  [ObjectType.Certificate, Tag.Certificate],
  [ObjectType.SymmetricKey, Tag.SymmetricKey],
  [ObjectType.PublicKey, Tag.PublicKey],
  [ObjectType.PrivateKey, Tag.PrivateKey],
  [ObjectType.SplitKey, Tag.SplitKey],
  [ObjectType.Template, Tag.Template],
  [ObjectType.SecretData, Tag.SecretData],
  [ObjectType.OpaqueObject, Tag.OpaqueObject],
]);

/** Finds and parses the object structure of `objectType` among a payload's children. */
export function parseManagedObject(objectType: number, payload: TtlvStructure): ManagedObject {
  const tag = OBJECT_TAGS.get(objectType);
  const node = tag === undefined ? undefined : optional(payload, tag, 'Structure');
  if (tag === undefined || !node) {
    const found = payload.value.find(
      (c) => c.type === 'Structure' && c.tag !== Tag.TemplateAttribute,
    );
    if (found?.type === 'Structure') return { kind: 'Other', objectType, node: found };
    throw invalidMessage(`payload carries no object structure for Object Type ${objectType}`);
  }
  if (objectType === ObjectType.SymmetricKey) {
    return {
      kind: 'SymmetricKey',
      keyBlock: parseKeyBlock(required(node, Tag.KeyBlock, 'Structure')),
    };
  }
  if (objectType === ObjectType.SecretData) {
    return {
      kind: 'SecretData',
      secretDataType: requiredValue(node, Tag.SecretDataType, 'Enumeration'),
      keyBlock: parseKeyBlock(required(node, Tag.KeyBlock, 'Structure')),
    };
  }
  if (node.tag !== tag) throw invalidMessage(`unexpected ${describeTag(node.tag)}`);
  return { kind: 'Other', objectType, node };
}
