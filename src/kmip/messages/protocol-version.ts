/** KMIP protocol versions (KMIP 1.4 §6.1) and the negotiation rule of Discover Versions (§4.26). */
import { Tag } from '../spec/index.ts';
import type { TtlvStructure } from '../ttlv/index.ts';
import { asStructure, integer, invalidMessage, requiredValue, struct } from './nodes.ts';

export interface ProtocolVersion {
  readonly major: number;
  readonly minor: number;
}

/** Versions this library speaks, newest first (the order Discover Versions sends). */
export const SUPPORTED_VERSIONS: readonly ProtocolVersion[] = [
  { major: 2, minor: 0 },
  { major: 1, minor: 4 },
  { major: 1, minor: 3 },
  { major: 1, minor: 2 },
  { major: 1, minor: 1 },
  { major: 1, minor: 0 },
];

export function formatVersion(v: ProtocolVersion): string {
  return `${v.major}.${v.minor}`;
}

/** Parses "1.4" style text. */
export function parseVersion(text: string): ProtocolVersion {
  const m = /^(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m)
    throw invalidMessage(`not a protocol version: ${JSON.stringify(text)} (expected e.g. 1.4)`);
  return { major: Number(m[1]), minor: Number(m[2]) };
}

export function compareVersions(a: ProtocolVersion, b: ProtocolVersion): number {
  return a.major - b.major || a.minor - b.minor;
}

export function sameVersion(a: ProtocolVersion, b: ProtocolVersion): boolean {
  return a.major === b.major && a.minor === b.minor;
}

export function isSupported(v: ProtocolVersion): boolean {
  return SUPPORTED_VERSIONS.some((s) => sameVersion(s, v));
}

export function encodeVersion(v: ProtocolVersion): TtlvStructure {
  return struct(Tag.ProtocolVersion, [
    integer(Tag.ProtocolVersionMajor, v.major),
    integer(Tag.ProtocolVersionMinor, v.minor),
  ]);
}

export function parseVersionNode(node: TtlvStructure): ProtocolVersion {
  const s = asStructure(node, Tag.ProtocolVersion);
  return {
    major: requiredValue(s, Tag.ProtocolVersionMajor, 'Integer'),
    minor: requiredValue(s, Tag.ProtocolVersionMinor, 'Integer'),
  };
}

/**
 * The version to use: the first entry of the server's list (servers list newest first)
 * that we support and that is not below `min` nor above `max`.
 */
export function chooseVersion(
  serverVersions: readonly ProtocolVersion[],
  options: { min?: ProtocolVersion; max?: ProtocolVersion } = {},
): ProtocolVersion | undefined {
  const acceptable = serverVersions.filter(
    (v) =>
      isSupported(v) &&
      (!options.min || compareVersions(v, options.min) >= 0) &&
      (!options.max || compareVersions(v, options.max) <= 0),
  );
  acceptable.sort((a, b) => compareVersions(b, a));
  return acceptable[0];
}
