// How an event travels on the bus: the recorded event with its positions as strings (JSON has
// no bigint). Consumers decode it with this codec: the bus is an edge like any other.
import { isLeft, left, right, type Either } from 'fp-ts/Either';
import * as t from 'io-ts';
import { invalidPaths } from '@cschat/domain';
import type { BusMessage } from '../bus/port';
import type { RecordedEvent } from '../event-store/port';
import { TraceCarrier } from '../tracing/spans';

const BigIntString = t.refinement(t.string, (s) => /^\d{1,20}$/.test(s), 'BigIntString');

export const EventEnvelope = t.type({
  streamId: t.string,
  revision: BigIntString,
  position: t.type({ commit: BigIntString, prepare: BigIntString }),
  eventId: t.string,
  type: t.string,
  data: t.UnknownRecord,
  // `trace`: the W3C trace context of the command that wrote the event (absent on events written
  // without tracing, and on every event written before it existed).
  metadata: t.intersection([t.UnknownRecord, t.partial({ trace: TraceCarrier })]),
  recordedAt: t.string,
});
export type EventEnvelope = t.TypeOf<typeof EventEnvelope>;

export const EVENTS_TOPIC = 'events';

/** The event's trace context as message headers, so that the relay's publish continues its trace. */
const traceHeaders = (event: RecordedEvent): Record<string, string> => {
  // Read from the store without a codec: checked here, a malformed one is left out.
  const trace: unknown = event.metadata.trace;
  if (!TraceCarrier.is(trace)) return {};
  return trace.tracestate === undefined
    ? { traceparent: trace.traceparent }
    : { traceparent: trace.traceparent, tracestate: trace.tracestate };
};

export const toBusMessage = (event: RecordedEvent): BusMessage => ({
  key: event.streamId,
  value: JSON.stringify({
    streamId: event.streamId,
    revision: event.revision.toString(),
    position: { commit: event.position.commit.toString(), prepare: event.position.prepare.toString() },
    eventId: event.eventId,
    type: event.type,
    data: event.data,
    metadata: event.metadata,
    recordedAt: event.recordedAt.toISOString(),
  } satisfies EventEnvelope),
  headers: { 'event-type': event.type, ...traceHeaders(event) },
});

/** The recorded event inside a bus message, or why it is not one. */
export const fromBusMessage = (value: string): Either<string, RecordedEvent> => {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    return left('not JSON');
  }
  const decoded = EventEnvelope.decode(json);
  if (isLeft(decoded)) {
    return left(`not an event envelope: invalid ${invalidPaths(decoded.left)}`);
  }
  const e = decoded.right;
  const recordedAt = new Date(e.recordedAt);
  if (Number.isNaN(recordedAt.getTime())) return left('not an event envelope: invalid recordedAt');
  return right({
    streamId: e.streamId,
    revision: BigInt(e.revision),
    position: { commit: BigInt(e.position.commit), prepare: BigInt(e.position.prepare) },
    eventId: e.eventId,
    type: e.type,
    data: e.data,
    metadata: e.metadata,
    recordedAt,
  });
};
