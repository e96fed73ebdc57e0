// The agent: idle / busy / away / offline, and the sessions attached to it, never more than its
// capacity. Routing reads `idleSince` to prefer the agent that has waited longest; presence reads
// what the agent chose (a reconnect brings it back) and since when it is offline (its sessions go
// back to the queue after a while).
import { left, right, type Either } from 'fp-ts/Either';
import type { IsoInstant } from '../shared/codecs';
import type { Decider } from '../shared/decider';
import { domainError, type DomainError } from '../shared/errors';
import type { AgentCommand } from './commands';
import type { AgentEvent, AgentStatus, StatusReason } from './events';

export interface AgentState {
  readonly status: AgentStatus;
  readonly sessions: readonly string[];
  /** When the agent last became idle; absent when it is not idle. */
  readonly idleSince?: IsoInstant;
  /** The status the agent chose last: what a socket opening after a disconnection brings back. */
  readonly chosenStatus?: AgentStatus;
  /** Why the agent has its status now. */
  readonly statusReason?: StatusReason;
  /** Since when the agent is offline (chosen, signed out or disconnected); absent when it is not. */
  readonly offlineSince?: IsoInstant;
  /** The handover number each slot was taken for; slots from before handover numbers have none. */
  readonly handovers: Readonly<Record<string, number>>;
}

const withoutKey = <T>(record: Readonly<Record<string, T>>, key: string): Readonly<Record<string, T>> => {
  if (!(key in record)) return record;
  const { [key]: _gone, ...rest } = record;
  return rest;
};

export const evolve = (state: AgentState, event: AgentEvent): AgentState => {
  switch (event.type) {
    case 'AgentStatusChanged': {
      const { idleSince: _idle, offlineSince: _offline, ...rest } = state;
      const reason = event.reason ?? 'chosen';
      const chosenStatus =
        reason === 'chosen' ? event.status : reason === 'signed_out' ? 'offline' : state.chosenStatus;
      return {
        ...rest,
        status: event.status,
        statusReason: reason,
        ...(chosenStatus === undefined ? {} : { chosenStatus }),
        ...(event.status === 'idle' ? { idleSince: event.at } : {}),
        ...(event.status === 'offline' ? { offlineSince: state.offlineSince ?? event.at } : {}),
      };
    }
    case 'SessionAttached':
      return {
        ...state,
        sessions: [...state.sessions, event.sessionId],
        handovers:
          event.handover === undefined ? state.handovers : { ...state.handovers, [event.sessionId]: event.handover },
      };
    case 'SessionDetached':
      return {
        ...state,
        sessions: state.sessions.filter((s) => s !== event.sessionId),
        handovers: withoutKey(state.handovers, event.sessionId),
      };
  }
};

export const decide = (command: AgentCommand, state: AgentState): Either<DomainError, readonly AgentEvent[]> => {
  const { companyId, agentId, at } = command;
  const changed = (status: AgentStatus, reason: StatusReason): readonly AgentEvent[] => [
    { type: 'AgentStatusChanged', v: 1, companyId, agentId, at, status, previous: state.status, reason },
  ];
  switch (command.type) {
    case 'ChangeAgentStatus': {
      const reason = command.reason ?? 'chosen';
      // Choosing the status the agent has and had chosen changes nothing; choosing it after a
      // disconnection (the same status, offline, for another reason) records the choice.
      const same = command.status === state.status && (state.statusReason ?? 'chosen') === reason;
      return right(same ? [] : changed(command.status, reason));
    }
    case 'MarkAgentDisconnected':
      return right(state.status === 'offline' ? [] : changed('offline', 'disconnected'));
    case 'ResumeAgentStatus': {
      const back = state.chosenStatus;
      const lost = state.status === 'offline' && state.statusReason === 'disconnected';
      return right(lost && back !== undefined && back !== 'offline' ? changed(back, 'reconnected') : []);
    }
    case 'AttachSession': {
      if (state.sessions.includes(command.sessionId)) return right([]);
      if (state.status === 'offline') return left(domainError('agent_offline', `agent ${agentId} is offline`));
      if (state.sessions.length >= command.capacity) {
        return left(
          domainError('capacity_reached', `agent ${agentId} holds ${state.sessions.length} of ${command.capacity}`),
        );
      }
      const load = state.sessions.length + 1;
      const { sessionId, handover, groupId, fromAgentId } = command;
      return right([
        {
          type: 'SessionAttached',
          v: 1,
          companyId,
          agentId,
          at,
          sessionId,
          load,
          ...(handover === undefined ? {} : { handover }),
          ...(command.for === undefined ? {} : { for: command.for }),
          ...(groupId === undefined ? {} : { groupId }),
          ...(fromAgentId === undefined ? {} : { fromAgentId }),
        },
      ]);
    }
    case 'DetachSession': {
      const { sessionId, reason, handover } = command;
      if (!state.sessions.includes(sessionId)) return right([]);
      const held = state.handovers[sessionId];
      // A step about another assignment of this session (an earlier one, done late) frees nothing.
      if (handover !== undefined && held !== undefined && held !== handover) return right([]);
      const load = state.sessions.length - 1;
      return right([
        {
          type: 'SessionDetached',
          v: 1,
          companyId,
          agentId,
          at,
          sessionId,
          load,
          reason,
          ...(handover === undefined ? {} : { handover }),
        },
      ]);
    }
  }
};

export const agentDecider: Decider<AgentCommand, AgentEvent, AgentState, unknown> = {
  initialState: { status: 'offline', sessions: [], handovers: {} },
  evolve,
  decide,
};
