/**
 * What a management command returns: structured data that the CLI renders in the IBM manner
 * and the REST API returns as JSON. Rendering happens where the reader is, in its language.
 */
import { formatDetail, formatTable, type TableOptions } from '../shared/table.ts';

export type Cell = string | number | undefined;

export type CommandOutput =
  /** Nothing to print (IBM commands such as rmkeyserver print nothing on success). */
  | { readonly kind: 'none' }
  /** One or more message lines. */
  | { readonly kind: 'message'; readonly lines: readonly string[] }
  /** A concise view. */
  | {
      readonly kind: 'table';
      readonly headers: readonly string[];
      readonly rows: readonly (readonly Cell[])[];
    }
  /** A detailed view. */
  | { readonly kind: 'detail'; readonly pairs: readonly (readonly [string, Cell])[] }
  /** Pre-rendered text (event-log views, PEM). */
  | { readonly kind: 'text'; readonly text: string };

export interface CommandResult {
  readonly output: CommandOutput;
  /** Lines printed after the output on standard output (IBM completion messages). */
  readonly messages?: readonly string[];
  /** Lines for standard error (validation failures after a successful mkkeyserver, …). */
  readonly warnings?: readonly string[];
  /** Content for the file named by a 'write' file option (CSR, exported certificate). */
  readonly file?: string;
  /** The REST `data` when the output's own JSON form is not the useful one (pre-rendered text). */
  readonly data?: unknown;
  /** Exit status 1 even though the command ran (testkeyserver on a failed validation). */
  readonly failed?: boolean;
}

export function renderOutput(o: CommandOutput, options: TableOptions = {}): string {
  switch (o.kind) {
    case 'none':
      return '';
    case 'message':
      return o.lines.map((l) => l + '\n').join('');
    case 'table':
      return formatTable(o.headers, o.rows, options);
    case 'detail':
      return formatDetail(o.pairs, options);
    case 'text':
      return o.text;
    default: {
      const never: never = o;
      return never;
    }
  }
}

/** The JSON form of an output for REST clients: tables become arrays of objects. */
export function outputJson(o: CommandOutput): unknown {
  switch (o.kind) {
    case 'table':
      return o.rows.map((r) => Object.fromEntries(o.headers.map((h, i) => [h, r[i] ?? ''])));
    case 'detail':
      return Object.fromEntries(o.pairs.map(([k, v]) => [k, v ?? '']));
    case 'message':
      return { messages: o.lines };
    case 'text':
      return { text: o.text };
    case 'none':
      return {};
    default: {
      const never: never = o;
      return never;
    }
  }
}
