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

/** An agent event with the fields every agent event carries, from the command. */
type Draft = AgentEvent extends infer E
  ? E extends AgentEvent
    ? Omit<E, 'v' | 'companyId' | 'agentId' | 'at'>
    : never
  : never;

export const decide = (command: AgentCommand, state: AgentState): Either<DomainError, readonly AgentEvent[]> => {
  const { companyId, agentId, at } = command;
  const emit = (...drafts: Draft[]): Either<DomainError, readonly AgentEvent[]> =>
    right(drafts.map((draft) => ({ v: 1, companyId, agentId, at, ...draft })));
  const changed = (status: AgentStatus, reason: StatusReason) =>
    emit({ type: 'AgentStatusChanged', status, previous: state.status, reason });
  switch (command.type) {
    case 'ChangeAgentStatus': {
      const reason = command.reason ?? 'chosen';
      // Choosing the status the agent has and had chosen changes nothing; choosing it after a
      // disconnection (the same status, offline, for another reason) records the choice.
      const same = command.status === state.status && (state.statusReason ?? 'chosen') === reason;
      return same ? right([]) : changed(command.status, reason);
    }
    case 'MarkAgentDisconnected':
      return state.status === 'offline' ? right([]) : changed('offline', 'disconnected');
    case 'ResumeAgentStatus': {
      const back = state.chosenStatus;
      const lost = state.status === 'offline' && state.statusReason === 'disconnected';
      return lost && back !== undefined && back !== 'offline' ? changed(back, 'reconnected') : right([]);
    }
    case 'AttachSession': {
      if (state.sessions.includes(command.sessionId)) return right([]);
      if (state.status === 'offline') return left(domainError('agent_offline', `agent ${agentId} is offline`));
      if (state.sessions.length >= command.capacity) {
        return left(
          domainError('capacity_reached', `agent ${agentId} holds ${state.sessions.length} of ${command.capacity}`),
        );
      }
      // The slot's details (handover, what it is for) as the command gave them.
      const { type: _type, capacity: _capacity, companyId: _c, agentId: _a, at: _at, ...slot } = command;
      return emit({ type: 'SessionAttached', ...slot, load: state.sessions.length + 1 });
    }
    case 'DetachSession': {
      const { type: _type, companyId: _c, agentId: _a, at: _at, ...slot } = command;
      if (!state.sessions.includes(slot.sessionId)) return right([]);
      const held = state.handovers[slot.sessionId];
      // A step about another assignment of this session (an earlier one, done late) frees nothing.
      if (slot.handover !== undefined && held !== undefined && held !== slot.handover) return right([]);
      return emit({ type: 'SessionDetached', ...slot, load: state.sessions.length - 1 });
    }
  }
};

export const agentDecider: Decider<AgentCommand, AgentEvent, AgentState, unknown> = {
  initialState: { status: 'offline', sessions: [], handovers: {} },
  evolve,
  decide,
};
