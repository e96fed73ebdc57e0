// The event store on EventStoreDB through its official gRPC client. Positions are EventStoreDB's
// own (commit, prepare); system events ($-prefixed streams and types) are never returned.
import {
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  WrongExpectedVersionError,
  eventTypeFilter,
  excludeSystemEvents,
  jsonEvent,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type AppendExpectedRevision,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { VersionConflictError } from './errors';
import type {
  AppendResult,
  EventMetadata,
  EventStore,
  ExpectedRevision,
  NewEvent,
  Position,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
} from './port';
import { comparePositions, matchesFilter } from './port';
import { prepareAppend } from './validation';

const toEsdbRevision = (expected: ExpectedRevision): AppendExpectedRevision =>
  expected === 'any'
    ? ANY
    : expected === 'no_stream'
      ? NO_STREAM
      : expected === 'stream_exists'
        ? STREAM_EXISTS
        : expected;

// EventStoreDB's own projections read correlation and causation from `$`-prefixed keys.
const toEsdbMetadata = ({ correlationId, causationId, ...rest }: EventMetadata): Record<string, unknown> => ({
  ...rest,
  ...(correlationId === undefined ? {} : { $correlationId: correlationId }),
  ...(causationId === undefined ? {} : { $causationId: causationId }),
});

const fromEsdbMetadata = (metadata: unknown): EventMetadata => {
  if (typeof metadata !== 'object' || metadata === null) return {};
  const { $correlationId, $causationId, ...rest } = metadata as Record<string, unknown>;
  return {
    ...rest,
    ...(typeof $correlationId === 'string' ? { correlationId: $correlationId } : {}),
    ...(typeof $causationId === 'string' ? { causationId: $causationId } : {}),
  };
};

const isSystem = (resolved: ResolvedEvent): boolean =>
  resolved.event === undefined || resolved.event.streamId.startsWith('$') || resolved.event.type.startsWith('$');

const toRecordedEvent = (resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent => {
  const event = resolved.event!;
  if (event.position === undefined) throw new Error(`event ${event.id} of ${event.streamId} has no position`);
  return {
    streamId: event.streamId,
    revision: event.revision,
    position: { commit: event.position.commit, prepare: event.position.prepare },
    eventId: event.id,
    type: event.type,
    data: (event.isJson ? event.data : {}) as Record<string, unknown>,
    metadata: fromEsdbMetadata(event.metadata),
    recordedAt: event.created,
  };
};

export interface EventStoreDbOptions {
  /** e.g. esdb://127.0.0.1:2113?tls=false */
  readonly url: string;
  readonly maxEventBytes?: number;
}

export class EventStoreDbEventStore implements EventStore {
  private client: EventStoreDBClient | undefined;
  private readonly subscriptions = new Set<Subscription>();

  constructor(private readonly options: EventStoreDbOptions) {}

  async start(): Promise<void> {
    this.client ??= EventStoreDBClient.connectionString(this.options.url);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    const client = this.client;
    this.client = undefined;
    await client?.dispose();
  }

  private get db(): EventStoreDBClient {
    if (this.client === undefined) throw new Error('EventStoreDB event store used before start()');
    return this.client;
  }

  async append(
    streamId: string,
    events: readonly NewEvent[],
    expectedRevision: ExpectedRevision,
  ): Promise<AppendResult> {
    const prepared = prepareAppend(streamId, events, this.options.maxEventBytes);
    try {
      const result = await this.db.appendToStream(
        streamId,
        prepared.map((e) =>
          jsonEvent({
            id: e.eventId,
            type: e.type,
            data: JSON.parse(e.data) as Record<string, unknown>,
            metadata: toEsdbMetadata(JSON.parse(e.metadata) as EventMetadata),
          }),
        ),
        { expectedRevision: toEsdbRevision(expectedRevision) },
      );
      if (result.position === undefined) throw new Error(`append to ${streamId} returned no position`);
      return {
        revision: result.nextExpectedRevision,
        position: { commit: result.position.commit, prepare: result.position.prepare },
      };
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        const actual = error.actualVersion;
        throw new VersionConflictError(streamId, expectedRevision, typeof actual === 'bigint' ? actual : undefined);
      }
      throw error;
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const events: RecordedEvent[] = [];
    try {
      const read = this.db.readStream(streamId, {
        direction: backwards ? BACKWARDS : FORWARDS,
        fromRevision: options.fromRevision ?? (backwards ? END : START),
        ...(options.maxCount === undefined ? {} : { maxCount: options.maxCount }),
      });
      for await (const resolved of read) events.push(toRecordedEvent(resolved));
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  async readAll(options: ReadAllOptions): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    // readAll starts at the given position inclusively; the port's `after` is exclusive. System
    // events count towards EventStoreDB's maxCount, so read on until the batch is full.
    let after = options.after;
    for (;;) {
      const page = await this.readPage({
        fromPosition: after ?? START,
        direction: FORWARDS,
        maxCount: options.maxCount + 1,
      });
      for (const resolved of page) {
        if (isSystem(resolved)) continue;
        const event = toRecordedEvent(resolved);
        if (after !== undefined && comparePositions(event.position, after) <= 0) continue;
        events.push(event);
        if (events.length === options.maxCount) return events;
      }
      const last = page[page.length - 1]?.event?.position;
      if (page.length < options.maxCount + 1 || last === undefined) return events;
      after = { commit: last.commit, prepare: last.prepare };
    }
  }

  // Reads to the end: a read left half-way (a `return` inside `for await`) keeps its gRPC call open,
  // and the client's dispose(), so stop(), then waits for it forever.
  private async readPage(options: Parameters<EventStoreDBClient['readAll']>[0]): Promise<AllStreamResolvedEvent[]> {
    const page: AllStreamResolvedEvent[] = [];
    for await (const resolved of this.db.readAll(options)) page.push(resolved);
    return page;
  }

  async lastPosition(): Promise<Position | undefined> {
    const page = await this.readPage({ fromPosition: END, direction: BACKWARDS, maxCount: 100 });
    const last = page.find((resolved) => !isSystem(resolved));
    return last === undefined ? undefined : toRecordedEvent(last).position;
  }

  subscribe(options: SubscribeOptions = {}): Subscription {
    const { filter } = options;
    // EventStoreDB filters on one thing; the other part of the filter is applied here.
    const serverFilter =
      filter?.streamPrefixes !== undefined
        ? streamNameFilter({ prefixes: [...filter.streamPrefixes] })
        : filter?.eventTypes !== undefined
          ? eventTypeFilter({ prefixes: [...filter.eventTypes] })
          : excludeSystemEvents();
    const esdb = this.db.subscribeToAll({ fromPosition: options.after ?? START, filter: serverFilter });
    const subscriptions = this.subscriptions;
    async function* events(): AsyncGenerator<RecordedEvent> {
      for await (const resolved of esdb) {
        if (isSystem(resolved)) continue;
        const event = toRecordedEvent(resolved);
        if (matchesFilter(event, filter)) yield event;
      }
    }
    const iterator = events();
    const subscription: Subscription = {
      [Symbol.asyncIterator]: () => iterator,
      stop: async () => {
        subscriptions.delete(subscription);
        await esdb.unsubscribe();
        await iterator.return(undefined);
      },
    };
    subscriptions.add(subscription);
    return subscription;
  }
}
