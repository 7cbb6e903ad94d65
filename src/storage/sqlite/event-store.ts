/**
 * SqliteEventStore: the event log in the embedded SQLite database (node:sqlite).
 *
 * The caller owns the database (file, pragmas, closing). Events are records whose loss would
 * hide a problem from the operator or resurrect a fixed one, so the database should run with
 * `PRAGMA synchronous = FULL` (openDatabase in ./database.ts does); WAL lets the CLI read
 * while the server writes.
 *
 * Filtering, ordering and `-count` happen in SQL on indexes, so that `lseventlog -count N`
 * and filtered lists stay fast over 100,000 events (bench/eventlog.bench.ts):
 * - `events_by_date` (last_timestamp DESC, sequence_number DESC, then every column of the
 *   concise view) serves `-order date` and covers listSummaries: the full newest-first list
 *   reads the index alone;
 * - `events_by_fixed_date` serves `-fixed yes|no` with `-order date`;
 * - `events_by_severity` on two generated columns (severity_rank, severity_code) serves
 *   `-order severity`, and `-fixed yes|no` becomes a range of severity_rank there;
 * - `events_unfixed` (partial, unique) holds at most one unfixed event per event ID and
 *   object, and serves findUnfixed and unfixedFor.
 * Timestamps are stored as milliseconds since the epoch.
 *
 * The cost of listing 100,000 events is mostly node:sqlite handing values to JavaScript and
 * the garbage they leave, so the concise view reads summaries (7 values a row, no sense
 * blob) and the small enumerated columns travel packed into one integer.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { atomically } from './database.ts';
import {
  EVENT_IDS,
  EVENT_OBJECT_TYPES,
  EVENT_STATUSES,
  NOTIFICATION_TYPES,
  SENSE_BYTES,
  type EventFilter,
  type EventId,
  type EventObjectType,
  type EventRecord,
  type EventStatus,
  type EventStore,
  type EventSummary,
} from '../../events/index.ts';

/** Stored columns, in the order of INSERT and UPDATE parameters. */
const COLUMNS = [
  'first_timestamp',
  'last_timestamp',
  'object_type',
  'object_id',
  'object_name',
  'copy_id',
  'reporting_node_id',
  'reporting_node_name',
  'event_count',
  'status',
  'fixed',
  'auto_fixed',
  'fixed_timestamp',
  'notification_type',
  'event_id',
  'error_code',
  'sense',
] as const;

/** SQL giving the index of a text column's value in `values`; 15 (corrupt) when absent. */
function indexOf(column: string, values: readonly string[]): string {
  return `(CASE ${column} ${values.map((v, i) => `WHEN '${v}' THEN ${i}`).join(' ')} ELSE 15 END)`;
}

/**
 * Reading 100,000 rows costs mostly per value handed to JavaScript, so the six small
 * enumerated columns travel packed in one integer `kind` (read back by `field`): four bits
 * for each index (object type, status, notification type, event ID), then the fixed and
 * auto_fixed bits. The table itself keeps them readable.
 */
const KIND = [
  indexOf('object_type', EVENT_OBJECT_TYPES),
  `(${indexOf('status', EVENT_STATUSES)} << 4)`,
  `(${indexOf('notification_type', NOTIFICATION_TYPES)} << 8)`,
  `(${indexOf('event_id', EVENT_IDS)} << 12)`,
  '(fixed << 16)',
  '(auto_fixed << 17)',
].join(' | '); // SQLite gives | and << the same precedence: every shift is parenthesised

/** Every SELECT of whole events reads these, in this order (see {@link fromRow}). */
const READ = [
  'sequence_number',
  'first_timestamp',
  'last_timestamp',
  'object_id',
  'object_name',
  'copy_id',
  'reporting_node_id',
  'reporting_node_name',
  'event_count',
  'fixed_timestamp',
  'error_code',
  'sense',
  'kind',
] as const;
const SELECT = `SELECT ${READ.map((c) => (c === 'kind' ? KIND : c)).join(', ')} FROM events`;

/** A list of summaries reads these (see {@link summaryFromRow}). */
const READ_SUMMARY = [
  'sequence_number',
  'last_timestamp',
  'object_id',
  'object_name',
  'copy_id',
  'error_code',
  'kind',
] as const;
const SELECT_SUMMARY = `SELECT ${READ_SUMMARY.map((c) => (c === 'kind' ? KIND : c)).join(', ')} FROM events`;

const sqlList = (xs: readonly string[]): string => xs.map((x) => `'${x}'`).join(', ');

/** Rank of `-order severity`: unfixed alerts, messages, monitoring, expired, then fixed. */
const SEVERITY_RANK = `CASE WHEN fixed THEN 4 WHEN status = 'alert' THEN 0
  WHEN status = 'message' THEN 1 WHEN status = 'monitoring' THEN 2 ELSE 3 END`;
const FIXED_RANK = 4;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  sequence_number INTEGER PRIMARY KEY AUTOINCREMENT,
  first_timestamp INTEGER NOT NULL,
  last_timestamp INTEGER NOT NULL,
  object_type TEXT NOT NULL CHECK (object_type IN (${sqlList(EVENT_OBJECT_TYPES)})),
  object_id TEXT NOT NULL,
  object_name TEXT NOT NULL,
  copy_id TEXT NOT NULL,
  reporting_node_id TEXT NOT NULL,
  reporting_node_name TEXT NOT NULL,
  event_count INTEGER NOT NULL CHECK (event_count >= 1),
  status TEXT NOT NULL CHECK (status IN (${sqlList(EVENT_STATUSES)})),
  fixed INTEGER NOT NULL CHECK (fixed IN (0, 1)),
  auto_fixed INTEGER NOT NULL CHECK (auto_fixed IN (0, 1)),
  fixed_timestamp INTEGER,
  notification_type TEXT NOT NULL CHECK (notification_type IN (${sqlList(NOTIFICATION_TYPES)})),
  event_id TEXT NOT NULL CHECK (event_id IN (${sqlList(EVENT_IDS)})),
  error_code INTEGER NOT NULL,
  sense BLOB NOT NULL CHECK (length(sense) = ${SENSE_BYTES}),
  severity_rank INTEGER GENERATED ALWAYS AS (${SEVERITY_RANK}) VIRTUAL,
  -- alerts and monitoring events rank by error code within their group (lower = more severe)
  severity_code INTEGER GENERATED ALWAYS AS
    (CASE WHEN fixed = 0 AND status IN ('alert', 'monitoring') THEN error_code ELSE 0 END) VIRTUAL
);
CREATE UNIQUE INDEX IF NOT EXISTS events_unfixed
  ON events(object_type, object_id, event_id) WHERE fixed = 0;
-- Covering: the newest-first list of summaries (the common lseventlog) never visits the table.
CREATE INDEX IF NOT EXISTS events_by_date
  ON events(last_timestamp DESC, sequence_number DESC, object_type, object_id, object_name,
    copy_id, status, fixed, event_id, error_code, notification_type, auto_fixed);
CREATE INDEX IF NOT EXISTS events_by_fixed_date
  ON events(fixed, last_timestamp DESC, sequence_number DESC);
CREATE INDEX IF NOT EXISTS events_by_severity
  ON events(severity_rank, severity_code, last_timestamp DESC, sequence_number DESC);
CREATE INDEX IF NOT EXISTS events_by_object
  ON events(object_type, object_id, last_timestamp DESC, sequence_number DESC);
`;

function corrupt(what: string, value: unknown): never {
  throw new Error(`corrupt event store: ${what} = ${String(value)}`);
}

/** Typed reads of a row (an array: statements return arrays), naming the column when corrupt. */
function num(row: readonly unknown[], i: number, names: readonly string[]): number {
  const v = row[i];
  return typeof v === 'number' ? v : corrupt(names[i]!, v);
}

function text(row: readonly unknown[], i: number, names: readonly string[]): string {
  const v = row[i];
  return typeof v === 'string' ? v : corrupt(names[i]!, v);
}

function field<T>(values: readonly T[], kind: number, shift: number, what: string): T {
  const i = (kind >>> shift) & 15;
  return i < values.length ? values[i]! : corrupt(what, kind);
}

function asRow(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : corrupt('row', value);
}

/** An EventRecord from a row of {@link READ}. */
function fromRow(value: unknown): EventRecord {
  const row = asRow(value);
  const n = READ;
  const fixedAt = row[9];
  const sense = row[11];
  const kind = num(row, 12, n);
  return {
    sequenceNumber: num(row, 0, n),
    firstTimestamp: new Date(num(row, 1, n)),
    lastTimestamp: new Date(num(row, 2, n)),
    objectType: field(EVENT_OBJECT_TYPES, kind, 0, 'object_type'),
    objectId: text(row, 3, n),
    objectName: text(row, 4, n),
    copyId: text(row, 5, n),
    reportingNodeId: text(row, 6, n),
    reportingNodeName: text(row, 7, n),
    eventCount: num(row, 8, n),
    status: field(EVENT_STATUSES, kind, 4, 'status'),
    fixed: ((kind >>> 16) & 1) === 1,
    autoFixed: ((kind >>> 17) & 1) === 1,
    fixedTimestamp: fixedAt === null ? undefined : new Date(num(row, 9, n)),
    notificationType: field(NOTIFICATION_TYPES, kind, 8, 'notification_type'),
    eventId: field(EVENT_IDS, kind, 12, 'event_id'),
    errorCode: num(row, 10, n),
    sense:
      sense instanceof Uint8Array && sense.length === SENSE_BYTES ? sense : corrupt('sense', sense),
  };
}

/** An EventSummary from a row of {@link READ_SUMMARY}. */
function summaryFromRow(value: unknown): EventSummary {
  const row = asRow(value);
  const n = READ_SUMMARY;
  const kind = num(row, 6, n);
  return {
    sequenceNumber: num(row, 0, n),
    lastTimestamp: new Date(num(row, 1, n)),
    objectType: field(EVENT_OBJECT_TYPES, kind, 0, 'object_type'),
    objectId: text(row, 2, n),
    objectName: text(row, 3, n),
    copyId: text(row, 4, n),
    status: field(EVENT_STATUSES, kind, 4, 'status'),
    fixed: ((kind >>> 16) & 1) === 1,
    eventId: field(EVENT_IDS, kind, 12, 'event_id'),
    errorCode: num(row, 5, n),
  };
}

/** Statuses a list keeps after `-alert`/`-message`/`-monitoring`; undefined: all. */
function statusesOf(f: EventFilter): EventStatus[] | undefined {
  const flags: { readonly [S in EventStatus]?: boolean | undefined } = {
    alert: f.alert,
    message: f.message,
    monitoring: f.monitoring,
  };
  if (EVENT_STATUSES.every((s) => flags[s] === undefined)) return undefined;
  // Flags set to yes select those statuses only; flags set to no remove theirs.
  const anyYes = EVENT_STATUSES.some((s) => flags[s] === true);
  return EVENT_STATUSES.filter((s) => (anyYes ? flags[s] === true : flags[s] !== false));
}

/** The SELECT of a list (of whole events or summaries) and its parameters. */
function listQuery(
  filter: EventFilter,
  select: string,
): { source: string; params: (string | number)[] } {
  const where: string[] = [];
  const params: (string | number)[] = [];
  const severity = filter.order === 'severity';
  const statuses = statusesOf(filter);
  if (statuses !== undefined) {
    where.push(statuses.length ? `status IN (${statuses.map(() => '?').join(', ')})` : '0');
    params.push(...statuses);
  }
  if (filter.fixed !== undefined) {
    // In severity order the fixed flag is a range of severity_rank: the index serves it.
    if (severity) where.push(filter.fixed ? 'severity_rank = ?' : 'severity_rank < ?');
    else where.push('fixed = ?');
    params.push(severity ? FIXED_RANK : filter.fixed ? 1 : 0);
  }
  if (filter.objectType !== undefined) {
    where.push('object_type = ?');
    params.push(filter.objectType);
  }
  if (filter.objectId !== undefined) {
    where.push('object_id = ?');
    params.push(filter.objectId);
  }
  let source = select;
  if (where.length) source += ` WHERE ${where.join(' AND ')}`;
  source += severity
    ? ' ORDER BY severity_rank, severity_code, last_timestamp DESC, sequence_number DESC'
    : ' ORDER BY last_timestamp DESC, sequence_number DESC';
  if (filter.count !== undefined) {
    source += ' LIMIT ?';
    params.push(filter.count);
  }
  return { source, params };
}

/** The values of COLUMNS, in order, for an INSERT or UPDATE. */
function columnValues(
  e: Omit<EventRecord, 'sequenceNumber'>,
): (string | number | null | Uint8Array)[] {
  return [
    e.firstTimestamp.getTime(),
    e.lastTimestamp.getTime(),
    e.objectType,
    e.objectId,
    e.objectName,
    e.copyId,
    e.reportingNodeId,
    e.reportingNodeName,
    e.eventCount,
    e.status,
    e.fixed ? 1 : 0,
    e.autoFixed ? 1 : 0,
    e.fixedTimestamp?.getTime() ?? null,
    e.notificationType,
    e.eventId,
    e.errorCode,
    e.sense,
  ];
}

export class SqliteEventStore implements EventStore {
  private readonly db: DatabaseSync;
  private readonly statements = new Map<string, StatementSync>();

  /** @param db an open database; the store creates its table and indexes if missing. */
  constructor(db: DatabaseSync) {
    this.db = db;
    this.migrate();
  }

  /** Creates the events table and its indexes (idempotent). */
  migrate(): void {
    this.db.exec(SCHEMA);
  }

  /** A prepared statement (rows as arrays), cached by its SQL. */
  private sql(source: string): StatementSync {
    let s = this.statements.get(source);
    if (!s) {
      s = this.db.prepare(source);
      s.setReturnArrays(true);
      this.statements.set(source, s);
    }
    return s;
  }

  private one(source: string, ...params: (string | number)[]): EventRecord | undefined {
    const row: unknown = this.sql(source).get(...params);
    return row === undefined ? undefined : fromRow(row);
  }

  private many<T>(
    source: string,
    params: readonly (string | number)[],
    read: (row: unknown) => T,
  ): T[] {
    const rows: unknown[] = this.sql(source).all(...params);
    const out = new Array<T>(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = read(rows[i]);
    return out;
  }

  insert(e: Omit<EventRecord, 'sequenceNumber'>): EventRecord {
    const r = this.sql(
      `INSERT INTO events (${COLUMNS.join(', ')})
       VALUES (${COLUMNS.map(() => '?').join(', ')})`,
    ).run(...columnValues(e));
    return { ...e, sequenceNumber: Number(r.lastInsertRowid) };
  }

  update(e: EventRecord): void {
    this.sql(
      `UPDATE events SET ${COLUMNS.map((c) => `${c} = ?`).join(', ')} WHERE sequence_number = ?`,
    ).run(...columnValues(e), e.sequenceNumber);
  }

  get(sequenceNumber: number): EventRecord | undefined {
    return this.one(`${SELECT} WHERE sequence_number = ?`, sequenceNumber);
  }

  /**
   * Stores events as they are, sequence numbers included (a cluster node mirroring the shared
   * event log, docs/cluster.md), in one transaction; with `replace`, every other event is
   * deleted first. Fixed events are written before unfixed ones, so that an event fixed and
   * a new one about the same object never meet in the one-unfixed-per-object index.
   */
  putAll(records: readonly EventRecord[], replace = false): void {
    const ordered = [...records].sort((a, b) => Number(b.fixed) - Number(a.fixed));
    atomically(this.db, () => {
      if (replace) this.db.exec('DELETE FROM events');
      const put = this.sql(
        `INSERT INTO events (sequence_number, ${COLUMNS.join(', ')})
         VALUES (?, ${COLUMNS.map(() => '?').join(', ')})
         ON CONFLICT(sequence_number) DO UPDATE SET
           ${COLUMNS.map((c) => `${c} = excluded.${c}`).join(', ')}`,
      );
      for (const e of ordered) put.run(e.sequenceNumber, ...columnValues(e));
    });
  }

  /** Up to `limit` events after sequence number `after`, in order (for copying the log). */
  page(after: number, limit: number): EventRecord[] {
    return this.many(
      `${SELECT} WHERE sequence_number > ? ORDER BY sequence_number LIMIT ?`,
      [after, limit],
      fromRow,
    );
  }

  findUnfixed(
    eventId: EventId,
    objectType: EventObjectType,
    objectId: string,
  ): EventRecord | undefined {
    return this.one(
      `${SELECT} WHERE object_type = ? AND object_id = ? AND event_id = ? AND fixed = 0`,
      objectType,
      objectId,
      eventId,
    );
  }

  unfixedFor(objectType: EventObjectType, objectId: string): EventRecord[] {
    return this.many(
      // The partial index holds only unfixed events; the planner would otherwise walk every
      // event of the object on events_by_object.
      `${SELECT} INDEXED BY events_unfixed
       WHERE object_type = ? AND object_id = ? AND fixed = 0 ORDER BY sequence_number`,
      [objectType, objectId],
      fromRow,
    );
  }

  list(filter: EventFilter): EventRecord[] {
    const { source, params } = listQuery(filter, SELECT);
    return this.many(source, params, fromRow);
  }

  listSummaries(filter: EventFilter): EventSummary[] {
    const { source, params } = listQuery(filter, SELECT_SUMMARY);
    return this.many(source, params, summaryFromRow);
  }

  /**
   * How SQLite runs the list of a filter (EXPLAIN QUERY PLAN details, e.g. "SCAN events USING
   * COVERING INDEX events_by_date"): for diagnostics and for the tests that keep every list
   * on an index.
   */
  queryPlan(filter: EventFilter, what: 'summaries' | 'records' = 'summaries'): string[] {
    const { source, params } = listQuery(filter, what === 'summaries' ? SELECT_SUMMARY : SELECT);
    const rows: unknown[] = this.db.prepare(`EXPLAIN QUERY PLAN ${source}`).all(...params);
    return rows.map((r) =>
      typeof r === 'object' && r !== null && 'detail' in r ? String(r.detail) : '',
    );
  }
}
