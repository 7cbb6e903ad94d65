/**
 * Event log: the list with the filters of `lseventlog` (alert, message, monitoring, fixed,
 * order, count), the detail of one event with its sense data, meaning and user action in the
 * operator's language, and the fix (`cheventlog -fix`).
 */
import { formatDateTime } from '../format.ts';
import { dataTable } from '../table.ts';
import { html, type SafeHtml } from '../html.ts';
import {
  afterCommand,
  type ConsoleRequest,
  type ConsoleResponse,
  type ConsoleRoute,
} from '../page.ts';

interface EventRow {
  readonly sequence_number: number;
  readonly last_timestamp: string;
  readonly object_type: string;
  readonly object_name: string;
  readonly status: string;
  readonly fixed: string;
  readonly event_id: string;
  readonly error_code: number;
  readonly description: string;
}
const isRow = (x: unknown): x is EventRow =>
  typeof x === 'object' &&
  x !== null &&
  typeof (x as { sequence_number?: unknown }).sequence_number === 'number';

const FILTERS = ['alert', 'message', 'monitoring', 'fixed'] as const;

/** `lseventlog` timestamps are YYMMDDHHMMSS in the server's local time: shown as they are. */
function eventTime(r: ConsoleRequest, ts: string, epoch: string | undefined): string {
  if (epoch !== undefined && /^\d+$/.test(epoch))
    return formatDateTime(new Date(Number(epoch) * 1000), r.tz, r.lang);
  return ts;
}

/** A concise-view timestamp (YYMMDDHHMMSS, the server's local time) in the operator's zone. */
function listTime(r: ConsoleRequest, ts: string): string {
  const m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(ts);
  if (m === null) return ts;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return formatDateTime(new Date(2000 + y, mo - 1, d, h, mi, s), r.tz, r.lang);
}

function fixForm(r: ConsoleRequest, seq: number | string, back: string): SafeHtml {
  return html`<form method="post" action="/console/events/fix" class="inline">
    <input type="hidden" name="csrf" value="${r.csrf}" /><input
      type="hidden"
      name="seq"
      value="${String(seq)}"
    /><input type="hidden" name="back" value="${back}" /><button
      type="submit"
      aria-label="${r.t('fixEvent', { seq })}"
    >
      ${r.t('fix')}
    </button>
  </form>`;
}

async function listPage(r: ConsoleRequest): Promise<ConsoleResponse> {
  const params: Record<string, string | undefined> = {};
  for (const f of FILTERS) {
    const v = r.query(f);
    params[f] = v === 'yes' || v === 'no' ? v : undefined;
  }
  const order = r.query('order');
  params['order'] = order === 'severity' ? 'severity' : undefined;
  const count = r.query('count') ?? '100';
  params['count'] = /^\d{1,5}$/.test(count) ? count : '100';
  const out = await r.run('lseventlog', params);
  const rows = out.ok && Array.isArray(out.data) ? (out.data as unknown[]).filter(isRow) : [];
  const select = (name: (typeof FILTERS)[number], label: SafeHtml | string): SafeHtml =>
    html`<label for="e-${name}"
      >${label}<select id="e-${name}" name="${name}">
        <option value="">${r.t('any')}</option>
        <option value="yes" ${params[name] === 'yes' ? html` selected` : ''}>${r.t('yes')}</option>
        <option value="no" ${params[name] === 'no' ? html` selected` : ''}>${r.t('no')}</option>
      </select></label
    >`;
  return {
    kind: 'page',
    section: 'events',
    title: r.t('eventsTitle'),
    body: html`${out.ok ? '' : html`<p class="flash error" role="alert">${out.message}</p>`}
      <form method="get" action="/console/events" class="row">
        ${select('alert', r.t('alert'))}${select('message', r.t('message'))}${select('monitoring', r.t('monitoring'))}${select('fixed', r.t('fixed'))}
        <label for="e-order"
          >${r.t('order')}<select id="e-order" name="order">
            <option value="date">${r.t('orderDate')}</option>
            <option value="severity" ${order === 'severity' ? html` selected` : ''}>
              ${r.t('orderSeverity')}
            </option>
          </select></label
        >
        <label for="e-count"
          >${r.t('count')}<input
            id="e-count"
            name="count"
            value="${params['count']}"
            inputmode="numeric"
            size="5"
        /></label>
        <button type="submit">${r.t('filter')}</button>
      </form>
      ${dataTable({
        caption: r.t('eventsTitle'),
        headers: [
          r.t('sequenceNumber'),
          r.t('lastTime'),
          r.t('object'),
          r.t('status'),
          r.t('fixed'),
          r.t('eventId'),
          r.t('errorCode'),
          r.t('description'),
        ],
        actions: r.t('actions'),
        rows: rows.map(
          (e) =>
            html`<tr>
              <td>
                <a href="/console/event?seq=${e.sequence_number}">${e.sequence_number}</a>
              </td>
              <td>${listTime(r, e.last_timestamp)}</td>
              <td>${e.object_type} ${e.object_name}</td>
              <td>
                ${html`<span class="badge ${e.status === 'alert' ? 'alert' : 'neutral'}">${e.status}</span>`}
              </td>
              <td>${e.fixed === 'yes' ? r.t('yes') : r.t('no')}</td>
              <td>${e.event_id}</td>
              <td>${e.error_code}</td>
              <td>${e.description}</td>
              <td>${e.fixed === 'yes' ? '' : fixForm(r, e.sequence_number, '/console/events')}</td>
            </tr>`,
        ),
        empty: r.t('noEvents'),
      })}`,
  };
}

async function detailPage(r: ConsoleRequest): Promise<ConsoleResponse> {
  const seq = r.query('seq') ?? '';
  const out = await r.run('lseventlog', { object: seq });
  if (!out.ok) return afterCommand(out, '/console/events', '');
  const d = new Map(Object.entries(out.data as Record<string, string>));
  const names = [
    'sequence_number', 'object_type', 'object_id', 'object_name', 'copy_id', 'reporting_node_id',
    'reporting_node_name', 'event_count', 'status', 'fixed', 'auto_fixed', 'notification_type',
    'event_id', 'event_id_text', 'error_code', 'error_code_text',
  ]; // prettier-ignore
  const sense = [...d].filter(([k]) => /^sense\d+$/.test(k));
  return {
    kind: 'page',
    section: 'events',
    title: r.t('eventTitle', { seq }),
    body: html`<dl class="detail" data-times>
        <dt>${r.t('firstTime')}</dt>
        <dd>${eventTime(r, d.get('first_timestamp') ?? '', d.get('first_timestamp_epoch'))}</dd>
        <dt>${r.t('lastTime')}</dt>
        <dd>${eventTime(r, d.get('last_timestamp') ?? '', d.get('last_timestamp_epoch'))}</dd>
        ${
          d.get('fixed_timestamp')
            ? html`<dt>${r.t('fixedTime')}</dt>
                <dd>
                  ${eventTime(r, d.get('fixed_timestamp') ?? '', d.get('fixed_timestamp_epoch'))}
                </dd>`
            : ''
        }
        ${names.map(
          (n) =>
            html`<dt>${n}</dt>
              <dd>${d.get(n) ?? ''}</dd>`,
        )}
      </dl>
      ${d.get('fixed') === 'yes' ? '' : html`<div class="actions">${fixForm(r, seq, `/console/event?seq=${seq}`)}</div>`}
      <h2>${r.t('senseData')}</h2>
      <pre>${sense.map(([k, v]) => `${k} ${v}\n`).join('')}</pre>
      <h2>${r.t('meaning')}</h2>
      <pre class="text">${d.get('meaning') ?? ''}</pre>
      <h2>${r.t('userAction')}</h2>
      <pre class="text">${d.get('user_action') ?? ''}</pre>
      <h2>${r.t('explanation')}</h2>
      <pre class="text">${d.get('explanation') ?? ''}</pre>`,
  };
}

export function eventRoutes(): ConsoleRoute[] {
  return [
    { method: 'GET', path: 'events', handle: listPage },
    { method: 'GET', path: 'event', handle: detailPage },
    {
      method: 'POST',
      path: 'events/fix',
      form: { fields: { seq: 16, back: 256 }, maxBytes: 1024 },
      handle: async (r) => {
        const seq = r.form.get('seq') ?? '';
        const back = r.form.get('back') ?? '';
        const to = /^\/console\/events?(\?seq=\d{1,10})?$/.test(back) ? back : '/console/events';
        const out = await r.run('cheventlog', { fix: seq });
        return afterCommand(out, to, r.t('eventFixed', { seq }));
      },
    },
  ];
}
