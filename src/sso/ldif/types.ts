/** The records of an LDIF file (RFC 2849) as Sekisho reads and writes them. */

/**
 * One attribute value: a string for text, a `Uint8Array` for bytes — the values of binary
 * attributes given in base64, and base64 values that are not valid UTF-8.
 */
export type LdifValue = string | Uint8Array;

/** One `name: value` line of an entry, in file order. */
export interface LdifAttribute {
  /** Attribute description as written: type (descr or OID) and options, e.g. `cn;lang-ja`. */
  readonly name: string;
  readonly value: LdifValue;
}

/** The change types the library reads and writes, as an `as const` table. */
export const LDIF_CHANGE_TYPES = ['add', 'delete', 'modify'] as const;
export type LdifChangeType = (typeof LDIF_CHANGE_TYPES)[number];

/** The operations of a `changetype: modify` record. */
export const LDIF_MODIFY_OPS = ['add', 'delete', 'replace'] as const;
export type LdifModifyOp = (typeof LDIF_MODIFY_OPS)[number];

/** An entry to add: a `changetype: add` record or a plain content record. */
export interface LdifAddRecord {
  readonly changetype: 'add';
  readonly dn: string;
  readonly attributes: readonly LdifAttribute[];
}

/** An entry to delete. */
export interface LdifDeleteRecord {
  readonly changetype: 'delete';
  readonly dn: string;
}

/** One modification of a modify record; `values` may be empty for `delete` and `replace`. */
export interface LdifModification {
  readonly op: LdifModifyOp;
  readonly attribute: string;
  readonly values: readonly LdifValue[];
}

/** Modifications of one entry, applied in order. */
export interface LdifModifyRecord {
  readonly changetype: 'modify';
  readonly dn: string;
  readonly changes: readonly LdifModification[];
}

/** One LDIF record, discriminated on `changetype`. */
export type LdifRecord = LdifAddRecord | LdifDeleteRecord | LdifModifyRecord;

/** Size limits of {@link parseLdif}; every field has a default. */
export interface LdifLimits {
  /** Maximum UTF-8 size of the whole input. Default 16 MiB. */
  readonly maxBytes?: number;
  /** Maximum number of records. Default 1,000,000. */
  readonly maxRecords?: number;
  /** Maximum size of one value (decoded bytes, or UTF-8 bytes of text). Default 1 MiB. */
  readonly maxValueBytes?: number;
  /** Maximum number of value lines of one record. Default 1000. */
  readonly maxAttributesPerEntry?: number;
}

/** The defaults of {@link LdifLimits}. */
export const DEFAULT_LDIF_LIMITS = {
  maxBytes: 16 * 1024 * 1024,
  maxRecords: 1_000_000,
  maxValueBytes: 1024 * 1024,
  maxAttributesPerEntry: 1000,
} as const;
