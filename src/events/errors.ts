/** Errors of the event log: stable codes (documented in docs/events.md), English messages. */

/** Every code the event log throws, with its meaning. Never reuse a retired code. */
export const EVENT_ERROR_CODES = {
  EVENT_NOT_FOUND: 'no event has that sequence number',
  EVENT_ALREADY_FIXED: 'the event is fixed already',
  EVENT_INVALID_FILTER: 'a filter of the event list is malformed',
} as const;

export type EventErrorCode = keyof typeof EVENT_ERROR_CODES;

export class EventError extends Error {
  readonly code: EventErrorCode;
  constructor(code: EventErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventError';
    this.code = code;
  }
}
