// Domain events read back from the bus or the store: decoded with their aggregate's codec (and
// upcasters), chosen by the stream's name.
import { left, right, type Either } from 'fp-ts/Either';
import { agent, queue, session } from '@cschat/domain';
import type { RecordedEvent } from '@cschat/infra';

export type DomainEvent = session.SessionEvent | queue.QueueEvent | agent.AgentEvent;

/** undefined for a stream that is not one of the aggregates' (nothing for the read models). */
export const decodeDomainEvent = (recorded: RecordedEvent): Either<string, DomainEvent> | undefined => {
  const aggregate = recorded.streamId.startsWith('session-')
    ? session.sessionAggregate
    : recorded.streamId.startsWith('queue-')
      ? queue.queueAggregate
      : recorded.streamId.startsWith('agent-')
        ? agent.agentAggregate
        : undefined;
  if (aggregate === undefined) return undefined;
  const decoded: Either<{ message: string }, DomainEvent> = aggregate.decodeEvent(recorded.type, recorded.data);
  return decoded._tag === 'Left' ? left(decoded.left.message) : right(decoded.right);
};
