/**
 * Which key servers each key-server type accepts (shared/reference/keyserver-ibm.md §3 step 4,
 * §5-Q7): a table-driven allow-list of vendor, minimum product version and minimum KMIP
 * version, and how vendor, product version and replication role are read from a Query
 * (Server Information) answer. Pure functions; failures become event 086007 (reasons 2 and 3)
 * in validation.ts.
 */
import { serverInformationPairs, type QueryResult } from '../kmip/index.ts';
import type { KeyServerType } from './types.ts';

export interface TypeRule {
  /** Vendor Identification must match; `undefined` accepts any vendor. */
  readonly vendorPattern: RegExp | undefined;
  /** Lowest product version accepted (dotted numbers); `undefined` accepts any. */
  readonly minProductVersion: string | undefined;
  /** Lowest KMIP protocol version accepted (seed 000: 1.3). */
  readonly minKmip: '1.3';
}

export const TYPE_RULES: Readonly<Record<KeyServerType, TypeRule>> = {
  // IBM Security / Guardium Key Lifecycle Manager (SKLM, GKLM, ISKLM), 2.6.0.0 or later.
  isklm: {
    vendorPattern:
      /\bIBM\s+(?:Security|Guardium)\s+Key\s+Lifecycle\s+Manager\b|\b(?:SKLM|GKLM|ISKLM)\b/i,
    minProductVersion: '2.6.0.0',
    minKmip: '1.3',
  },
  // Thales CipherTrust Manager and its predecessors (Gemalto / SafeNet KeySecure).
  ciphertrustmanager: {
    vendorPattern: /CipherTrust|Thales|Gemalto|SafeNet|KeySecure/i,
    minProductVersion: undefined,
    minKmip: '1.3',
  },
  // Any KMIP server (PyKMIP, Vault, Cosmian, …).
  kmip: { vendorPattern: undefined, minProductVersion: undefined, minKmip: '1.3' },
};

/** What a key server says about itself, as read from Query (Server Information). */
export interface ServerIdentityInfo {
  readonly vendorIdentification: string;
  /** Product version: Server Information `Version=`, else the first dotted number of the vendor. */
  readonly productVersion: string | undefined;
  /** Replication role: Server Information `ServerType=` (SKLM: master, clone, multi-master). */
  readonly serverType: string | undefined;
}

/** Looks a key up in Server Information pairs, ignoring the case of the key. */
function pair(pairs: ReadonlyMap<string, string>, key: string): string | undefined {
  const direct = pairs.get(key);
  if (direct !== undefined) return direct;
  const lower = key.toLowerCase();
  for (const [k, v] of pairs) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** The first `N.N`, `N.N.N` or `N.N.N.N` in `text`. */
export function firstVersionIn(text: string): string | undefined {
  return /\d+(?:\.\d+){1,3}/.exec(text)?.[0];
}

export function identityOf(q: QueryResult): ServerIdentityInfo {
  const vendor = q.vendorIdentification ?? '';
  const pairs = serverInformationPairs(q.serverInformation);
  const version = pair(pairs, 'Version');
  const serverType = pair(pairs, 'ServerType');
  return {
    vendorIdentification: vendor,
    productVersion: version !== undefined && version !== '' ? version : firstVersionIn(vendor),
    serverType: serverType === undefined || serverType === '' ? undefined : serverType,
  };
}

/**
 * Compares dotted version numbers part by part, numerically ("2.10" > "2.9"); missing parts
 * count as 0 ("2.6" = "2.6.0.0"). Non-numeric text inside a part counts by its leading digits.
 */
export function compareProductVersions(a: string, b: string): number {
  const pa = a.split('.').map((p) => Number.parseInt(p, 10) || 0);
  const pb = b.split('.').map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

export type TypeCheck =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** 086007 sense reason: 2 unsupported vendor/type, 3 unsupported product version. */
      readonly reason: 2 | 3;
      readonly message: string;
    };

/**
 * Whether `id` is acceptable for a key server of `type`. An unknown product version fails a
 * type that has a minimum (the code level cannot be shown to be supported).
 */
export function checkTypeRule(type: KeyServerType, id: ServerIdentityInfo): TypeCheck {
  const rule = TYPE_RULES[type];
  if (rule.vendorPattern !== undefined && !rule.vendorPattern.test(id.vendorIdentification)) {
    return {
      ok: false,
      reason: 2,
      message: `vendor ${JSON.stringify(id.vendorIdentification)} is not a supported ${type} key server`,
    };
  }
  if (rule.minProductVersion !== undefined) {
    if (id.productVersion === undefined) {
      return {
        ok: false,
        reason: 3,
        message: `the key server reports no product version; ${type} needs ${rule.minProductVersion} or later`,
      };
    }
    if (compareProductVersions(id.productVersion, rule.minProductVersion) < 0) {
      return {
        ok: false,
        reason: 3,
        message: `product version ${id.productVersion} is below the minimum ${rule.minProductVersion} for ${type}`,
      };
    }
  }
  return { ok: true };
}
