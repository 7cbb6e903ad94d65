/**
 * What a console page module sees of a request, and what it answers. Page modules render and
 * call management commands; src/http/console/app.ts turns their answers into HTTP.
 */
import type { CommandResult } from '../../management/output.ts';
import type { FormSpec } from '../form.ts';
import type { SafeHtml } from './html.ts';
import type { ConsoleLang, TextId } from './i18n.ts';
import type { ConsoleSession, Flash } from './session.ts';

/** The nav entries, in order. */
export const SECTIONS = [
  'users',
  'roles',
  'sessions',
  'keyservers',
  'events',
  'logs',
  'settings',
] as const;
export type Section = (typeof SECTIONS)[number];

/** Parameters of a command as REST takes them: option names, `object` for the positional. */
export type CommandParams = Readonly<Record<string, string | boolean | undefined>>;

export type CommandOutcome =
  | { readonly ok: true; readonly result: CommandResult; readonly data: unknown }
  | { readonly ok: false; readonly code: string; readonly message: string };

export interface ConsoleRequest {
  readonly lang: ConsoleLang;
  /** The operator's time zone (IANA). */
  readonly tz: string;
  readonly session: ConsoleSession;
  /** The CSRF token for forms of this session. */
  readonly csrf: string;
  /** The address of the operator's browser (for the access-log lines the request causes). */
  readonly client: string | undefined;
  /** A query parameter (first value), trimmed to 1024 characters. */
  query(name: string): string | undefined;
  /** Every value of a repeated query parameter (checkboxes of one name), at most 16. */
  queryAll(name: string): readonly string[];
  /** The posted form (POST routes). */
  readonly form: ReadonlyMap<string, string>;
  /** Text in the request's language, with `{name}` parameters filled in. */
  t(id: TextId, params?: Readonly<Record<string, string | number>>): string;
  /** Runs a management command in-process, as REST would (same parsing, same errors). */
  run(command: string, params: CommandParams): Promise<CommandOutcome>;
}

export type ConsoleResponse =
  | {
      readonly kind: 'page';
      readonly section: Section | undefined;
      readonly title: string;
      readonly body: SafeHtml;
      readonly status?: number;
    }
  | {
      readonly kind: 'redirect';
      readonly to: string;
      readonly flash?: Flash;
      /** The operator's preferences to keep in this browser's cookies. */
      readonly prefs?: { readonly lang: ConsoleLang; readonly tz: string };
    }
  | {
      readonly kind: 'download';
      readonly filename: string;
      readonly type: string;
      readonly body: string;
    };

export interface ConsoleRoute {
  readonly method: 'GET' | 'POST';
  /** Under /console/. */
  readonly path: string;
  /** The form of a POST route (the `csrf` field is added). */
  readonly form?: FormSpec & { readonly multiline?: readonly string[] };
  handle(r: ConsoleRequest): Promise<ConsoleResponse>;
}

/** The flash of a command outcome, and where to go. */
export function afterCommand(outcome: CommandOutcome, to: string, ok: string): ConsoleResponse {
  return {
    kind: 'redirect',
    to,
    flash: outcome.ok ? { kind: 'ok', text: ok } : { kind: 'error', text: outcome.message },
  };
}

/** The rows of a table output as objects (the REST `data` shape). */
export function rowsOf(outcome: CommandOutcome): Record<string, string>[] {
  if (!outcome.ok) return [];
  const o = outcome.result.output;
  if (o.kind !== 'table') return [];
  return o.rows.map((r) =>
    Object.fromEntries(o.headers.map((h, i) => [h, r[i] === undefined ? '' : String(r[i])])),
  );
}

/** The pairs of a detail output as a map. */
export function pairsOf(outcome: CommandOutcome): Map<string, string> {
  if (!outcome.ok) return new Map();
  const o = outcome.result.output;
  if (o.kind !== 'detail') return new Map();
  return new Map(o.pairs.map(([k, v]) => [k, v === undefined ? '' : String(v)]));
}
