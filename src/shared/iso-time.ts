/**
 * Instants written as ISO 8601 with an explicit offset, the form the management commands take
 * and give (`2025-04-01T09:30:00+09:00`, `2025-04-01T00:30:00Z`). An instant without an offset
 * is refused: the server's zone and the operator's may differ, and a guess would shift a query
 * by hours.
 */

/** Offsets accepted, minutes east of UTC: −14:00 to +14:00 (the range of real zones). */
export const MAX_OFFSET_MINUTES = 14 * 60;

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):?(\d{2}))$/;

export interface IsoInstant {
  readonly time: Date;
  /** The offset it was written with, minutes east of UTC (0 for `Z`). */
  readonly offsetMinutes: number;
}

/**
 * `YYYY-MM-DDTHH:MM[:SS[.fraction]]` followed by `Z` or `±HH:MM` (`±HHMM`), years 1970–9999;
 * undefined for anything else, including dates that do not exist (`2025-02-30`) and offsets
 * beyond ±14:00. Fractions beyond milliseconds are truncated.
 */
export function parseIsoInstant(text: string): IsoInstant | undefined {
  if (text.length > 40) return undefined;
  const m = ISO.exec(text);
  if (m === null) return undefined;
  const [y, mo, d, h, mi] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const s = m[6] === undefined ? 0 : Number(m[6]);
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  const offsetMinutes =
    m[8] === 'Z' ? 0 : (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11]));
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined;
  if (Number(m[11] ?? 0) > 59 || Math.abs(offsetMinutes) > MAX_OFFSET_MINUTES) return undefined;
  const local = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  if (new Date(local).getUTCDate() !== d) return undefined;
  return { time: new Date(local - offsetMinutes * 60_000), offsetMinutes };
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `YYYY-MM-DDTHH:MM:SS±HH:MM` (`Z` for offset 0) of an instant in the given offset. */
export function formatIsoInstant(time: Date, offsetMinutes: number): string {
  const t = new Date(time.getTime() + offsetMinutes * 60_000);
  const abs = Math.abs(offsetMinutes);
  const zone =
    offsetMinutes === 0
      ? 'Z'
      : `${offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  return (
    `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}` +
    `T${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())}${zone}`
  );
}
