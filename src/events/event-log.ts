/**
 * The event log (shared/reference/keyserver-ibm.md §2.7): raising with coalescing, fixing by
 * hand (`cheventlog -fix`) and automatically (a later validation passed), the err_seq_num
 * priority rule, and listing. Storage is the {@link EventStore} port; time is an injected clock.
 */
import { EVENT_CATALOGUE } from './catalogue.ts';
import { EventError } from './errors.ts';
import {
  SENSE_BYTES,
  type EventFilter,
  type EventId,
  type EventObjectType,
  type EventRecord,
  type EventStatus,
  type EventStore,
  type EventSummary,
  type RaiseInput,
} from './types.ts';

/** Priority of a status for err_seq_num and `-order severity`: lower is more urgent. */
export const STATUS_PRIORITY: { readonly [S in EventStatus]: number } = {
  alert: 0,
  message: 1,
  monitoring: 2,
  expired: 3,
};

/**
 * Orders unfixed events by the err_seq_num rule: alerts before messages before monitoring
 * (before expired), then the lower error code, then the older (lower) sequence number.
 */
export function comparePriority(a: EventRecord, b: EventRecord): number {
  return (
    STATUS_PRIORITY[a.status] - STATUS_PRIORITY[b.status] ||
    a.errorCode - b.errorCode ||
    a.sequenceNumber - b.sequenceNumber
  );
}

/** `sense` as exactly {@link SENSE_BYTES} bytes (zero-padded, copied). */
function padSense(sense: Uint8Array): Uint8Array {
  if (sense.length > SENSE_BYTES) {
    throw new RangeError(`sense data must be at most ${SENSE_BYTES} bytes, got ${sense.length}`);
  }
  const b = new Uint8Array(SENSE_BYTES);
  b.set(sense);
  return b;
}

/**
 * Checks what the types cannot say about a filter (the CLI and REST layers parse their input
 * into an EventFilter; count is any number there).
 */
function checkFilter(f: EventFilter): void {
  if (f.count !== undefined && (!Number.isSafeInteger(f.count) || f.count < 1)) {
    throw new EventError(
      'EVENT_INVALID_FILTER',
      `count must be a whole number from 1, got ${f.count}`,
    );
  }
  if (f.objectId !== undefined && f.objectType === undefined) {
    throw new EventError('EVENT_INVALID_FILTER', 'an object id needs an object type');
  }
}

export class EventLog {
  private readonly store: EventStore;
  private readonly clock: () => Date;

  /** @param clock the time of raises and fixes (`() => new Date()` in production). */
  constructor(store: EventStore, clock: () => Date) {
    this.store = store;
    this.clock = clock;
  }

  /**
   * Logs an event. While an event with the same ID about the same object is unfixed, a new
   * occurrence coalesces into it: event_count + 1, last_timestamp = now, and the sense data,
   * object name and reporting node become the latest occurrence's (the sense describes the
   * latest failure). Otherwise a new event (status alert, notification error, error code
   * 1785) is stored with the next sequence number.
   */
  raise(input: RaiseInput): EventRecord {
    const now = this.clock();
    const sense = padSense(input.sense);
    const open = this.store.findUnfixed(input.eventId, input.objectType, input.objectId);
    if (open) {
      const updated: EventRecord = {
        ...open,
        lastTimestamp: now,
        eventCount: open.eventCount + 1,
        objectName: input.objectName,
        reportingNodeId: input.reportingNodeId,
        reportingNodeName: input.reportingNodeName,
        sense,
      };
      this.store.update(updated);
      return updated;
    }
    const entry = EVENT_CATALOGUE.events[input.eventId];
    return this.store.insert({
      firstTimestamp: now,
      lastTimestamp: now,
      objectType: input.objectType,
      objectId: input.objectId,
      objectName: input.objectName,
      copyId: '',
      reportingNodeId: input.reportingNodeId,
      reportingNodeName: input.reportingNodeName,
      eventCount: 1,
      status: entry.status,
      fixed: false,
      autoFixed: false,
      fixedTimestamp: undefined,
      notificationType: entry.notificationType,
      eventId: input.eventId,
      errorCode: entry.errorCode,
      sense,
    });
  }

  /**
   * `cheventlog -fix`: marks an unfixed event fixed by hand. Throws EVENT_NOT_FOUND for an
   * unknown sequence number and EVENT_ALREADY_FIXED for a fixed event (changing nothing).
   */
  fix(sequenceNumber: number): EventRecord {
    const e = this.store.get(sequenceNumber);
    if (!e) {
      throw new EventError('EVENT_NOT_FOUND', `no event has the sequence number ${sequenceNumber}`);
    }
    if (e.fixed) {
      throw new EventError(
        'EVENT_ALREADY_FIXED',
        `event ${sequenceNumber} is fixed already${e.autoFixed ? ' (automatically)' : ''}`,
      );
    }
    const fixed: EventRecord = {
      ...e,
      fixed: true,
      autoFixed: false,
      fixedTimestamp: this.clock(),
    };
    this.store.update(fixed);
    return fixed;
  }

  /**
   * Fixes automatically (auto_fixed yes) every unfixed event about an object, or only those
   * with the given IDs: a later validation of the object passed. Returns the events fixed,
   * oldest first.
   */
  autoFix(
    objectType: EventObjectType,
    objectId: string,
    eventIds?: readonly EventId[],
  ): EventRecord[] {
    const now = this.clock();
    const out: EventRecord[] = [];
    const open = this.store
      .unfixedFor(objectType, objectId)
      .filter((e) => eventIds === undefined || eventIds.includes(e.eventId))
      .sort((a, b) => a.sequenceNumber - b.sequenceNumber);
    for (const e of open) {
      const fixed: EventRecord = { ...e, fixed: true, autoFixed: true, fixedTimestamp: now };
      this.store.update(fixed);
      out.push(fixed);
    }
    return out;
  }

  /**
   * The event whose sequence number is the object's err_seq_num: among its unfixed events,
   * alerts before messages before monitoring, then the lower error code, then the oldest.
   */
  highestPriorityUnfixed(objectType: EventObjectType, objectId: string): EventRecord | undefined {
    let best: EventRecord | undefined;
    for (const e of this.store.unfixedFor(objectType, objectId)) {
      if (best === undefined || comparePriority(e, best) < 0) best = e;
    }
    return best;
  }

  get(sequenceNumber: number): EventRecord | undefined {
    return this.store.get(sequenceNumber);
  }

  /** `lseventlog`: filtered, ordered and counted by the store. Throws EVENT_INVALID_FILTER. */
  list(filter: EventFilter = {}): EventRecord[] {
    checkFilter(filter);
    return this.store.list(filter);
  }

  /**
   * The same list with only the fields of the concise view: what `lseventlog` without a
   * sequence number needs, read in a fraction of the time over a long log.
   */
  listSummaries(filter: EventFilter = {}): EventSummary[] {
    checkFilter(filter);
    return this.store.listSummaries(filter);
  }
}
