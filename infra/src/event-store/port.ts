// The event store port: every adapter (PostgreSQL, PGlite, EventStoreDB) implements this and
// passes the one contract suite in contract.ts.

/** A place in the global log. PostgreSQL: commit = transaction id, prepare = sequence number. */
export interface Position {
  readonly commit: bigint;
  readonly prepare: bigint;
}

/**
 * What the writer believes about the stream before appending. A bigint is the revision of the
 * stream's last event (revisions start at 0).
 */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | bigint;

export interface EventMetadata {
  readonly correlationId?: string;
  readonly causationId?: string;
  /** The W3C trace context of the command that wrote the event (when tracing was on). */
  readonly trace?: { readonly traceparent: string; readonly tracestate?: string };
  readonly [key: string]: unknown;
}

export interface NewEvent {
  /** Optional: generated when absent. */
  readonly eventId?: string;
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly metadata?: EventMetadata;
}

export interface RecordedEvent {
  readonly streamId: string;
  readonly revision: bigint;
  readonly position: Position;
  readonly eventId: string;
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly metadata: EventMetadata;
  readonly recordedAt: Date;
}

export interface AppendResult {
  /** Revision of the last event written: the expected revision for the next append. */
  readonly revision: bigint;
  /** Global position of the last event written. */
  readonly position: Position;
}

export interface ReadStreamOptions {
  readonly direction?: 'forwards' | 'backwards';
  /** Inclusive. Forwards defaults to the first event, backwards to the last. */
  readonly fromRevision?: bigint;
  readonly maxCount?: number;
}

export interface ReadAllOptions {
  /** Exclusive: events strictly after this position. Absent: from the beginning. */
  readonly after?: Position;
  readonly maxCount: number;
}

export interface EventFilter {
  readonly streamPrefixes?: readonly string[];
  readonly eventTypes?: readonly string[];
}

export interface SubscribeOptions {
  /** Exclusive, as in ReadAllOptions. */
  readonly after?: Position;
  readonly filter?: EventFilter;
}

/** Catch-up then live; iterate with `for await`, end with `stop()` (or `break`). */
export interface Subscription extends AsyncIterable<RecordedEvent> {
  stop(): Promise<void>;
}

export interface EventStore {
  /** Connects and prepares storage (creates tables); safe to call twice. */
  start(): Promise<void>;
  /** Ends subscriptions and closes connections; safe to call twice. */
  stop(): Promise<void>;
  append(streamId: string, events: readonly NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult>;
  /** A stream that does not exist reads as empty. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** One batch of the global log, in global order, without gaps. */
  readAll(options: ReadAllOptions): Promise<RecordedEvent[]>;
  /** Position of the last event of the global log that readers can see (progress and lag). */
  lastPosition(): Promise<Position | undefined>;
  subscribe(options?: SubscribeOptions): Subscription;
}

const compareBigints = (a: bigint, b: bigint): number => (a === b ? 0 : a < b ? -1 : 1);

export const comparePositions = (a: Position, b: Position): number =>
  compareBigints(a.commit, b.commit) || compareBigints(a.prepare, b.prepare);

export const matchesFilter = (event: RecordedEvent, filter: EventFilter | undefined): boolean =>
  filter === undefined ||
  ((filter.streamPrefixes === undefined || filter.streamPrefixes.some((prefix) => event.streamId.startsWith(prefix))) &&
    (filter.eventTypes === undefined || filter.eventTypes.includes(event.type)));
