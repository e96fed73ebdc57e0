// Requeue: a session whose agent was offline too long (presence) goes back to the front of its
// group's queue, and the agent's slot for it goes.
import type * as session from '../session';
import type { DomainEvent, UntimedCommand } from '../messages';
import { sessionInstance, type Workflow } from '../shared/workflow';

export type RequeueInput = session.SessionEvent & { type: 'SessionRequeued' };

export const requeue: Workflow<RequeueInput, Record<string, never>> = {
  name: 'requeue',
  initialState: {},
  inputOf: (event: DomainEvent) => (event.type === 'SessionRequeued' ? event : undefined),
  instanceOf: sessionInstance,
  evolve: (state) => state,
  decide: (input): readonly UntimedCommand[] => {
    if (input.type !== 'SessionRequeued') return [];
    const { companyId, sessionId, fromAgentId, groupId, handover } = input;
    return [
      {
        type: 'DetachSession',
        companyId,
        agentId: fromAgentId,
        sessionId,
        reason: 'requeued',
        ...(handover === undefined ? {} : { handover: handover - 1 }),
      },
      { type: 'JoinQueue', companyId, groupId, sessionId, front: true },
    ];
  },
};
