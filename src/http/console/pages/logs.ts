/**
 * Access logs: the four access logs filtered by a GET form (time range in the operator's zone,
 * logs, user, result, session ID, resource text), a page at a time with the command's opaque
 * cursor, one line in detail, and above the table the sign-on chart of the range. Commands:
 * `lsaccesslog`, `lsaccesslog ENTRY_ID`, `lsaccessstats -chart bar`.
 *
 * Filter input the command refuses (a bad time, -from after -to, a cursor of another query)
 * comes back as the command's message on a 400 page, with the form to correct it.
 */
import { LOG_KINDS } from '../../../logs/index.ts';
import { formatDateTime, parseLocalDateTime, toIsoInZone } from '../format.ts';
import { html, trustedHtml, type SafeHtml } from '../html.ts';
import type { CommandOutcome, ConsoleRequest, ConsoleResponse, ConsoleRoute } from '../page.ts';

/** Lines per page unless the operator asks for another count (1-1000). */
export const LOG_LINES_PER_PAGE = 50;

/** The chart's range when the form gives neither end: the last 24 hours. */
const DEFAULT_RANGE_MS = 24 * 3_600_000;

const RESULTS = ['succeeded', 'failed'] as const;

interface LogRow {
  readonly id: string;
  readonly time: string;
  readonly log: string;
  readonly result: string;
  readonly outcome: string;
  readonly supplementary: string | null;
  readonly user: string | null;
  readonly client: string | null;
  readonly session_id: string | null;
  readonly resource: string | null;
}

const isRow = (x: unknown): x is LogRow =>
  typeof x === 'object' &&
  x !== null &&
  typeof (x as { id?: unknown }).id === 'string' &&
  typeof (x as { time?: unknown }).time === 'string';

/** The form's values as the operator sent them (shown back in the form). */
interface Filters {
  readonly from: string;
  readonly to: string;
  readonly logs: readonly string[];
  readonly user: string;
  readonly result: string;
  readonly session: string;
  readonly resource: string;
  readonly limit: string;
}

function filtersOf(r: ConsoleRequest): Filters {
  const q = (name: string): string => (r.query(name) ?? '').trim();
  return {
    from: q('from'),
    to: q('to'),
    logs: r.queryAll('log').filter((l) => (LOG_KINDS as readonly string[]).includes(l)),
    user: q('user'),
    result: q('result'),
    session: q('session'),
    resource: q('resource'),
    limit: q('limit'),
  };
}

/**
 * A `datetime-local` value in the operator's zone as ISO 8601 with that zone's offset. Anything
 * else goes to the command as written: an ISO time with an offset is taken, the rest refused
 * with the command's own usage message.
 */
function instant(value: string, tz: string): string | undefined {
  if (value === '') return undefined;
  const d = parseLocalDateTime(value, tz);
  return d === undefined ? value : toIsoInZone(d, tz);
}

/** The URL of the page with these filters (and a cursor). */
function pageUrl(f: Filters, cursor?: string): string {
  const p = new URLSearchParams();
  for (const [k, v] of [
    ['from', f.from],
    ['to', f.to],
    ['user', f.user],
    ['result', f.result],
    ['session', f.session],
    ['resource', f.resource],
    ['limit', f.limit],
  ] as const)
    if (v !== '') p.set(k, v);
  for (const l of f.logs) p.append('log', l);
  if (cursor !== undefined) p.set('cursor', cursor);
  const s = p.toString();
  return s === '' ? '/console/logs' : `/console/logs?${s}`;
}

/**
 * The chart of `lsaccessstats -chart`: SVG that src/shared/svg-chart.ts generated in this
 * process with every text XML-escaped and no script, so it is the one markup from a command
 * that the page takes as it is — and only when it is an SVG document of that renderer.
 */
function chartOf(out: CommandOutcome): SafeHtml | string {
  if (!out.ok) return html`<p class="flash error" role="alert">${out.message}</p>`;
  const svg = (out.data as { svg?: unknown }).svg;
  if (typeof svg !== 'string' || !svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" '))
    return '';
  return html`<figure class="chart">${trustedHtml(svg)}</figure>`;
}

function logLabel(r: ConsoleRequest, log: string): string {
  switch (log) {
    case 'repository':
      return r.t('logRepository');
    case 'authentication':
      return r.t('logAuthentication');
    case 'business':
      return r.t('logBusiness');
    case 'session':
      return r.t('logSession');
    default:
      return log;
  }
}

function filterForm(r: ConsoleRequest, f: Filters): SafeHtml {
  const input = (name: keyof Filters, label: string, extra: SafeHtml | string = ''): SafeHtml =>
    html`<label for="l-${name}"
      >${label}<input id="l-${name}" name="${name}" value="${String(f[name])}" ${extra}
    /></label>`;
  return html`<form method="get" action="/console/logs" class="row" role="search">
    ${input('from', r.t('logsFrom'), html`type="datetime-local" step="1"`)}
    ${input('to', r.t('logsTo'), html`type="datetime-local" step="1"`)}
    <fieldset class="inline-choices">
      <legend>${r.t('logsKinds')}</legend>
      ${LOG_KINDS.map(
        (k) =>
          html`<label
            ><input
              type="checkbox"
              name="log"
              value="${k}"
              ${f.logs.includes(k) ? html`checked` : ''}
            />
            ${logLabel(r, k)}</label
          >`,
      )}
    </fieldset>
    ${input('user', r.t('uid'))}
    <label for="l-result"
      >${r.t('result')}<select id="l-result" name="result">
        <option value="">${r.t('any')}</option>
        ${RESULTS.map(
          (v) =>
            html`<option value="${v}" ${f.result === v ? html`selected` : ''}>
              ${r.t(v === 'succeeded' ? 'resultSucceeded' : 'resultFailed')}
            </option>`,
        )}
      </select></label
    >
    ${input('session', r.t('sessionId'))} ${input('resource', r.t('logsResource'))}
    ${input('limit', r.t('logsPerPage'), html`inputmode="numeric" size="4" placeholder="${String(LOG_LINES_PER_PAGE)}"`)}
    <button type="submit">${r.t('filter')}</button>
  </form>`;
}

function table(r: ConsoleRequest, rows: readonly LogRow[]): SafeHtml {
  return html`<div class="table-wrap" data-times>
    <table class="log-lines">
      <caption class="sr-only">
        ${r.t('logsTitle')}
      </caption>
      <thead>
        <tr>
          <th scope="col">${r.t('time')}</th>
          <th scope="col">${r.t('logsKind')}</th>
          <th scope="col">${r.t('result')}</th>
          <th scope="col">${r.t('uid')}</th>
          <th scope="col">${r.t('client')}</th>
          <th scope="col">${r.t('sessionId')}</th>
          <th scope="col">${r.t('logsResource')}</th>
          <th scope="col"><span class="sr-only">${r.t('detail')}</span></th>
        </tr>
      </thead>
      <tbody>
        ${
          rows.length === 0
            ? html`<tr>
                <td colspan="8">${r.t('noLogLines')}</td>
              </tr>`
            : rows.map(
                (e) =>
                  html`<tr>
                    <td>${formatDateTime(e.time, r.tz, r.lang)}</td>
                    <td>${logLabel(r, e.log)}</td>
                    <td>
                      <span
                        class="badge ${e.outcome === 'failed' ? 'failed' : e.outcome === 'succeeded' ? 'ok' : 'neutral'}"
                        >${e.outcome}</span
                      >
                      ${e.result}${e.supplementary === null ? '' : ` (${e.supplementary})`}
                    </td>
                    <td>${e.user ?? ''}</td>
                    <td>${e.client ?? ''}</td>
                    <td>${e.session_id ?? ''}</td>
                    <td>${e.resource ?? ''}</td>
                    <td>
                      <a href="/console/logs/entry?id=${encodeURIComponent(e.id)}"
                        >${r.t('detail')}</a
                      >
                    </td>
                  </tr>`,
              )
        }
      </tbody>
    </table>
  </div>`;
}

async function listPage(r: ConsoleRequest): Promise<ConsoleResponse> {
  const f = filtersOf(r);
  const cursor = r.query('cursor');
  const from = instant(f.from, r.tz);
  const to = instant(f.to, r.tz);
  const out = await r.run('lsaccesslog', {
    log: f.logs.length === 0 ? undefined : f.logs.join(','),
    from,
    to,
    user: f.user === '' ? undefined : f.user,
    result: f.result === '' ? undefined : f.result,
    session: f.session === '' ? undefined : f.session,
    resource: f.resource === '' ? undefined : f.resource,
    limit: f.limit === '' ? String(LOG_LINES_PER_PAGE) : f.limit,
    cursor: cursor === undefined || cursor === '' ? undefined : cursor,
  });
  const data = out.ok ? (out.data as { entries?: unknown; next_cursor?: unknown }) : {};
  const rows = Array.isArray(data.entries) ? data.entries.filter(isRow) : [];
  const next = typeof data.next_cursor === 'string' ? data.next_cursor : undefined;
  // The chart covers the form's range (24 hours up to its end when it has no start), in the
  // operator's zone so that hours and days start at the operator's midnight.
  let chart: SafeHtml | string = '';
  if (out.ok) {
    // (Now rounded up to the second: lines of this very second are counted.)
    const end = to ?? toIsoInZone(new Date(Date.now() + 999), r.tz);
    const start = from ?? toIsoInZone(new Date(Date.parse(end) - DEFAULT_RANGE_MS), r.tz);
    chart = chartOf(
      await r.run('lsaccessstats', { from: start, to: end, chart: 'bar', lang: r.lang }),
    );
  }
  const warnings = out.ok ? (out.result.warnings ?? []).filter((w) => !w.startsWith('more')) : [];
  return {
    kind: 'page',
    section: 'logs',
    title: r.t('logsTitle'),
    status: out.ok ? 200 : out.code === 'INTERNAL' ? 500 : 400,
    body: html`${out.ok ? '' : html`<p class="flash error" role="alert">${out.message}</p>`}
      ${filterForm(r, f)}
      ${
        out.ok
          ? html`<p class="hint">${r.t('chartHint')}</p>
              ${chart}`
          : ''
      }
      ${warnings.map((w) => html`<p class="flash error" role="status">${w}</p>`)}
      ${out.ok ? table(r, rows) : ''}
      <nav class="pager" aria-label="${r.t('pages')}">
        ${cursor === undefined || cursor === '' ? '' : html`<a href="${pageUrl(f)}">${r.t('firstPage')}</a>`}${next === undefined ? '' : html`<a href="${pageUrl(f, next)}" rel="next">${r.t('nextPage')}</a>`}
      </nav>`,
  };
}

async function entryPage(r: ConsoleRequest): Promise<ConsoleResponse> {
  const id = r.query('id') ?? '';
  const out = await r.run('lsaccesslog', { object: id });
  const back = html`<p><a href="/console/logs">${r.t('logsBack')}</a></p>`;
  if (!out.ok)
    return {
      kind: 'page',
      section: 'logs',
      title: r.t('logLineTitle'),
      status: out.code === 'LOG_ENTRY_NOT_FOUND' ? 404 : out.code === 'INTERNAL' ? 500 : 400,
      body: html`<p class="flash error" role="alert">${out.message}</p>
        ${back}`,
    };
  const d = out.data as Record<string, unknown>;
  const text = (v: unknown): string =>
    typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
  return {
    kind: 'page',
    section: 'logs',
    title: r.t('logLineTitle'),
    body: html`<dl class="detail" data-times>
        <dt>${r.t('time')}</dt>
        <dd>${formatDateTime(text(d['time']), r.tz, r.lang)}</dd>
        ${Object.entries(d)
          .filter(([, v]) => v !== null)
          .map(
            ([k, v]) =>
              html`<dt>${k}</dt>
                <dd>${text(v)}</dd>`,
          )}
      </dl>
      ${back}`,
  };
}

export function logRoutes(): ConsoleRoute[] {
  return [
    { method: 'GET', path: 'logs', handle: listPage },
    { method: 'GET', path: 'logs/entry', handle: entryPage },
  ];
}
