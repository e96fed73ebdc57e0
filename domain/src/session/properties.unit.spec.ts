// Invariants of the session over arbitrary sequences of commands.
import fc from 'fast-check';
import { decodeOrThrow } from '../../../test-support/fixtures';
import type { IsoInstant } from '../shared/codecs';
import { SessionCommand } from './commands';
import { sessionDecider, type SessionState } from './decider';
import type { SessionEvent } from './events';

const command = decodeOrThrow(SessionCommand);
const ids = { companyId: 'acme', sessionId: 's1' };
const context = { hours: {}, timeoutSeconds: 3600 };
const agents = ['alice', 'bob', 'carol'];

const step = fc.oneof(
  fc.record({ kind: fc.constant('visitor' as const), text: fc.string({ maxLength: 5 }) }),
  fc.record({ kind: fc.constant('agent' as const), agent: fc.constantFrom(...agents) }),
  fc.record({ kind: fc.constant('bot' as const) }),
  fc.record({ kind: fc.constant('read' as const), agent: fc.constantFrom(...agents) }),
  fc.record({ kind: fc.constant('human' as const) }),
  fc.record({ kind: fc.constant('assign' as const), agent: fc.constantFrom(...agents) }),
  fc.record({
    kind: fc.constant('transfer' as const),
    agent: fc.constantFrom(...agents),
    to: fc.constantFrom(...agents, 'billing'),
  }),
);
type Step = typeof step extends fc.Arbitrary<infer S> ? S : never;

const toCommand = (s: Step, i: number): SessionCommand => {
  const at = `2026-11-25T10:00:${String(i % 60).padStart(2, '0')}.000Z` as IsoInstant;
  const base = { ...ids, at };
  switch (s.kind) {
    case 'visitor':
      return command({
        type: 'PostMessage',
        ...base,
        messageId: `m${i}`,
        from: { role: 'visitor', id: 'v1' },
        text: s.text,
      });
    case 'agent':
      return command({
        type: 'PostMessage',
        ...base,
        messageId: `m${i}`,
        from: { role: 'agent', id: s.agent },
        text: 'hi',
      });
    case 'bot':
      return command({ type: 'PostMessage', ...base, messageId: `m${i}`, from: { role: 'bot' }, text: 'faq' });
    case 'read':
      return command({ type: 'MarkSessionRead', ...base, agentId: s.agent });
    case 'human':
      return command({ type: 'RequestHuman', ...base });
    case 'assign':
      return command({ type: 'AssignSession', ...base, agentId: s.agent });
    case 'transfer':
      return command({
        type: 'TransferSession',
        ...base,
        byAgentId: s.agent,
        to: s.to === 'billing' ? { groupId: 'billing' } : { agentId: s.to },
      });
  }
};

/** Runs the commands from a started session; returns every event and the final state. */
const run = (steps: Step[]): { events: SessionEvent[]; state: SessionState } => {
  let state = sessionDecider.evolve(sessionDecider.initialState, {
    type: 'SessionStarted',
    v: 1,
    ...ids,
    at: '2026-11-25T09:59:00.000Z',
    visitorId: 'v1',
    channel: 'web',
    groupId: 'support',
  } as SessionEvent);
  const events: SessionEvent[] = [];
  steps.forEach((s, i) => {
    const result = sessionDecider.decide(toCommand(s, i), state, context);
    if (result._tag === 'Right') {
      events.push(...result.right);
      state = result.right.reduce(sessionDecider.evolve, state);
    }
  });
  return { events, state };
};

describe('session invariants', () => {
  it('unread is true after any visitor message until a read mark after it', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const { events, state } = run(steps);
        const lastVisitor = events
          .map((e) => e.type === 'MessagePosted' && e.from.role === 'visitor')
          .lastIndexOf(true);
        const lastRead = events.map((e) => e.type === 'SessionRead').lastIndexOf(true);
        if (state.status === 'none') throw new Error('started above');
        expect(state.unread).toBe(lastVisitor > lastRead);
      }),
      { numRuns: 400 },
    );
  });

  it('a queued session is assigned to at most one agent at a time, and only agents holding it write', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const { events } = run(steps);
        let holder: string | undefined;
        for (const e of events) {
          if (e.type === 'SessionAssigned') {
            expect(holder).toBeUndefined();
            holder = e.agentId;
          }
          if (e.type === 'SessionTransferred') {
            expect(e.fromAgentId).toBe(holder);
            holder = 'agentId' in e.to ? e.to.agentId : undefined;
          }
          if (e.type === 'MessagePosted' && e.from.role === 'agent') expect(e.from.id).toBe(holder);
        }
      }),
      { numRuns: 400 },
    );
  });
});
