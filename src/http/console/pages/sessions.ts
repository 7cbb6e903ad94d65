/**
 * Sessions: the live session-management sessions with user, client, age and idle time, a page
 * at a time; forced sign-off of one session or of every session of a user. Commands:
 * lssession, ssosignoff.
 */
import { formatDateTime, formatDuration } from '../format.ts';
import { dataTable } from '../table.ts';
import { html } from '../html.ts';
import {
  afterCommand,
  type ConsoleRequest,
  type ConsoleResponse,
  type ConsoleRoute,
} from '../page.ts';

export const SESSIONS_PER_PAGE = 50;

interface SessionRow {
  readonly session_id: string;
  readonly uid: string;
  readonly client: string | null;
  readonly state: string;
  readonly created: string;
  readonly age_seconds: number;
  readonly idle_seconds: number;
}

const isRow = (x: unknown): x is SessionRow =>
  typeof x === 'object' &&
  x !== null &&
  typeof (x as { session_id?: unknown }).session_id === 'string';

async function listPage(r: ConsoleRequest): Promise<ConsoleResponse> {
  const u = (r.query('u') ?? '').trim();
  const cursor = r.query('cursor');
  const out = await r.run(
    'lssession',
    u !== ''
      ? { u }
      : { count: String(SESSIONS_PER_PAGE), cursor: cursor === '' ? undefined : cursor },
  );
  const data = out.ok ? (out.data as { sessions?: unknown; next_cursor?: unknown }) : {};
  const rows = Array.isArray(data.sessions) ? data.sessions.filter(isRow) : [];
  const next = typeof data.next_cursor === 'string' ? data.next_cursor : undefined;
  const csrf = html`<input type="hidden" name="csrf" value="${r.csrf}" />`;
  return {
    kind: 'page',
    section: 'sessions',
    title: r.t('sessionsTitle'),
    body: html`${out.ok ? '' : html`<p class="flash error" role="alert">${out.message}</p>`}
      <form method="get" action="/console/sessions" class="row" role="search">
        <label for="u">${r.t('uid')}<input id="u" name="u" value="${u}" type="search" /></label>
        <button type="submit">${r.t('search')}</button>
      </form>
      ${dataTable({
        caption: r.t('sessionsTitle'),
        headers: [
          r.t('uid'),
          r.t('client'),
          r.t('signedOnAt'),
          r.t('age'),
          r.t('idle'),
          r.t('state'),
        ],
        actions: r.t('actions'),
        rows: rows.map(
          (s) =>
            html`<tr>
              <td>
                <a href="/console/user?uid=${encodeURIComponent(s.uid)}">${s.uid}</a>
              </td>
              <td>${s.client ?? '—'}</td>
              <td>${formatDateTime(s.created, r.tz, r.lang)}</td>
              <td class="num">${formatDuration(s.age_seconds, r.lang)}</td>
              <td class="num">${formatDuration(s.idle_seconds, r.lang)}</td>
              <td>${s.state === 'active' ? r.t('stateActive') : r.t('statePending')}</td>
              <td>
                <form method="post" action="/console/sessions/signoff" class="inline">
                  ${csrf}<input type="hidden" name="sid" value="${s.session_id}" /><button
                    type="submit"
                    class="secondary"
                    aria-label="${r.t('signOffSessionOf', { uid: s.uid })}"
                  >
                    ${r.t('signOffSession')}
                  </button>
                </form>
                <form method="post" action="/console/sessions/signoff" class="inline">
                  ${csrf}<input type="hidden" name="uid" value="${s.uid}" /><button
                    type="submit"
                    class="secondary"
                    aria-label="${r.t('signOffUserNamed', { uid: s.uid })}"
                  >
                    ${r.t('signOffUser')}
                  </button>
                </form>
              </td>
            </tr>`,
        ),
        empty: r.t('noSessions'),
        times: true,
      })}
      <nav class="pager" aria-label="${r.t('pages')}">
        ${cursor === undefined || cursor === '' ? '' : html`<a href="/console/sessions">${r.t('firstPage')}</a>`}${next === undefined ? '' : html`<a href="/console/sessions?cursor=${encodeURIComponent(next)}" rel="next">${r.t('nextPage')}</a>`}
      </nav>`,
  };
}

export function sessionRoutes(): ConsoleRoute[] {
  return [
    { method: 'GET', path: 'sessions', handle: listPage },
    {
      method: 'POST',
      path: 'sessions/signoff',
      form: { fields: { sid: 128, uid: 256, back: 512 }, maxBytes: 4096 },
      handle: async (r) => {
        const sid = r.form.get('sid');
        const uid = r.form.get('uid');
        const back = r.form.get('back');
        const to =
          back !== undefined && /^\/console\/[A-Za-z0-9/?=&%._~!'()*-]*$/.test(back)
            ? back
            : '/console/sessions';
        const out = await r.run('ssosignoff', sid !== undefined ? { s: sid } : { u: uid ?? '' });
        const ended =
          out.ok && out.result.output.kind === 'table' ? out.result.output.rows.length : 0;
        return afterCommand(out, to, r.t('sessionsEnded', { n: ended }));
      },
    },
  ];
}
