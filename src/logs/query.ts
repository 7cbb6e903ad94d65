/**
 * Querying the access logs (the administration console's log viewer): the lines of the four
 * logs — current files and saved copies — parsed by the grammar (grammar.ts) into typed entries,
 * filtered, merged in time order across logs, and returned a page at a time with an opaque
 * cursor.
 *
 * Cost. Each log is read as a stream of lines, backwards for newest-first and forwards for
 * oldest-first, 64 KiB at a time (line-reader.ts): memory is O(chunk + longest line + page),
 * never O(file). Time is O(bytes read): a page stops as soon as it holds `limit` entries, so an
 * unfiltered page of the newest lines reads one or two chunks of a 100 MB file; a selective
 * filter reads until it has found `limit` matches, at most {@link QueryOptions.maxScanBytes}
 * per call (then the page is returned short, with a cursor to continue). A time range also
 * bounds the reading: each log is written in time order, so a stream stops at the first line
 * outside the range in its reading direction.
 *
 * Values. Entries carry the fields as the grammar returns them: **unescaped**, i.e. the original
 * values (a user ID containing `"` or a line feed comes back with them); the line as written
 * (escaped) is available through {@link readAccessLogEntry}. A field written `unknown` is the
 * string `unknown`. Filters compare the unescaped values.
 *
 * Lines that do not follow the grammar (hand edits, a truncated write, another product's
 * lines, lines over 1 MiB) are counted and located, never thrown.
 */
import { createHash } from 'node:crypto';
import { LogError } from './errors.ts';
import { listLogFiles, type LogFile } from './files.ts';
import { parseAccessLine, type ParsedLine } from './grammar.ts';
import {
  FILE_SYSTEM,
  linesBackward,
  linesForward,
  type ByteSource,
  type OpenedFile,
  type RawLine,
} from './line-reader.ts';
import { LOG_KINDS, OUTCOMES, type LogKind, type Outcome } from './records.ts';

/** Reading directions. */
export const QUERY_ORDERS = ['newest', 'oldest'] as const;
export type QueryOrder = (typeof QUERY_ORDERS)[number];

/** Default and largest page size. */
export const DEFAULT_QUERY_LIMIT = 100;
export const MAX_QUERY_LIMIT = 1000;
/** Default of {@link QueryOptions.maxScanBytes}: 256 MiB. */
export const DEFAULT_MAX_SCAN_BYTES = 256 * 1024 * 1024;
/** Longest text filter (user, session ID, resource), characters. */
export const MAX_FILTER_LENGTH = 1024;
/** Longest cursor accepted, characters. */
export const MAX_CURSOR_LENGTH = 1024;
/** Malformed lines located in a page (the count covers them all). */
export const MAX_MALFORMED_SAMPLES = 10;

/** What to keep. Every condition given must hold. */
export interface AccessLogFilter {
  /** The logs to read; default all four. */
  readonly logs?: readonly LogKind[] | undefined;
  /** Lines at or after this instant. */
  readonly from?: Date | undefined;
  /** Lines before this instant (half-open: `[from, to)`). */
  readonly to?: Date | undefined;
  /**
   * The user: the user-identification field (the session log's `UserID`) equals it, or is a DN
   * whose first RDN is `uid=` it (so `alice` finds `uid=alice,ou=users,…` of the repository log).
   */
  readonly user?: string | undefined;
  /** As {@link user}, but a prefix. */
  readonly userPrefix?: string | undefined;
  readonly outcome?: Outcome | undefined;
  /** Exact session ID (`SessionID`, or the session log's session). */
  readonly sessionId?: string | undefined;
  /** Text contained in the resource (business log; case-insensitive). Other logs have none. */
  readonly resource?: string | undefined;
}

export interface QueryOptions {
  /** The log directory (`DATA_DIR/logs` by default). */
  readonly dir: string;
  readonly filter?: AccessLogFilter | undefined;
  /** Default `newest`. */
  readonly order?: QueryOrder | undefined;
  /** Entries in a page, 1–{@link MAX_QUERY_LIMIT}; default {@link DEFAULT_QUERY_LIMIT}. */
  readonly limit?: number | undefined;
  /** The `nextCursor` of the previous page of the same query. */
  readonly cursor?: string | undefined;
  /** Bytes a call reads at most before it returns a short page; default 256 MiB. */
  readonly maxScanBytes?: number | undefined;
  /** Where bytes come from; default the file system. */
  readonly source?: ByteSource | undefined;
}

/** One line, parsed: the grammar's fields plus where it is and its result text. */
export type AccessLogEntry = ParsedLine & {
  /** Opaque ID of the line, for {@link readAccessLogEntry}. */
  readonly id: string;
  /** `<token> <outcome>.`, e.g. `Authentication(basicAuth) succeeded.` */
  readonly result: string;
};

/** Where a malformed line is. */
export interface MalformedLine {
  readonly file: string;
  /** Byte offset of the line in the file. */
  readonly offset: number;
}

export interface QueryPage {
  readonly entries: readonly AccessLogEntry[];
  /** Pass it as `cursor` for the next page; undefined when every line has been read. */
  readonly nextCursor: string | undefined;
  /** Lines that did not follow the grammar, read while making this page. */
  readonly malformed: number;
  /** The first {@link MAX_MALFORMED_SAMPLES} of them. */
  readonly malformedSamples: readonly MalformedLine[];
  /** Bytes read from the files. */
  readonly bytesRead: number;
  /** True when the page stopped at `maxScanBytes` (it may hold fewer than `limit` entries). */
  readonly scanLimited: boolean;
}

function invalid(message: string): LogError {
  return new LogError('LOG_QUERY_INVALID', message);
}

/** Checks a filter's values; throws `LOG_QUERY_INVALID`. */
export function checkFilter(filter: AccessLogFilter): void {
  for (const k of filter.logs ?? []) {
    if (!(LOG_KINDS as readonly string[]).includes(k)) throw invalid(`unknown log ${k}`);
  }
  if (filter.logs?.length === 0) throw invalid('no log selected');
  for (const [name, d] of [
    ['from', filter.from],
    ['to', filter.to],
  ] as const) {
    if (d !== undefined && Number.isNaN(d.getTime())) throw invalid(`${name} is not a date`);
  }
  if (filter.from !== undefined && filter.to !== undefined && filter.from > filter.to) {
    throw invalid('from is after to');
  }
  if (filter.outcome !== undefined && !(OUTCOMES as readonly string[]).includes(filter.outcome)) {
    throw invalid('outcome must be succeeded or failed');
  }
  for (const [name, v] of [
    ['user', filter.user],
    ['userPrefix', filter.userPrefix],
    ['sessionId', filter.sessionId],
    ['resource', filter.resource],
  ] as const) {
    if (v !== undefined && (v.length === 0 || v.length > MAX_FILTER_LENGTH)) {
      throw invalid(`${name} must be 1–${MAX_FILTER_LENGTH} characters`);
    }
  }
}

/** The user a line is about: the user-identification field, or the session log's `UserID`. */
function userOf(p: ParsedLine): string | undefined {
  return p.log === 'session' ? p.userId : p.user;
}

/** `alice` of `uid=alice,ou=users,…` (DN escapes `\,` `\+` … resolved), or undefined. */
function firstUid(value: string): string | undefined {
  const m = /^uid=((?:[^,+\\]|\\.)*)(?:[,+]|$)/i.exec(value);
  return m === null ? undefined : m[1]!.replace(/\\(.)/g, '$1');
}

/** Whether a parsed line passes the filter's non-time conditions. */
export function matchesFilter(p: ParsedLine, f: AccessLogFilter): boolean {
  if (f.outcome !== undefined && p.outcome !== f.outcome) return false;
  if (f.user !== undefined || f.userPrefix !== undefined) {
    const u = userOf(p);
    if (u === undefined) return false;
    const uid = firstUid(u);
    if (f.user !== undefined && u !== f.user && uid !== f.user) return false;
    if (
      f.userPrefix !== undefined &&
      !u.startsWith(f.userPrefix) &&
      !(uid?.startsWith(f.userPrefix) ?? false)
    ) {
      return false;
    }
  }
  if (f.sessionId !== undefined && p.sessionId !== f.sessionId) return false;
  if (f.resource !== undefined) {
    if (p.log !== 'business') return false;
    if (!p.resource.toLowerCase().includes(f.resource.toLowerCase())) return false;
  }
  return true;
}

// ---- Entry IDs and cursors ----------------------------------------------------------------

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64url');
const unb64 = (s: string): string | undefined =>
  /^[A-Za-z0-9_-]*$/.test(s) ? Buffer.from(s, 'base64url').toString('utf8') : undefined;

const FILE_ID = /^\d{1,20}:\d{1,20}$/;

function entryId(log: LogKind, fileId: string, offset: number): string {
  return b64(`${log}|${fileId}|${offset}`);
}

function parseEntryId(id: string): { log: LogKind; fileId: string; offset: number } | undefined {
  if (id.length > 200) return undefined;
  const parts = unb64(id)?.split('|');
  if (parts?.length !== 3) return undefined;
  const [log, fileId, offset] = parts as [string, string, string];
  if (!(LOG_KINDS as readonly string[]).includes(log) || !FILE_ID.test(fileId)) return undefined;
  if (!/^\d{1,15}$/.test(offset)) return undefined;
  return { log: log as LogKind, fileId, offset: Number(offset) };
}

/** A stream's place: a line boundary in a file, or the end of the stream. */
type Position = { readonly fileId: string; readonly offset: number } | 'done';

interface CursorState {
  readonly query: string;
  /** Each selected log's place; undefined: not read yet (start at its beginning). */
  readonly positions: ReadonlyMap<LogKind, Position | undefined>;
}

/** A digest of what a cursor is valid for: the order and the filter. */
function queryKey(order: QueryOrder, f: AccessLogFilter): string {
  const canonical = JSON.stringify([
    order,
    [...(f.logs ?? LOG_KINDS)].sort(),
    f.from?.getTime() ?? null,
    f.to?.getTime() ?? null,
    f.user ?? null,
    f.userPrefix ?? null,
    f.outcome ?? null,
    f.sessionId ?? null,
    f.resource ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
}

function encodeCursor(state: CursorState): string {
  const p: Record<string, string | 0 | 1> = {};
  for (const [k, pos] of state.positions) {
    p[k] = pos === undefined ? 1 : pos === 'done' ? 0 : `${pos.fileId}@${pos.offset}`;
  }
  return b64(JSON.stringify({ v: 1, q: state.query, p }));
}

function badCursor(why: string): LogError {
  return new LogError('LOG_CURSOR_INVALID', `the cursor is not valid: ${why}`);
}

/** Parses a cursor (outside input) strictly. */
function decodeCursor(text: string, query: string, logs: readonly LogKind[]): CursorState {
  if (text.length === 0 || text.length > MAX_CURSOR_LENGTH) throw badCursor('bad length');
  let json: unknown;
  try {
    json = JSON.parse(unb64(text) ?? '');
  } catch {
    throw badCursor('not a cursor');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw badCursor('not a cursor');
  }
  const o = json as Record<string, unknown>;
  if (o['v'] !== 1 || typeof o['q'] !== 'string' || typeof o['p'] !== 'object' || !o['p']) {
    throw badCursor('not a cursor');
  }
  if (o['q'] !== query) {
    throw badCursor('it belongs to another query (give the same filters and order)');
  }
  const positions = new Map<LogKind, Position | undefined>();
  for (const [k, v] of Object.entries(o['p'] as Record<string, unknown>)) {
    if (!(logs as readonly string[]).includes(k)) throw badCursor(`unexpected log ${k}`);
    if (v === 0 || v === 1) {
      positions.set(k as LogKind, v === 0 ? 'done' : undefined);
      continue;
    }
    const m = typeof v === 'string' ? /^(\d{1,20}:\d{1,20})@(\d{1,15})$/.exec(v) : null;
    if (m === null) throw badCursor(`bad position of ${k}`);
    positions.set(k as LogKind, { fileId: m[1]!, offset: Number(m[2]) });
  }
  return { query, positions };
}

// ---- One log as a stream ------------------------------------------------------------------

/** Counts bytes read through a source, and stops reading past a budget. */
class Budget {
  bytes = 0;
  readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
  get exhausted(): boolean {
    return this.bytes >= this.max;
  }
  wrap(f: OpenedFile): OpenedFile {
    return {
      size: f.size,
      read: async (position, length) => {
        const b = await f.read(position, length);
        this.bytes += b.length;
        return b;
      },
      close: () => f.close(),
    };
  }
}

interface Counters {
  malformed: number;
  readonly samples: MalformedLine[];
}

interface Found {
  readonly entry: AccessLogEntry;
  /** Where to resume to read this entry again. */
  readonly resume: Position;
}

/**
 * The matching lines of one log in reading order, from a position. Each log is assumed written
 * in time order (one writer appends records as they are made), which lets a time range end a
 * stream early.
 */
class LogStream {
  readonly kind: LogKind;
  readonly #dir: string;
  readonly #order: QueryOrder;
  readonly #filter: AccessLogFilter;
  readonly #source: ByteSource;
  readonly #budget: Budget;
  readonly #counters: Counters;
  #files: LogFile[] | undefined;
  #index = 0;
  #file:
    { id: string; path: string; handle: OpenedFile; lines: AsyncGenerator<RawLine> } | undefined;
  /** The boundary after the last line examined (or where reading starts). */
  #at: Position | undefined;

  constructor(
    kind: LogKind,
    o: {
      dir: string;
      order: QueryOrder;
      filter: AccessLogFilter;
      source: ByteSource;
      budget: Budget;
      counters: Counters;
      start: Position | undefined;
    },
  ) {
    this.kind = kind;
    this.#dir = o.dir;
    this.#order = o.order;
    this.#filter = o.filter;
    this.#source = o.source;
    this.#budget = o.budget;
    this.#counters = o.counters;
    this.#at = o.start;
  }

  /** Where to resume after the lines examined so far (undefined: from the beginning). */
  get position(): Position | undefined {
    return this.#at;
  }

  async close(): Promise<void> {
    const f = this.#file;
    this.#file = undefined;
    if (f !== undefined) {
      await f.lines.return(undefined);
      await f.handle.close();
    }
  }

  /** Opens the file to read next; false at the end of the stream. */
  async #openNext(): Promise<boolean> {
    await this.close();
    if (this.#files === undefined) {
      const files = await listLogFiles(this.#dir, this.kind);
      if (this.#order === 'oldest') files.reverse();
      this.#files = files;
      const start = this.#at;
      if (start === 'done') return false;
      if (start !== undefined) {
        const i = files.findIndex((f) => f.id === start.fileId);
        // The file of the cursor is gone (a rotation deleted it): older lines are gone too;
        // newest-first has nothing left, oldest-first goes on with the oldest file there is.
        if (i < 0 && this.#order === 'newest') return false;
        this.#index = Math.max(i, 0);
        if (i >= 0) return this.#open(files[i]!, start.offset);
      }
    } else {
      this.#index++;
    }
    const next = this.#files[this.#index];
    if (next === undefined) return false;
    return this.#open(next, undefined);
  }

  async #open(f: LogFile, offset: number | undefined): Promise<boolean> {
    const opened = await this.#source.open(f.path);
    if (opened === undefined) return this.#openNext(); // renamed or deleted meanwhile
    const handle = this.#budget.wrap(opened);
    const boundary = offset ?? (this.#order === 'newest' ? handle.size : 0);
    this.#at = { fileId: f.id, offset: boundary };
    const lines =
      this.#order === 'newest'
        ? linesBackward(handle, Math.min(boundary, handle.size))
        : linesForward(handle, boundary);
    this.#file = { id: f.id, path: f.path, handle, lines };
    return true;
  }

  /**
   * The next matching entry; undefined at the end of the stream; `'budget'` when the scan budget
   * ran out first.
   */
  async next(): Promise<Found | undefined | 'budget'> {
    const newest = this.#order === 'newest';
    const { from, to } = this.#filter;
    for (;;) {
      if (this.#at === 'done') return undefined;
      if (this.#budget.exhausted) return 'budget';
      if (this.#file === undefined && !(await this.#openNext())) {
        this.#at = 'done';
        return undefined;
      }
      const f = this.#file!;
      const r = await f.lines.next();
      if (r.done === true) {
        if (!(await this.#openNext())) {
          this.#at = 'done';
          return undefined;
        }
        continue;
      }
      const line = r.value;
      this.#at = { fileId: f.id, offset: newest ? line.start : line.end };
      const parsed = line.text === undefined ? undefined : parseAccessLine(line.text, this.kind);
      if (parsed === undefined) {
        this.#counters.malformed++;
        if (this.#counters.samples.length < MAX_MALFORMED_SAMPLES) {
          this.#counters.samples.push({ file: f.path, offset: line.start });
        }
        continue;
      }
      const t = parsed.time.getTime();
      if (from !== undefined && t < from.getTime()) {
        if (newest) {
          this.#at = 'done';
          await this.close();
          return undefined;
        }
        continue;
      }
      if (to !== undefined && t >= to.getTime()) {
        if (!newest) {
          this.#at = 'done';
          await this.close();
          return undefined;
        }
        continue;
      }
      if (!matchesFilter(parsed, this.#filter)) continue;
      return {
        entry: {
          ...parsed,
          id: entryId(this.kind, f.id, line.start),
          result: `${parsed.token} ${parsed.outcome}.`,
        },
        resume: { fileId: f.id, offset: newest ? line.end : line.start },
      };
    }
  }
}

function checkLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_QUERY_LIMIT) {
    throw invalid(`limit must be an integer 1–${MAX_QUERY_LIMIT}`);
  }
}

/**
 * One page of the access logs, newest or oldest first, merged across the selected logs by time
 * (ties in the order of {@link LOG_KINDS}). Pass `nextCursor` back with the same filter and
 * order for the next page; a cursor survives rotations (it names files by inode), and lines
 * appended since are seen by oldest-first paging until a log has been read to its end (the
 * last page of a query has no cursor). Throws `LOG_QUERY_INVALID` and
 * `LOG_CURSOR_INVALID` ({@link LogError}); a missing log directory is an empty result.
 *
 * O(bytes read) time, O(64 KiB × logs + page) memory; see the module comment.
 */
export async function queryAccessLogs(o: QueryOptions): Promise<QueryPage> {
  const filter = o.filter ?? {};
  checkFilter(filter);
  const order = o.order ?? 'newest';
  if (!(QUERY_ORDERS as readonly string[]).includes(order)) throw invalid('unknown order');
  const limit = o.limit ?? DEFAULT_QUERY_LIMIT;
  checkLimit(limit);
  const maxScan = o.maxScanBytes ?? DEFAULT_MAX_SCAN_BYTES;
  if (!Number.isSafeInteger(maxScan) || maxScan < 1) throw invalid('maxScanBytes must be ≥ 1');
  const logs = LOG_KINDS.filter((k) => filter.logs === undefined || filter.logs.includes(k));
  const query = queryKey(order, filter);
  const state = o.cursor === undefined ? undefined : decodeCursor(o.cursor, query, logs);

  const budget = new Budget(maxScan);
  const counters: Counters = { malformed: 0, samples: [] };
  const streams = logs.map(
    (kind) =>
      new LogStream(kind, {
        dir: o.dir,
        order,
        filter,
        source: o.source ?? FILE_SYSTEM,
        budget,
        counters,
        // A log the cursor does not mention was finished before it was made.
        start:
          state === undefined
            ? undefined
            : state.positions.has(kind)
              ? state.positions.get(kind)
              : 'done',
      }),
  );
  const heads = new Map<LogStream, Found>();
  const entries: AccessLogEntry[] = [];
  let scanLimited = false;
  try {
    fill: while (entries.length < limit) {
      for (const s of streams) {
        if (heads.has(s)) continue;
        const n = await s.next();
        if (n === 'budget') {
          scanLimited = true;
          break fill;
        }
        if (n !== undefined) heads.set(s, n);
      }
      let best: [LogStream, Found] | undefined;
      for (const s of streams) {
        const h = heads.get(s);
        if (h === undefined) continue;
        const t = h.entry.time.getTime();
        const bt = best?.[1].entry.time.getTime();
        if (bt === undefined || (order === 'newest' ? t > bt : t < bt)) best = [s, h];
      }
      if (best === undefined) break;
      entries.push(best[1].entry);
      heads.delete(best[0]);
    }
  } finally {
    await Promise.all(streams.map((s) => s.close()));
  }
  const positions = new Map<LogKind, Position | undefined>();
  let more = false;
  for (const s of streams) {
    // A stream never read (the scan budget ran out first) keeps `undefined`: from its start.
    const p = heads.get(s)?.resume ?? s.position;
    positions.set(s.kind, p);
    if (p !== 'done') more = true;
  }
  return {
    entries,
    nextCursor: more ? encodeCursor({ query, positions }) : undefined,
    malformed: counters.malformed,
    malformedSamples: counters.samples,
    bytesRead: budget.bytes,
    scanLimited,
  };
}

/** One entry with the line as written in the file (escaped). */
export type AccessLogLine = AccessLogEntry & {
  readonly line: string;
  readonly file: string;
  readonly offset: number;
};

/**
 * The line an entry ID names, parsed, with its text as written. Throws `LOG_ENTRY_NOT_FOUND`
 * when the ID is malformed, its file is gone (deleted by a rotation) or the offset is not the
 * start of a well-formed line. O(files of the log + one line).
 */
export async function readAccessLogEntry(
  dir: string,
  id: string,
  source: ByteSource = FILE_SYSTEM,
): Promise<AccessLogLine> {
  const notFound = (): LogError =>
    new LogError('LOG_ENTRY_NOT_FOUND', 'no access-log line has this entry ID');
  const ref = parseEntryId(id);
  if (ref === undefined) throw notFound();
  const file = (await listLogFiles(dir, ref.log)).find((f) => f.id === ref.fileId);
  if (file === undefined) throw notFound();
  const handle = await source.open(file.path);
  if (handle === undefined) throw notFound();
  try {
    if (ref.offset >= handle.size) throw notFound();
    if (ref.offset > 0) {
      const before = await handle.read(ref.offset - 1, 1);
      if (before[0] !== 0x0a) throw notFound();
    }
    const lines = linesForward(handle, ref.offset);
    const first = await lines.next();
    await lines.return(undefined);
    const text = first.done === true ? undefined : first.value.text;
    const parsed = text === undefined ? undefined : parseAccessLine(text, ref.log);
    if (parsed === undefined || text === undefined) throw notFound();
    return {
      ...parsed,
      id,
      result: `${parsed.token} ${parsed.outcome}.`,
      line: text,
      file: file.path,
      offset: ref.offset,
    };
  } finally {
    await handle.close();
  }
}
