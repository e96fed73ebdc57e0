// The routing policy: which waiting visitor goes to which agent of a group. Eligible agents are
// in the group, idle, and below capacity; among them the least loaded, then the one idle for
// longest, then the smallest id (so that every replica of the decision picks the same agent).
import type { AgentStatus } from './agent/events';
import type { DomainEvent } from './messages';
import { millis, type IsoInstant } from './shared/codecs';
import type { Waiting } from './queue/decider';

export interface AgentView {
  readonly agentId: string;
  readonly groupIds: readonly string[];
  readonly status: AgentStatus;
  readonly load: number;
  readonly capacity: number;
  readonly idleSince?: IsoInstant;
  /** The sessions it holds slots for (a waiting session among them has an assignment in progress). */
  readonly sessions?: readonly string[];
}

export interface Assignment {
  readonly sessionId: string;
  readonly agentId: string;
}

export const isEligible = (agent: AgentView, groupId: string): boolean =>
  agent.groupIds.includes(groupId) && agent.status === 'idle' && agent.load < agent.capacity;

const idleSinceMillis = (agent: AgentView): number =>
  agent.idleSince === undefined ? Number.POSITIVE_INFINITY : millis(agent.idleSince);

const better = (a: AgentView, b: AgentView): boolean =>
  a.load !== b.load
    ? a.load < b.load
    : idleSinceMillis(a) !== idleSinceMillis(b)
      ? idleSinceMillis(a) < idleSinceMillis(b)
      : a.agentId < b.agentId;

export const pickAgent = (groupId: string, agents: readonly AgentView[]): AgentView | undefined =>
  agents
    .filter((agent) => isEligible(agent, groupId))
    .reduce<AgentView | undefined>(
      (best, agent) => (best === undefined || better(agent, best) ? agent : best),
      undefined,
    );

/**
 * Assignments for the group's waiting sessions in queue order, while eligible agents remain. A
 * waiting session that an agent already has a slot for is being assigned (the assignment
 * workflow is finishing it): it is left alone.
 */
export const chooseAssignments = (
  groupId: string,
  waiting: readonly Waiting[],
  agents: readonly AgentView[],
): Assignment[] => {
  const views = new Map(agents.map((agent) => [agent.agentId, agent]));
  const reserved = new Set(agents.flatMap((agent) => agent.sessions ?? []));
  const assignments: Assignment[] = [];
  for (const { sessionId } of waiting) {
    if (reserved.has(sessionId)) continue;
    const agent = pickAgent(groupId, [...views.values()]);
    if (agent === undefined) break;
    assignments.push({ sessionId, agentId: agent.agentId });
    views.set(agent.agentId, { ...agent, load: agent.load + 1 });
  }
  return assignments;
};

/** What routing should look at again after an event: one group, or an agent's groups. */
export type RoutingTrigger =
  | { readonly kind: 'group'; readonly companyId: string; readonly groupId: string }
  | { readonly kind: 'agent'; readonly companyId: string; readonly agentId: string };

/**
 * The R6/R7 triggers: a session joined a queue; an agent became idle (chosen, or back after a
 * disconnection); an agent's slot was freed (its load dropped). Capacity and group changes come
 * from the configuration, whose writes trigger the agent's groups (the composition root wires it).
 */
export const routingTrigger = (event: DomainEvent): RoutingTrigger | undefined => {
  switch (event.type) {
    case 'SessionQueued':
      return { kind: 'group', companyId: event.companyId, groupId: event.groupId };
    case 'AgentStatusChanged':
      return event.status === 'idle'
        ? { kind: 'agent', companyId: event.companyId, agentId: event.agentId }
        : undefined;
    case 'SessionDetached':
      return { kind: 'agent', companyId: event.companyId, agentId: event.agentId };
    default:
      return undefined;
  }
};
