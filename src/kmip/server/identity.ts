/**
 * What a KMIP server says about itself in Query Server Information (KMIP 1.4 §4.25):
 * Vendor Identification and the vendor-defined Server Information structure. The `isklm`
 * profile imitates IBM Security Key Lifecycle Manager, which reports its replication role
 * as `ServerType=master|clone|multi-master` (a stand-alone server omits it; see
 * shared/reference/keyserver-ibm.md §2.9).
 */
import { Tag } from '../spec/index.ts';
import type { TtlvStructure } from '../ttlv/index.ts';
import { struct, textString } from '../messages/nodes.ts';
import { parseVersion, type ProtocolVersion } from '../messages/protocol-version.ts';

export const SERVER_PROFILES = ['generic', 'isklm'] as const;
export type ServerProfile = (typeof SERVER_PROFILES)[number];

export const ISKLM_SERVER_TYPES = ['master', 'clone', 'multi-master', 'standalone'] as const;
export type IsklmServerType = (typeof ISKLM_SERVER_TYPES)[number];

/** Extension tag (0x54XXXX range) of the `Key=Value` text items in our Server Information. */
export const SERVER_INFO_ITEM_TAG = 0x540001;

export const ISKLM_VENDOR = 'IBM Security Key Lifecycle Manager';
export const DEFAULT_ISKLM_VERSION = '4.1.1.0';

export interface ServerIdentity {
  readonly vendorIdentification: string;
  readonly serverInformation?: TtlvStructure;
  /** Versions answered to Discover Versions, newest first. */
  readonly versions: readonly ProtocolVersion[];
}

export interface IdentityOptions {
  readonly profile?: ServerProfile;
  /** Replaces the profile's Vendor Identification. */
  readonly vendorIdentification?: string;
  /** ISKLM product version reported (four numbers), default 4.1.1.0. */
  readonly isklmVersion?: string;
  readonly serverType?: IsklmServerType;
  /** Highest KMIP version offered, e.g. "1.2" to imitate an old server. Default 1.4. */
  readonly maxProtocolVersion?: string;
  /** Software version of this server, for the generic Vendor Identification. */
  readonly softwareVersion?: string;
}

const ALL_1X: readonly ProtocolVersion[] = [
  { major: 1, minor: 4 },
  { major: 1, minor: 3 },
  { major: 1, minor: 2 },
  { major: 1, minor: 1 },
  { major: 1, minor: 0 },
];

export function makeIdentity(o: IdentityOptions = {}): ServerIdentity {
  const max = o.maxProtocolVersion ? parseVersion(o.maxProtocolVersion) : { major: 1, minor: 4 };
  const versions = ALL_1X.filter(
    (v) => v.major < max.major || (v.major === max.major && v.minor <= max.minor),
  );
  if (versions.length === 0)
    throw new RangeError(`no KMIP 1.x version at or below ${o.maxProtocolVersion ?? ''}`);
  if ((o.profile ?? 'generic') === 'generic') {
    return {
      vendorIdentification:
        o.vendorIdentification ?? `Sekisho ${o.softwareVersion ?? '0'} KMIP Server`,
      versions,
    };
  }
  const version = o.isklmVersion ?? DEFAULT_ISKLM_VERSION;
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(version)) {
    throw new RangeError(
      `ISKLM version must be four numbers like 4.1.1.0, got ${JSON.stringify(version)}`,
    );
  }
  const type = o.serverType ?? 'master';
  const items = [`Version=${version}`, ...(type === 'standalone' ? [] : [`ServerType=${type}`])];
  return {
    vendorIdentification: o.vendorIdentification ?? `${ISKLM_VENDOR} ${version}`,
    serverInformation: struct(
      Tag.ServerInformation,
      items.map((t) => textString(SERVER_INFO_ITEM_TAG, t)),
    ),
    versions,
  };
}

/**
 * Reads `Key=Value` (or `Key: Value`) pairs from every Text String inside a Server Information
 * structure, whatever their tags: vendors differ in how they lay it out.
 */
export function serverInformationPairs(info: TtlvStructure | undefined): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (s: TtlvStructure): void => {
    for (const c of s.value) {
      if (c.type === 'Structure') visit(c);
      else if (c.type === 'TextString') {
        for (const part of c.value.split(/[;,\n]/)) {
          const m = /^\s*([A-Za-z][\w.-]*)\s*[=:]\s*(.*?)\s*$/.exec(part);
          if (m) out.set(m[1]!, m[2]!);
        }
      }
    }
  };
  if (info) visit(info);
  return out;
}
