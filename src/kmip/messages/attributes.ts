/**
 * KMIP 1.x attributes (KMIP 1.4 §2.1.1): name-keyed `Attribute { Attribute Name, [Attribute
 * Index], Attribute Value }`, and the Template-Attribute structure that carries them in
 * Create, Register and friends (§2.1.8).
 */
import { Tag } from '../spec/index.ts';
import type { TtlvNode, TtlvStructure } from '../ttlv/index.ts';
import {
  all,
  asStructure,
  enumeration,
  integer,
  invalidMessage,
  optionalValue,
  requiredValue,
  struct,
  textString,
} from './nodes.ts';

export interface Attribute {
  /** Attribute Name as the spec spells it, e.g. "Cryptographic Algorithm". */
  readonly name: string;
  readonly index?: number;
  /** The value; its tag is Attribute Value (0x42000B), its type depends on the attribute. */
  readonly value: TtlvNode;
}

export function encodeAttribute(a: Attribute): TtlvStructure {
  return struct(Tag.Attribute, [
    textString(Tag.AttributeName, a.name),
    a.index === undefined ? undefined : integer(Tag.AttributeIndex, a.index),
    a.value,
  ]);
}

export function parseAttribute(node: TtlvStructure): Attribute {
  const s = asStructure(node, Tag.Attribute);
  const name = requiredValue(s, Tag.AttributeName, 'TextString');
  const index = optionalValue(s, Tag.AttributeIndex, 'Integer');
  const values = s.value.filter((c) => c.tag === Tag.AttributeValue);
  if (values.length !== 1) {
    throw invalidMessage(
      `Attribute "${name}" needs exactly one Attribute Value, has ${values.length}`,
    );
  }
  return { name, ...(index === undefined ? {} : { index }), value: values[0]! };
}

export function encodeTemplateAttribute(attributes: readonly Attribute[]): TtlvStructure {
  return struct(Tag.TemplateAttribute, attributes.map(encodeAttribute));
}

/** Attributes of a Template-Attribute (Names of registered templates are not supported). */
export function parseTemplateAttribute(node: TtlvStructure): Attribute[] {
  const s = asStructure(node, Tag.TemplateAttribute);
  return all(s, Tag.Attribute, 'Structure').map(parseAttribute);
}

/** Builders for the attributes a key-management client uses most. */
export const attr = {
  cryptographicAlgorithm: (value: number): Attribute => ({
    name: 'Cryptographic Algorithm',
    value: enumeration(Tag.AttributeValue, value),
  }),
  cryptographicLength: (bits: number): Attribute => ({
    name: 'Cryptographic Length',
    value: integer(Tag.AttributeValue, bits),
  }),
  cryptographicUsageMask: (mask: number): Attribute => ({
    name: 'Cryptographic Usage Mask',
    value: integer(Tag.AttributeValue, mask),
  }),
  /** Name attribute, Name Type Uninterpreted Text String. */
  name: (text: string): Attribute => ({
    name: 'Name',
    value: struct(Tag.AttributeValue, [
      textString(Tag.NameValue, text),
      enumeration(Tag.NameType, 1),
    ]),
  }),
  objectGroup: (text: string): Attribute => ({
    name: 'Object Group',
    value: textString(Tag.AttributeValue, text),
  }),
  objectType: (value: number): Attribute => ({
    name: 'Object Type',
    value: enumeration(Tag.AttributeValue, value),
  }),
  state: (value: number): Attribute => ({
    name: 'State',
    value: enumeration(Tag.AttributeValue, value),
  }),
} as const;

/** The text of a Name attribute value, if `a` is one. */
export function nameText(a: Attribute): string | undefined {
  if (a.name !== 'Name' || a.value.type !== 'Structure') return undefined;
  return optionalValue(a.value, Tag.NameValue, 'TextString');
}
