/**
 * Settings: the lockout policy, session timeouts and log rotation in force (`lsssoconfig`),
 * changed by a form that runs `chssoconfig` (the lockout and session settings apply at once,
 * the log rotation at the next start; a bad value is shown next to its field), and the
 * operator's own preferences — language and time zone — kept in cookies of this browser.
 */
import { checkTimeZone } from '../format.ts';
import { html, type SafeHtml } from '../html.ts';
import { CONSOLE_IDLE_TIMEOUT_MS, CONSOLE_MAX_LIFETIME_MS } from '../session.ts';
import {
  pairsOf,
  rowsOf,
  type ConsoleRequest,
  type ConsoleResponse,
  type ConsoleRoute,
} from '../page.ts';

const ZONES: readonly string[] = Intl.supportedValuesOf('timeZone');

/** The settings the form changes (chssoconfig's), whether they apply at once, their choices. */
const FIELDS: readonly { path: string; live: boolean; choices?: readonly string[] }[] = [
  { path: 'repository.password-max-failure-count', live: true },
  { path: 'repository.lock-out-time', live: true },
  { path: 'sessions.idle-timeout', live: true },
  { path: 'sessions.max-lifetime', live: true },
  { path: 'sessions.forced-sign-on', live: true, choices: ['true', 'false'] },
  { path: 'logs.max-size', live: false },
  { path: 'logs.save-mode', live: false, choices: ['separate', 'overwrite'] },
  { path: 'logs.keep', live: false },
];

/** What the form was sent with and what was wrong with it (after a refused change). */
interface Sent {
  readonly values: ReadonlyMap<string, string>;
  readonly errors: ReadonlyMap<string, string>;
  readonly general: readonly string[];
}

function field(
  r: ConsoleRequest,
  f: (typeof FIELDS)[number],
  value: string,
  error: string | undefined,
): SafeHtml {
  const id = `s-${f.path}`;
  const err = `err-${f.path}`;
  const described = error === undefined ? '' : html` aria-invalid="true" aria-describedby="${err}"`;
  return html`<label for="${id}"
      >${f.path}
      <span class="hint">${r.t(f.live ? 'settingLive' : 'settingNextStart')}</span></label
    >${
      f.choices === undefined
        ? html`<input
            id="${id}"
            name="${f.path}"
            value="${value}"
            inputmode="numeric"
            ${described}
          />`
        : html`<select id="${id}" name="${f.path}" ${described}>
            ${f.choices.map(
              (c) => html`<option${c === value ? html` selected` : ''}>${c}</option>`,
            )}
          </select>`
    }${error === undefined ? '' : html`<p class="field-error" id="${err}">${error}</p>`}`;
}

async function page(r: ConsoleRequest, sent?: Sent): Promise<ConsoleResponse> {
  const out = await r.run('lsssoconfig', {});
  const pairs = pairsOf(out);
  const current = (p: string): string => sent?.values.get(p) ?? pairs.get(p) ?? '';
  const zones = ZONES.includes(r.tz) ? ZONES : [r.tz, ...ZONES];
  return {
    kind: 'page',
    ...(sent === undefined ? {} : { status: 400 }),
    section: 'settings',
    title: r.t('settingsTitle'),
    body: html`<h2 id="prefs">${r.t('preferences')}</h2>
      <form method="post" action="/console/settings/prefs" class="stack">
        <input type="hidden" name="csrf" value="${r.csrf}" />
        <label for="p-lang">${r.t('language')}</label
        ><select id="p-lang" name="lang">
          <option value="ja" ${r.lang === 'ja' ? html` selected` : ''}>日本語</option>
          <option value="en" ${r.lang === 'en' ? html` selected` : ''}>English</option>
        </select>
        <label for="p-tz">${r.t('timeZone')}</label
        ><select id="p-tz" name="tz">
          ${zones.map((z) => html`<option${z === r.tz ? html` selected` : ''}>${z}</option>`)}
        </select>
        <div><button type="submit">${r.t('save')}</button></div>
      </form>
      <h2>${r.t('systemSettings')}</h2>
      ${
        out.ok
          ? html`${
                sent === undefined
                  ? ''
                  : html`<p class="flash error" role="alert">
                      ${[r.t('settingsFix'), ...sent.general].join(' ')}
                    </p>`
              }
              <form method="post" action="/console/settings/system" class="stack">
                <input type="hidden" name="csrf" value="${r.csrf}" />
                ${FIELDS.map((f) => field(r, f, current(f.path), sent?.errors.get(f.path)))}
                <div><button type="submit">${r.t('save')}</button></div>
              </form>
              <dl class="detail">
                ${[...pairs]
                  .filter(([k]) => !FIELDS.some((f) => f.path === k))
                  .map(
                    ([k, v]) =>
                      html`<dt>${k}</dt>
                        <dd>${v}</dd>`,
                  )}
              </dl>`
          : html`<p class="flash error" role="alert">${out.message}</p>`
      }
      <p>${r.t('settingsHint')}</p>
      <h2>${r.t('consoleSettings')}</h2>
      <dl class="detail">
        <dt>${r.t('consoleIdle')}</dt>
        <dd>${CONSOLE_IDLE_TIMEOUT_MS / 60_000} min</dd>
        <dt>${r.t('consoleMax')}</dt>
        <dd>${CONSOLE_MAX_LIFETIME_MS / 3_600_000} h</dd>
      </dl>`,
  };
}

/** The form → chssoconfig -set with the fields whose value differs from the one in force. */
async function change(r: ConsoleRequest): Promise<ConsoleResponse> {
  const now = pairsOf(await r.run('lsssoconfig', {}));
  const values = new Map<string, string>();
  const set: string[] = [];
  for (const f of FIELDS) {
    const v = r.form.get(f.path);
    if (v === undefined) continue;
    values.set(f.path, v);
    if (v.trim() !== now.get(f.path)) set.push(`${f.path}=${v}`);
  }
  if (set.length === 0) {
    return {
      kind: 'redirect',
      to: '/console/settings',
      flash: { kind: 'ok', text: r.t('settingsUnchanged') },
    };
  }
  const out = await r.run('chssoconfig', { set: set.join(',') });
  if (out.ok) {
    const rows = rowsOf(out);
    const list = (effect: string): string =>
      rows
        .filter((c) => c['effect'] === effect)
        .map((c) => `${c['path'] ?? ''}=${c['after'] ?? ''}`)
        .join(', ') || '—';
    return {
      kind: 'redirect',
      to: '/console/settings',
      flash: {
        kind: 'ok',
        text: r.t('settingsChanged', { now: list('now'), next: list('next start') }),
      },
    };
  }
  // chssoconfig names each bad setting on a line of its own: `PATH: message`.
  const errors = new Map<string, string>();
  const general: string[] = [];
  for (const line of out.message.split('\n')) {
    const m = /^([a-z0-9.-]+): (.*)$/.exec(line);
    if (m !== null && FIELDS.some((f) => f.path === m[1])) errors.set(m[1]!, m[2]!);
    else general.push(line);
  }
  return page(r, { values, errors, general });
}

export function settingsRoutes(): ConsoleRoute[] {
  return [
    { method: 'GET', path: 'settings', handle: (r) => page(r) },
    {
      method: 'POST',
      path: 'settings/system',
      form: {
        fields: Object.fromEntries(FIELDS.map((f) => [f.path, 64])),
        maxBytes: 4096,
      },
      handle: change,
    },
    {
      method: 'POST',
      path: 'settings/prefs',
      form: { fields: { lang: 8, tz: 64 }, maxBytes: 1024 },
      handle: (r) => {
        const lang = r.form.get('lang');
        const tz = checkTimeZone(r.form.get('tz'));
        if ((lang !== 'ja' && lang !== 'en') || tz === undefined)
          return Promise.resolve({
            kind: 'redirect',
            to: '/console/settings',
            flash: { kind: 'error', text: r.t('badRequest') },
          });
        return Promise.resolve({
          kind: 'redirect',
          to: '/console/settings',
          flash: { kind: 'ok', text: r.t('saved') },
          prefs: { lang, tz },
        });
      },
    },
  ];
}
