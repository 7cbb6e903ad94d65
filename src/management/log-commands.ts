/**
 * The access-log commands of the administration console's log viewer (docs/cli.md, docs/logs.md
 * "Querying the logs"):
 *
 *   npx sekisho lsaccesslog [-log KINDS] [-from T] [-to T] [-user UID | -userprefix P]
 *                           [-result succeeded|failed] [-session ID] [-resource TEXT]
 *                           [-order newest|oldest] [-limit N] [-cursor C] [-delim C] [-nohdr]
 *   npx sekisho lsaccesslog ENTRY_ID                       (one line in detail)
 *   npx sekisho lsaccessstats [-from T] [-to T] [-bucket minute|hour|day] [-chart bar|line]
 *                             [-lang ja|en] [-delim C] [-nohdr]
 *
 * Times are ISO 8601 with an offset. Over REST, `data` carries the entries or buckets as JSON
 * objects with snake_case keys (the shapes are in docs/rest.md).
 */
import { UsageError } from '../cli/args.ts';
import {
  BUCKET_SIZES,
  LOG_KINDS,
  MAX_CURSOR_LENGTH,
  MAX_FILTER_LENGTH,
  MAX_QUERY_LIMIT,
  QUERY_ORDERS,
  accessStats,
  queryAccessLogs,
  readAccessLogEntry,
  type AccessLogEntry,
  type AccessStats,
  type BucketSize,
} from '../logs/index.ts';
import { formatIsoInstant } from '../shared/iso-time.ts';
import { CHART_KINDS, renderTimeSeriesSvg } from '../shared/svg-chart.ts';
import type { ManagementCommand } from './commands.ts';
import type { Lang, ManagementServices } from './context.ts';
import type { CommandResult } from './output.ts';
import {
  LIST_OPTIONS,
  checkDelim,
  choiceOf,
  choicesOf,
  has,
  instantOf,
  intOf,
  str,
  textOf,
} from './options.ts';

function logDir(services: ManagementServices): string {
  if (services.accessLogDir === undefined) {
    throw new UsageError(
      'the access-log directory is not known here (the configuration could not be read)',
    );
  }
  return services.accessLogDir;
}

/** The JSON form of an entry: every field of every log, null where the log has none. */
export function entryJson(e: AccessLogEntry): Record<string, string | null> {
  const base = {
    id: e.id,
    time: formatIsoInstant(e.time, e.timeZoneOffsetMinutes),
    timestamp: e.timestamp,
    log: e.log,
    result: e.result,
    token: e.token,
    outcome: e.outcome,
    supplementary: e.supplementary ?? null,
    user: null as string | null,
    client: null as string | null,
    session_id: null as string | null,
    resource: null as string | null,
    auth_server: null as string | null,
    business_server: null as string | null,
    repository_server: null as string | null,
    server: null as string | null,
    request_id: null as string | null,
  };
  switch (e.log) {
    case 'repository':
      return {
        ...base,
        user: e.user,
        client: e.client,
        session_id: e.sessionId ?? null,
        auth_server: e.authServer,
      };
    case 'authentication':
      return {
        ...base,
        user: e.user,
        client: e.client,
        session_id: e.sessionId ?? null,
        business_server: e.businessServer,
        repository_server: e.repositoryServer,
      };
    case 'business':
      return {
        ...base,
        user: e.user,
        client: e.client,
        session_id: e.sessionId ?? null,
        resource: e.resource,
        server: e.server ?? null,
        request_id: e.requestId,
      };
    case 'session':
      return { ...base, user: e.userId ?? null, session_id: e.sessionId };
    default: {
      const never: never = e;
      return never;
    }
  }
}

const LIST_HEADERS = [
  'time',
  'log',
  'result',
  'supplementary',
  'user',
  'client',
  'session_id',
  'resource',
  'id',
] as const;

const ENTRY_ID = /^[A-Za-z0-9_-]{1,200}$/;

const lsaccesslog: ManagementCommand = {
  summary: 'list access-log lines (newest first, filtered, a page at a time), or show one line',
  spec: {
    options: {
      ...LIST_OPTIONS,
      log: {
        kind: 'string',
        arg: 'KINDS',
        help: `logs to read, comma-separated: ${LOG_KINDS.join(', ')} (default all)`,
      },
      from: { kind: 'string', arg: 'TIME', help: 'lines at or after TIME (ISO 8601 with offset)' },
      to: { kind: 'string', arg: 'TIME', help: 'lines before TIME (ISO 8601 with offset)' },
      user: { kind: 'string', arg: 'UID', help: 'lines about this user ID or DN' },
      userprefix: {
        kind: 'string',
        arg: 'PREFIX',
        help: 'lines about user IDs or DNs so starting',
      },
      result: { kind: 'string', arg: 'succeeded|failed', help: 'lines of this outcome' },
      session: { kind: 'string', arg: 'SESSIONID', help: 'lines of this session' },
      resource: { kind: 'string', arg: 'TEXT', help: 'business lines whose URL contains TEXT' },
      order: { kind: 'string', arg: 'newest|oldest', help: 'reading order (default newest)' },
      limit: {
        kind: 'string',
        arg: 'N',
        help: `lines in the page, 1-${MAX_QUERY_LIMIT} (default 100)`,
      },
      cursor: { kind: 'string', arg: 'C', help: 'the next page (the cursor a page ended with)' },
    },
    positionals: { names: ['[ENTRY_ID]'], min: 0, max: 1 },
  },
  run: async (a, { services }) => {
    checkDelim(a);
    const dir = logDir(services);
    const id = a.positionals[0];
    if (id !== undefined) {
      if (a.options.size > (str(a, 'delim') === undefined ? 0 : 1)) {
        throw new UsageError('an ENTRY_ID takes no filter');
      }
      if (!ENTRY_ID.test(id)) throw new UsageError('ENTRY_ID is the id column of lsaccesslog');
      const e = await readAccessLogEntry(dir, id);
      const json = entryJson(e);
      const pairs = Object.entries({
        ...json,
        file: e.file,
        offset: String(e.offset),
        line: e.line,
      });
      return {
        output: { kind: 'detail', pairs },
        data: { ...json, file: e.file, offset: e.offset, line: e.line },
      };
    }
    const from = instantOf(a, 'from');
    const to = instantOf(a, 'to');
    if (from !== undefined && to !== undefined && from.time > to.time) {
      throw new UsageError('-from is after -to');
    }
    const user = textOf(a, 'user', MAX_FILTER_LENGTH);
    const userPrefix = textOf(a, 'userprefix', MAX_FILTER_LENGTH);
    if (user !== undefined && userPrefix !== undefined) {
      throw new UsageError('give -user or -userprefix, not both');
    }
    const page = await queryAccessLogs({
      dir,
      filter: {
        logs: choicesOf(a, 'log', LOG_KINDS),
        from: from?.time,
        to: to?.time,
        user,
        userPrefix,
        outcome: choiceOf(a, 'result', ['succeeded', 'failed'] as const),
        sessionId: textOf(a, 'session', MAX_FILTER_LENGTH),
        resource: textOf(a, 'resource', MAX_FILTER_LENGTH),
      },
      order: choiceOf(a, 'order', QUERY_ORDERS),
      limit: intOf(a, 'limit', 1, MAX_QUERY_LIMIT),
      cursor: textOf(a, 'cursor', MAX_CURSOR_LENGTH),
    });
    const rows = page.entries.map((e) => {
      const j = entryJson(e);
      return LIST_HEADERS.map((h) => j[h] ?? '');
    });
    const warnings: string[] = [];
    if (page.malformed > 0) {
      const s = page.malformedSamples[0];
      warnings.push(
        `${page.malformed} line${page.malformed === 1 ? '' : 's'} could not be parsed` +
          (s === undefined ? '' : ` (the first in ${s.file} at byte ${s.offset})`),
      );
    }
    if (page.scanLimited) {
      warnings.push(`stopped after reading ${page.bytesRead} bytes; the page may be short`);
    }
    if (page.nextCursor !== undefined) {
      warnings.push(`more lines: add -cursor ${page.nextCursor}`);
    }
    return {
      output: { kind: 'table', headers: LIST_HEADERS, rows },
      warnings,
      data: {
        entries: page.entries.map(entryJson),
        next_cursor: page.nextCursor ?? null,
        malformed: page.malformed,
        malformed_samples: page.malformedSamples,
        bytes_read: page.bytesRead,
        scan_limited: page.scanLimited,
      },
    };
  },
};

/** Texts of the chart in both languages. */
const CHART_TEXTS = {
  en: {
    signOn: { title: 'Sign-ons', ok: 'succeeded', ng: 'failed' },
    authorization: 'authorization failed',
    x: (b: BucketSize, offset: string) => `time (${b}, UTC${offset})`,
    y: 'count',
    desc: (from: string, to: string) =>
      `Sign-ons succeeded and failed, and authorizations refused, from ${from} to ${to}.`,
  },
  ja: {
    signOn: { title: 'サインオン', ok: '成功', ng: '失敗' },
    authorization: '認可失敗',
    x: (b: BucketSize, offset: string) =>
      `時刻(${b === 'minute' ? '分' : b === 'hour' ? '時間' : '日'}単位, UTC${offset})`,
    y: '件数',
    desc: (from: string, to: string) =>
      `${from} から ${to} までのサインオンの成功・失敗と、認可の失敗の件数。`,
  },
} as const satisfies Record<Lang, unknown>;

/** The bucket label: `HH:MM` within a day, `MM-DD HH:MM` across days, `YYYY-MM-DD` for days. */
function bucketLabel(start: Date, bucket: BucketSize, offset: number, multiDay: boolean): string {
  const iso = formatIsoInstant(start, offset);
  if (bucket === 'day') return iso.slice(0, 10);
  return multiDay ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
}

function chartOf(s: AccessStats, kind: 'bar' | 'line', lang: Lang): string {
  const t = CHART_TEXTS[lang];
  const offset = formatIsoInstant(new Date(0), s.offsetMinutes).slice(19);
  const multiDay = s.to.getTime() - s.from.getTime() > BUCKET_SIZES.day;
  return renderTimeSeriesSvg({
    title: t.signOn.title,
    description: t.desc(
      formatIsoInstant(s.from, s.offsetMinutes),
      formatIsoInstant(s.to, s.offsetMinutes),
    ),
    labels: s.buckets.map((b) => bucketLabel(b.start, s.bucket, s.offsetMinutes, multiDay)),
    series: [
      { name: t.signOn.ok, values: s.buckets.map((b) => b.signOnSucceeded) },
      { name: t.signOn.ng, values: s.buckets.map((b) => b.signOnFailed) },
      { name: t.authorization, values: s.buckets.map((b) => b.authorizationFailed) },
    ],
    xAxisLabel: t.x(s.bucket, offset === 'Z' ? '' : offset),
    yAxisLabel: t.y,
    kind,
    lang,
    idPrefix: 'sekisho-access-chart',
  });
}

const STATS_HEADERS = [
  'start',
  'signon_succeeded',
  'signon_failed',
  'authorization_succeeded',
  'authorization_failed',
] as const;

/** Default range of lsaccessstats: the last 24 hours. */
const DEFAULT_STATS_RANGE_MS = 24 * 3_600_000;

const lsaccessstats: ManagementCommand = {
  summary: 'count sign-ons and authorizations per minute, hour or day (for charts)',
  spec: {
    options: {
      ...LIST_OPTIONS,
      from: {
        kind: 'string',
        arg: 'TIME',
        help: 'start (ISO 8601 with offset; default to - 24 h)',
      },
      to: {
        kind: 'string',
        arg: 'TIME',
        help: 'end, exclusive (ISO 8601 with offset; default now)',
      },
      bucket: {
        kind: 'string',
        arg: 'minute|hour|day',
        help: 'bucket width (default: minutes up to 2 h, hours up to 3 days, days beyond)',
      },
      chart: { kind: 'string', arg: 'bar|line', help: 'print an SVG chart instead of the table' },
      lang: { kind: 'string', arg: 'ja|en', help: 'language of the chart (default from LANG)' },
    },
  },
  run: async (a, ctx): Promise<CommandResult> => {
    checkDelim(a);
    const dir = logDir(ctx.services);
    const fromArg = instantOf(a, 'from');
    const toArg = instantOf(a, 'to');
    const to = toArg?.time ?? new Date();
    const from = fromArg?.time ?? new Date(to.getTime() - DEFAULT_STATS_RANGE_MS);
    if (from >= to) throw new UsageError('-from must be before -to');
    // Buckets align to the offset the operator wrote (days start at their midnight).
    const offsetMinutes =
      fromArg?.offsetMinutes ?? toArg?.offsetMinutes ?? -new Date().getTimezoneOffset();
    const bucket = choiceOf(a, 'bucket', Object.keys(BUCKET_SIZES) as BucketSize[]);
    const chart = choiceOf(a, 'chart', CHART_KINDS);
    const lang = choiceOf(a, 'lang', ['ja', 'en'] as const) ?? ctx.lang;
    if (chart === undefined && str(a, 'lang') !== undefined) {
      throw new UsageError('-lang chooses the language of -chart');
    }
    if (chart !== undefined && (str(a, 'delim') !== undefined || has(a, 'nohdr'))) {
      throw new UsageError('-chart prints SVG, not a table: -delim and -nohdr do not apply');
    }
    const s = await accessStats({ dir, from, to, bucket, offsetMinutes });
    const size = BUCKET_SIZES[s.bucket];
    const buckets = s.buckets.map((b) => ({
      start: formatIsoInstant(b.start, s.offsetMinutes),
      end: formatIsoInstant(new Date(b.start.getTime() + size), s.offsetMinutes),
      signon_succeeded: b.signOnSucceeded,
      signon_failed: b.signOnFailed,
      authorization_succeeded: b.authorizationSucceeded,
      authorization_failed: b.authorizationFailed,
    }));
    const svg = chart === undefined ? undefined : chartOf(s, chart, lang);
    const warnings: string[] = [];
    if (!s.complete) warnings.push('the logs are too large to count in one call; counts are short');
    if (s.malformed > 0) warnings.push(`${s.malformed} lines could not be parsed`);
    return {
      output:
        svg === undefined
          ? {
              kind: 'table',
              headers: STATS_HEADERS,
              rows: buckets.map((b) => STATS_HEADERS.map((h) => b[h])),
            }
          : { kind: 'text', text: svg + '\n' },
      warnings,
      data: {
        from: formatIsoInstant(s.from, s.offsetMinutes),
        to: formatIsoInstant(s.to, s.offsetMinutes),
        bucket: s.bucket,
        offset_minutes: s.offsetMinutes,
        buckets,
        malformed: s.malformed,
        bytes_read: s.bytesRead,
        complete: s.complete,
        ...(svg === undefined ? {} : { svg }),
      },
    };
  },
};

export const LOG_COMMANDS: Record<string, ManagementCommand> = { lsaccesslog, lsaccessstats };
