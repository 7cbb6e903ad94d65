/**
 * LDIF for the SSO repository (RFC 2849, DNs of RFC 4514): a strict parser, a writer whose output
 * parses back to the same records, and DN helpers. Node built-ins only; no file or network access
 * (`attr:< URL` is rejected). See docs/ldif.md.
 */
export * from './types.ts';
export { LDIF_ERROR_CODES, LdifError, type LdifErrorCode } from './errors.ts';
export { parseLdif, parseLdifBytes } from './parse.ts';
export { formatLdif, type LdifFormatOptions } from './format.ts';
export {
  dnEquals,
  escapeDnValue,
  formatDn,
  normalizeDn,
  parseDn,
  type Dn,
  type DnAttribute,
  type DnCompareOptions,
  type Rdn,
} from './dn.ts';
export {
  BINARY_ATTRIBUTES,
  isAttributeDescription,
  isAttributeType,
  isBinaryAttribute,
  isSafeString,
} from './attributes.ts';
