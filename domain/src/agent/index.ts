import type { Aggregate } from '../shared/aggregate';
import { decodeEvent } from '../shared/upcast';
import type { AgentCommand } from './commands';
import { agentDecider, type AgentState } from './decider';
import { AgentEvent } from './events';

export * from './commands';
export * from './decider';
export * from './events';

export const agentAggregate: Aggregate<AgentCommand, AgentEvent, AgentState, unknown> = {
  ...agentDecider,
  name: 'agent',
  decodeEvent: decodeEvent(AgentEvent),
};
