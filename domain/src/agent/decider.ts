// The agent: idle / busy / away / offline, and the sessions attached to it, never more than its
// capacity. Routing reads `idleSince` to prefer the agent that has waited longest.
import { left, right, type Either } from 'fp-ts/Either';
import type { IsoInstant } from '../shared/codecs';
import type { Decider } from '../shared/decider';
import { domainError, type DomainError } from '../shared/errors';
import type { AgentCommand } from './commands';
import type { AgentEvent, AgentStatus } from './events';

export interface AgentState {
  readonly status: AgentStatus;
  readonly sessions: readonly string[];
  /** When the agent last became idle; absent when it is not idle. */
  readonly idleSince?: IsoInstant;
}

export const evolve = (state: AgentState, event: AgentEvent): AgentState => {
  switch (event.type) {
    case 'AgentStatusChanged': {
      const { idleSince: _previous, ...rest } = state;
      return event.status === 'idle'
        ? { ...rest, status: 'idle', idleSince: event.at }
        : { ...rest, status: event.status };
    }
    case 'SessionAttached':
      return { ...state, sessions: [...state.sessions, event.sessionId] };
    case 'SessionDetached':
      return { ...state, sessions: state.sessions.filter((s) => s !== event.sessionId) };
  }
};

export const decide = (command: AgentCommand, state: AgentState): Either<DomainError, readonly AgentEvent[]> => {
  const { companyId, agentId, at } = command;
  switch (command.type) {
    case 'ChangeAgentStatus':
      return right(
        command.status === state.status
          ? []
          : [
              {
                type: 'AgentStatusChanged',
                v: 1,
                companyId,
                agentId,
                at,
                status: command.status,
                previous: state.status,
              },
            ],
      );
    case 'AttachSession': {
      if (state.sessions.includes(command.sessionId)) return right([]);
      if (state.status === 'offline') return left(domainError('agent_offline', `agent ${agentId} is offline`));
      if (state.sessions.length >= command.capacity) {
        return left(
          domainError('capacity_reached', `agent ${agentId} holds ${state.sessions.length} of ${command.capacity}`),
        );
      }
      const load = state.sessions.length + 1;
      return right([{ type: 'SessionAttached', v: 1, companyId, agentId, at, sessionId: command.sessionId, load }]);
    }
    case 'DetachSession': {
      if (!state.sessions.includes(command.sessionId)) return right([]);
      const load = state.sessions.length - 1;
      const { sessionId, reason } = command;
      return right([{ type: 'SessionDetached', v: 1, companyId, agentId, at, sessionId, load, reason }]);
    }
  }
};

export const agentDecider: Decider<AgentCommand, AgentEvent, AgentState, unknown> = {
  initialState: { status: 'offline', sessions: [] },
  evolve,
  decide,
};
