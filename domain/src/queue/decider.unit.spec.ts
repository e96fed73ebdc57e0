import fc from 'fast-check';
import { deciderSpec } from '../../../test-support/decider-spec';
import { decodeOrThrow } from '../../../test-support/fixtures';
import { fold } from '../shared/decider';
import { QueueCommand } from './commands';
import { queueDecider, queuePosition } from './decider';
import { QueueEvent } from './events';

const event = decodeOrThrow(QueueEvent);
const command = decodeOrThrow(QueueCommand);
const spec = deciderSpec(queueDecider, undefined);
const ids = { companyId: 'acme', groupId: 'support' };
const at = '2026-11-25T10:00:00.000Z';
const queued = (sessionId: string) => event({ type: 'SessionQueued', v: 1, ...ids, sessionId, at });

describe('queue decider', () => {
  it('JoinQueue: appends a session, once', () => {
    spec
      .given([queued('s1')])
      .when(command({ type: 'JoinQueue', ...ids, sessionId: 's2', at }))
      .then([queued('s2')]);
    spec
      .given([queued('s1')])
      .when(command({ type: 'JoinQueue', ...ids, sessionId: 's1', at }))
      .thenNothing();
  });

  it('LeaveQueue: removes a waiting session with the reason, and ignores one that is not waiting', () => {
    const leave = command({ type: 'LeaveQueue', ...ids, sessionId: 's1', at, reason: 'assigned' });
    spec
      .given([queued('s1')])
      .when(leave)
      .then([event({ type: 'SessionLeftQueue', v: 1, ...ids, sessionId: 's1', at, reason: 'assigned' })]);
    spec.given([]).when(leave).thenNothing();
  });

  it('JoinQueue at the front: ahead of the others, behind those that went to the front before', () => {
    const front = (sessionId: string) => event({ type: 'SessionQueued', v: 1, ...ids, sessionId, at, front: true });
    spec
      .given([queued('s1')])
      .when(command({ type: 'JoinQueue', ...ids, sessionId: 's9', at, front: true }))
      .then([front('s9')]);
    const state = fold(queueDecider, [queued('s1'), queued('s2'), front('s8'), front('s9'), queued('s3')]);
    expect(state.waiting.map((w) => w.sessionId)).toEqual(['s8', 's9', 's1', 's2', 's3']);
  });

  it('tells each waiting session its position, 1 being next', () => {
    const state = fold(queueDecider, [queued('s1'), queued('s2'), queued('s3')]);
    expect([queuePosition(state, 's1'), queuePosition(state, 's3'), queuePosition(state, 'nope')]).toEqual([
      1,
      3,
      undefined,
    ]);
  });

  it('property: is first in, first out, whatever joins and leaves happen', () => {
    const operation = fc.oneof(
      fc.record({ join: fc.integer({ min: 0, max: 9 }) }),
      fc.record({ leave: fc.integer({ min: 0, max: 9 }) }),
    );
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 60 }), (operations) => {
        let state = queueDecider.initialState;
        const model: string[] = [];
        for (const op of operations) {
          const sessionId = `s${'join' in op ? op.join : op.leave}`;
          const cmd =
            'join' in op
              ? command({ type: 'JoinQueue', ...ids, sessionId, at })
              : command({ type: 'LeaveQueue', ...ids, sessionId, at, reason: 'ended' });
          const result = queueDecider.decide(cmd, state, undefined);
          if (result._tag === 'Left') throw new Error('queue commands never fail');
          state = result.right.reduce(queueDecider.evolve, state);
          if ('join' in op && !model.includes(sessionId)) model.push(sessionId);
          if ('leave' in op && model.includes(sessionId)) model.splice(model.indexOf(sessionId), 1);
        }
        expect(state.waiting.map((w) => w.sessionId)).toEqual(model);
      }),
      { numRuns: 300 },
    );
  });
});
