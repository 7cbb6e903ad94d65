/**
 * Counts of the access logs per time bucket, for the console's charts: sign-ons (the
 * authentication server's `Authentication(<method>) succeeded|failed.`) and authorizations (the
 * business server's `Authorization succeeded|failed.`).
 *
 * Sign-ons are counted in the authentication server's log only: the repository server writes a
 * line for the same attempt, and counting both would count it twice.
 */
import { LogError } from './errors.ts';
import type { ByteSource } from './line-reader.ts';
import { queryAccessLogs, MAX_QUERY_LIMIT } from './query.ts';

/** Bucket widths, as an `as const` table with their length in milliseconds. */
export const BUCKET_SIZES = {
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
} as const;
export type BucketSize = keyof typeof BUCKET_SIZES;

/** Most buckets in one result (a day by the minute is 1,440). */
export const MAX_BUCKETS = 1500;
/** Default of {@link StatsOptions.maxScanBytes}: 1 GiB. */
export const DEFAULT_STATS_SCAN_BYTES = 1024 * 1024 * 1024;

export interface StatsOptions {
  readonly dir: string;
  readonly from: Date;
  /** End of the range, exclusive; after `from`. */
  readonly to: Date;
  /** Default {@link chooseBucket}. */
  readonly bucket?: BucketSize | undefined;
  /**
   * The offset buckets are aligned to, minutes east of UTC (days start at local midnight, hours
   * at local hours of offsets such as +05:30); default 0.
   */
  readonly offsetMinutes?: number | undefined;
  /** Bytes read at most; beyond, the counts are marked incomplete. Default 1 GiB. */
  readonly maxScanBytes?: number | undefined;
  readonly source?: ByteSource | undefined;
}

export interface StatsBucket {
  /** Start of the bucket (inclusive); it ends at the next one's start. */
  readonly start: Date;
  readonly signOnSucceeded: number;
  readonly signOnFailed: number;
  readonly authorizationSucceeded: number;
  readonly authorizationFailed: number;
}

export interface AccessStats {
  readonly from: Date;
  readonly to: Date;
  readonly bucket: BucketSize;
  readonly offsetMinutes: number;
  /** Consecutive buckets covering `[from, to)`, the first aligned at or before `from`. */
  readonly buckets: readonly StatsBucket[];
  readonly malformed: number;
  readonly bytesRead: number;
  /** False when `maxScanBytes` stopped the count (the oldest buckets are then short). */
  readonly complete: boolean;
}

/**
 * The bucket for a range: minutes up to 2 hours, hours up to 3 days, days beyond — between 1
 * and 180 bars for any range a chart shows.
 */
export function chooseBucket(from: Date, to: Date): BucketSize {
  const span = to.getTime() - from.getTime();
  if (span <= 2 * BUCKET_SIZES.hour) return 'minute';
  if (span <= 3 * BUCKET_SIZES.day) return 'hour';
  return 'day';
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Counts per bucket over `[from, to)`. Reads the authentication and business logs newest first
 * from their ends and stops at the first line before `from`: O(bytes from `from` to the end of
 * the logs) time, O(buckets) memory. Throws `LOG_QUERY_INVALID` for a range that is empty,
 * inverted or needs more than {@link MAX_BUCKETS} buckets.
 */
export async function accessStats(o: StatsOptions): Promise<AccessStats> {
  const fromMs = o.from.getTime();
  const toMs = o.to.getTime();
  if (Number.isNaN(fromMs) || Number.isNaN(toMs)) {
    throw new LogError('LOG_QUERY_INVALID', 'from and to must be dates');
  }
  if (fromMs >= toMs) throw new LogError('LOG_QUERY_INVALID', 'from must be before to');
  const bucket = o.bucket ?? chooseBucket(o.from, o.to);
  const size = BUCKET_SIZES[bucket];
  const offsetMs = (o.offsetMinutes ?? 0) * 60_000;
  const first = Math.floor((fromMs + offsetMs) / size) * size - offsetMs;
  const count = Math.ceil((toMs - first) / size);
  if (count > MAX_BUCKETS) {
    throw new LogError(
      'LOG_QUERY_INVALID',
      `the range needs ${count} ${bucket} buckets; at most ${MAX_BUCKETS} (choose a larger bucket or a shorter range)`,
    );
  }
  const buckets: Mutable<StatsBucket>[] = Array.from({ length: count }, (_, i) => ({
    start: new Date(first + i * size),
    signOnSucceeded: 0,
    signOnFailed: 0,
    authorizationSucceeded: 0,
    authorizationFailed: 0,
  }));
  let cursor: string | undefined;
  let malformed = 0;
  let bytesRead = 0;
  let complete = true;
  const budget = o.maxScanBytes ?? DEFAULT_STATS_SCAN_BYTES;
  do {
    const page = await queryAccessLogs({
      dir: o.dir,
      filter: { logs: ['authentication', 'business'], from: o.from, to: o.to },
      order: 'newest',
      limit: MAX_QUERY_LIMIT,
      cursor,
      maxScanBytes: Math.max(1, budget - bytesRead),
      source: o.source,
    });
    malformed += page.malformed;
    bytesRead += page.bytesRead;
    for (const e of page.entries) {
      const b = buckets[Math.floor((e.time.getTime() - first) / size)];
      if (b === undefined) continue;
      const ok = e.outcome === 'succeeded';
      if (e.log === 'authentication') {
        if (ok) b.signOnSucceeded++;
        else b.signOnFailed++;
      } else if (e.log === 'business') {
        if (ok) b.authorizationSucceeded++;
        else b.authorizationFailed++;
      }
    }
    cursor = page.nextCursor;
    if (page.scanLimited && bytesRead >= budget) {
      complete = false;
      break;
    }
  } while (cursor !== undefined);
  return {
    from: o.from,
    to: o.to,
    bucket,
    offsetMinutes: o.offsetMinutes ?? 0,
    buckets,
    malformed,
    bytesRead,
    complete,
  };
}
