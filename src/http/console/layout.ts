/**
 * The one layout of every console page: skip link, header (product, nav, language switch,
 * user and sign-off), the page's heading and its flash message, the footer with the time zone.
 */
import { html, type HtmlValue, type SafeHtml } from './html.ts';
import { text, type ConsoleLang, type TextId } from './i18n.ts';
import { SECTIONS, type Section } from './page.ts';
import type { Flash } from './session.ts';

export const NAV_TEXT: { readonly [S in Section]: TextId } = {
  users: 'navUsers',
  roles: 'navRoles',
  sessions: 'navSessions',
  keyservers: 'navKeyServers',
  events: 'navEvents',
  logs: 'navLogs',
  settings: 'navSettings',
};

export interface LayoutOptions {
  readonly lang: ConsoleLang;
  readonly title: string;
  readonly body: SafeHtml;
  /** The current URL (path and query), for the language switch. */
  readonly url: string;
  readonly section?: Section | undefined;
  /** Signed on: user ID, CSRF token, whether the nav is shown (not during a forced change). */
  readonly user?: { readonly uid: string; readonly csrf: string; readonly nav: boolean };
  readonly flash?: Flash | undefined;
  readonly tz?: string;
}

/** The same URL with `lang` set to the other language. */
function switchUrl(url: string, to: ConsoleLang): string {
  const u = new URL(url, 'https://console.invalid');
  u.searchParams.set('lang', to);
  return u.pathname + u.search;
}

export function flashBlock(flash: Flash | undefined): HtmlValue {
  if (flash === undefined) return undefined;
  return flash.kind === 'ok'
    ? html`<p class="flash ok" role="status">${flash.text}</p>`
    : html`<p class="flash error" role="alert">${flash.text}</p>`;
}

export function layout(o: LayoutOptions): string {
  const t = (id: TextId): string => text(o.lang, id);
  const other: ConsoleLang = o.lang === 'ja' ? 'en' : 'ja';
  const nav = o.user?.nav
    ? html`<nav aria-label="${t('navLabel')}">
        <ul>
          ${SECTIONS.map(
            (s) =>
              html`<li>
                <a href="/console/${s}" ${o.section === s ? html` aria-current="page"` : ''}
                  >${t(NAV_TEXT[s])}</a
                >
              </li>`,
          )}
        </ul>
      </nav>`
    : undefined;
  const user = o.user
    ? html`<span class="who">${o.user.uid}</span>
        <form method="post" action="/console/signoff" class="inline">
          <input type="hidden" name="csrf" value="${o.user.csrf}" /><button type="submit">
            ${t('signOff')}
          </button>
        </form>`
    : undefined;
  return html`<!doctype html>
    <html lang="${o.lang}">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${o.title} — ${t('product')}</title>
        <link rel="stylesheet" href="/console/assets/console.css" />
        <script src="/console/assets/console.js" defer></script>
      </head>
      <body>
        <a class="skip" href="#main">${t('skipToContent')}</a>
        <header class="top">
          <a class="brand" href="/console/">${t('product')}</a>${nav}
          <div class="tools">
            <a href="${switchUrl(o.url, other)}" lang="${other}" hreflang="${other}"
              >${text(other, 'languageName')}</a
            >${user}
          </div>
        </header>
        <main id="main" tabindex="-1">
          <h1>${o.title}</h1>
          ${flashBlock(o.flash)}${o.body}
        </main>
        <footer>
          ${o.tz === undefined ? '' : html`${t('timesIn')} ${o.tz}${o.user?.nav ? html` · <a href="/console/settings#prefs">${t('change')}</a>` : ''}`}
        </footer>
      </body>
    </html>`.toString();
}
