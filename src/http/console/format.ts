/**
 * Dates and durations as the operator reads them: in the operator's time zone (an IANA name
 * from the console's time-zone cookie, else the server's zone) and language.
 */
import type { ConsoleLang } from './i18n.ts';

/** The time zone of this process, used until the operator chooses one. */
export const SERVER_TIME_ZONE: string = Intl.DateTimeFormat().resolvedOptions().timeZone;

const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/;

/** The IANA time-zone name when `Intl` knows it, else undefined. */
export function checkTimeZone(name: string | undefined): string | undefined {
  if (name === undefined || !ZONE_NAME.test(name)) return undefined;
  try {
    return new Intl.DateTimeFormat('en', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string, lang: ConsoleLang): Intl.DateTimeFormat {
  const key = `${lang} ${tz}`;
  let f = formatters.get(key);
  if (f === undefined) {
    f = new Intl.DateTimeFormat(lang === 'ja' ? 'ja-JP' : 'en-CA', {
      timeZone: tz,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    });
    if (formatters.size > 256) formatters.clear();
    formatters.set(key, f);
  }
  return f;
}

/**
 * `2025-01-31 13:04:05 GMT+9` (en) or `2025/01/31 13:04:05 JST` (ja); empty for no date.
 * Accepts a Date, an ISO 8601 string or a generalized time (`YYYYMMDDHHMMSSZ`).
 */
export function formatDateTime(
  value: Date | string | undefined,
  tz: string,
  lang: ConsoleLang,
): string {
  if (value === undefined || value === '') return '';
  const d = typeof value === 'string' ? parseTime(value) : value;
  if (d === undefined || Number.isNaN(d.getTime())) return typeof value === 'string' ? value : '';
  const parts = formatter(tz, lang).formatToParts(d);
  const p = (type: Intl.DateTimeFormatPartTypes): string =>
    parts.find((x) => x.type === type)?.value ?? '';
  const sep = lang === 'ja' ? '/' : '-';
  return `${p('year')}${sep}${p('month')}${sep}${p('day')} ${p('hour')}:${p('minute')}:${p('second')} ${p('timeZoneName')}`;
}

function parseTime(s: string): Date | undefined {
  const g = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (g !== null) {
    const [y, mo, d, h, mi, se] = g.slice(1).map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    return new Date(Date.UTC(y, mo - 1, d, h, mi, se));
  }
  if (/^\d{4}-\d{2}-\d{2}T/.test(s)) return new Date(s);
  return undefined;
}

/** Offset of `tz` from UTC at instant `ms`, in milliseconds. */
function offsetAt(ms: number, tz: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
    hourCycle: 'h23',
  }).formatToParts(new Date(ms));
  const n = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second'));
  return wall - Math.floor(ms / 1000) * 1000;
}

/**
 * A `datetime-local` value (`YYYY-MM-DDTHH:MM[:SS]`) read as wall-clock time in `tz`; undefined
 * when it is not one. (In a DST gap the later offset applies.)
 */
export function parseLocalDateTime(value: string, tz: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value);
  if (m === null) return undefined;
  const [y, mo, d, h, mi] = m.slice(1, 6).map(Number) as [number, number, number, number, number];
  const s = m[6] === undefined ? 0 : Number(m[6]);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return undefined;
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  let t = wall - offsetAt(wall, tz);
  t = wall - offsetAt(t, tz);
  return new Date(t);
}

/** The `datetime-local` value of an instant in `tz` (for a form's current value). */
export function toLocalDateTime(d: Date | undefined, tz: string): string {
  if (d === undefined) return '';
  const local = new Date(d.getTime() + offsetAt(d.getTime(), tz));
  return local.toISOString().slice(0, 19);
}

/**
 * An instant as ISO 8601 with the offset `tz` has then, to the second:
 * `2025-01-31T13:05:06+09:00` (what the access-log commands take as `-from`/`-to`).
 */
export function toIsoInZone(d: Date, tz: string): string {
  const off = Math.round(offsetAt(d.getTime(), tz) / 60_000);
  const local = new Date(Math.floor(d.getTime() / 1000) * 1000 + off * 60_000);
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${local.toISOString().slice(0, 19)}${sign}${two(Math.floor(abs / 60))}:${two(abs % 60)}`;
}

/** `1 h 05 min`, `3 min 20 s`, `45 s` (en) / `1時間05分` … (ja). */
export function formatDuration(seconds: number, lang: ConsoleLang): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  const two = (n: number): string => String(n).padStart(2, '0');
  if (lang === 'ja') {
    if (h > 0) return `${h}時間${two(m)}分`;
    if (m > 0) return `${m}分${two(r)}秒`;
    return `${r}秒`;
  }
  if (h > 0) return `${h} h ${two(m)} min`;
  if (m > 0) return `${m} min ${two(r)} s`;
  return `${r} s`;
}
