/**
 * The event log in the IBM Storage manner (shared/reference/keyserver-ibm.md §2.7): numbered
 * events that coalesce while unfixed, carry 128 bytes of sense data, and are fixed by hand
 * (`cheventlog -fix`) or automatically when a later check passes.
 */

/** Event IDs this product raises; all belong to error code 1785 (key server problem). */
export const EVENT_IDS = ['086006', '086007', '086008', '086009'] as const;
export type EventId = (typeof EVENT_IDS)[number];

export const EVENT_STATUSES = ['alert', 'message', 'monitoring', 'expired'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

export const NOTIFICATION_TYPES = ['error', 'warning', 'informational'] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

/** Kinds of object an event can be about. */
export const EVENT_OBJECT_TYPES = ['keyserver', 'cluster', 'node'] as const;
export type EventObjectType = (typeof EVENT_OBJECT_TYPES)[number];

/** Size of the sense data of every event, bytes (8 lines of 16 in the detailed view). */
export const SENSE_BYTES = 128;

export interface EventRecord {
  readonly sequenceNumber: number;
  readonly firstTimestamp: Date;
  readonly lastTimestamp: Date;
  readonly objectType: EventObjectType;
  readonly objectId: string;
  readonly objectName: string;
  readonly copyId: string;
  readonly reportingNodeId: string;
  readonly reportingNodeName: string;
  /** How many times the event was raised while unfixed (coalescing). */
  readonly eventCount: number;
  readonly status: EventStatus;
  readonly fixed: boolean;
  /** Fixed by a later successful check rather than by `cheventlog -fix`. */
  readonly autoFixed: boolean;
  readonly fixedTimestamp: Date | undefined;
  readonly notificationType: NotificationType;
  readonly eventId: EventId;
  readonly errorCode: number;
  /** Exactly {@link SENSE_BYTES} bytes. */
  readonly sense: Uint8Array;
}

/**
 * The fields of the concise view (`lseventlog` without a sequence number). Listing these reads
 * a fraction of each stored event, which keeps a list of 100,000 events fast. (Added by the
 * event-log work: an addition, no existing shape changed.)
 */
export type EventSummary = Pick<
  EventRecord,
  | 'sequenceNumber'
  | 'lastTimestamp'
  | 'objectType'
  | 'objectId'
  | 'objectName'
  | 'copyId'
  | 'status'
  | 'fixed'
  | 'eventId'
  | 'errorCode'
>;

/** What a caller gives to raise an event. */
export interface RaiseInput {
  readonly eventId: EventId;
  readonly objectType: EventObjectType;
  readonly objectId: string;
  readonly objectName: string;
  readonly reportingNodeId: string;
  readonly reportingNodeName: string;
  /** At most {@link SENSE_BYTES} bytes; zero-padded. */
  readonly sense: Uint8Array;
}

export type YesNo = 'yes' | 'no';

/** Filters of `lseventlog` (each undefined means "no filter"). */
export interface EventFilter {
  readonly alert?: boolean;
  readonly message?: boolean;
  readonly monitoring?: boolean;
  readonly fixed?: boolean;
  readonly objectType?: EventObjectType;
  readonly objectId?: string;
  /** 'date' (newest first) or 'severity' (unfixed alerts by error code, …, fixed last). */
  readonly order?: 'date' | 'severity';
  /** Most recent N rows after filtering and ordering. */
  readonly count?: number;
}

/** Persistence of events (adapters: src/storage/sqlite). Synchronous: node:sqlite is. */
export interface EventStore {
  /** Stores a new event and returns it with its sequence number. */
  insert(e: Omit<EventRecord, 'sequenceNumber'>): EventRecord;
  update(e: EventRecord): void;
  get(sequenceNumber: number): EventRecord | undefined;
  /** The unfixed event with this ID about this object, if any (there is at most one). */
  findUnfixed(
    eventId: EventId,
    objectType: EventObjectType,
    objectId: string,
  ): EventRecord | undefined;
  /** Every unfixed event about this object. */
  unfixedFor(objectType: EventObjectType, objectId: string): EventRecord[];
  /** Filtered, ordered and limited in the store (fast over 100,000 events). */
  list(filter: EventFilter): EventRecord[];
  /** The same list with only the concise view's fields (added with EventSummary). */
  listSummaries(filter: EventFilter): EventSummary[];
}
