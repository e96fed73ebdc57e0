import fc from 'fast-check';
import { deciderSpec } from '../../../test-support/decider-spec';
import { decodeOrThrow } from '../../../test-support/fixtures';
import { fold } from '../shared/decider';
import { AgentCommand } from './commands';
import { agentDecider } from './decider';
import { AgentEvent } from './events';

const event = decodeOrThrow(AgentEvent);
const command = decodeOrThrow(AgentCommand);
const spec = deciderSpec(agentDecider, undefined);
const ids = { companyId: 'acme', agentId: 'alice' };
const at = (minute: number) => `2026-11-25T10:${String(minute).padStart(2, '0')}:00.000Z`;
const status = (to: string, from: string, minute = 0, reason = 'chosen') =>
  event({ type: 'AgentStatusChanged', v: 1, ...ids, at: at(minute), status: to, previous: from, reason });
const attached = (sessionId: string, load: number) =>
  event({ type: 'SessionAttached', v: 1, ...ids, at: at(1), sessionId, load });
const idle = [status('idle', 'offline')];

describe('agent decider', () => {
  describe('ChangeAgentStatus', () => {
    it('records a change and since when the agent is idle', () => {
      const decided = spec.given([]).when(command({ type: 'ChangeAgentStatus', ...ids, at: at(0), status: 'idle' }));
      decided.then(idle);
      expect(decided.state()).toEqual({
        status: 'idle',
        sessions: [],
        handovers: {},
        idleSince: at(0),
        chosenStatus: 'idle',
        statusReason: 'chosen',
      });
    });
    it('ignores a change to the same status', () => {
      spec
        .given(idle)
        .when(command({ type: 'ChangeAgentStatus', ...ids, at: at(2), status: 'idle' }))
        .thenNothing();
    });
    it('forgets idleSince when the agent leaves idle, and sets it again on return', () => {
      const state = fold(agentDecider, [...idle, status('away', 'idle', 3), status('idle', 'away', 7)]);
      expect(state).toMatchObject({ status: 'idle', sessions: [], idleSince: at(7) });
      expect(fold(agentDecider, [...idle, status('busy', 'idle', 3)])).not.toHaveProperty('idleSince');
    });
  });

  describe('presence', () => {
    const disconnect = command({ type: 'MarkAgentDisconnected', ...ids, at: at(5) });
    const resume = command({ type: 'ResumeAgentStatus', ...ids, at: at(9) });
    it('goes offline when disconnected, counting offline from then, and keeps what it chose', () => {
      const decided = spec.given([...idle, status('away', 'idle', 2)]).when(disconnect);
      decided.then([status('offline', 'away', 5, 'disconnected')]);
      expect(decided.state()).toMatchObject({
        status: 'offline',
        statusReason: 'disconnected',
        chosenStatus: 'away',
        offlineSince: at(5),
      });
      spec
        .given([...idle, status('offline', 'idle', 2)])
        .when(disconnect)
        .thenNothing();
    });
    it('comes back to the chosen status on a new socket, only after a disconnection', () => {
      const lost = [...idle, status('offline', 'idle', 5, 'disconnected')];
      const decided = spec.given(lost).when(resume);
      decided.then([status('idle', 'offline', 9, 'reconnected')]);
      expect(decided.state()).toMatchObject({ status: 'idle', idleSince: at(9), chosenStatus: 'idle' });
      expect(decided.state()).not.toHaveProperty('offlineSince');
      // Offline by choice, signed out, or never online: a socket changes nothing.
      spec
        .given([...idle, status('offline', 'idle', 5)])
        .when(resume)
        .thenNothing();
      spec
        .given([...idle, status('offline', 'idle', 5, 'signed_out')])
        .when(resume)
        .thenNothing();
      spec.given([]).when(resume).thenNothing();
    });
    it('records choosing offline after a disconnection, so a reconnect keeps it offline', () => {
      const lost = [...idle, status('offline', 'idle', 5, 'disconnected')];
      const chose = spec.given(lost).when(command({ type: 'ChangeAgentStatus', ...ids, at: at(7), status: 'offline' }));
      chose.then([status('offline', 'offline', 7, 'chosen')]);
      expect(chose.state()).toMatchObject({ chosenStatus: 'offline', offlineSince: at(5) });
    });
  });

  describe('AttachSession', () => {
    const attach = (sessionId: string, capacity = 2) =>
      command({ type: 'AttachSession', ...ids, at: at(1), sessionId, capacity });
    it('attaches below capacity, counting the load', () => {
      spec
        .given([...idle, attached('s1', 1)])
        .when(attach('s2'))
        .then([attached('s2', 2)]);
    });
    it('refuses above capacity, and when offline', () => {
      spec
        .given([...idle, attached('s1', 1), attached('s2', 2)])
        .when(attach('s3'))
        .thenError('capacity_reached');
      spec.given([]).when(attach('s1')).thenError('agent_offline');
    });
    it('is idempotent for a session already attached', () => {
      spec
        .given([...idle, attached('s1', 1)])
        .when(attach('s1', 1))
        .thenNothing();
    });
  });

  describe('DetachSession', () => {
    const detach = command({ type: 'DetachSession', ...ids, at: at(4), sessionId: 's1', reason: 'ended' });
    it('detaches an attached session and lowers the load', () => {
      spec
        .given([...idle, attached('s1', 1)])
        .when(detach)
        .then([event({ type: 'SessionDetached', v: 1, ...ids, at: at(4), sessionId: 's1', load: 0, reason: 'ended' })]);
    });
    it('ignores a session that is not attached', () => {
      spec.given(idle).when(detach).thenNothing();
    });
    it('with a handover number, frees only the slot taken for it (or one older than handover numbers)', () => {
      const taken = event({ type: 'SessionAttached', v: 1, ...ids, at: at(1), sessionId: 's1', load: 1, handover: 4 });
      const detachFor = (handover: number) =>
        command({ type: 'DetachSession', ...ids, at: at(4), sessionId: 's1', reason: 'released', handover });
      spec
        .given([...idle, taken])
        .when(detachFor(2))
        .thenNothing();
      const freed = (handover: number) =>
        event({
          type: 'SessionDetached',
          v: 1,
          ...ids,
          at: at(4),
          sessionId: 's1',
          load: 0,
          reason: 'released',
          handover,
        });
      spec
        .given([...idle, taken])
        .when(detachFor(4))
        .then([freed(4)]);
      spec
        .given([...idle, attached('s1', 1)])
        .when(detachFor(2))
        .then([freed(2)]);
    });
  });

  it('property: the load never exceeds the capacity, whatever is attempted', () => {
    const attempt = fc.oneof(
      fc.record({ attach: fc.integer({ min: 0, max: 7 }), capacity: fc.integer({ min: 0, max: 4 }) }),
      fc.record({ detach: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ status: fc.constantFrom('idle', 'busy', 'away', 'offline') }),
    );
    fc.assert(
      fc.property(fc.array(attempt, { maxLength: 50 }), (attempts) => {
        let state = agentDecider.initialState;
        for (const a of attempts) {
          const cmd =
            'attach' in a
              ? command({ type: 'AttachSession', ...ids, at: at(1), sessionId: `s${a.attach}`, capacity: a.capacity })
              : 'detach' in a
                ? command({ type: 'DetachSession', ...ids, at: at(1), sessionId: `s${a.detach}`, reason: 'ended' })
                : command({ type: 'ChangeAgentStatus', ...ids, at: at(1), status: a.status });
          const result = agentDecider.decide(cmd, state, undefined);
          if (result._tag === 'Right') state = result.right.reduce(agentDecider.evolve, state);
          if ('attach' in a && result._tag === 'Right' && result.right.length > 0) {
            expect(state.sessions.length).toBeLessThanOrEqual(a.capacity);
          }
          expect(new Set(state.sessions).size).toBe(state.sessions.length);
        }
      }),
      { numRuns: 300 },
    );
  });
});
