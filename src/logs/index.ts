/**
 * The SSO access logs (shared/reference/sso-interstage.md §2–§4): typed records of the
 * repository-server, authentication-server, business-server and session-management logs, the
 * catalogue of supplementary information, the exact line formats with their grammar, and the
 * rotating file writer. Node built-ins only.
 */
export {
  AUTH_METHODS,
  LOG_KINDS,
  OUTCOMES,
  RESULT_TOKENS,
  SSO_JAVA_API,
  TOKEN_STATUSES,
  authenticationToken,
  type AccessRecord,
  type AuthMethod,
  type AuthenticationRecord,
  type BusinessRecord,
  type LogKind,
  type Outcome,
  type RepositoryRecord,
  type Result,
  type ResultToken,
  type ResultTokenOf,
  type SessionRecord,
  type Supplementary,
  type TokenStatus,
  type UserIdentification,
} from './records.ts';
export {
  SUPPLEMENTARY,
  SUPPLEMENTARY_IDS,
  supplementaryEntry,
  supplementaryIdOf,
  type SupplementaryEntry,
  type SupplementaryId,
} from './supplementary.ts';
export {
  UNKNOWN,
  addressField,
  formatAccessLine,
  formatTimestamp,
  supplementaryText,
  userIdentificationText,
  type FormatOptions,
} from './format.ts';
export { escapeQuoted, escapeToken, unescapeField, wellFormed } from './escape.ts';
export { compressIPv6, normalizeAddress } from './address.ts';
export {
  parseAccessLine,
  parseAuthenticationLine,
  parseBusinessLine,
  parseCertificateIdentification,
  parseRepositoryLine,
  parseSessionLine,
  type ParsedAuthenticationLine,
  type ParsedBusinessLine,
  type ParsedLine,
  type ParsedRepositoryLine,
  type ParsedSessionLine,
} from './grammar.ts';
export {
  AccessLogWriter,
  ROTATION_MODES,
  isSavedLogName,
  rotationStamp,
  type AccessLogWriterOptions,
  type RotationMode,
} from './writer.ts';
export {
  FileSystemLog,
  MemorySystemLog,
  SYSTEM_LOG_SEVERITIES,
  SYSTEM_MESSAGES,
  formatSystemLine,
  systemLogTime,
  systemMessageText,
  type FileSystemLogOptions,
  type SystemLog,
  type SystemLogSeverity,
  type SystemMessage,
  type SystemMessageId,
} from './system-log.ts';
export { ACCESS_LOG_FILES, OVERWRITE_SUFFIX, listLogFiles, type LogFile } from './files.ts';
export { LOG_ERROR_CODES, LogError, type LogErrorCode } from './errors.ts';
export {
  CHUNK_BYTES,
  FILE_SYSTEM,
  MAX_LINE_BYTES,
  type ByteSource,
  type OpenedFile,
} from './line-reader.ts';
export {
  DEFAULT_MAX_SCAN_BYTES,
  DEFAULT_QUERY_LIMIT,
  MAX_CURSOR_LENGTH,
  MAX_FILTER_LENGTH,
  MAX_QUERY_LIMIT,
  QUERY_ORDERS,
  matchesFilter,
  queryAccessLogs,
  readAccessLogEntry,
  type AccessLogEntry,
  type AccessLogFilter,
  type AccessLogLine,
  type MalformedLine,
  type QueryOptions,
  type QueryOrder,
  type QueryPage,
} from './query.ts';
export {
  BUCKET_SIZES,
  DEFAULT_STATS_SCAN_BYTES,
  MAX_BUCKETS,
  accessStats,
  chooseBucket,
  type AccessStats,
  type BucketSize,
  type StatsBucket,
  type StatsOptions,
} from './stats.ts';
