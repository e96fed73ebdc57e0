// The cache of folded states: a stream read often but not written (an idle agent's) must stay
// remembered while thousands of other streams pass through, or it is read whole again.
import { right } from 'fp-ts/Either';
import type { Aggregate } from '@cschat/domain';
import type { EventStore, ReadStreamOptions, RecordedEvent } from '../event-store';
import { FOLDED_STREAMS_KEPT, loadAggregate } from './handler';

type Counted = { readonly type: 'Counted' };

const counter: Aggregate<never, Counted, number, undefined> = {
  name: 'counter',
  initialState: 0,
  evolve: (n) => n + 1,
  decide: () => right([]),
  decodeEvent: () => right({ type: 'Counted' }),
};

/** One event in every stream; counts the reads that start at the beginning. */
const oneEventPerStream = (): { store: EventStore; fullReads: Map<string, number> } => {
  const fullReads = new Map<string, number>();
  const event = (streamId: string): RecordedEvent => ({
    streamId,
    revision: 0n,
    position: { commit: 0n, prepare: 0n },
    eventId: `${streamId}-0`,
    type: 'Counted',
    data: {},
    metadata: {},
    recordedAt: new Date(0),
  });
  const store = {
    readStream: async (streamId: string, options: ReadStreamOptions = {}) => {
      if ((options.fromRevision ?? 0n) === 0n) {
        fullReads.set(streamId, (fullReads.get(streamId) ?? 0) + 1);
        return [event(streamId)];
      }
      return [];
    },
  } as unknown as EventStore;
  return { store, fullReads };
};

describe('loadAggregate cache', () => {
  it('keeps a stream that is read between many others, and forgets the least recently used', async () => {
    const { store, fullReads } = oneEventPerStream();
    await loadAggregate(store, counter, 'idle-agent');
    for (let i = 0; i < FOLDED_STREAMS_KEPT * 2; i++) {
      await loadAggregate(store, counter, `session-${i}`);
      if (i % 100 === 0) expect((await loadAggregate(store, counter, 'idle-agent')).state).toBe(1);
    }
    expect(fullReads.get('idle-agent')).toBe(1);
    // The first sessions, not read since, were forgotten: read whole again.
    await loadAggregate(store, counter, 'session-0');
    expect(fullReads.get('session-0')).toBe(2);
  });
});
