/**
 * The event log of Sekisho, in the IBM Storage manner: error code 1785 with event IDs
 * 086006–086009, their texts (ja/en), sense data, the log itself and its views.
 */
export * from './types.ts';
export {
  EVENT_CATALOGUE,
  KEY_SERVER_ERROR_CODE,
  LANGS,
  eventText,
  langFromEnv,
  type EventEntry,
  type EventText,
  type Lang,
} from './catalogue.ts';
export {
  CONNECTION_STAGE_CODES,
  SENSE_LINES,
  SENSE_LINE_BYTES,
  VENDOR_REASON_CODES,
  decodeSense,
  encodeSense,
  senseLines,
  utf8Prefix,
  type ConnectionSense,
  type KmipErrorSense,
  type PrimarySense,
  type SenseData,
  type VendorSense,
} from './sense.ts';
export { EventLog, STATUS_PRIORITY, comparePriority } from './event-log.ts';
export { EVENT_ERROR_CODES, EventError, type EventErrorCode } from './errors.ts';
export {
  EVENT_LIST_COLUMNS,
  epochSeconds,
  eventTimestamp,
  formatEventDetail,
  formatEventList,
  oneLine,
  type EventDetailOptions,
  type EventListOptions,
} from './format.ts';
