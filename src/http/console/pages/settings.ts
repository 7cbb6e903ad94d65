/**
 * Settings: the lockout policy, session timeouts and log rotation in force (`lsssoconfig`;
 * changed in the configuration file, applied at the next start), and the operator's own
 * preferences — language and time zone — kept in cookies of this browser.
 */
import { checkTimeZone } from '../format.ts';
import { html } from '../html.ts';
import { CONSOLE_IDLE_TIMEOUT_MS, CONSOLE_MAX_LIFETIME_MS } from '../session.ts';
import { pairsOf, type ConsoleRequest, type ConsoleResponse, type ConsoleRoute } from '../page.ts';

const ZONES: readonly string[] = Intl.supportedValuesOf('timeZone');

async function page(r: ConsoleRequest): Promise<ConsoleResponse> {
  const out = await r.run('lsssoconfig', {});
  const pairs = pairsOf(out);
  const zones = ZONES.includes(r.tz) ? ZONES : [r.tz, ...ZONES];
  return {
    kind: 'page',
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
          ? html`<dl class="detail">
              ${[...pairs].map(
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

export function settingsRoutes(): ConsoleRoute[] {
  return [
    { method: 'GET', path: 'settings', handle: page },
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
