// The chat's use cases: what a visitor's or an agent's frame does across the session, visitor,
// queue and agent aggregates, each step through the command handler. Routing for a group runs one
// at a time in this process and is guarded by the aggregates' revisions across processes.
import { isLeft, type Either } from 'fp-ts/Either';
import {
  agent,
  chooseAssignments,
  queue,
  session,
  visitor,
  type Aggregate,
  type AgentView,
  type DomainError,
  type DomainErrorCode,
  type IsoInstant,
} from '@cschat/domain';
import { handleCommand, loadAggregate, type EventStore, type Handled, type Logger } from '@cschat/infra';
import type { Directory } from './directory';

/** A refusal the client sees as `error` with this code. */
export class ChatError extends Error {
  override readonly name = 'ChatError';
  constructor(
    readonly code: DomainErrorCode | 'bad_request',
    message: string,
    readonly details?: Readonly<Record<string, string>>,
  ) {
    super(message);
  }
}

export interface VisitorRef {
  readonly companyId: string;
  readonly visitorId: string;
}
export interface AgentRef {
  readonly companyId: string;
  readonly agentId: string;
}

export type HumanRequestResult =
  | { readonly sessionId: string; readonly state: 'assigned'; readonly agentId: string }
  | { readonly sessionId: string; readonly state: 'queued'; readonly queuePosition: number }
  | { readonly sessionId: string; readonly state: 'closed_hours'; readonly nextOpeningAt?: string };

export interface ChatServiceOptions {
  readonly store: EventStore;
  readonly directory: Directory;
  readonly logger: Logger;
  readonly now?: () => Date;
  readonly newId?: () => string;
}

/** What the session decider gets for the commands that do not read hours or the timeout. */
const UNREAD_CONTEXT: session.SessionContext = { hours: {}, timeoutSeconds: 0 };

const orThrow = <T>(result: Either<DomainError, T>): T => {
  if (isLeft(result)) throw new ChatError(result.left.code, result.left.message, result.left.details);
  return result.right;
};

export class ChatService {
  private readonly store: EventStore;
  private readonly directory: Directory;
  private readonly now: () => Date;
  private readonly newId: () => string;
  /** Routing of one group runs one at a time here (Kafka's key does it across processes). */
  private readonly routing = new Map<string, Promise<unknown>>();

  constructor(private readonly options: ChatServiceOptions) {
    this.store = options.store;
    this.directory = options.directory;
    this.now = options.now ?? (() => new Date());
    this.newId = options.newId ?? (() => crypto.randomUUID());
  }

  private at(): IsoInstant {
    return this.now().toISOString() as IsoInstant;
  }

  private run<C, E extends { readonly type: string }, S, X>(
    aggregate: Aggregate<C, E, S, X>,
    streamId: string,
    command: C,
    context: (state: S) => X | Promise<X>,
  ): Promise<Either<DomainError, Handled<E, S>>> {
    return handleCommand(this.store, aggregate, streamId, command, context);
  }

  /**
   * The session's group's hours; a session that the command opens is in its origin's group.
   * Only a human request and a timeout check read them: other commands (every chat message)
   * skip the two configuration reads.
   */
  private sessionContext = async (
    companyId: string,
    commandType: unknown,
    state: session.SessionState,
    originGroupId?: string,
  ): Promise<session.SessionContext> => {
    if (commandType !== 'RequestHuman' && commandType !== 'CheckTimeout') return UNREAD_CONTEXT;
    const settings = await this.directory.settings(companyId);
    const groupId = state.status === 'none' ? originGroupId : state.groupId;
    const hours = groupId === undefined ? {} : await this.directory.hoursOfGroup(companyId, groupId);
    return { hours, timeoutSeconds: settings.inactivityTimeoutSeconds };
  };

  private onSession(companyId: string, sessionId: string, command: Record<string, unknown>) {
    const origin = command['origin'] as { groupId: string } | undefined;
    return this.run(
      session.sessionAggregate,
      session.sessionStream(companyId, sessionId),
      { companyId, sessionId, at: this.at(), ...command } as session.SessionCommand,
      (state) => this.sessionContext(companyId, command['type'], state, origin?.groupId),
    );
  }

  private onAgent(companyId: string, agentId: string, command: Record<string, unknown>) {
    return this.run(
      agent.agentAggregate,
      agent.agentStream(companyId, agentId),
      { companyId, agentId, at: this.at(), ...command } as agent.AgentCommand,
      () => undefined,
    );
  }

  private onQueue(companyId: string, groupId: string, command: Record<string, unknown>) {
    return this.run(
      queue.queueAggregate,
      queue.queueStream(companyId, groupId),
      { companyId, groupId, at: this.at(), ...command } as queue.QueueCommand,
      () => undefined,
    );
  }

  private async openSessionOf(v: VisitorRef): Promise<string> {
    const handled = orThrow(
      await this.run(
        visitor.visitorAggregate,
        visitor.visitorStream(v.companyId, v.visitorId),
        {
          type: 'OpenVisitorSession',
          companyId: v.companyId,
          visitorId: v.visitorId,
          sessionId: this.newId(),
          at: this.at(),
        } as visitor.VisitorCommand,
        () => undefined,
      ),
    );
    return handled.state.openSessionId!;
  }

  /** The visitor's session that is open now, if any. */
  async currentSession(v: VisitorRef): Promise<string | undefined> {
    const { state } = await loadAggregate(
      this.store,
      visitor.visitorAggregate,
      visitor.visitorStream(v.companyId, v.visitorId),
    );
    return state.openSessionId;
  }

  private async origin(v: VisitorRef) {
    const { defaultGroupId } = await this.directory.settings(v.companyId);
    if (defaultGroupId === undefined)
      throw new ChatError('no_group', 'the company has no default group for web visitors');
    return { visitorId: v.visitorId, channel: 'web', groupId: defaultGroupId };
  }

  /** A visitor's chat message, in the open session or a new one (PROTOCOL `message.send`). */
  async visitorMessage(
    v: VisitorRef,
    message: { text: string; clientMsgId: string },
  ): Promise<{ messageId: string; sessionId: string }> {
    for (let attempt = 0; ; attempt++) {
      const sessionId = await this.openSessionOf(v);
      const messageId = this.newId();
      const result = await this.onSession(v.companyId, sessionId, {
        type: 'PostMessage',
        messageId,
        clientMsgId: message.clientMsgId,
        from: { role: 'visitor', id: v.visitorId },
        text: message.text,
        origin: await this.origin(v),
      });
      if (isLeft(result) && result.left.code === 'duplicate_message')
        return { messageId: result.left.details!['messageId']!, sessionId };
      // The session ended but the visitor's stream still names it: close it and open a new one.
      if (isLeft(result) && result.left.code === 'session_ended' && attempt === 0) {
        await this.closeVisitorSession(v.companyId, v.visitorId, sessionId);
        continue;
      }
      orThrow(result);
      return { messageId, sessionId };
    }
  }

  /** The visitor asks for a human (PROTOCOL `human.request`). */
  async requestHuman(v: VisitorRef): Promise<HumanRequestResult> {
    const sessionId = await this.openSessionOf(v);
    const handled = orThrow(
      await this.onSession(v.companyId, sessionId, { type: 'RequestHuman', origin: await this.origin(v) }),
    );
    const unavailable = handled.events.find((e) => e.type === 'HumanUnavailable');
    if (unavailable !== undefined) {
      return {
        sessionId,
        state: 'closed_hours',
        ...(unavailable.nextOpeningAt === undefined ? {} : { nextOpeningAt: unavailable.nextOpeningAt }),
      };
    }
    const state = handled.state;
    if (state.status === 'queued' && handled.events.some((e) => e.type === 'HumanRequested')) {
      orThrow(await this.onQueue(v.companyId, state.groupId, { type: 'JoinQueue', sessionId }));
      await this.routeGroup(v.companyId, state.groupId);
    }
    return this.humanState(v.companyId, sessionId);
  }

  private async humanState(companyId: string, sessionId: string): Promise<HumanRequestResult> {
    const { state } = await loadAggregate(
      this.store,
      session.sessionAggregate,
      session.sessionStream(companyId, sessionId),
    );
    if (state.status === 'assigned' && state.agentId !== undefined)
      return { sessionId, state: 'assigned', agentId: state.agentId };
    if (state.status === 'queued') {
      return {
        sessionId,
        state: 'queued',
        queuePosition: (await this.queuePosition(companyId, state.groupId, sessionId)) ?? 1,
      };
    }
    throw new ChatError('session_ended', 'the session has ended');
  }

  async queuePosition(companyId: string, groupId: string, sessionId: string): Promise<number | undefined> {
    const { state } = await loadAggregate(this.store, queue.queueAggregate, queue.queueStream(companyId, groupId));
    return queue.queuePosition(state, sessionId);
  }

  async visitorEnds(v: VisitorRef): Promise<{ sessionId: string }> {
    const sessionId = await this.currentSession(v);
    if (sessionId === undefined) throw new ChatError('session_not_found', 'no session is open');
    const handled = orThrow(
      await this.onSession(v.companyId, sessionId, { type: 'EndSession', by: { role: 'visitor', id: v.visitorId } }),
    );
    await this.afterEnd(v.companyId, handled.events);
    return { sessionId };
  }

  /** What follows a session's end: the visitor may open a new one, the queue and the agent let go. */
  async afterEnd(companyId: string, events: readonly session.SessionEvent[]): Promise<void> {
    for (const event of events) {
      if (event.type !== 'SessionEnded') continue;
      const { state } = await loadAggregate(
        this.store,
        session.sessionAggregate,
        session.sessionStream(companyId, event.sessionId),
      );
      if (state.status === 'none') continue;
      await this.closeVisitorSession(companyId, state.visitorId, event.sessionId);
      if (event.groupId !== undefined) {
        orThrow(
          await this.onQueue(companyId, event.groupId, {
            type: 'LeaveQueue',
            sessionId: event.sessionId,
            reason: event.reason === 'timeout' ? 'timeout' : 'ended',
          }),
        );
      }
      if (event.agentId !== undefined) {
        orThrow(
          await this.onAgent(companyId, event.agentId, {
            type: 'DetachSession',
            sessionId: event.sessionId,
            reason: 'ended',
          }),
        );
        await this.routeAgentGroups(companyId, event.agentId);
      }
    }
  }

  private async closeVisitorSession(companyId: string, visitorId: string, sessionId: string): Promise<void> {
    orThrow(
      await this.run(
        visitor.visitorAggregate,
        visitor.visitorStream(companyId, visitorId),
        { type: 'CloseVisitorSession', companyId, visitorId, sessionId, at: this.at() } as visitor.VisitorCommand,
        () => undefined,
      ),
    );
  }

  /** PROTOCOL `agent.status`; becoming idle takes the next visitors waiting in the agent's groups. */
  async agentStatus(
    a: AgentRef,
    status: agent.AgentStatus,
  ): Promise<{ status: agent.AgentStatus; load: number; capacity: number }> {
    const profile = await this.profile(a);
    orThrow(await this.onAgent(a.companyId, a.agentId, { type: 'ChangeAgentStatus', status }));
    if (status === 'idle') await this.routeAgentGroups(a.companyId, a.agentId);
    return this.agentState(a, profile.capacity);
  }

  async agentState(
    a: AgentRef,
    capacity?: number,
  ): Promise<{ status: agent.AgentStatus; load: number; capacity: number }> {
    const { state } = await loadAggregate(this.store, agent.agentAggregate, agent.agentStream(a.companyId, a.agentId));
    return {
      status: state.status,
      load: state.sessions.length,
      capacity: capacity ?? (await this.profile(a)).capacity,
    };
  }

  private async profile(a: AgentRef) {
    const profile = await this.directory.agent(a.companyId, a.agentId);
    if (profile === undefined) throw new ChatError('agent_not_found', `agent ${a.agentId} does not exist`);
    return profile;
  }

  async agentMessage(
    a: AgentRef,
    message: { sessionId: string; text: string; clientMsgId: string },
  ): Promise<{ messageId: string; sessionId: string }> {
    const messageId = this.newId();
    const result = await this.onSession(a.companyId, message.sessionId, {
      type: 'PostMessage',
      messageId,
      clientMsgId: message.clientMsgId,
      from: { role: 'agent', id: a.agentId },
      text: message.text,
    });
    if (isLeft(result) && result.left.code === 'duplicate_message') {
      return { messageId: result.left.details!['messageId']!, sessionId: message.sessionId };
    }
    orThrow(result);
    return { messageId, sessionId: message.sessionId };
  }

  async markRead(a: AgentRef, sessionId: string): Promise<{ sessionId: string }> {
    orThrow(await this.onSession(a.companyId, sessionId, { type: 'MarkSessionRead', agentId: a.agentId }));
    return { sessionId };
  }

  async agentEnds(a: AgentRef, sessionId: string): Promise<{ sessionId: string }> {
    const handled = orThrow(
      await this.onSession(a.companyId, sessionId, { type: 'EndSession', by: { role: 'agent', id: a.agentId } }),
    );
    await this.afterEnd(a.companyId, handled.events);
    return { sessionId };
  }

  /** PROTOCOL `session.transfer`: to an agent (who must have room) or back to a group's queue. */
  async transfer(
    a: AgentRef,
    sessionId: string,
    to: { agentId: string } | { groupId: string },
  ): Promise<{ sessionId: string }> {
    const { companyId } = a;
    if ('agentId' in to) {
      const target = await this.directory.agent(companyId, to.agentId);
      if (target === undefined) throw new ChatError('agent_not_found', `agent ${to.agentId} does not exist`);
      if (to.agentId === a.agentId) throw new ChatError('invalid_transition', 'the session is already yours');
      // Room first: the target's capacity is the step that may fail for reasons of its own.
      orThrow(
        await this.onAgent(companyId, to.agentId, { type: 'AttachSession', sessionId, capacity: target.capacity }),
      );
      const moved = await this.onSession(companyId, sessionId, { type: 'TransferSession', byAgentId: a.agentId, to });
      if (isLeft(moved)) {
        await this.onAgent(companyId, to.agentId, { type: 'DetachSession', sessionId, reason: 'transferred' });
        orThrow(moved);
      }
    } else {
      if (!(await this.directory.groupExists(companyId, to.groupId)))
        throw new ChatError('no_group', `group ${to.groupId} does not exist`);
      orThrow(await this.onSession(companyId, sessionId, { type: 'TransferSession', byAgentId: a.agentId, to }));
      orThrow(await this.onQueue(companyId, to.groupId, { type: 'JoinQueue', sessionId }));
    }
    orThrow(await this.onAgent(companyId, a.agentId, { type: 'DetachSession', sessionId, reason: 'transferred' }));
    if ('groupId' in to) await this.routeGroup(companyId, to.groupId);
    await this.routeAgentGroups(companyId, a.agentId);
    return { sessionId };
  }

  async routeAgentGroups(companyId: string, agentId: string): Promise<void> {
    const profile = await this.directory.agent(companyId, agentId);
    for (const groupId of profile?.groupIds ?? []) await this.routeGroup(companyId, groupId);
  }

  /** Assigns the group's waiting visitors to its eligible agents, one group at a time. */
  routeGroup(companyId: string, groupId: string): Promise<void> {
    const key = `${companyId}\u0000${groupId}`;
    const previous = this.routing.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.routeNow(companyId, groupId));
    this.routing.set(key, next);
    void next
      .finally(() => {
        if (this.routing.get(key) === next) this.routing.delete(key);
      })
      .catch(() => undefined);
    return next;
  }

  private async routeNow(companyId: string, groupId: string): Promise<void> {
    const { state: waiting } = await loadAggregate(
      this.store,
      queue.queueAggregate,
      queue.queueStream(companyId, groupId),
    );
    if (waiting.waiting.length === 0) return;
    const profiles = await this.directory.agentsOfGroup(companyId, groupId);
    const views: AgentView[] = [];
    for (const profile of profiles) {
      const { state } = await loadAggregate(
        this.store,
        agent.agentAggregate,
        agent.agentStream(companyId, profile.agentId),
      );
      views.push({
        agentId: profile.agentId,
        groupIds: profile.groupIds,
        status: state.status,
        load: state.sessions.length,
        capacity: profile.capacity,
        ...(state.idleSince === undefined ? {} : { idleSince: state.idleSince }),
      });
    }
    for (const { sessionId, agentId } of chooseAssignments(groupId, waiting.waiting, views)) {
      await this.assign(companyId, groupId, sessionId, agentId, views.find((v) => v.agentId === agentId)!.capacity);
    }
  }

  private async assign(
    companyId: string,
    groupId: string,
    sessionId: string,
    agentId: string,
    capacity: number,
  ): Promise<void> {
    const { logger } = this.options;
    // The agent's room first (its revision guards capacity), then the session (its revision
    // guards a second assignment); a refused session gives the room back.
    const attached = await this.onAgent(companyId, agentId, { type: 'AttachSession', sessionId, capacity });
    if (isLeft(attached)) {
      logger.info(
        { companyId, groupId, sessionId, agentId, code: attached.left.code },
        'routing: agent has no room after all',
      );
      return;
    }
    const assigned = await this.onSession(companyId, sessionId, { type: 'AssignSession', agentId });
    if (isLeft(assigned)) {
      logger.info(
        { companyId, groupId, sessionId, agentId, code: assigned.left.code },
        'routing: session not assignable',
      );
      orThrow(await this.onAgent(companyId, agentId, { type: 'DetachSession', sessionId, reason: 'ended' }));
      if (assigned.left.code === 'session_ended' || assigned.left.code === 'invalid_transition') {
        orThrow(await this.onQueue(companyId, groupId, { type: 'LeaveQueue', sessionId, reason: 'ended' }));
      }
      return;
    }
    orThrow(await this.onQueue(companyId, groupId, { type: 'LeaveQueue', sessionId, reason: 'assigned' }));
  }
}
