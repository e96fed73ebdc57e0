import fc from 'fast-check';
import { decodeOrThrow } from '../../test-support/fixtures';
import { AgentEvent } from './agent/events';
import { QueueEvent } from './queue/events';
import type { IsoInstant } from './shared/codecs';
import { chooseAssignments, isEligible, pickAgent, routingTrigger, type AgentView } from './routing';

const at = (minute: number) => `2026-11-25T10:${String(minute).padStart(2, '0')}:00.000Z` as IsoInstant;
const agent = (agentId: string, fields: Partial<AgentView> = {}): AgentView => ({
  agentId,
  groupIds: ['support'],
  status: 'idle',
  load: 0,
  capacity: 2,
  idleSince: at(0),
  ...fields,
});
const waiting = (...sessionIds: string[]) => sessionIds.map((sessionId, i) => ({ sessionId, since: at(i) }));

describe('routing policy', () => {
  it('only idle agents of the group below capacity are eligible', () => {
    expect(isEligible(agent('a'), 'support')).toBe(true);
    expect(isEligible(agent('a', { status: 'busy' }), 'support')).toBe(false);
    expect(isEligible(agent('a', { load: 2 }), 'support')).toBe(false);
    expect(isEligible(agent('a', { groupIds: ['billing'] }), 'support')).toBe(false);
  });

  it('picks the least loaded, then the longest idle, then the smallest id', () => {
    expect(pickAgent('support', [agent('a', { load: 1 }), agent('b', { load: 0 })])?.agentId).toBe('b');
    expect(pickAgent('support', [agent('a', { idleSince: at(5) }), agent('b', { idleSince: at(2) })])?.agentId).toBe(
      'b',
    );
    expect(pickAgent('support', [agent('b'), agent('a')])?.agentId).toBe('a');
    expect(pickAgent('support', [agent('a', { status: 'away' })])).toBeUndefined();
  });

  it('assigns the queue in order while capacity remains, spreading the load', () => {
    expect(
      chooseAssignments('support', waiting('s1', 's2', 's3', 's4'), [agent('a', { capacity: 1 }), agent('b')]),
    ).toEqual([
      { sessionId: 's1', agentId: 'a' },
      { sessionId: 's2', agentId: 'b' },
      { sessionId: 's3', agentId: 'b' },
    ]);
  });

  const views = fc.array(
    fc.record({
      agentId: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
      groupIds: fc.subarray(['support', 'billing']),
      status: fc.constantFrom('idle' as const, 'busy' as const, 'away' as const, 'offline' as const),
      load: fc.integer({ min: 0, max: 4 }),
      capacity: fc.integer({ min: 0, max: 4 }),
      idleSince: fc.integer({ min: 0, max: 59 }).map(at),
    }),
    { maxLength: 6 },
  );
  const queue = fc.uniqueArray(fc.constantFrom('s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8'), { maxLength: 8 });
  const distinct = (agents: AgentView[]) => [...new Map(agents.map((a) => [a.agentId, a])).values()];

  it('property: every choice is an eligible agent, capacity is never exceeded, each session goes once, in queue order', () => {
    fc.assert(
      fc.property(views, queue, (generated, sessionIds) => {
        const agents = distinct(generated);
        const assignments = chooseAssignments('support', waiting(...sessionIds), agents);
        // In queue order: the assigned sessions are the head of the queue.
        expect(assignments.map((a) => a.sessionId)).toEqual(sessionIds.slice(0, assignments.length));
        const loads = new Map(agents.map((a) => [a.agentId, a.load]));
        for (const { agentId } of assignments) {
          const view = agents.find((a) => a.agentId === agentId)!;
          expect(isEligible({ ...view, load: loads.get(agentId)! }, 'support')).toBe(true);
          loads.set(agentId, loads.get(agentId)! + 1);
          expect(loads.get(agentId)).toBeLessThanOrEqual(view.capacity);
        }
        // It stops only when nobody eligible is left (or nobody waits).
        const after = agents.map((a) => ({ ...a, load: loads.get(a.agentId)! }));
        if (assignments.length < sessionIds.length) expect(pickAgent('support', after)).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });
});

describe('routing triggers', () => {
  const queueEvent = decodeOrThrow(QueueEvent);
  const agentEvent = decodeOrThrow(AgentEvent);
  const base = { v: 1, companyId: 'acme', at: at(0) };
  const alice = { ...base, agentId: 'alice' };

  it('routes a group again when a session joins its queue', () => {
    expect(routingTrigger(queueEvent({ ...base, type: 'SessionQueued', groupId: 'support', sessionId: 's1' }))).toEqual(
      {
        kind: 'group',
        companyId: 'acme',
        groupId: 'support',
      },
    );
  });

  it("routes an agent's groups again when it becomes idle or its load drops, not otherwise", () => {
    const expected = { kind: 'agent', companyId: 'acme', agentId: 'alice' };
    const trigger = (event: object) => routingTrigger(agentEvent({ ...alice, ...event }));
    expect(trigger({ type: 'AgentStatusChanged', status: 'idle', previous: 'away' })).toEqual(expected);
    expect(trigger({ type: 'SessionDetached', sessionId: 's1', load: 0, reason: 'ended' })).toEqual(expected);
    expect(trigger({ type: 'AgentStatusChanged', status: 'away', previous: 'idle' })).toBeUndefined();
    expect(trigger({ type: 'SessionAttached', sessionId: 's1', load: 1 })).toBeUndefined();
    const left = { ...base, type: 'SessionLeftQueue', groupId: 'g', sessionId: 's', reason: 'assigned' };
    expect(routingTrigger(queueEvent(left))).toBeUndefined();
  });
});
