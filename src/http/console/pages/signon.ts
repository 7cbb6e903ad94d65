/** The console's sign-on form (user ID and password; works without JavaScript). */
import { html, type SafeHtml } from '../html.ts';
import { text, type ConsoleLang, type TextId } from '../i18n.ts';

export function signOnPage(
  lang: ConsoleLang,
  csrf: string,
  o: { uid?: string; message?: TextId; info?: TextId },
): SafeHtml {
  const t = (id: TextId): string => text(lang, id);
  return html`${o.info === undefined ? '' : html`<p class="flash ok" role="status">${t(o.info)}</p>`}${o.message === undefined ? '' : html`<p class="flash error" role="alert">${t(o.message)}</p>`}
    <form method="post" action="/console/signon" class="stack">
      <input type="hidden" name="csrf" value="${csrf}" /><input
        type="hidden"
        name="lang"
        value="${lang}"
      />
      <label for="uid">${t('uid')}</label
      ><input
        id="uid"
        name="uid"
        autocomplete="username"
        required
        autofocus
        value="${o.uid ?? ''}"
      />
      <label for="password">${t('password')}</label
      ><input
        id="password"
        name="password"
        type="password"
        autocomplete="current-password"
        required
      />
      <div><button type="submit">${t('signOn')}</button></div>
    </form>
    <p>${t('signOnHint')}</p>`;
}
