// The follow-ups of a session's end: the visitor's next message opens a new session, the session
// leaves its queue if it still waits, and the agent that held it has the slot back.
import type * as session from '../session';
import type { Id } from '../shared/codecs';
import type { DomainEvent, UntimedCommand } from '../messages';
import { sessionInstance, type Workflow } from '../shared/workflow';

type SessionStarted = session.SessionEvent & { type: 'SessionStarted' };
type SessionEnded = session.SessionEvent & { type: 'SessionEnded' };
export type EndInput = SessionStarted | SessionEnded;

export interface EndState {
  /** Whose session it is (ends written before they named the visitor need it). */
  readonly visitorId?: Id;
}

export const end: Workflow<EndInput, EndState> = {
  name: 'end',
  initialState: {},
  inputOf: (event: DomainEvent) =>
    event.type === 'SessionStarted' || event.type === 'SessionEnded' ? event : undefined,
  instanceOf: sessionInstance,
  evolve: (state, input) => (input.type === 'SessionStarted' ? { visitorId: input.visitorId } : state),
  decide: (input, state): readonly UntimedCommand[] => {
    if (input.type !== 'SessionEnded') return [];
    const { companyId, sessionId, groupId, agentId } = input;
    const visitorId = input.visitorId ?? state.visitorId;
    return [
      ...(visitorId === undefined ? [] : [{ type: 'CloseVisitorSession' as const, companyId, visitorId, sessionId }]),
      ...(groupId === undefined
        ? []
        : [
            {
              type: 'LeaveQueue' as const,
              companyId,
              groupId,
              sessionId,
              reason: input.reason === 'timeout' ? ('timeout' as const) : ('ended' as const),
            },
          ]),
      // Unguarded: once the session ended, no slot for it is any agent's to keep.
      ...(agentId === undefined
        ? []
        : [{ type: 'DetachSession' as const, companyId, agentId, sessionId, reason: 'ended' as const }]),
    ];
  },
};
