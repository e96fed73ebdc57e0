// The command handler: read the aggregate's stream, fold it with `evolve`, `decide`, and append
// with the revision that was read. A concurrent writer makes the append fail with a version
// conflict; then everything is read and decided again, a bounded number of times.
import { isLeft, left, right, type Either } from 'fp-ts/Either';
import type { Aggregate, DomainError } from '@cschat/domain';
import { VersionConflictError } from '../event-store/errors';
import type { EventMetadata, EventStore, NewEvent, Position, RecordedEvent } from '../event-store/port';
import { ATTR, carrierOf, inSpan, SpanKind, tracingOn } from '../tracing/spans';

/** An event in the store that its aggregate cannot read: a bug or a missing upcaster. */
export class UndecodableEventError extends Error {
  override readonly name = 'UndecodableEventError';
  constructor(
    readonly streamId: string,
    readonly revision: bigint,
    reason: string,
  ) {
    super(`${streamId}@${revision}: ${reason}`);
  }
}

export interface Handled<Event, State> {
  /** The events this command appended (none when it changed nothing). */
  readonly events: readonly Event[];
  /** The state after them. */
  readonly state: State;
  /** The stream's revision after the command; undefined while the stream does not exist. */
  readonly revision: bigint | undefined;
  /** Global position of the last appended event. */
  readonly position?: Position;
  /** Version conflicts met on the way. */
  readonly retries: number;
}

export interface HandleOptions {
  readonly maxAttempts?: number;
  readonly metadata?: EventMetadata;
}

export const DEFAULT_MAX_ATTEMPTS = 10;

/** A short random pause before retrying, so that writers racing for one stream spread out. */
const backoff = (attempt: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(100, 2 ** attempt)));

interface Folded {
  readonly aggregate: unknown;
  readonly state: unknown;
  readonly revision: bigint;
}

/**
 * The states this process folded last, per store and stream, so that loading a long stream
 * again reads only the events after the revision it knows (a chat session of a thousand
 * messages is read once, then one event at a time). States are immutable values (deciders are
 * pure), and a stream only grows, so a cached state is a correct prefix of any later read.
 */
const folded = new WeakMap<EventStore, Map<string, Folded>>();
/** Streams kept per store; the least recently used are forgotten first. */
export const FOLDED_STREAMS_KEPT = 20_000;

const remember = (store: EventStore, streamId: string, entry: Folded): void => {
  let streams = folded.get(store);
  if (streams === undefined) {
    streams = new Map();
    folded.set(store, streams);
  }
  streams.delete(streamId);
  streams.set(streamId, entry);
  if (streams.size > FOLDED_STREAMS_KEPT) streams.delete(streams.keys().next().value!);
};

export const loadAggregate = async <Command, Event extends { readonly type: string }, State, Context>(
  store: EventStore,
  aggregate: Aggregate<Command, Event, State, Context>,
  streamId: string,
): Promise<{ state: State; revision: bigint | undefined }> => {
  const known = folded.get(store)?.get(streamId);
  const from = known?.aggregate === aggregate ? known : undefined;
  const recorded = await store.readStream(streamId, from === undefined ? {} : { fromRevision: from.revision + 1n });
  if (from !== undefined && recorded.length === 0) {
    // A hit counts as a use: a stream read often but rarely written (an idle agent's) stays.
    remember(store, streamId, from);
    return { state: from.state as State, revision: from.revision };
  }
  const state = recorded
    .map((r) => decodeRecorded(aggregate.decodeEvent, r))
    .reduce(aggregate.evolve, from === undefined ? aggregate.initialState : (from.state as State));
  const revision = recorded[recorded.length - 1]?.revision ?? from?.revision;
  if (revision !== undefined) remember(store, streamId, { aggregate, state, revision });
  return { state, revision };
};

/**
 * The state right after the event at `revision`: what the aggregate was when that event happened
 * (a consumer that is behind, e.g. after a restart of the bus, must not judge it by a later state).
 * The current state when nothing came after it; otherwise the stream's prefix, folded again.
 */
export const loadAggregateAt = async <Command, Event extends { readonly type: string }, State, Context>(
  store: EventStore,
  aggregate: Aggregate<Command, Event, State, Context>,
  streamId: string,
  revision: bigint,
): Promise<State> => {
  const current = await loadAggregate(store, aggregate, streamId);
  if (current.revision === revision) return current.state;
  const prefix = await store.readStream(streamId, { maxCount: Number(revision) + 1 });
  return prefix.map((r) => decodeRecorded(aggregate.decodeEvent, r)).reduce(aggregate.evolve, aggregate.initialState);
};

const decodeRecorded = <Event>(
  decodeEvent: (type: string, data: Record<string, unknown>) => Either<{ message: string }, Event>,
  recorded: RecordedEvent,
): Event => {
  const decoded = decodeEvent(recorded.type, recorded.data);
  if (isLeft(decoded)) throw new UndecodableEventError(recorded.streamId, recorded.revision, decoded.left.message);
  return decoded.right;
};

/**
 * The state this process folded last for the stream, without a read: possibly behind the store
 * (another process appended since), which an append expecting its revision finds out.
 */
const foldedState = <State>(
  store: EventStore,
  aggregate: unknown,
  streamId: string,
): { state: State; revision: bigint } | undefined => {
  const known = folded.get(store)?.get(streamId);
  if (known === undefined || known.aggregate !== aggregate) return undefined;
  return { state: known.state as State, revision: known.revision };
};

/**
 * Handles one command. `context` is computed from the current state (a session's working hours
 * depend on its group) and again on every retry.
 *
 * The first decision is taken on the state this process folded last, without reading the stream:
 * the append expects that state's revision, so a state that is behind (another process appended
 * since) fails it with a version conflict, and the retry reads what it missed. A refusal or a
 * decision to do nothing taken on that state is checked against a read before it is answered, since
 * what the state misses may change it. On a stream this process writes (a chat session's messages),
 * a command is then one round trip to the store instead of two.
 */
export const handleCommand = <Command, Event extends { readonly type: string }, State, Context>(
  store: EventStore,
  aggregate: Aggregate<Command, Event, State, Context>,
  streamId: string,
  command: Command,
  context: (state: State) => Context | Promise<Context>,
  options: HandleOptions = {},
): Promise<Either<DomainError, Handled<Event, State>>> => {
  if (!tracingOn()) return handle(store, aggregate, streamId, command, context, options);
  const type = (command as { readonly type?: unknown }).type;
  return inSpan(
    `command ${typeof type === 'string' ? type : 'unknown'}`,
    {
      kind: SpanKind.INTERNAL,
      attributes: () => ({
        [ATTR.commandType]: typeof type === 'string' ? type : 'unknown',
        [ATTR.streamId]: streamId,
      }),
    },
    () => handle(store, aggregate, streamId, command, context, options),
  );
};

/**
 * Appends a command's events. Traced, the append is a span of its own and each event's metadata
 * carries its trace context: the relay's publish and every consumer continue the trace from there.
 */
const append = (
  store: EventStore,
  streamId: string,
  events: readonly { readonly type: string }[],
  revision: bigint | undefined,
  metadata: EventMetadata | undefined,
) => {
  const write = (meta: EventMetadata | undefined) =>
    store.append(
      streamId,
      events.map(({ type, ...data }): NewEvent => ({ type, data, ...(meta ? { metadata: meta } : {}) })),
      revision ?? 'no_stream',
    );
  if (!tracingOn()) return write(metadata);
  return inSpan(
    'append',
    {
      kind: SpanKind.CLIENT,
      attributes: () => ({
        [ATTR.streamId]: streamId,
        [ATTR.eventCount]: events.length,
        [ATTR.eventTypes]: events.map((e) => e.type),
      }),
    },
    () => {
      const trace = carrierOf();
      return write(trace === undefined ? metadata : { ...metadata, trace });
    },
  );
};

const handle = async <Command, Event extends { readonly type: string }, State, Context>(
  store: EventStore,
  aggregate: Aggregate<Command, Event, State, Context>,
  streamId: string,
  command: Command,
  context: (state: State) => Context | Promise<Context>,
  options: HandleOptions,
): Promise<Either<DomainError, Handled<Event, State>>> => {
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  let unread = foldedState<State>(store, aggregate, streamId);
  for (let attempt = 1; ; attempt++) {
    const known = unread;
    unread = undefined;
    const { state, revision } = known ?? (await loadAggregate(store, aggregate, streamId));
    const decision = aggregate.decide(command, state, await context(state));
    if (isLeft(decision) || decision.right.length === 0) {
      // Taken on a state that may be behind: decided again on what the stream holds now.
      if (known !== undefined) {
        attempt -= 1;
        continue;
      }
      if (isLeft(decision)) return left(decision.left);
      return right({ events: [], state, revision, retries: attempt - 1 });
    }
    const events = decision.right;
    try {
      const appended = await append(store, streamId, events, revision, options.metadata);
      const after = events.reduce(aggregate.evolve, state);
      remember(store, streamId, { aggregate, state: after, revision: appended.revision });
      return right({
        events,
        state: after,
        revision: appended.revision,
        position: appended.position,
        retries: attempt - 1,
      });
    } catch (error) {
      if (!(error instanceof VersionConflictError) || attempt >= maxAttempts) throw error;
      await backoff(attempt);
    }
  }
};
