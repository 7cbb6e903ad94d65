// Lookups over the generated KMIP tables. Every Map is built once, when the module loads.

import { ENUMERATION_ALIASES, ENUMERATIONS } from './enumerations.ts';
import type { EnumerationName, EnumValueInfo } from './enumerations.ts';
import { MASKS } from './masks.ts';
import type { MaskName } from './masks.ts';
import { ATTRIBUTE_NAMES, TAG_INFO } from './tags.ts';
import type { TagInfo, TagName } from './tags.ts';

interface EnumTable {
  readonly name: EnumerationName;
  /** value → normalized name (the canonical, later-version spelling). */
  readonly nameOf: ReadonlyMap<number, string>;
  /** normalized name (canonical or older alias) → value. */
  readonly valueOf: ReadonlyMap<string, number>;
}

interface MaskTable {
  readonly name: MaskName;
  /** The table's bits, ascending. */
  readonly bits: readonly EnumValueInfo[];
  readonly valueOf: ReadonlyMap<string, number>;
  /** All known bits OR-ed together. */
  readonly known: number;
}

const tagInfoByValue = new Map<number, TagInfo>();
const tagValueByName = new Map<string, number>();
for (const info of TAG_INFO) {
  tagInfoByValue.set(info.value, info);
  tagValueByName.set(info.name, info.value);
}

function enumTable(name: EnumerationName): EnumTable {
  const nameOf = new Map<number, string>();
  const valueOf = new Map<string, number>();
  for (const entry of ENUMERATIONS[name]) {
    nameOf.set(entry.value, entry.name);
    valueOf.set(entry.name, entry.value);
  }
  for (const alias of ENUMERATION_ALIASES[name] ?? []) {
    valueOf.set(alias.name, alias.value);
  }
  return { name, nameOf, valueOf };
}

function maskTable(name: MaskName): MaskTable {
  const bits = MASKS[name];
  const valueOf = new Map<string, number>();
  let known = 0;
  for (const bit of bits) {
    valueOf.set(bit.name, bit.value);
    known = (known | bit.value) >>> 0;
  }
  return { name, bits, valueOf, known };
}

const enumByTag = new Map<number, EnumTable>();
const maskByTag = new Map<number, MaskTable>();
{
  const enums = new Map<EnumerationName, EnumTable>();
  const masks = new Map<MaskName, MaskTable>();
  for (const info of TAG_INFO) {
    if (info.enumeration !== undefined) {
      let table = enums.get(info.enumeration);
      if (table === undefined) {
        table = enumTable(info.enumeration);
        enums.set(info.enumeration, table);
      }
      enumByTag.set(info.value, table);
    }
    if (info.mask !== undefined) {
      let table = masks.get(info.mask);
      if (table === undefined) {
        table = maskTable(info.mask);
        masks.set(info.mask, table);
      }
      maskByTag.set(info.value, table);
    }
  }
}

const attributeTags = new Map<string, number>();
for (const [attributeName, tag] of ATTRIBUTE_NAMES) {
  const value = tagValueByName.get(tag);
  if (value !== undefined) attributeTags.set(attributeName, value);
}

/** The normalized name of a tag, e.g. 0x42005C → 'Operation'. */
export function tagName(tag: number): TagName | undefined {
  return tagInfoByValue.get(tag)?.name;
}

/** The value of a tag given its normalized name ('ProtocolVersionMajor'); other spellings fail. */
export function tagByName(name: string): number | undefined {
  return tagValueByName.get(name);
}

export function tagInfo(tag: number): TagInfo | undefined {
  return tagInfoByValue.get(tag);
}

/** The enumeration table of an Enumeration-typed tag. */
export function enumerationOf(tag: number): EnumerationName | undefined {
  return enumByTag.get(tag)?.name;
}

/** The normalized name of an Enumeration value of `tag` (the later-version spelling). */
export function enumValueName(tag: number, value: number): string | undefined {
  return enumByTag.get(tag)?.nameOf.get(value);
}

/** The value of an Enumeration value name of `tag`; older spellings (aliases) are accepted. */
export function enumValueByName(tag: number, name: string): number | undefined {
  return enumByTag.get(tag)?.valueOf.get(name);
}

/** The bit-mask table of an Integer mask tag. */
export function maskOf(tag: number): MaskName | undefined {
  return maskByTag.get(tag)?.name;
}

/**
 * The names of the bits set in `value` (read as an unsigned 32-bit integer), lowest bit
 * first. `[]` for 0; undefined if `tag` is not a mask tag or any set bit has no name.
 */
export function maskNames(tag: number, value: number): string[] | undefined {
  const table = maskByTag.get(tag);
  if (table === undefined || !Number.isInteger(value)) return undefined;
  const bits = value >>> 0;
  if ((bits & ~table.known) !== 0) return undefined;
  const names: string[] = [];
  for (const bit of table.bits) {
    if ((bits & bit.value) !== 0) names.push(bit.name);
  }
  return names;
}

/**
 * The OR of the named bits of a mask tag (0 for no names); undefined if `tag` is not a mask
 * tag or a name is unknown.
 */
export function maskValue(tag: number, names: readonly string[]): number | undefined {
  const table = maskByTag.get(tag);
  if (table === undefined) return undefined;
  let value = 0;
  for (const name of names) {
    const bit = table.valueOf.get(name);
    if (bit === undefined) return undefined;
    value = (value | bit) >>> 0;
  }
  return value;
}

/**
 * KMIP 1.x Attribute Name text (e.g. "Cryptographic Algorithm", "x-custom" → undefined) → the
 * tag whose type/enumeration the Attribute Value has. The text must match the specification's
 * attribute name exactly (case and spaces included).
 */
export function attributeTag(attributeName: string): number | undefined {
  return attributeTags.get(attributeName);
}
