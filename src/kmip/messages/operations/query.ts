/** Query (KMIP 1.4 §4.25): what the server supports and who it is. */
import { Tag } from '../../spec/index.ts';
import type { TtlvNode, TtlvStructure } from '../../ttlv/index.ts';
import { all, enumeration, invalidMessage, optional, optionalValue, struct } from '../nodes.ts';

export interface QueryResult {
  /** Operation values (Query Operations). */
  readonly operations: readonly number[];
  /** Object Type values (Query Objects). */
  readonly objectTypes: readonly number[];
  readonly vendorIdentification?: string;
  /** Vendor-defined structure (Query Server Information); PyKMIP never sends it. */
  readonly serverInformation?: TtlvStructure;
  readonly applicationNamespaces: readonly string[];
  readonly extensionInformation: readonly TtlvStructure[];
  /** Every other item of the payload (1.2+ capabilities, profiles, …), as received. */
  readonly other: readonly TtlvNode[];
}

export function queryRequestPayload(functions: readonly number[]): TtlvStructure {
  return struct(
    Tag.RequestPayload,
    functions.map((f) => enumeration(Tag.QueryFunction, f)),
  );
}

export function parseQueryRequestPayload(payload: TtlvStructure): number[] {
  const functions = all(payload, Tag.QueryFunction, 'Enumeration').map((n) => n.value);
  if (functions.length === 0) throw invalidMessage('Query needs at least one Query Function');
  return functions;
}

const KNOWN = new Set<number>([
  Tag.Operation,
  Tag.ObjectType,
  Tag.VendorIdentification,
  Tag.ServerInformation,
  Tag.ApplicationNamespace,
  Tag.ExtensionInformation,
]);

export function queryResponsePayload(r: QueryResult): TtlvStructure {
  return struct(Tag.ResponsePayload, [
    ...r.operations.map((o) => enumeration(Tag.Operation, o)),
    ...r.objectTypes.map((o) => enumeration(Tag.ObjectType, o)),
    r.vendorIdentification === undefined
      ? undefined
      : { tag: Tag.VendorIdentification, type: 'TextString', value: r.vendorIdentification },
    r.serverInformation,
    ...r.applicationNamespaces.map((n): TtlvNode => ({
      tag: Tag.ApplicationNamespace,
      type: 'TextString',
      value: n,
    })),
    ...r.extensionInformation,
    ...r.other,
  ]);
}

export function parseQueryResponsePayload(payload: TtlvStructure | undefined): QueryResult {
  if (!payload) {
    return {
      operations: [],
      objectTypes: [],
      applicationNamespaces: [],
      extensionInformation: [],
      other: [],
    };
  }
  const vendor = optionalValue(payload, Tag.VendorIdentification, 'TextString');
  const info = optional(payload, Tag.ServerInformation, 'Structure');
  return {
    operations: all(payload, Tag.Operation, 'Enumeration').map((n) => n.value),
    objectTypes: all(payload, Tag.ObjectType, 'Enumeration').map((n) => n.value),
    ...(vendor === undefined ? {} : { vendorIdentification: vendor }),
    ...(info === undefined ? {} : { serverInformation: info }),
    applicationNamespaces: all(payload, Tag.ApplicationNamespace, 'TextString').map((n) => n.value),
    extensionInformation: all(payload, Tag.ExtensionInformation, 'Structure'),
    other: payload.value.filter((c) => !KNOWN.has(c.tag)),
  };
}
