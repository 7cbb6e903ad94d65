/**
 * The event log's rules over the real SQLite adapter (in memory): coalescing, cheventlog -fix,
 * auto-fix, the err_seq_num priority rule, lseventlog filters, orders and -count.
 */
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';

import {
  EventError,
  EventLog,
  SENSE_BYTES,
  encodeSense,
  type EventId,
  type EventRecord,
  type EventStatus,
  type RaiseInput,
} from '../../src/events/index.ts';
import { SqliteEventStore } from '../../src/storage/sqlite/event-store.ts';

const T0 = Date.UTC(2025, 3, 1, 0, 0, 0);

/** A log on a fresh in-memory database, with a clock the test moves by hand. */
function setup(): {
  log: EventLog;
  store: SqliteEventStore;
  at: (seconds: number) => void;
} {
  const store = new SqliteEventStore(new DatabaseSync(':memory:'));
  let now = T0;
  const log = new EventLog(store, () => new Date(now));
  return { log, store, at: (s) => (now = T0 + s * 1000) };
}

function input(eventId: EventId, objectId = '0', message = 'refused'): RaiseInput {
  return {
    eventId,
    objectType: 'keyserver',
    objectId,
    objectName: `keyserver${objectId}`,
    reportingNodeId: '1',
    reportingNodeName: 'node1',
    sense: encodeSense({ eventId: '086008', stageCode: 3, causeCode: 'ECONNREFUSED', message }),
  };
}

/** Stores an event of any status and error code (raise makes only alerts of 1785). */
function put(
  store: SqliteEventStore,
  seconds: number,
  status: EventStatus,
  errorCode: number,
  fields: Partial<EventRecord> = {},
): EventRecord {
  return store.insert({
    firstTimestamp: new Date(T0 + seconds * 1000),
    lastTimestamp: new Date(T0 + seconds * 1000),
    objectType: 'keyserver',
    objectId: '0',
    objectName: 'keyserver0',
    copyId: '',
    reportingNodeId: '1',
    reportingNodeName: 'node1',
    eventCount: 1,
    status,
    fixed: false,
    autoFixed: false,
    fixedTimestamp: undefined,
    notificationType: 'error',
    eventId: '086006',
    errorCode,
    sense: new Uint8Array(SENSE_BYTES),
    ...fields,
  });
}

const seqs = (es: readonly { sequenceNumber: number }[]): number[] =>
  es.map((e) => e.sequenceNumber);

describe('EventLog.raise', () => {
  it('stores a new alert of error code 1785', () => {
    const { log } = setup();
    const e = log.raise(input('086008'));
    assert.equal(e.sequenceNumber, 1);
    assert.equal(e.status, 'alert');
    assert.equal(e.notificationType, 'error');
    assert.equal(e.errorCode, 1785);
    assert.equal(e.copyId, '');
    assert.equal(e.eventCount, 1);
    assert.equal(e.fixed, false);
    assert.equal(e.fixedTimestamp, undefined);
    assert.deepEqual(e.firstTimestamp, new Date(T0));
    assert.equal(e.sense.length, SENSE_BYTES);
    assert.deepEqual(log.get(1), e);
  });

  it('coalesces a repeated unfixed event: one row, count 2, last timestamp moved, latest sense', () => {
    const { log, at } = setup();
    const first = log.raise(input('086008', '0', 'first'));
    at(900);
    const second = log.raise({
      ...input('086008', '0', 'second'),
      reportingNodeId: '2',
      reportingNodeName: 'node2',
    });
    assert.equal(second.sequenceNumber, first.sequenceNumber);
    const all = log.list();
    assert.equal(all.length, 1);
    const e = all[0]!;
    assert.equal(e.eventCount, 2);
    assert.deepEqual(e.firstTimestamp, new Date(T0));
    assert.deepEqual(e.lastTimestamp, new Date(T0 + 900_000));
    assert.deepEqual(e.sense, input('086008', '0', 'second').sense);
    assert.equal(e.reportingNodeName, 'node2');
    assert.deepEqual(e, second);
  });

  it('does not coalesce other event IDs, other objects, or into a fixed event', () => {
    const { log } = setup();
    const a = log.raise(input('086008', '0'));
    log.raise(input('086006', '0'));
    log.raise(input('086008', '1'));
    log.raise({ ...input('086008', '0'), objectType: 'node' });
    log.fix(a.sequenceNumber);
    const again = log.raise(input('086008', '0'));
    assert.equal(again.sequenceNumber, 5);
    assert.equal(again.eventCount, 1);
    assert.equal(log.list().length, 5);
  });

  it('zero-pads short sense data and refuses more than 128 bytes', () => {
    const { log } = setup();
    const e = log.raise({ ...input('086009'), sense: new Uint8Array([1, 2, 3]) });
    assert.equal(e.sense.length, SENSE_BYTES);
    assert.deepEqual([...e.sense.subarray(0, 4)], [1, 2, 3, 0]);
    assert.throws(() => log.raise({ ...input('086009'), sense: new Uint8Array(129) }), RangeError);
  });
});

describe('EventLog.fix (cheventlog -fix)', () => {
  it('marks an event fixed by hand with the fix time', () => {
    const { log, at } = setup();
    const e = log.raise(input('086007'));
    at(60);
    const f = log.fix(e.sequenceNumber);
    assert.equal(f.fixed, true);
    assert.equal(f.autoFixed, false);
    assert.deepEqual(f.fixedTimestamp, new Date(T0 + 60_000));
    assert.deepEqual(log.get(e.sequenceNumber), f);
  });

  it('refuses an unknown sequence number with EVENT_NOT_FOUND', () => {
    const { log } = setup();
    log.raise(input('086007'));
    assert.throws(
      () => log.fix(42),
      (err: unknown) => err instanceof EventError && err.code === 'EVENT_NOT_FOUND',
    );
    assert.equal(log.get(1)?.fixed, false);
  });

  it('refuses a fixed event with EVENT_ALREADY_FIXED and changes nothing', () => {
    const { log, at } = setup();
    const e = log.raise(input('086007'));
    at(10);
    const fixed = log.fix(e.sequenceNumber);
    at(20);
    assert.throws(
      () => log.fix(e.sequenceNumber),
      (err: unknown) => err instanceof EventError && err.code === 'EVENT_ALREADY_FIXED',
    );
    assert.deepEqual(log.get(e.sequenceNumber), fixed);
    // An auto-fixed event is fixed too.
    const g = log.raise(input('086006'));
    log.autoFix('keyserver', '0');
    const before = log.get(g.sequenceNumber);
    assert.throws(() => log.fix(g.sequenceNumber), /fixed already \(automatically\)/);
    assert.deepEqual(log.get(g.sequenceNumber), before);
  });
});

describe('EventLog.autoFix', () => {
  it("fixes every unfixed event of the object, and only that object's", () => {
    const { log, at } = setup();
    const a = log.raise(input('086006', '0'));
    const b = log.raise(input('086007', '0'));
    const c = log.raise(input('086008', '0'));
    const other = log.raise(input('086008', '1'));
    log.fix(b.sequenceNumber);
    at(300);
    const fixed = log.autoFix('keyserver', '0');
    assert.deepEqual(seqs(fixed), [a.sequenceNumber, c.sequenceNumber]);
    for (const e of fixed) {
      assert.equal(e.fixed, true);
      assert.equal(e.autoFixed, true);
      assert.deepEqual(e.fixedTimestamp, new Date(T0 + 300_000));
      assert.deepEqual(log.get(e.sequenceNumber), e);
    }
    assert.equal(log.get(b.sequenceNumber)?.autoFixed, false, 'fixed by hand stays so');
    assert.equal(log.get(other.sequenceNumber)?.fixed, false);
    assert.deepEqual(log.autoFix('keyserver', '0'), []);
  });

  it('fixes only the given event IDs when asked', () => {
    const { log } = setup();
    log.raise(input('086006'));
    const b = log.raise(input('086008'));
    const c = log.raise(input('086009'));
    assert.deepEqual(seqs(log.autoFix('keyserver', '0', ['086008', '086009'])), [
      b.sequenceNumber,
      c.sequenceNumber,
    ]);
    assert.deepEqual(seqs(log.list({ fixed: false })), [1]);
  });
});

describe('EventLog.highestPriorityUnfixed (err_seq_num)', () => {
  it('is undefined without unfixed events', () => {
    const { log } = setup();
    assert.equal(log.highestPriorityUnfixed('keyserver', '0'), undefined);
    const e = log.raise(input('086006'));
    log.fix(e.sequenceNumber);
    assert.equal(log.highestPriorityUnfixed('keyserver', '0'), undefined);
  });

  it('prefers alerts to messages to monitoring, then the older of equal alerts', () => {
    const { log, store } = setup();
    const top = (): number | undefined =>
      log.highestPriorityUnfixed('keyserver', '0')?.sequenceNumber;
    const monitoring = put(store, 0, 'monitoring', 1000);
    const message = put(store, 1, 'message', 1001, { eventId: '086007' });
    assert.equal(top(), message.sequenceNumber);
    const alert = put(store, 2, 'alert', 1785, { eventId: '086008' });
    assert.equal(top(), alert.sequenceNumber);
    const newer = put(store, 3, 'alert', 1785, { eventId: '086009' });
    assert.equal(top(), alert.sequenceNumber, 'the oldest of equal alerts');
    log.fix(alert.sequenceNumber);
    assert.equal(top(), newer.sequenceNumber);
    log.fix(newer.sequenceNumber);
    log.fix(message.sequenceNumber);
    assert.equal(top(), monitoring.sequenceNumber);
  });

  it('prefers the lower error code among alerts, ignoring fixed events and other objects', () => {
    const { log, store } = setup();
    const top = (): number | undefined =>
      log.highestPriorityUnfixed('keyserver', '0')?.sequenceNumber;
    const older = put(store, 0, 'alert', 1785);
    const lower = put(store, 1, 'alert', 1700, { eventId: '086007' });
    assert.equal(top(), lower.sequenceNumber);
    put(store, 2, 'alert', 1, { eventId: '086008', fixed: true, fixedTimestamp: new Date(T0) });
    put(store, 3, 'alert', 1, { objectId: '1' });
    put(store, 4, 'alert', 1, { objectType: 'node' });
    assert.equal(top(), lower.sequenceNumber);
    log.fix(lower.sequenceNumber);
    assert.equal(top(), older.sequenceNumber);
  });
});

describe('EventLog.list (lseventlog)', () => {
  /** 1 alert unfixed, 2 alert fixed, 3 message, 4 monitoring, 5 expired, 6 message fixed. */
  function mixed(): { log: EventLog; store: SqliteEventStore } {
    const { log, store } = setup();
    put(store, 10, 'alert', 1785);
    put(store, 20, 'alert', 1785, { fixed: true, fixedTimestamp: new Date(T0), eventId: '086007' });
    put(store, 30, 'message', 1785, { eventId: '086008' });
    put(store, 40, 'monitoring', 1785, { eventId: '086009' });
    put(store, 50, 'expired', 1785, { objectId: '1' });
    put(store, 60, 'message', 1785, { objectId: '1', fixed: true, fixedTimestamp: new Date(T0) });
    return { log, store };
  }

  it('lists newest first by default', () => {
    const { log } = mixed();
    assert.deepEqual(seqs(log.list()), [6, 5, 4, 3, 2, 1]);
    assert.deepEqual(seqs(log.list({ order: 'date' })), [6, 5, 4, 3, 2, 1]);
  });

  it('breaks ties of the last timestamp by the newer sequence number', () => {
    const { log, store } = setup();
    put(store, 5, 'alert', 1785);
    put(store, 5, 'alert', 1785, { objectId: '1' });
    put(store, 1, 'alert', 1785, { objectId: '2' });
    assert.deepEqual(seqs(log.list()), [2, 1, 3]);
  });

  it('filters by -alert, -message, -monitoring and -fixed', () => {
    const { log } = mixed();
    assert.deepEqual(seqs(log.list({ alert: true })), [2, 1]);
    assert.deepEqual(seqs(log.list({ message: true })), [6, 3]);
    assert.deepEqual(seqs(log.list({ monitoring: true })), [4]);
    assert.deepEqual(seqs(log.list({ alert: true, message: true })), [6, 3, 2, 1]);
    assert.deepEqual(seqs(log.list({ alert: false })), [6, 5, 4, 3]);
    assert.deepEqual(seqs(log.list({ alert: false, message: false, monitoring: false })), [5]);
    assert.deepEqual(seqs(log.list({ alert: true, message: false })), [2, 1]);
    assert.deepEqual(seqs(log.list({ fixed: true })), [6, 2]);
    assert.deepEqual(seqs(log.list({ fixed: false })), [5, 4, 3, 1]);
    // The monitoring tools' query: unfixed alerts, no messages.
    assert.deepEqual(seqs(log.list({ alert: true, message: false, fixed: false })), [1]);
  });

  it('filters by object', () => {
    const { log } = mixed();
    assert.deepEqual(seqs(log.list({ objectType: 'keyserver', objectId: '1' })), [6, 5]);
    assert.deepEqual(seqs(log.list({ objectType: 'node' })), []);
  });

  it('orders by severity: unfixed alerts by error code, messages, monitoring, expired, fixed', () => {
    const { log, store } = mixed();
    put(store, 70, 'alert', 1700, { objectId: '2' }); // 7: more severe code than 1785
    put(store, 80, 'alert', 1785, { objectId: '3' }); // 8: same code as 1, newer
    assert.deepEqual(seqs(log.list({ order: 'severity' })), [7, 8, 1, 3, 4, 5, 6, 2]);
    assert.deepEqual(seqs(log.list({ order: 'severity', fixed: false })), [7, 8, 1, 3, 4, 5]);
    assert.deepEqual(seqs(log.list({ order: 'severity', fixed: true })), [6, 2]);
    assert.deepEqual(seqs(log.list({ order: 'severity', message: true })), [3, 6]);
  });

  it('keeps the first N rows of the order with -count', () => {
    const { log } = mixed();
    assert.deepEqual(seqs(log.list({ count: 2 })), [6, 5]);
    assert.deepEqual(seqs(log.list({ count: 2, order: 'severity' })), [1, 3]);
    assert.deepEqual(seqs(log.list({ count: 2, fixed: false })), [5, 4]);
    assert.deepEqual(seqs(log.list({ count: 100 })), [6, 5, 4, 3, 2, 1]);
  });

  it('lists summaries in the same order and with the same filters', () => {
    const { log } = mixed();
    assert.deepEqual(seqs(log.listSummaries()), [6, 5, 4, 3, 2, 1]);
    assert.deepEqual(seqs(log.listSummaries({ order: 'severity', count: 3 })), [1, 3, 4]);
    assert.deepEqual(seqs(log.listSummaries({ fixed: true })), [6, 2]);
  });

  it('refuses a malformed filter with EVENT_INVALID_FILTER', () => {
    const { log } = mixed();
    const invalid = (err: unknown): boolean =>
      err instanceof EventError && err.code === 'EVENT_INVALID_FILTER';
    assert.throws(() => log.list({ count: 0 }), invalid);
    assert.throws(() => log.listSummaries({ count: -1 }), invalid);
    assert.throws(() => log.list({ count: 1.5 }), invalid);
    assert.throws(() => log.list({ objectId: '1' }), invalid);
  });
});
