// The command handler: read the aggregate's stream, fold it with `evolve`, `decide`, and append
// with the revision that was read. A concurrent writer makes the append fail with a version
// conflict; then everything is read and decided again, a bounded number of times.
import { isLeft, left, right, type Either } from 'fp-ts/Either';
import type { Aggregate, DomainError } from '@cschat/domain';
import { VersionConflictError } from '../event-store/errors';
import type { EventMetadata, EventStore, Position, RecordedEvent } from '../event-store/port';

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

export const loadAggregate = async <Command, Event extends { readonly type: string }, State, Context>(
  store: EventStore,
  aggregate: Aggregate<Command, Event, State, Context>,
  streamId: string,
): Promise<{ state: State; revision: bigint | undefined }> => {
  const recorded = await store.readStream(streamId);
  const state = recorded
    .map((r) => decodeRecorded(aggregate.decodeEvent, r))
    .reduce(aggregate.evolve, aggregate.initialState);
  return { state, revision: recorded[recorded.length - 1]?.revision };
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
 * Handles one command. `context` is computed from the current state (a session's working hours
 * depend on its group) and again on every retry.
 */
export const handleCommand = async <Command, Event extends { readonly type: string }, State, Context>(
  store: EventStore,
  aggregate: Aggregate<Command, Event, State, Context>,
  streamId: string,
  command: Command,
  context: (state: State) => Context | Promise<Context>,
  options: HandleOptions = {},
): Promise<Either<DomainError, Handled<Event, State>>> => {
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  for (let attempt = 1; ; attempt++) {
    const { state, revision } = await loadAggregate(store, aggregate, streamId);
    const decision = aggregate.decide(command, state, await context(state));
    if (isLeft(decision)) return left(decision.left);
    const events = decision.right;
    if (events.length === 0) return right({ events, state, revision, retries: attempt - 1 });
    try {
      const appended = await store.append(
        streamId,
        events.map(({ type, ...data }) => ({
          type,
          data,
          ...(options.metadata ? { metadata: options.metadata } : {}),
        })),
        revision ?? 'no_stream',
      );
      return right({
        events,
        state: events.reduce(aggregate.evolve, state),
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
