/**
 * Option helpers of the query commands (lsaccesslog, lsaccessstats, lsssorole, lsssoresource,
 * whocanaccess): every value arrives as text from the command line or a REST body and is parsed
 * here into a typed value or refused with a {@link UsageError} that names the option.
 */
import { UsageError, type ParsedArgs } from '../cli/args.ts';
import { parseIsoInstant, type IsoInstant } from '../shared/iso-time.ts';

export const str = (a: ParsedArgs, name: string): string | undefined => {
  const v = a.options.get(name);
  return typeof v === 'string' ? v : undefined;
};

export const has = (a: ParsedArgs, name: string): boolean => a.options.get(name) === true;

/** `-delim` and `-nohdr` of the concise views. */
export const LIST_OPTIONS = {
  delim: { kind: 'string', arg: 'C', help: 'separate columns with the character C' },
  nohdr: { kind: 'boolean', help: 'omit the header line' },
} as const;

/** Checks `-delim`: one printable, non-space character. */
export function checkDelim(a: ParsedArgs): void {
  const d = str(a, 'delim');
  if (d !== undefined && (d.length !== 1 || /[\s\p{Cc}]/u.test(d))) {
    throw new UsageError('-delim takes one printable, non-space character');
  }
}

/** Control characters (C0, DEL, C1), line and paragraph separators, bidirectional controls. */
const CONTROL =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069]/;

/** A text option: 1–`max` characters, no control character; undefined when absent. */
export function textOf(a: ParsedArgs, name: string, max: number): string | undefined {
  const v = str(a, name);
  if (v === undefined) return undefined;
  if (v.length === 0) throw new UsageError(`-${name} must not be empty`);
  if (v.length > max) throw new UsageError(`-${name} is longer than ${max} characters`);
  if (CONTROL.test(v)) throw new UsageError(`-${name} must not contain control characters`);
  return v;
}

/** An integer option in `[min, max]`, strictly decimal. */
export function intOf(a: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const v = str(a, name);
  if (v === undefined) return undefined;
  if (!/^\d{1,9}$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new UsageError(`-${name} must be an integer ${min}-${max}, got ${JSON.stringify(v)}`);
  }
  return Number(v);
}

/** One of `choices`. */
export function choiceOf<T extends string>(
  a: ParsedArgs,
  name: string,
  choices: readonly T[],
): T | undefined {
  const v = str(a, name);
  if (v === undefined) return undefined;
  if (!(choices as readonly string[]).includes(v)) {
    throw new UsageError(
      `-${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(v.slice(0, 64))}`,
    );
  }
  return v as T;
}

/** A comma-separated list of `choices` (no repeats). */
export function choicesOf<T extends string>(
  a: ParsedArgs,
  name: string,
  choices: readonly T[],
): T[] | undefined {
  const v = str(a, name);
  if (v === undefined) return undefined;
  const out: T[] = [];
  for (const item of v.split(',')) {
    if (!(choices as readonly string[]).includes(item)) {
      throw new UsageError(
        `-${name} takes a comma-separated list of ${choices.join(', ')}; ${JSON.stringify(item.slice(0, 64))} is none of them`,
      );
    }
    if (out.includes(item as T)) throw new UsageError(`-${name} names ${item} twice`);
    out.push(item as T);
  }
  return out;
}

/** An ISO 8601 instant with an offset (`2025-04-01T09:00:00+09:00`, `…Z`). */
export function instantOf(a: ParsedArgs, name: string): IsoInstant | undefined {
  const v = str(a, name);
  if (v === undefined) return undefined;
  const t = parseIsoInstant(v);
  if (t === undefined) {
    throw new UsageError(
      `-${name} must be an ISO 8601 date and time with an offset, e.g. 2025-04-01T09:00:00+09:00 or 2025-04-01T00:00:00Z; got ${JSON.stringify(v.slice(0, 64))}`,
    );
  }
  return t;
}
