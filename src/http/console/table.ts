/**
 * The console's data table: a scrolling wrapper, a caption for screen readers, column headers
 * (the last one may be the unnamed actions column) and the rows, or one row saying there are
 * none. One place for the markup every list page shares.
 */
import { html, type HtmlValue, type SafeHtml } from './html.ts';

export interface DataTable {
  /** Read by screen readers (visually hidden). */
  readonly caption: string;
  /** Column headers, already in the page's language. */
  readonly headers: readonly string[];
  /** A last header cell for the row actions, hidden but read: its text. */
  readonly actions?: string | undefined;
  /** The `<tr>` of each row. */
  readonly rows: readonly SafeHtml[];
  /** What the single row says when there are no rows. */
  readonly empty: string;
  /** Classes of the `<table>` (e.g. `log-lines`). */
  readonly className?: string | undefined;
  /** Dates inside are in the operator's time zone (`data-times`, used by the page script). */
  readonly times?: boolean | undefined;
}

export function dataTable(t: DataTable): SafeHtml {
  const columns = t.headers.length + (t.actions === undefined ? 0 : 1);
  const actions: HtmlValue =
    t.actions === undefined
      ? ''
      : html`<th scope="col"><span class="sr-only">${t.actions}</span></th>`;
  const body: HtmlValue =
    t.rows.length === 0
      ? html`<tr>
          <td colspan="${String(columns)}">${t.empty}</td>
        </tr>`
      : t.rows;
  const table = html`<table${t.className === undefined ? '' : html` class="${t.className}"`}>
    <caption class="sr-only">
      ${t.caption}
    </caption>
    <thead>
      <tr>
        ${t.headers.map((h) => html`<th scope="col">${h}</th>`)}${actions}
      </tr>
    </thead>
    <tbody>
      ${body}
    </tbody>
  </table>`;
  return t.times === true
    ? html`<div class="table-wrap" data-times>${table}</div>`
    : html`<div class="table-wrap">${table}</div>`;
}
