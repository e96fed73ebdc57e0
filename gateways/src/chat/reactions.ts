// What the system does by itself when something happened: the follow-ups of a session's end
// (the visitor may open a new session, the queue and the agent let go) and the routing triggers
// (a visitor joined a queue, an agent became idle or has room again). Every reaction is
// idempotent, so a redelivered event changes nothing.
import { loadAggregate, type Deadlines, type EventStore, type TimeoutSchedule } from '@cschat/infra';
import { millis, session, type agent, type queue } from '@cschat/domain';
import { orThrow, type Commands } from './commands';
import type { Directory } from './directory';

export type ReactionEvent = session.SessionEvent | queue.QueueEvent | agent.AgentEvent;

export interface ReactionsOptions {
  readonly store: EventStore;
  readonly directory: Directory;
  readonly commands: Commands;
  /** Asks for the group's routing (the reactor keys it by queue stream). */
  readonly routeGroup: (companyId: string, groupId: string) => Promise<void>;
  /** The timeout checks: scheduled when the session says so, dropped when it ends. */
  readonly timeouts?: {
    readonly schedule: TimeoutSchedule;
    readonly deadlines: Deadlines;
    /** A check was scheduled: the worker of this process may have to look sooner. */
    readonly scheduled?: () => void;
  };
}

export class Reactions {
  constructor(private readonly options: ReactionsOptions) {}

  async react(event: ReactionEvent): Promise<void> {
    switch (event.type) {
      case 'SessionEnded':
        await this.options.timeouts?.schedule.remove(event);
        await this.options.timeouts?.deadlines.remove(event);
        return this.afterEnd(event);
      case 'TimeoutCheckScheduled':
        return this.scheduleCheck(event);
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

  private async scheduleCheck(event: session.SessionEvent & { type: 'TimeoutCheckScheduled' }): Promise<void> {
    const { timeouts, store } = this.options;
    if (timeouts === undefined) return;
    // A redelivered old event must not bring back the check of a session that ended since.
    const { state } = await loadAggregate(
      store,
      session.sessionAggregate,
      session.sessionStream(event.companyId, event.sessionId),
    );
    if (state.status !== 'queued' && state.status !== 'assigned') return;
    const dueAt = millis(state.nextCheckAt ?? event.dueAt);
    await timeouts.deadlines.setIfAbsent(event, dueAt);
    await timeouts.schedule.schedule(event, dueAt);
    timeouts.scheduled?.();
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
