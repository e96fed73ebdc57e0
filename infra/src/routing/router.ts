// Routing: assigns a group's waiting visitors to its eligible agents with the domain's policy, by
// taking a slot of the chosen agent for each (`AttachSession` for an assignment: the first step of
// the assignment workflow, which assigns the session and takes it out of the queue). One group is
// routed one at a time in this process (the routing requests' Kafka key, the queue stream, does it
// across processes); the agents' and sessions' revisions and handover numbers guard it all the same.
import { isLeft } from 'fp-ts/Either';
import { agent, chooseAssignments, queue, session, type AgentView } from '@cschat/domain';
import { loadAggregate } from '../command-handler/handler';
import type { Commands } from '../command-handler/commands';
import type { Directory } from '../company-config/directory';
import type { EventStore } from '../event-store/port';
import type { Logger } from '../logging';

export interface RouterOptions {
  readonly store: EventStore;
  readonly directory: Directory;
  readonly commands: Commands;
  readonly logger: Logger;
  /** Called once per slot taken for an assignment (metrics). */
  readonly onAssigned?: () => void;
  /** Called after each pass with the sessions it left waiting (a process answering a human request may wait for it). */
  readonly onRouted?: (outcome: RoutingOutcome) => void;
  /** Called after each slot taken, the first step of an assignment (tests crash the worker there). */
  readonly fault?: (at: { readonly sessionId: string; readonly agentId: string }) => void | Promise<void>;
}

export interface RoutingOutcome {
  readonly companyId: string;
  readonly groupId: string;
  /** Sessions a slot was taken for in this pass. */
  readonly routed: readonly string[];
  /** Sessions still waiting for want of an agent. */
  readonly waiting: readonly string[];
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
          sessions: state.sessions,
          ...(state.idleSince === undefined ? {} : { idleSince: state.idleSince }),
        };
      }),
    );
    const routed: string[] = [];
    for (const { sessionId, agentId } of chooseAssignments(groupId, waiting.waiting, views)) {
      const capacity = views.find((v) => v.agentId === agentId)!.capacity;
      if (await this.takeSlot(companyId, groupId, sessionId, agentId, capacity)) routed.push(sessionId);
    }
    this.options.onRouted?.({
      companyId,
      groupId,
      routed,
      waiting: waiting.waiting.map((w) => w.sessionId).filter((s) => !routed.includes(s)),
    });
  }

  /** The agent's slot for the session's next handover; the assignment workflow does the rest. */
  private async takeSlot(
    companyId: string,
    groupId: string,
    sessionId: string,
    agentId: string,
    capacity: number,
  ): Promise<boolean> {
    const { store, commands, logger } = this.options;
    const context = { companyId, groupId, sessionId, agentId };
    const { state } = await loadAggregate(store, session.sessionAggregate, session.sessionStream(companyId, sessionId));
    // Still in the queue's state but not waiting any more (ended, assigned): its workflow takes it out.
    if (state.status !== 'queued') return false;
    const attached = await commands.onAgent(companyId, agentId, {
      type: 'AttachSession',
      sessionId,
      capacity,
      handover: state.handover + 1,
      for: 'assignment',
      groupId,
    });
    if (isLeft(attached)) {
      logger.info({ ...context, code: attached.left.code }, 'routing: agent has no room after all');
      return false;
    }
    if (attached.right.events.length > 0) this.options.onAssigned?.();
    await this.options.fault?.({ sessionId, agentId });
    return true;
  }
}
