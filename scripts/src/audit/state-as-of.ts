// The state of one aggregate as it was at a time: its events recorded up to then, folded with
// the domain's own `evolve`, so the audit shows what the deciders saw, not a re-interpretation.
import { agent, queue, session, type Aggregate } from '@cschat/domain';
import type { EventStore, RecordedEvent } from '@cschat/infra';
import { isLeft } from 'fp-ts/Either';
import { readStreamPaged, streamOf } from './history';
import type { AggregateScope } from './request';
import { printable } from './who-did-what';

export interface SkippedEvent {
  readonly revision: string;
  readonly type: string;
  readonly reason: string;
}

export interface StateAsOf {
  readonly streamId: string;
  readonly asOf: string;
  /** Revision and recorded time of the last event folded. */
  readonly revision: string;
  readonly recordedAt: string;
  readonly state: unknown;
  /** Events that could not be decoded and were left out of the fold: the state may be wrong. */
  readonly undecodable?: readonly SkippedEvent[];
}

/**
 * The stream up to the first event recorded after `asOf`. A state is the fold of a prefix of its
 * stream (revisions are the order the aggregate saw), so the prefix ends there even if a later
 * revision were to carry an earlier time.
 */
const recordedUpTo = async (store: EventStore, streamId: string, asOf: Date): Promise<RecordedEvent[]> => {
  const events: RecordedEvent[] = [];
  for await (const event of readStreamPaged(store, streamId)) {
    if (event.recordedAt.getTime() > asOf.getTime()) break;
    events.push(event);
  }
  return events;
};

const foldRecorded = <Command, Event extends { readonly type: string }, State, Context>(
  aggregate: Aggregate<Command, Event, State, Context>,
  events: readonly RecordedEvent[],
): { state: State; undecodable: SkippedEvent[] } => {
  let state = aggregate.initialState;
  const undecodable: SkippedEvent[] = [];
  for (const recorded of events) {
    const decoded = aggregate.decodeEvent(recorded.type, recorded.data);
    if (isLeft(decoded)) {
      const reason = printable(decoded.left.message);
      undecodable.push({ revision: recorded.revision.toString(), type: recorded.type, reason });
    } else {
      state = aggregate.evolve(state, decoded.right);
    }
  }
  return { state, undecodable };
};

const foldScope = (scope: AggregateScope, events: readonly RecordedEvent[]) => {
  switch (scope.kind) {
    case 'session':
      return foldRecorded(session.sessionAggregate, events);
    case 'agent':
      return foldRecorded(agent.agentAggregate, events);
    case 'queue':
      return foldRecorded(queue.queueAggregate, events);
  }
};

/** Undefined when nothing had been recorded in the stream by then. */
export const stateAsOf = async (
  store: EventStore,
  scope: AggregateScope,
  asOf: Date,
): Promise<StateAsOf | undefined> => {
  const streamId = streamOf(scope);
  const events = await recordedUpTo(store, streamId, asOf);
  const last = events[events.length - 1];
  if (last === undefined) return undefined;
  const { state, undecodable } = foldScope(scope, events);
  return {
    streamId,
    asOf: asOf.toISOString(),
    revision: last.revision.toString(),
    recordedAt: last.recordedAt.toISOString(),
    state,
    ...(undecodable.length === 0 ? {} : { undecodable }),
  };
};
