/**
 * HTML by tagged template: every interpolated value is escaped, so a page cannot be broken by
 * what an attribute, a log line or a key-server name holds. Markup enters only as
 * {@link SafeHtml} — made by `html` itself or by {@link trustedHtml}, the one (greppable) way to
 * pass a string through unescaped.
 *
 *   html`<td>${user.cn}</td>`                 // escaped
 *   html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>`   // arrays of SafeHtml joined
 */

/** A string that is already HTML. Construct only through `html` or {@link trustedHtml}. */
export class SafeHtml {
  readonly #text: string;
  private constructor(text: string) {
    this.#text = text;
  }
  toString(): string {
    return this.#text;
  }
  /** @internal the two constructors below. */
  static of(text: string): SafeHtml {
    return new SafeHtml(text);
  }
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Escapes text for an element's content or a quoted attribute value. */
export function escapeText(s: string): string {
  return s.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

/** What may be interpolated: text and numbers are escaped, nothing-ish values vanish. */
export type HtmlValue =
  SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(v: HtmlValue): string {
  if (v instanceof SafeHtml) return v.toString();
  if (v === null || v === undefined || v === false || v === true) return '';
  if (typeof v === 'number') return escapeText(String(v));
  if (typeof v === 'string') return escapeText(v);
  return v.map(render).join('');
}

export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return SafeHtml.of(out);
}

/**
 * Markup that is NOT escaped. Only for constant markup written in this code base, or markup
 * that this code base generated escaping every text it holds (the access-log chart of
 * src/shared/svg-chart.ts, passed by pages/logs.ts) — never for anything that came from a
 * request, the store or a log as it is.
 */
export function trustedHtml(markup: string): SafeHtml {
  return SafeHtml.of(markup);
}
