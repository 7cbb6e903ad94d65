/**
 * The IBM-style views of the event log (shared/reference/keyserver-ibm.md §2.7): the concise
 * `lseventlog` list and the detailed view of one event (`lseventlog <sequence_number>`).
 *
 * Timestamps read `YYMMDDhhmmss` in the server's local time zone (the process's TZ), epochs
 * are whole seconds. No value can break a line: control characters (C0, DEL, C1, U+2028,
 * U+2029) in any value become `?` — object names and sense text come from outside.
 */
import { EVENT_CATALOGUE, eventText, type Lang } from './catalogue.ts';
import { senseLines } from './sense.ts';
import { oneLine } from '../shared/one-line.ts';
import type { EventRecord, EventSummary } from './types.ts';

export interface EventListOptions {
  /** Column separator (`-delim C`); absent: columns aligned with spaces. */
  readonly delim?: string | undefined;
  /** Omit the header line (`-nohdr`). */
  readonly nohdr?: boolean | undefined;
  /** Language of the description column. */
  readonly lang: Lang;
}

export interface EventDetailOptions {
  /** Separator between name and value (`-delim C`); absent: one space. */
  readonly delim?: string | undefined;
  /** Language of event_id_text, error_code_text, meaning and user_action. */
  readonly lang: Lang;
}

/** Columns of the concise view, in order. */
export const EVENT_LIST_COLUMNS = [
  'sequence_number',
  'last_timestamp',
  'object_type',
  'object_id',
  'object_name',
  'copy_id',
  'status',
  'fixed',
  'event_id',
  'error_code',
  'description',
] as const;

export { oneLine };

/** '00' … '99'. */
const TWO = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));

/** Local-time offset (ms) per UTC hour: zones change their offset on hour boundaries. */
const offsetByHour = new Map<number, number>();
const scratch = new Date(0);
let zone: string | undefined;

/** Forgets the cached offsets when the process's time zone (TZ) changed since last use. */
function syncZone(): void {
  const tz = process.env['TZ'];
  if (tz !== zone) {
    zone = tz;
    offsetByHour.clear();
  }
}

/**
 * `YYMMDDhhmmss` in the local time zone of the process (IBM's event-log timestamp). Local
 * getters cost a time-zone lookup each; over 100,000 rows the offset is looked up once per
 * hour and the fields read with the cheap UTC getters.
 */
export function eventTimestamp(d: Date): string {
  syncZone();
  return cachedTimestamp(d);
}

/** {@link eventTimestamp} without the zone check, for rows of one listing. */
function cachedTimestamp(d: Date): string {
  const ms = d.getTime();
  const hour = Math.floor(ms / 3_600_000);
  let offset = offsetByHour.get(hour);
  if (offset === undefined) {
    offset = -d.getTimezoneOffset() * 60_000;
    if (offsetByHour.size > 100_000) offsetByHour.clear();
    offsetByHour.set(hour, offset);
  }
  scratch.setTime(ms + offset);
  return (
    TWO[scratch.getUTCFullYear() % 100]! +
    TWO[scratch.getUTCMonth() + 1]! +
    TWO[scratch.getUTCDate()]! +
    TWO[scratch.getUTCHours()]! +
    TWO[scratch.getUTCMinutes()]! +
    TWO[scratch.getUTCSeconds()]!
  );
}

/** Whole seconds since 1970-01-01T00:00:00Z. */
export function epochSeconds(d: Date): number {
  return Math.floor(d.getTime() / 1000);
}

const yesNo = (b: boolean): string => (b ? 'yes' : 'no');

/**
 * One row of the concise view: `end` writes each value but the last (the description) with
 * the separator or the padding of its column.
 */
function writeRow(
  e: EventSummary,
  lang: Lang,
  end: (value: string, column: number) => void,
  out: ByteWriter,
): void {
  end(`${e.sequenceNumber}`, 0);
  end(cachedTimestamp(e.lastTimestamp), 1);
  end(e.objectType, 2);
  end(oneLine(e.objectId), 3);
  end(oneLine(e.objectName), 4);
  end(oneLine(e.copyId), 5);
  end(e.status, 6);
  end(yesNo(e.fixed), 7);
  end(e.eventId, 8);
  end(`${e.errorCode}`, 9);
  out.text(EVENT_CATALOGUE.events[e.eventId].description[lang]);
}

/**
 * Widths of the columns but the last, from the records themselves (oneLine keeps a length):
 * the aligned view then builds each line once, without holding every cell of a long list.
 */
function columnWidths(records: readonly EventSummary[], header: boolean): number[] {
  const w = header
    ? EVENT_LIST_COLUMNS.map((c) => c.length)
    : new Array<number>(EVENT_LIST_COLUMNS.length).fill(0);
  let seq = 0;
  let code = 0;
  for (const e of records) {
    if (e.sequenceNumber > seq) seq = e.sequenceNumber;
    if (e.errorCode > code) code = e.errorCode;
    if (e.objectType.length > w[2]!) w[2] = e.objectType.length;
    if (e.objectId.length > w[3]!) w[3] = e.objectId.length;
    if (e.objectName.length > w[4]!) w[4] = e.objectName.length;
    if (e.copyId.length > w[5]!) w[5] = e.copyId.length;
    if (e.status.length > w[6]!) w[6] = e.status.length;
    const fixed = e.fixed ? 3 : 2; // 'yes' | 'no'
    if (fixed > w[7]!) w[7] = fixed;
    if (e.eventId.length > w[8]!) w[8] = e.eventId.length;
  }
  if (records.length > 0) {
    w[0] = Math.max(w[0]!, `${seq}`.length);
    w[1] = Math.max(w[1]!, 12); // YYMMDDhhmmss
    w[9] = Math.max(w[9]!, `${code}`.length);
  }
  return w.slice(0, -1);
}

/**
 * The concise view: a header line (unless `nohdr`) and one row per event, in the order given.
 * Without `delim`, every column but the last is padded to its widest value plus one space,
 * like the IBM CLI; with `delim`, values are joined by it. Every line ends with `\n`; no
 * header and no rows give ''.
 */
export function formatEventList(records: readonly EventSummary[], opts: EventListOptions): string {
  const header = !opts.nohdr;
  if (!header && records.length === 0) return '';
  syncZone();
  const { delim, lang } = opts;
  // The rows are written as UTF-8 into one growing buffer and decoded once at the end: over
  // 100,000 rows, building a string per cell and joining the lines left most of the time to
  // the garbage collector.
  const out = new ByteWriter(Math.max(4096, records.length * 160));
  let end: (value: string, column: number) => void;
  if (delim !== undefined) {
    const sep = oneLine(delim);
    end = (v) => {
      out.text(v);
      out.text(sep);
    };
  } else {
    const widths = columnWidths(records, header);
    end = (v, i) => {
      out.text(v);
      out.spaces(widths[i]! + 1 - v.length);
    };
  }
  if (header) {
    const last = EVENT_LIST_COLUMNS.length - 1;
    EVENT_LIST_COLUMNS.forEach((c, i) => {
      if (i < last) end(c, i);
      else out.text(c);
    });
    out.newline();
  }
  for (const e of records) {
    writeRow(e, lang, end, out);
    out.newline();
  }
  return out.toString();
}

/** Appends UTF-8 to a buffer that doubles when full. */
class ByteWriter {
  #buf: Buffer;
  #at = 0;
  constructor(size: number) {
    this.#buf = Buffer.allocUnsafe(size);
  }
  #room(n: number): void {
    if (this.#at + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#at + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.#buf.copy(next, 0, 0, this.#at);
    this.#buf = next;
  }
  text(s: string): void {
    this.#room(s.length * 3);
    this.#at += this.#buf.write(s, this.#at);
  }
  spaces(n: number): void {
    if (n <= 0) return;
    this.#room(n);
    const buf = this.#buf;
    const end = this.#at + n;
    for (let at = this.#at; at < end; at++) buf[at] = 0x20;
    this.#at = end;
  }
  newline(): void {
    this.#room(1);
    this.#buf[this.#at++] = 0x0a;
  }
  toString(): string {
    return this.#buf.toString('utf8', 0, this.#at);
  }
}

/**
 * The detailed view of one event: `name value` lines (`name<delim>value` with a delimiter),
 * blank values left blank. `meaning` and `user_action` come last; their further lines are
 * indented by two spaces so that no continuation line can be read as a `name value` line.
 */
export function formatEventDetail(e: EventRecord, opts: EventDetailOptions): string {
  const t = eventText(e.eventId, opts.lang);
  const sense = senseLines(e.sense);
  const fixedAt = e.fixedTimestamp;
  const pairs: [string, string][] = [
    ['sequence_number', `${e.sequenceNumber}`],
    ['first_timestamp', eventTimestamp(e.firstTimestamp)],
    ['first_timestamp_epoch', `${epochSeconds(e.firstTimestamp)}`],
    ['last_timestamp', eventTimestamp(e.lastTimestamp)],
    ['last_timestamp_epoch', `${epochSeconds(e.lastTimestamp)}`],
    ['object_type', e.objectType],
    ['object_id', e.objectId],
    ['object_name', e.objectName],
    ['copy_id', e.copyId],
    ['reporting_node_id', e.reportingNodeId],
    ['reporting_node_name', e.reportingNodeName],
    ['event_count', `${e.eventCount}`],
    ['status', e.status],
    ['fixed', yesNo(e.fixed)],
    ['auto_fixed', yesNo(e.autoFixed)],
    ['notification_type', e.notificationType],
    ['event_id', e.eventId],
    ['event_id_text', t.description],
    ['error_code', `${e.errorCode}`],
    ['error_code_text', t.errorCodeText],
    ['fixed_timestamp', fixedAt ? eventTimestamp(fixedAt) : ''],
    ['fixed_timestamp_epoch', fixedAt ? `${epochSeconds(fixedAt)}` : ''],
    ...sense.map((s, i): [string, string] => [`sense${i + 1}`, s]),
  ];
  const sep = opts.delim === undefined ? ' ' : oneLine(opts.delim);
  const lines = pairs.map(([name, value]) => `${name}${sep}${oneLine(value)}`);
  lines.push(multiLine('meaning', t.meaning, sep), multiLine('user_action', t.userAction, sep));
  return lines.join('\n') + '\n';
}

function multiLine(name: string, text: string, sep: string): string {
  const [first = '', ...rest] = text.split('\n').map(oneLine);
  return [`${name}${sep}${first}`, ...rest.map((l) => `  ${l}`)].join('\n');
}
