/**
 * The pages of the authentication server, in Japanese and English: the sign-on form (plain
 * HTML, works without JavaScript), the signed-on page and the error page. Every value that
 * comes from outside is HTML-escaped; the one inline style is allowed by its CSP hash.
 */
import { createHash } from 'node:crypto';

export type PageLang = 'ja' | 'en';

export const PAGE_TEXTS = {
  title: { ja: 'サインオン', en: 'Sign on' },
  uid: { ja: 'ユーザID', en: 'User ID' },
  password: { ja: 'パスワード', en: 'Password' },
  submit: { ja: 'サインオン', en: 'Sign on' },
  signOff: { ja: 'サインオフ', en: 'Sign off' },
  other: { ja: 'English', en: '日本語' },
  // J-401: the one message shown for every failure unless cause notification is on.
  invalid: {
    ja: 'ユーザ名またはパスワードが正しくありません。',
    en: 'User name or password is incorrect.',
  },
  locked: {
    ja: 'この利用者はロックされています。管理者に連絡してください。',
    en: 'This user is locked. Contact your administrator.',
  },
  outside_validity_period: {
    ja: 'この利用者は現在有効期間外です。管理者に連絡してください。',
    en: 'This user is outside its validity period. Contact your administrator.',
  },
  password_expired: {
    ja: 'パスワードの有効期限が切れています。パスワードを変更してから、もう一度サインオンしてください。',
    en: 'Your password has expired. Change it, then sign on again.',
  },
  type_mismatch: {
    ja: 'この利用者に許可された認証方式ではありません。',
    en: 'This authentication method is not allowed for this user.',
  },
  certificateRequired: {
    ja: 'クライアント証明書による認証が必要です。',
    en: 'Authentication by client certificate is required.',
  },
  passwordRequired: {
    ja: 'ユーザIDとパスワードを入力してください。',
    en: 'Enter your user ID and password.',
  },
  badRequest: {
    ja: '要求を受け付けられませんでした。サインオン画面を開き直してください。',
    en: 'The request could not be accepted. Open the sign-on page again.',
  },
  badReturn: {
    ja: '戻り先のURLが登録されたサイトではありません。',
    en: 'The return URL is not a registered site.',
  },
  signedOn: { ja: '{uid} としてサインオンしています。', en: 'Signed on as {uid}.' },
  alreadySignedOn: {
    ja: 'このユーザIDは他のブラウザでサインオン中のため、サインオンできません。',
    en: 'This user ID is signed on in another browser; it cannot sign on here.',
  },
  confirmForced: {
    ja: '{uid} は {client} から {time} にサインオンしています。ここでサインオンし、もう一方のブラウザをサインオフしますか?',
    en: '{uid} has been signed on from {client} since {time}. Sign on here and sign the other browser off?',
  },
  yes: { ja: 'はい', en: 'Yes' },
  no: { ja: 'いいえ', en: 'No' },
  forcedCancelled: {
    ja: 'サインオンを取り消しました。もう一方のブラウザのサインオンはそのままです。',
    en: 'Sign-on cancelled; the other browser stays signed on.',
  },
  confirmationExpired: {
    ja: '確認の有効期限が切れました。もう一度サインオンしてください。',
    en: 'The confirmation has expired. Sign on again.',
  },
  sessionEnded: {
    ja: 'セションが終了しました。もう一度サインオンしてください。',
    en: 'Your session has ended. Sign on again.',
  },
  signedOff: { ja: 'サインオフしました。', en: 'You have signed off.' },
  unavailable: {
    ja: '現在サインオンできません。しばらくしてから再度実行してください。',
    en: 'Sign-on is not available now. Try again later.',
  },
} as const;
export type PageTextId = keyof typeof PAGE_TEXTS;

export const PAGE_STYLE =
  'body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}' +
  'label{display:block;margin:.75rem 0}input{display:block;width:100%;padding:.4rem;box-sizing:border-box}' +
  'button{margin-top:1rem;padding:.5rem 1.5rem}.alert{color:#a00}';

/** The Content-Security-Policy of every page: nothing but the inline style above. */
export const PAGE_CSP =
  "default-src 'none'; style-src 'sha256-" +
  createHash('sha256').update(PAGE_STYLE).digest('base64') +
  "'; base-uri 'none'; frame-ancestors 'none'";

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

function page(lang: PageLang, body: string): string {
  return (
    `<!doctype html><html lang="${lang}"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width">` +
    `<title>Sekisho — ${PAGE_TEXTS.title[lang]}</title><style>${PAGE_STYLE}</style></head>` +
    `<body><main><h1>Sekisho</h1>${body}</main></body></html>`
  );
}

function alert(message: string | undefined): string {
  return message === undefined ? '' : `<p class="alert" role="alert">${escapeHtml(message)}</p>`;
}

export interface FormPage {
  readonly lang: PageLang;
  readonly csrf: string;
  /** The return URL (already checked), carried through the form. */
  readonly returnUrl: string | undefined;
  readonly uid?: string | undefined;
  readonly message?: string | undefined;
}

function langLink(lang: PageLang, returnUrl: string | undefined): string {
  const other: PageLang = lang === 'ja' ? 'en' : 'ja';
  const q = new URLSearchParams({ lang: other });
  if (returnUrl !== undefined) q.set('return', returnUrl);
  return `<p><a href="/sso/signon?${escapeHtml(q.toString())}" hreflang="${other}">${PAGE_TEXTS.other[lang]}</a></p>`;
}

export function signOnPage(p: FormPage): string {
  const t = (id: PageTextId): string => PAGE_TEXTS[id][p.lang];
  const hidden = (name: string, value: string): string =>
    `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;
  return page(
    p.lang,
    `<h2>${t('title')}</h2>${alert(p.message)}` +
      `<form method="post" action="/sso/signon">` +
      hidden('csrf', p.csrf) +
      hidden('lang', p.lang) +
      (p.returnUrl === undefined ? '' : hidden('return', p.returnUrl)) +
      `<label>${t('uid')}<input name="uid" autocomplete="username" required maxlength="256" autofocus value="${escapeHtml(p.uid ?? '')}"></label>` +
      `<label>${t('password')}<input name="password" type="password" autocomplete="current-password" required maxlength="1024"></label>` +
      `<button type="submit">${t('submit')}</button></form>` +
      langLink(p.lang, p.returnUrl),
  );
}

export function signedOnPage(lang: PageLang, uid: string, csrf: string): string {
  return page(
    lang,
    `<p>${escapeHtml(PAGE_TEXTS.signedOn[lang]).replace('{uid}', `<strong>${escapeHtml(uid)}</strong>`)}</p>` +
      `<form method="post" action="/sso/signoff"><input type="hidden" name="csrf" value="${escapeHtml(csrf)}">` +
      `<input type="hidden" name="lang" value="${lang}"><button type="submit">${PAGE_TEXTS.signOff[lang]}</button></form>`,
  );
}

export interface ConfirmPage {
  readonly lang: PageLang;
  readonly uid: string;
  readonly existingClient: string | undefined;
  readonly existingSince: Date;
  readonly csrf: string;
  /** The pending credential, carried to the confirmation. */
  readonly pending: string;
  readonly returnUrl: string | undefined;
}

/** The forced sign-on question (J-FSO). */
export function confirmForcedPage(p: ConfirmPage): string {
  const hidden = (name: string, value: string): string =>
    `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;
  const text = escapeHtml(PAGE_TEXTS.confirmForced[p.lang])
    .replace('{uid}', `<strong>${escapeHtml(p.uid)}</strong>`)
    .replace('{client}', escapeHtml(p.existingClient ?? '?'))
    .replace(
      '{time}',
      escapeHtml(p.existingSince.toISOString().replace('T', ' ').slice(0, 19) + ' UTC'),
    );
  return page(
    p.lang,
    `<p>${text}</p><form method="post" action="/sso/forced-signon">` +
      hidden('csrf', p.csrf) +
      hidden('lang', p.lang) +
      hidden('pending', p.pending) +
      (p.returnUrl === undefined ? '' : hidden('return', p.returnUrl)) +
      `<button type="submit" name="answer" value="yes">${PAGE_TEXTS.yes[p.lang]}</button> ` +
      `<button type="submit" name="answer" value="no">${PAGE_TEXTS.no[p.lang]}</button></form>`,
  );
}

export function messagePage(lang: PageLang, id: PageTextId): string {
  return page(
    lang,
    alert(PAGE_TEXTS[id][lang]) +
      `<p><a href="/sso/signon?lang=${lang}">${PAGE_TEXTS.title[lang]}</a></p>`,
  );
}
