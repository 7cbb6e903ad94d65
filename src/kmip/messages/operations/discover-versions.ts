/** Discover Versions (KMIP 1.4 §4.26): the client offers versions, the server answers those it supports. */
import { Tag } from '../../spec/index.ts';
import type { TtlvStructure } from '../../ttlv/index.ts';
import { all, struct } from '../nodes.ts';
import { encodeVersion, parseVersionNode, type ProtocolVersion } from '../protocol-version.ts';

/** An empty list asks for every version the server supports. */
export function discoverVersionsPayload(
  tag: number,
  versions: readonly ProtocolVersion[],
): TtlvStructure {
  return struct(tag, versions.map(encodeVersion));
}

export function parseDiscoverVersionsPayload(payload: TtlvStructure): ProtocolVersion[] {
  return all(payload, Tag.ProtocolVersion, 'Structure').map(parseVersionNode);
}
