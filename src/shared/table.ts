/**
 * IBM Storage CLI output shapes: a concise view (a header line and one row per object,
 * columns aligned with spaces, or separated by `-delim C`), and a detailed view (one
 * `name value` line per attribute). Values can never break a line: control characters
 * become `?`.
 */

import { oneLine } from './one-line.ts';

export interface TableOptions {
  /** Column separator; absent: columns padded with spaces to their widest value. */
  readonly delim?: string | undefined;
  /** Omit the header line. */
  readonly nohdr?: boolean | undefined;
}

/** Replaces control characters (line breaks included) so a value stays on its line. */
export function cell(value: string | number | undefined | null): string {
  if (value === undefined || value === null) return '';
  return oneLine(String(value));
}

export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly (string | number | undefined)[])[],
  options: TableOptions = {},
): string {
  const lines = [...(options.nohdr ? [] : [headers.map(cell)]), ...rows.map((r) => r.map(cell))];
  if (lines.length === 0) return '';
  if (options.delim !== undefined) {
    return lines.map((l) => l.join(options.delim)).join('\n') + '\n';
  }
  const widths = headers.map((_, i) => Math.max(...lines.map((l) => (l[i] ?? '').length)));
  return (
    lines
      .map((l) =>
        l
          .map((v, i) => (i === l.length - 1 ? v : v.padEnd(widths[i]! + 1)))
          .join('')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/** Detailed view: `name value` per line (`name<delim>value` with a delimiter). */
export function formatDetail(
  pairs: readonly (readonly [string, string | number | undefined])[],
  options: Pick<TableOptions, 'delim'> = {},
): string {
  const sep = options.delim ?? ' ';
  return pairs.map(([k, v]) => `${k}${sep}${cell(v)}`).join('\n') + '\n';
}
