/**
 * SqliteEventStore: every field survives the database, events survive reopening the file,
 * the schema keeps its invariants, and every list the CLI can ask for runs on an index.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';

import {
  EVENT_IDS,
  EVENT_OBJECT_TYPES,
  EVENT_STATUSES,
  EventLog,
  NOTIFICATION_TYPES,
  SENSE_BYTES,
  encodeSense,
  type EventFilter,
  type EventRecord,
  type RaiseInput,
} from '../../src/events/index.ts';
import { openDatabase } from '../../src/storage/sqlite/database.ts';
import { SqliteEventStore } from '../../src/storage/sqlite/event-store.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'sekisho-event-store-'));
  dirs.push(d);
  return d;
}

function sense(seed: number): Uint8Array {
  const b = new Uint8Array(SENSE_BYTES);
  for (let i = 0; i < b.length; i++) b[i] = (seed * 31 + i * 7) & 0xff;
  return b;
}

function record(i: number): Omit<EventRecord, 'sequenceNumber'> {
  const fixed = i % 2 === 1;
  return {
    firstTimestamp: new Date(Date.UTC(2025, 0, 1) + i * 1000 + 123),
    lastTimestamp: new Date(Date.UTC(2025, 0, 2) + i * 1000 + 456),
    objectType: EVENT_OBJECT_TYPES[i % EVENT_OBJECT_TYPES.length]!,
    objectId: String(i),
    objectName: `名前 ${i}\n`,
    copyId: i % 2 ? '' : '1',
    reportingNodeId: String(i % 3),
    reportingNodeName: `node${i % 3}`,
    eventCount: i + 1,
    status: EVENT_STATUSES[i % EVENT_STATUSES.length]!,
    fixed,
    autoFixed: i % 4 === 3,
    fixedTimestamp: fixed ? new Date(Date.UTC(2025, 0, 3) + i) : undefined,
    notificationType: NOTIFICATION_TYPES[i % NOTIFICATION_TYPES.length]!,
    eventId: EVENT_IDS[i % EVENT_IDS.length]!,
    errorCode: 1780 + i,
    sense: sense(i),
  };
}

const raise = (objectId: string, message: string): RaiseInput => ({
  eventId: '086008',
  objectType: 'keyserver',
  objectId,
  objectName: `keyserver${objectId}`,
  reportingNodeId: '1',
  reportingNodeName: 'node1',
  sense: encodeSense({ eventId: '086008', stageCode: 3, causeCode: 'ECONNREFUSED', message }),
});

describe('SqliteEventStore', () => {
  it('stores and reads back every field of every kind of event', () => {
    const store = new SqliteEventStore(new DatabaseSync(':memory:'));
    for (let i = 0; i < 12; i++) {
      const stored = store.insert(record(i));
      assert.equal(stored.sequenceNumber, i + 1);
      assert.deepEqual(store.get(stored.sequenceNumber), stored);
    }
    assert.equal(store.get(13), undefined);
    assert.equal(store.list({}).length, 12);
  });

  it('updates every field', () => {
    const store = new SqliteEventStore(new DatabaseSync(':memory:'));
    const a = store.insert(record(0));
    const changed: EventRecord = { ...record(5), sequenceNumber: a.sequenceNumber };
    store.update(changed);
    assert.deepEqual(store.get(a.sequenceNumber), changed);
  });

  it('finds the unfixed event of an ID and object, and all unfixed events of an object', () => {
    const store = new SqliteEventStore(new DatabaseSync(':memory:'));
    const log = new EventLog(store, () => new Date(0));
    const a = log.raise(raise('0', 'a'));
    const b = log.raise({ ...raise('0', 'b'), eventId: '086006' });
    log.raise(raise('1', 'c'));
    assert.deepEqual(store.findUnfixed('086008', 'keyserver', '0'), a);
    assert.equal(store.findUnfixed('086009', 'keyserver', '0'), undefined);
    assert.equal(store.findUnfixed('086008', 'node', '0'), undefined);
    assert.deepEqual(store.unfixedFor('keyserver', '0'), [a, b]);
    log.fix(a.sequenceNumber);
    assert.equal(store.findUnfixed('086008', 'keyserver', '0'), undefined);
    assert.deepEqual(store.unfixedFor('keyserver', '0'), [b]);
  });

  it('keeps events across closing and reopening the database file', () => {
    const dir = tempDir();
    let now = Date.UTC(2025, 5, 1, 12, 0, 0, 250);
    const clock = (): Date => new Date(now);
    const db1 = openDatabase(dir);
    const log1 = new EventLog(new SqliteEventStore(db1), clock);
    const a = log1.raise(raise('0', 'first'));
    now += 60_000;
    const coalesced = log1.raise(raise('0', 'second'));
    const b = log1.raise(raise('1', 'other'));
    now += 60_000;
    const fixedB = log1.fix(b.sequenceNumber);
    db1.close();

    const db2 = openDatabase(dir); // the constructor's migration runs again: idempotent
    const log2 = new EventLog(new SqliteEventStore(db2), clock);
    assert.deepEqual(log2.get(a.sequenceNumber), coalesced);
    assert.deepEqual(log2.get(b.sequenceNumber), fixedB);
    assert.equal(coalesced.eventCount, 2);
    assert.deepEqual(log2.list(), [fixedB, coalesced]);
    // Coalescing and numbering carry on where they stopped.
    now += 60_000;
    assert.equal(log2.raise(raise('0', 'third')).eventCount, 3);
    assert.equal(log2.raise(raise('2', 'new')).sequenceNumber, 3);
    db2.close();
  });

  it('holds at most one unfixed event per event ID and object', () => {
    const store = new SqliteEventStore(new DatabaseSync(':memory:'));
    const e = { ...record(0), fixed: false, fixedTimestamp: undefined };
    store.insert(e);
    assert.throws(() => store.insert(e), /UNIQUE constraint failed/);
    store.insert({ ...e, fixed: true, fixedTimestamp: new Date(0) });
    store.insert({ ...e, fixed: true, fixedTimestamp: new Date(0) });
    assert.equal(store.list({}).length, 3);
  });

  it('refuses what no event can hold', () => {
    const db = new DatabaseSync(':memory:');
    const store = new SqliteEventStore(db);
    assert.throws(() => store.insert({ ...record(0), sense: new Uint8Array(127) }), /CHECK/);
    assert.throws(() => store.insert({ ...record(0), eventCount: 0 }), /CHECK/);
    store.insert(record(0));
    assert.throws(() => {
      db.exec("UPDATE events SET status = 'bogus'");
    }, /CHECK/);
  });

  it('numbers events for good: a removed newest number is not given again', () => {
    const db = new DatabaseSync(':memory:');
    const store = new SqliteEventStore(db);
    store.insert(record(0));
    store.insert(record(1));
    db.exec('DELETE FROM events WHERE sequence_number = 2');
    assert.equal(store.insert(record(2)).sequenceNumber, 3);
  });

  it('runs every list of lseventlog on an index, with no sort of its own', () => {
    const store = new SqliteEventStore(new DatabaseSync(':memory:'));
    const filters: EventFilter[] = [
      {},
      { count: 100 },
      { fixed: false },
      { fixed: true, count: 10 },
      { order: 'severity' },
      { order: 'severity', fixed: false },
      { order: 'severity', fixed: true, count: 5 },
      { alert: true, message: false, fixed: false },
      { monitoring: true, order: 'severity', count: 3 },
      { objectType: 'keyserver', objectId: '0' },
    ];
    for (const f of filters) {
      for (const kind of ['summaries', 'records'] as const) {
        const plan = store.queryPlan(f, kind).join('; ');
        assert.match(plan, /USING (COVERING )?INDEX events_by_/, `${kind} ${JSON.stringify(f)}`);
        assert.doesNotMatch(plan, /TEMP B-TREE/, `${kind} ${JSON.stringify(f)}`);
      }
    }
    assert.match(store.queryPlan({ order: 'severity', fixed: false }).join(), /severity_rank<\?/);
    // The plain lseventlog reads the date index alone.
    assert.deepEqual(store.queryPlan({}), ['SCAN events USING COVERING INDEX events_by_date']);
    assert.deepEqual(store.queryPlan({ count: 100 }), [
      'SCAN events USING COVERING INDEX events_by_date',
    ]);
  });

  it('lists summaries with the fields, filters and order of the whole list', () => {
    const store = new SqliteEventStore(new DatabaseSync(':memory:'));
    for (let i = 0; i < 24; i++) store.insert(record(i));
    const filters: EventFilter[] = [
      {},
      { count: 5 },
      { fixed: false, order: 'severity' },
      { alert: true, message: true, fixed: true },
      { objectType: 'node', objectId: '2' },
    ];
    for (const f of filters) {
      const summaries = store.listSummaries(f);
      const records = store.list(f);
      assert.deepEqual(
        summaries,
        records.map((e) => ({
          sequenceNumber: e.sequenceNumber,
          lastTimestamp: e.lastTimestamp,
          objectType: e.objectType,
          objectId: e.objectId,
          objectName: e.objectName,
          copyId: e.copyId,
          status: e.status,
          fixed: e.fixed,
          eventId: e.eventId,
          errorCode: e.errorCode,
        })),
        JSON.stringify(f),
      );
    }
  });

  it('returns the newest N events with -count', () => {
    const db = new DatabaseSync(':memory:');
    const store = new SqliteEventStore(db);
    db.exec('BEGIN');
    for (let i = 0; i < 5000; i++) {
      store.insert({ ...record(i), objectId: `o${i}`, fixed: true, fixedTimestamp: new Date(0) });
    }
    db.exec('COMMIT');
    const newest = store.list({ count: 3 });
    assert.deepEqual(
      newest.map((e) => e.sequenceNumber),
      [5000, 4999, 4998],
    );
    assert.equal(store.list({ fixed: true, order: 'severity', count: 1 })[0]?.sequenceNumber, 5000);
    assert.equal(store.list({ fixed: false }).length, 0);
  });
});
