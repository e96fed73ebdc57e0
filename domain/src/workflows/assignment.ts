// Assignment: a session that asked for a human joins its group's queue; routing (infra/routing)
// takes a slot of an agent for it (`SessionAttached` for an assignment, the first step); then the
// session is assigned to that agent and leaves the queue, or, when the session cannot be
// assigned (it ended, or was given to someone else meanwhile), the slot is given back.
import type * as agent from '../agent';
import type * as session from '../session';
import type { DomainEvent, UntimedCommand } from '../messages';
import { sessionInstance, type CommandRefused, type Workflow } from '../shared/workflow';

type HumanRequested = session.SessionEvent & { type: 'HumanRequested' };
type SessionAssigned = session.SessionEvent & { type: 'SessionAssigned' };
type SlotTaken = agent.AgentEvent & { type: 'SessionAttached'; for: 'assignment' };
export type AssignmentInput = HumanRequested | SlotTaken | SessionAssigned;

export interface AssignmentState {
  /** The group whose queue the session joined. */
  readonly queuedIn?: string;
  /** Slots taken for the session and not settled yet, by agent: the handover each was taken for. */
  readonly pending: Readonly<Record<string, number | undefined>>;
  /** The agent the session was assigned to, and at which handover. */
  readonly assigned?: { readonly agentId: string; readonly handover?: number };
}

const isAssign = (
  refused: CommandRefused,
): refused is CommandRefused & { command: session.SessionCommand & { type: 'AssignSession' } } =>
  refused.command.type === 'AssignSession';

const without = (pending: AssignmentState['pending'], agentId: string): AssignmentState['pending'] => {
  const { [agentId]: _settled, ...rest } = pending;
  return rest;
};

export const assignment: Workflow<AssignmentInput, AssignmentState> = {
  name: 'assignment',
  initialState: { pending: {} },

  inputOf: (event: DomainEvent) =>
    event.type === 'HumanRequested' || event.type === 'SessionAssigned'
      ? event
      : event.type === 'SessionAttached' && event.for === 'assignment'
        ? (event as SlotTaken)
        : undefined,

  instanceOf: sessionInstance,

  evolve: (state, input) => {
    switch (input.type) {
      case 'HumanRequested':
        return { ...state, queuedIn: input.groupId };
      case 'SessionAttached':
        return { ...state, pending: { ...state.pending, [input.agentId]: input.handover } };
      case 'SessionAssigned':
        return {
          ...state,
          pending: without(state.pending, input.agentId),
          assigned: { agentId: input.agentId, ...(input.handover === undefined ? {} : { handover: input.handover }) },
        };
      case 'CommandRefused':
        return isAssign(input) ? { ...state, pending: without(state.pending, input.command.agentId) } : state;
    }
  },

  decide: (input, state): readonly UntimedCommand[] => {
    switch (input.type) {
      case 'HumanRequested': {
        const { companyId, sessionId, groupId } = input;
        return [{ type: 'JoinQueue', companyId, groupId, sessionId }];
      }
      case 'SessionAttached': {
        const { companyId, sessionId, agentId, handover } = input;
        const done = state.assigned?.agentId === agentId && state.assigned.handover === handover;
        if (done) return [];
        return [
          { type: 'AssignSession', companyId, sessionId, agentId, ...(handover === undefined ? {} : { handover }) },
        ];
      }
      case 'SessionAssigned': {
        const { companyId, sessionId, groupId } = input;
        return [{ type: 'LeaveQueue', companyId, groupId, sessionId, reason: 'assigned' }];
      }
      case 'CommandRefused': {
        if (!isAssign(input)) return [];
        // Ended, or given to someone else meanwhile: the slot taken for it goes back.
        const { companyId, sessionId, agentId, handover } = input.command;
        return [
          {
            type: 'DetachSession',
            companyId,
            agentId,
            sessionId,
            reason: 'released',
            ...(handover === undefined ? {} : { handover }),
          },
        ];
      }
    }
  },
};
