/** Errors of the access-log queries: stable codes (documented in docs/errors.md), English messages. */

/** Every code src/logs throws, with its meaning. Never reuse a retired code. */
export const LOG_ERROR_CODES = {
  LOG_QUERY_INVALID: 'a parameter of an access-log query is out of range or malformed',
  LOG_CURSOR_INVALID: 'a paging cursor is malformed, or belongs to another query',
  LOG_ENTRY_NOT_FOUND: 'no access-log line has that entry ID (any more)',
} as const;

export type LogErrorCode = keyof typeof LOG_ERROR_CODES;

export class LogError extends Error {
  readonly code: LogErrorCode;
  constructor(code: LogErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LogError';
    this.code = code;
  }
}
