// Routing: assigns a group's waiting visitors to its eligible agents with the domain's policy.
// One group is routed one at a time in this process (the reactor's Kafka key, the queue stream,
// does it across processes); the agents' and sessions' revisions guard it all the same.
import { isLeft } from 'fp-ts/Either';
import { agent, chooseAssignments, queue, type AgentView } from '@cschat/domain';
import { loadAggregate, type EventStore, type Logger } from '@cschat/infra';
import { orThrow, type Commands } from './commands';
import type { Directory } from './directory';

export interface RouterOptions {
  readonly store: EventStore;
  readonly directory: Directory;
  readonly commands: Commands;
  readonly logger: Logger;
  /** Called once per assignment made (metrics). */
  readonly onAssigned?: () => void;
}

export class Router {
  private readonly inProgress = new Map<string, Promise<unknown>>();

  constructor(private readonly options: RouterOptions) {}

  /** Assigns the group's waiting visitors to its eligible agents; resolves when done. */
  route(companyId: string, groupId: string): Promise<void> {
    const key = `${companyId}\u0000${groupId}`;
    const previous = this.inProgress.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.routeNow(companyId, groupId));
    this.inProgress.set(key, next);
    void next
      .finally(() => {
        if (this.inProgress.get(key) === next) this.inProgress.delete(key);
      })
      .catch(() => undefined);
    return next;
  }

  private async routeNow(companyId: string, groupId: string): Promise<void> {
    const { store, directory } = this.options;
    const { state: waiting } = await loadAggregate(store, queue.queueAggregate, queue.queueStream(companyId, groupId));
    if (waiting.waiting.length === 0) return;
    const profiles = await directory.agentsOfGroup(companyId, groupId);
    const views: AgentView[] = await Promise.all(
      profiles.map(async (profile) => {
        const { state } = await loadAggregate(
          store,
          agent.agentAggregate,
          agent.agentStream(companyId, profile.agentId),
        );
        return {
          agentId: profile.agentId,
          groupIds: profile.groupIds,
          status: state.status,
          load: state.sessions.length,
          capacity: profile.capacity,
          ...(state.idleSince === undefined ? {} : { idleSince: state.idleSince }),
        };
      }),
    );
    for (const { sessionId, agentId } of chooseAssignments(groupId, waiting.waiting, views)) {
      const capacity = views.find((v) => v.agentId === agentId)!.capacity;
      await this.assign(companyId, groupId, sessionId, agentId, capacity);
    }
  }

  private async assign(
    companyId: string,
    groupId: string,
    sessionId: string,
    agentId: string,
    capacity: number,
  ): Promise<void> {
    const { commands, logger } = this.options;
    const context = { companyId, groupId, sessionId, agentId };
    // The agent's room first (its revision guards capacity), then the session (its revision
    // guards a second assignment); a refused session gives the room back.
    const attached = await commands.onAgent(companyId, agentId, { type: 'AttachSession', sessionId, capacity });
    if (isLeft(attached)) {
      logger.info({ ...context, code: attached.left.code }, 'routing: agent has no room after all');
      return;
    }
    const assigned = await commands.onSession(companyId, sessionId, { type: 'AssignSession', agentId });
    if (isLeft(assigned)) {
      logger.info({ ...context, code: assigned.left.code }, 'routing: session not assignable');
      orThrow(await commands.onAgent(companyId, agentId, { type: 'DetachSession', sessionId, reason: 'ended' }));
      // Ended, or taken by another router meanwhile: either way it no longer waits here.
      const reason = { session_ended: 'ended', invalid_transition: 'assigned' }[assigned.left.code as string];
      if (reason !== undefined)
        orThrow(await commands.onQueue(companyId, groupId, { type: 'LeaveQueue', sessionId, reason }));
      return;
    }
    orThrow(await commands.onQueue(companyId, groupId, { type: 'LeaveQueue', sessionId, reason: 'assigned' }));
    this.options.onAssigned?.();
  }
}
