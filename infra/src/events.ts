// Domain events read back from the store or the bus: decoded with their aggregate's codec (and
// upcasters), chosen by the stream's name.
import { left, right, type Either } from 'fp-ts/Either';
import { decodeStreamEvent, type DomainEvent } from '@cschat/domain';
import type { RecordedEvent } from './event-store/port';

/** undefined for a stream that is none of the aggregates' (a workflow's own, say). */
export const decodeDomainEvent = (recorded: RecordedEvent): Either<string, DomainEvent> | undefined => {
  const decoded = decodeStreamEvent(recorded.streamId, recorded.type, recorded.data);
  if (decoded === undefined) return undefined;
  return decoded._tag === 'Left' ? left(decoded.left.message) : right(decoded.right);
};
