/**
 * Small builders and readers over TTLV trees, used by every message and payload module.
 * Readers throw KMIP_MESSAGE_INVALID naming the missing or mistyped field, so a payload
 * parser reads like the spec's table of fields.
 */
import { KmipError, hexTag } from '../errors.ts';
import { tagName } from '../spec/index.ts';
import type {
  TtlvByteString,
  TtlvNode,
  TtlvStructure,
  TtlvTextString,
  TtlvTypeName,
} from '../ttlv/index.ts';

export const struct = (tag: number, value: readonly (TtlvNode | undefined)[]): TtlvStructure => ({
  tag,
  type: 'Structure',
  value: value.filter((n): n is TtlvNode => n !== undefined),
});
export const integer = (tag: number, value: number): TtlvNode => ({ tag, type: 'Integer', value });
export const longInteger = (tag: number, value: bigint): TtlvNode => ({
  tag,
  type: 'LongInteger',
  value,
});
export const enumeration = (tag: number, value: number): TtlvNode => ({
  tag,
  type: 'Enumeration',
  value,
});
export const boolean = (tag: number, value: boolean): TtlvNode => ({ tag, type: 'Boolean', value });
export const textString = (tag: number, value: string): TtlvTextString => ({
  tag,
  type: 'TextString',
  value,
});
export const byteString = (tag: number, value: Uint8Array): TtlvByteString => ({
  tag,
  type: 'ByteString',
  value,
});
export const dateTime = (tag: number, value: Date | bigint): TtlvNode => ({
  tag,
  type: 'DateTime',
  value: typeof value === 'bigint' ? value : BigInt(Math.floor(value.getTime() / 1000)),
});
export const interval = (tag: number, value: number): TtlvNode => ({
  tag,
  type: 'Interval',
  value,
});

/** `Name (0x42XXXX)` for messages. */
export function describeTag(tag: number): string {
  const name = tagName(tag);
  return name ? `${name} (${hexTag(tag)})` : hexTag(tag);
}

export function invalidMessage(detail: string): KmipError {
  return new KmipError('KMIP_MESSAGE_INVALID', detail);
}

/** Asserts `node` is a Structure with tag `tag`. */
export function asStructure(node: TtlvNode, tag: number): TtlvStructure {
  if (node.tag !== tag || node.type !== 'Structure') {
    throw invalidMessage(
      `expected ${describeTag(tag)} Structure, got ${describeTag(node.tag)} ${node.type}`,
    );
  }
  return node;
}

type NodeOfType<T extends TtlvTypeName> = Extract<TtlvNode, { type: T }>;

/** Every child of `parent` with tag `tag`, each checked to be of `type`. */
export function all<T extends TtlvTypeName>(
  parent: TtlvStructure,
  tag: number,
  type: T,
): NodeOfType<T>[] {
  const out: NodeOfType<T>[] = [];
  for (const c of parent.value) {
    if (c.tag !== tag) continue;
    if (c.type !== type) {
      throw invalidMessage(
        `${describeTag(tag)} in ${describeTag(parent.tag)} is ${c.type}, must be ${type}`,
      );
    }
    out.push(c as NodeOfType<T>);
  }
  return out;
}

/** The single optional child of `parent` with tag `tag` and type `type`. */
export function optional<T extends TtlvTypeName>(
  parent: TtlvStructure,
  tag: number,
  type: T,
): NodeOfType<T> | undefined {
  const found = all(parent, tag, type);
  if (found.length > 1) {
    throw invalidMessage(
      `${describeTag(tag)} appears ${found.length} times in ${describeTag(parent.tag)}`,
    );
  }
  return found[0];
}

/** The single required child of `parent` with tag `tag` and type `type`. */
export function required<T extends TtlvTypeName>(
  parent: TtlvStructure,
  tag: number,
  type: T,
): NodeOfType<T> {
  const n = optional(parent, tag, type);
  if (!n) throw invalidMessage(`${describeTag(parent.tag)} lacks ${describeTag(tag)}`);
  return n;
}

/** Value of an optional child, or undefined. */
export function optionalValue<T extends TtlvTypeName>(
  parent: TtlvStructure,
  tag: number,
  type: T,
): NodeOfType<T>['value'] | undefined {
  // TypeScript cannot index a generic member of a union; the value's type follows `type`.
  return optional(parent, tag, type)?.value as NodeOfType<T>['value'] | undefined;
}

/** Value of a required child. */
export function requiredValue<T extends TtlvTypeName>(
  parent: TtlvStructure,
  tag: number,
  type: T,
): NodeOfType<T>['value'] {
  return required(parent, tag, type).value as NodeOfType<T>['value'];
}
