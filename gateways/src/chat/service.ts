// The chat's use cases: what a visitor's or an agent's frame does across the session, visitor,
// queue and agent aggregates, each step through the command handler. What follows by itself
// (routing, the follow-ups of a session's end) is the reactions' work, on the routing reactor.
import { isLeft } from 'fp-ts/Either';
import { agent, deadlineOf, millis, queue, session, visitor } from '@cschat/domain';
import { loadAggregate, type Deadlines, type EventStore, type Logger } from '@cschat/infra';
import { ChatError, Commands, orThrow } from './commands';
import type { Directory } from './directory';
import type { BotStage } from '../bot/stage';
import type { Router } from './router';

export { ChatError } from './commands';

/** Where a channel visitor writes from: the platform, the account, and the account's group. */
export interface ChannelEntry {
  readonly channel: session.Channel;
  readonly channelAccountId: string;
  readonly groupId: string;
  /** The visitor's id on the platform. */
  readonly channelUserId: string;
  readonly visitorName?: string;
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
  /**
   * This process's router when it also runs the worker role: a human request is then routed at
   * once and its answer says `assigned`; without one the reactor routes it a moment later.
   */
  readonly router?: Router;
  /** Where a chat message moves its session's deadline (one write); none: the checks read the events. */
  readonly deadlines?: Deadlines;
  /** Answers visitors while no human has their session; none: the visitor writes to the void until a human comes. */
  readonly bot?: BotStage;
}

export class ChatService {
  private readonly store: EventStore;
  private readonly directory: Directory;
  private readonly newId: () => string;
  readonly commands: Commands;

  constructor(private readonly options: ChatServiceOptions) {
    this.store = options.store;
    this.directory = options.directory;
    this.newId = options.newId ?? (() => crypto.randomUUID());
    this.commands = new Commands(options.store, options.directory, options.now ?? (() => new Date()));
  }

  private async openSessionOf(v: VisitorRef): Promise<string> {
    return (await this.openOrNew(v)).sessionId;
  }

  /** The visitor's open session, or a new one (then also the one closed before it). */
  private async openOrNew(v: VisitorRef): Promise<{ sessionId: string; previousSessionId?: string }> {
    const handled = orThrow(
      await this.commands.onVisitor(v.companyId, v.visitorId, { type: 'OpenVisitorSession', sessionId: this.newId() }),
    );
    const sessionId = handled.state.openSessionId!;
    const { lastSessionId } = handled.state;
    return handled.events.length > 0 && lastSessionId !== undefined
      ? { sessionId, previousSessionId: lastSessionId }
      : { sessionId };
  }

  /** A message this visitor posted with this client id in a session that has ended since. */
  private async postedBefore(v: VisitorRef, sessionId: string, clientMsgId: string): Promise<string | undefined> {
    const { state } = await loadAggregate(
      this.store,
      session.sessionAggregate,
      session.sessionStream(v.companyId, sessionId),
    );
    return session.postedMessageId(state, { role: 'visitor', id: v.visitorId }, clientMsgId);
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
    message: { text: string; clientMsgId: string; attachments?: readonly session.Attachment[] },
    entry?: ChannelEntry,
  ): Promise<{ messageId: string; sessionId: string }> {
    for (let attempt = 0; ; attempt++) {
      const { sessionId, previousSessionId } = await this.openOrNew(v);
      // Resent after the session ended (its ack was lost): the message is there, not posted again.
      if (previousSessionId !== undefined) {
        const posted = await this.postedBefore(v, previousSessionId, message.clientMsgId);
        if (posted !== undefined) return { messageId: posted, sessionId: previousSessionId };
      }
      const messageId = this.newId();
      const result = await this.commands.onSession(v.companyId, sessionId, {
        type: 'PostMessage',
        messageId,
        clientMsgId: message.clientMsgId,
        from: { role: 'visitor', id: v.visitorId },
        text: message.text,
        ...(message.attachments === undefined || message.attachments.length === 0
          ? {}
          : { attachments: message.attachments }),
        origin:
          entry === undefined
            ? await this.origin(v)
            : {
                visitorId: v.visitorId,
                channel: entry.channel,
                groupId: entry.groupId,
                channelAccountId: entry.channelAccountId,
                channelUserId: entry.channelUserId,
                ...(entry.visitorName === undefined ? {} : { visitorName: entry.visitorName }),
              },
      });
      if (isLeft(result) && result.left.code === 'duplicate_message')
        return { messageId: result.left.details!['messageId']!, sessionId };
      // The session ended but the visitor's stream still names it: close it and open a new one.
      if (isLeft(result) && result.left.code === 'session_ended' && attempt === 0) {
        await this.closeVisitorSession(v.companyId, v.visitorId, sessionId);
        continue;
      }
      const { state } = orThrow(result);
      await this.moveDeadline(v.companyId, state);
      if (state.status === 'bot') await this.botAnswers(v, sessionId, { messageId, text: message.text }, state);
      return { messageId, sessionId };
    }
  }

  /**
   * The bot's reply to a visitor's message while no human has the session, and what follows it.
   * The reply's client id is derived from the message's, so a retried reply is posted once. A
   * failing bot must not lose the visitor's message: it is logged, the visitor can ask for a human.
   */
  private async botAnswers(
    v: VisitorRef,
    sessionId: string,
    message: { messageId: string; text: string },
    state: { readonly botMisses?: number },
  ): Promise<void> {
    const { bot, logger } = this.options;
    if (bot === undefined) return;
    try {
      const reply = await bot.reply(v.companyId, message, state);
      const posted = await this.commands.onSession(v.companyId, sessionId, {
        type: 'PostMessage',
        messageId: this.newId(),
        clientMsgId: `bot:${message.messageId}`,
        from: { role: 'bot' },
        text: reply.text,
        bot: reply.bot,
      });
      if (isLeft(posted)) return;
      if (reply.then === 'transfer') await this.requestHuman(v);
      if (reply.then === 'end') await this.visitorEnds(v);
    } catch (error) {
      logger.error({ err: error, companyId: v.companyId, sessionId }, 'bot: no reply');
    }
  }

  /** A chat message in a session with humans moves its deadline: one write, no new check. */
  private async moveDeadline(companyId: string, state: session.SessionState): Promise<void> {
    const { deadlines } = this.options;
    if (deadlines === undefined || (state.status !== 'queued' && state.status !== 'assigned')) return;
    const { inactivityTimeoutSeconds } = await this.directory.settings(companyId);
    const deadline = millis(deadlineOf(state.lastActivityAt, inactivityTimeoutSeconds));
    await deadlines.set({ companyId, sessionId: state.sessionId }, deadline);
  }

  /** The visitor asks for a human (PROTOCOL `human.request`). */
  async requestHuman(v: VisitorRef): Promise<HumanRequestResult> {
    for (let attempt = 0; ; attempt++) {
      const sessionId = await this.openSessionOf(v);
      const result = await this.commands.onSession(v.companyId, sessionId, {
        type: 'RequestHuman',
        origin: await this.origin(v),
      });
      // The session ended but the reactor has not yet closed it on the visitor's stream.
      if (isLeft(result) && result.left.code === 'session_ended' && attempt === 0) {
        await this.closeVisitorSession(v.companyId, v.visitorId, sessionId);
        continue;
      }
      const handled = orThrow(result);
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
        orThrow(await this.commands.onQueue(v.companyId, state.groupId, { type: 'JoinQueue', sessionId }));
        await this.options.router?.route(v.companyId, state.groupId);
      }
      return this.humanState(v.companyId, sessionId);
    }
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
    orThrow(
      await this.commands.onSession(v.companyId, sessionId, {
        type: 'EndSession',
        by: { role: 'visitor', id: v.visitorId },
      }),
    );
    return { sessionId };
  }

  private async closeVisitorSession(companyId: string, visitorId: string, sessionId: string): Promise<void> {
    orThrow(await this.commands.onVisitor(companyId, visitorId, { type: 'CloseVisitorSession', sessionId }));
  }

  /** PROTOCOL `agent.status`; becoming idle takes the next visitors waiting in the agent's groups. */
  async agentStatus(
    a: AgentRef,
    status: agent.AgentStatus,
  ): Promise<{ status: agent.AgentStatus; load: number; capacity: number }> {
    const profile = await this.profile(a);
    orThrow(await this.commands.onAgent(a.companyId, a.agentId, { type: 'ChangeAgentStatus', status }));
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
    const result = await this.commands.onSession(a.companyId, message.sessionId, {
      type: 'PostMessage',
      messageId,
      clientMsgId: message.clientMsgId,
      from: { role: 'agent', id: a.agentId },
      text: message.text,
    });
    if (isLeft(result) && result.left.code === 'duplicate_message') {
      return { messageId: result.left.details!['messageId']!, sessionId: message.sessionId };
    }
    await this.moveDeadline(a.companyId, orThrow(result).state);
    return { messageId, sessionId: message.sessionId };
  }

  async markRead(a: AgentRef, sessionId: string): Promise<{ sessionId: string }> {
    orThrow(await this.commands.onSession(a.companyId, sessionId, { type: 'MarkSessionRead', agentId: a.agentId }));
    return { sessionId };
  }

  async agentEnds(a: AgentRef, sessionId: string): Promise<{ sessionId: string }> {
    orThrow(
      await this.commands.onSession(a.companyId, sessionId, {
        type: 'EndSession',
        by: { role: 'agent', id: a.agentId },
      }),
    );
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
        await this.commands.onAgent(companyId, to.agentId, {
          type: 'AttachSession',
          sessionId,
          capacity: target.capacity,
        }),
      );
      const moved = await this.commands.onSession(companyId, sessionId, {
        type: 'TransferSession',
        byAgentId: a.agentId,
        to,
      });
      if (isLeft(moved)) {
        await this.commands.onAgent(companyId, to.agentId, { type: 'DetachSession', sessionId, reason: 'transferred' });
        orThrow(moved);
      }
    } else {
      if (!(await this.directory.groupExists(companyId, to.groupId)))
        throw new ChatError('no_group', `group ${to.groupId} does not exist`);
      orThrow(
        await this.commands.onSession(companyId, sessionId, { type: 'TransferSession', byAgentId: a.agentId, to }),
      );
      orThrow(await this.commands.onQueue(companyId, to.groupId, { type: 'JoinQueue', sessionId }));
    }
    orThrow(
      await this.commands.onAgent(companyId, a.agentId, { type: 'DetachSession', sessionId, reason: 'transferred' }),
    );
    return { sessionId };
  }
}
