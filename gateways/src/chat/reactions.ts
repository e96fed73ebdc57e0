// What the system does by itself when something happened: the follow-ups of a session's end
// (the visitor may open a new session, the queue and the agent let go) and the routing triggers
// (a visitor joined a queue, an agent became idle or has room again). Every reaction is
// idempotent, so a redelivered event changes nothing.
import { loadAggregate, type EventStore } from '@cschat/infra';
import { session, type agent, type queue } from '@cschat/domain';
import { orThrow, type Commands } from './commands';
import type { Directory } from './directory';

export type ReactionEvent = session.SessionEvent | queue.QueueEvent | agent.AgentEvent;

export interface ReactionsOptions {
  readonly store: EventStore;
  readonly directory: Directory;
  readonly commands: Commands;
  /** Asks for the group's routing (the reactor keys it by queue stream). */
  readonly routeGroup: (companyId: string, groupId: string) => Promise<void>;
}

export class Reactions {
  constructor(private readonly options: ReactionsOptions) {}

  async react(event: ReactionEvent): Promise<void> {
    switch (event.type) {
      case 'SessionEnded':
        return this.afterEnd(event);
      case 'SessionQueued':
        return this.options.routeGroup(event.companyId, event.groupId);
      case 'AgentStatusChanged':
        if (event.status === 'idle') await this.routeAgentGroups(event.companyId, event.agentId);
        return;
      case 'SessionDetached':
        return this.routeAgentGroups(event.companyId, event.agentId);
      default:
        return;
    }
  }

  private async routeAgentGroups(companyId: string, agentId: string): Promise<void> {
    const profile = await this.options.directory.agent(companyId, agentId);
    for (const groupId of profile?.groupIds ?? []) await this.options.routeGroup(companyId, groupId);
  }

  /** The visitor may open a new session; the queue and the agent let go. */
  private async afterEnd(event: session.SessionEvent & { type: 'SessionEnded' }): Promise<void> {
    const { store, commands } = this.options;
    const { companyId, sessionId } = event;
    const { state } = await loadAggregate(store, session.sessionAggregate, session.sessionStream(companyId, sessionId));
    if (state.status === 'none') return;
    orThrow(await commands.onVisitor(companyId, state.visitorId, { type: 'CloseVisitorSession', sessionId }));
    if (event.groupId !== undefined) {
      const reason = event.reason === 'timeout' ? 'timeout' : 'ended';
      orThrow(await commands.onQueue(companyId, event.groupId, { type: 'LeaveQueue', sessionId, reason }));
    }
    if (event.agentId !== undefined) {
      orThrow(await commands.onAgent(companyId, event.agentId, { type: 'DetachSession', sessionId, reason: 'ended' }));
    }
  }
}
