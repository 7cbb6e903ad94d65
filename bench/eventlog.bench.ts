/**
 * Event-log benchmark: 100,000 events in a temporary SQLite file (WAL, synchronous FULL, as
 * openDatabase sets them), then the `lseventlog` equivalents, each the median of 7 runs:
 * - the full list, newest first, formatted as the concise view;
 * - `-count 100`;
 * - `-fixed no -order severity` (formatted);
 * - one detailed view (`lseventlog <sequence_number>`).
 * Target: the full list in 200 ms or less (ratio = list_all_ms / 200 ≤ 1).
 *
 * Run: node_modules/.bin/node --disable-warning=ExperimentalWarning bench/eventlog.bench.ts
 * (EVENTS=n changes the number of events).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import {
  EVENT_IDS,
  EVENT_OBJECT_TYPES,
  EventLog,
  encodeSense,
  formatEventDetail,
  formatEventList,
  type SenseData,
} from '../src/events/index.ts';
import { SqliteEventStore } from '../src/storage/sqlite/event-store.ts';
import { envNumber, fmt, median } from './stats.ts';

const EVENTS = envNumber('EVENTS', 100_000);
const RUNS = 7;

function senseFor(i: number): SenseData {
  switch (EVENT_IDS[i % EVENT_IDS.length]!) {
    case '086006':
      return {
        eventId: '086006',
        clientErrorCode: 0,
        resultStatus: 1,
        resultReason: 3,
        resultMessage: `authentication not successful (${i})`,
      };
    case '086007':
      return {
        eventId: '086007',
        kmipMajor: 1,
        kmipMinor: 2,
        reason: 1,
        vendorIdentification: 'PyKMIP',
        productVersion: '0.10.0',
        serverType: '',
      };
    case '086008':
      return {
        eventId: '086008',
        stageCode: 3,
        causeCode: 'ECONNREFUSED',
        message: `connect ECONNREFUSED 192.0.2.${i % 250}:5696`,
      };
    case '086009':
      return { eventId: '086009', serverType: 'clone', message: 'primary reports clone' };
  }
}

function time(fn: () => unknown): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

function measure(name: string, fn: () => unknown): number {
  fn(); // warm-up: statement preparation, JIT
  const ms = median(Array.from({ length: RUNS }, () => time(fn)));
  console.log(`${name.padEnd(44)} ${fmt(ms).padStart(8)} ms`);
  return ms;
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-eventlog-bench-'));
try {
  const db = new DatabaseSync(path.join(dir, 'events.db'));
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;');
  const store = new SqliteEventStore(db);
  // A clock that moves 7 s per call: events spread over about two weeks.
  let now = Date.UTC(2025, 0, 1);
  const log = new EventLog(store, () => new Date((now += 7_000)));

  const fill = time(() => {
    db.exec('BEGIN');
    for (let i = 0; i < EVENTS; i++) {
      // Mixed objects (three types, 400 ids) and the four event IDs; every tenth event stays
      // unfixed, on an object of its own so that it does not coalesce; the others are fixed by
      // hand or automatically, so that each raise adds a row.
      const open = i % 10 === 9;
      const objectType = EVENT_OBJECT_TYPES[i % 3]!;
      const objectId = String(open ? 1000 + i : (i * 7) % 400);
      const e = log.raise({
        eventId: EVENT_IDS[i % EVENT_IDS.length]!,
        objectType,
        objectId,
        objectName: `${objectType}${objectId}`,
        reportingNodeId: String(1 + (i % 2)),
        reportingNodeName: `node${1 + (i % 2)}`,
        sense: encodeSense(senseFor(i)),
      });
      if (open) continue;
      if (i % 2 === 0) log.fix(e.sequenceNumber);
      else log.autoFix(objectType, objectId, [e.eventId]);
    }
    db.exec('COMMIT');
  });
  const total = log.list({ count: 1 })[0]?.sequenceNumber ?? 0;
  const unfixed = log.listSummaries({ fixed: false }).length;
  console.log(
    `filled ${total} events (${unfixed} unfixed) in ${fmt(fill / 1000, 2)} s; ` +
      `node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}`,
  );

  // lseventlog reads summaries (the concise view's fields); whole records are timed for scale.
  const listAll = measure('lseventlog (all, concise view)', () =>
    formatEventList(log.listSummaries({}), { lang: 'en' }),
  );
  measure('  summaries only (no formatting)', () => log.listSummaries({}));
  measure('  whole records, all (EventLog.list)', () => log.list({}));
  measure('lseventlog -delim : (all, ja)', () =>
    formatEventList(log.listSummaries({}), { lang: 'ja', delim: ':' }),
  );
  const count100 = measure('lseventlog -count 100', () =>
    formatEventList(log.listSummaries({ count: 100 }), { lang: 'en' }),
  );
  const unfixedSeverity = measure('lseventlog -fixed no -order severity', () =>
    formatEventList(log.listSummaries({ fixed: false, order: 'severity' }), { lang: 'en' }),
  );
  measure('lseventlog -alert yes -fixed no -count 100', () =>
    formatEventList(log.listSummaries({ alert: true, fixed: false, count: 100 }), {
      lang: 'en',
    }),
  );
  measure('lseventlog -order severity -count 100', () =>
    formatEventList(log.listSummaries({ order: 'severity', count: 100 }), { lang: 'en' }),
  );
  const seq = Math.max(1, Math.floor(total / 2));
  const detail = measure(`lseventlog ${seq} (detailed view)`, () => {
    const e = log.get(seq);
    if (e) formatEventDetail(e, { lang: 'ja' });
  });
  db.close();
  console.log(
    `bench:eventlog: events=${total} list_all_ms=${fmt(listAll)} count100_ms=${fmt(count100, 2)}` +
      ` unfixed_severity_ms=${fmt(unfixedSeverity, 2)} detail_ms=${fmt(detail, 3)}` +
      ` ratio=${fmt(listAll / 200, 2)}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
