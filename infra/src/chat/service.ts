// The chat's use cases: what a visitor's or an agent's frame does, each a command to one
// aggregate through the command handler. What follows by itself (queueing, assignment, transfer,
// requeue, the follow-ups of an end) is the workflows' work (domain/src/workflows), on the
// worker role. A use case answers with one result type, `Either<DomainError, T>`, which the
// edges map to frame errors and HTTP statuses in one place.
import { isLeft, left, right, type Either } from 'fp-ts/Either';
import { agent, domainError, millis, queue, session, visitor, type DomainError } from '@cschat/domain';
import { loadAggregate } from '../command-handler/handler';
import type { Commands } from '../command-handler/commands';
import { displayName, type AgentProfile, type Directory } from '../company-config/directory';
import type { EventStore } from '../event-store/port';
import type { Logger } from '../logging';
import type { AgentRef } from '../presence/port';
import type { SessionActivity } from '../timeouts/port';
import type { Followup, Followups } from './followups';

export type Result<T> = Either<DomainError, T>;

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

export type HumanRequestResult =
  | { readonly sessionId: string; readonly state: 'assigned'; readonly agentId: string }
  | { readonly sessionId: string; readonly state: 'queued'; readonly queuePosition: number }
  | { readonly sessionId: string; readonly state: 'closed_hours'; readonly nextOpeningAt?: string };

export type AgentStateResult = {
  readonly status: agent.AgentStatus;
  readonly load: number;
  readonly capacity: number;
  /** The agent's display name (its username when it has none). */
  readonly name: string;
};

/** The bot's answer to a visitor's message while no human has the session (infra/bot). */
export interface BotReply {
  readonly text: string;
  readonly bot: session.BotOutcome;
  /** What the chat does after posting the reply: the bot may hand the visitor to a human, never end. */
  readonly then: 'nothing' | 'transfer';
}
export interface Bot {
  reply(
    companyId: string,
    message: { readonly messageId: string; readonly text: string },
    /** `channel`: a platform visitor has no buttons, so the bot says in words how to end. */
    state: { readonly botMisses?: number; readonly channel?: session.Channel },
  ): Promise<BotReply>;
}

export interface ChatServiceOptions {
  readonly store: EventStore;
  readonly commands: Commands;
  readonly directory: Directory;
  readonly logger: Logger;
  readonly newId?: () => string;
  /** Where a chat message records its session's last activity (one write); none: the checks read the events. */
  readonly activity?: SessionActivity;
  /** Answers visitors while no human has their session; none: the visitor writes to the void until a human comes. */
  readonly bot?: Bot;
  /**
   * This process's view of what the workflows did, when it runs the worker role too: a human
   * request then waits (at most `followupWaitMs`) to answer `assigned`, a transfer to be done.
   */
  readonly followups?: Followups;
  readonly followupWaitMs?: number;
}

const ok = <T>(value: T): Result<T> => right(value);

/**
 * What a transfer or a takeover waits for: one of `types` on the session (it is done), or the slot
 * taken for it at `agentId` given back (it failed).
 */
const sessionFollowup =
  (companyId: string, sessionId: string, types: readonly string[], agentId: string) =>
  (f: Followup): boolean =>
    f.kind === 'event' &&
    f.event.companyId === companyId &&
    'sessionId' in f.event &&
    f.event.sessionId === sessionId &&
    (types.includes(f.event.type) || (f.event.type === 'SessionDetached' && f.event.agentId === agentId));

/** The visitor's session that a message goes to; `opened` by this message, after `previousSessionId`. */
interface OpenSession {
  readonly sessionId: string;
  readonly opened: boolean;
  readonly previousSessionId?: string;
}

/** Visitors whose open session a process remembers; the least recently seen are forgotten first. */
export const OPEN_SESSIONS_KEPT = 100_000;

export class ChatService {
  private readonly store: EventStore;
  private readonly directory: Directory;
  private readonly commands: Commands;
  private readonly newId: () => string;
  /**
   * The open session of each visitor, as this process last saw it on the visitor's stream, so that
   * a chat message does not ask that stream again. It may be behind (the session ended since, on
   * another process): the message is then refused `session_ended`, and the visitor's stream is
   * asked as before.
   */
  private readonly openSessions = new Map<string, string>();

  constructor(private readonly options: ChatServiceOptions) {
    this.store = options.store;
    this.directory = options.directory;
    this.commands = options.commands;
    this.newId = options.newId ?? (() => crypto.randomUUID());
  }

  private sessionState(companyId: string, sessionId: string) {
    return loadAggregate(this.store, session.sessionAggregate, session.sessionStream(companyId, sessionId));
  }

  private rememberOpen(v: VisitorRef, sessionId: string): void {
    const key = `${v.companyId}\u0000${v.visitorId}`;
    this.openSessions.delete(key);
    this.openSessions.set(key, sessionId);
    if (this.openSessions.size > OPEN_SESSIONS_KEPT) this.openSessions.delete(this.openSessions.keys().next().value!);
  }

  private knownOpen(v: VisitorRef): string | undefined {
    return this.openSessions.get(`${v.companyId}\u0000${v.visitorId}`);
  }

  private forgetOpen(v: VisitorRef): void {
    this.openSessions.delete(`${v.companyId}\u0000${v.visitorId}`);
  }

  /**
   * The visitor's open session, or a new one (`opened`; then also the one closed before it).
   */
  private async openOrNew(v: VisitorRef): Promise<Result<OpenSession>> {
    const result = await this.commands.onVisitor(v.companyId, v.visitorId, {
      type: 'OpenVisitorSession',
      sessionId: this.newId(),
    });
    if (isLeft(result)) return result;
    const sessionId = result.right.state.openSessionId!;
    const { lastSessionId } = result.right.state;
    const opened = result.right.events.length > 0;
    return ok(
      opened && lastSessionId !== undefined
        ? { sessionId, opened, previousSessionId: lastSessionId }
        : { sessionId, opened },
    );
  }

  /** A message this visitor posted with this client id in a session that has ended since. */
  private async postedBefore(v: VisitorRef, sessionId: string, clientMsgId: string): Promise<string | undefined> {
    const { state } = await this.sessionState(v.companyId, sessionId);
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

  private async origin(v: VisitorRef): Promise<Result<session.SessionOrigin>> {
    const { defaultGroupId } = await this.directory.settings(v.companyId);
    if (defaultGroupId === undefined)
      return left(domainError('no_group', 'the company has no default group for web visitors'));
    // The name the visitor gave at login goes on the session (its list row, the agent's view):
    // read once when a session starts, never per message.
    const { state } = await loadAggregate(
      this.store,
      visitor.visitorAggregate,
      visitor.visitorStream(v.companyId, v.visitorId),
    );
    const visitorName = state.profile?.name;
    return ok({
      visitorId: v.visitorId,
      channel: 'web',
      groupId: defaultGroupId,
      ...(visitorName === undefined ? {} : { visitorName }),
    } as session.SessionOrigin);
  }

  private entryOrigin(v: VisitorRef, entry: ChannelEntry): session.SessionOrigin {
    return {
      visitorId: v.visitorId,
      channel: entry.channel,
      groupId: entry.groupId,
      channelAccountId: entry.channelAccountId,
      channelUserId: entry.channelUserId,
      ...(entry.visitorName === undefined ? {} : { visitorName: entry.visitorName }),
    } as session.SessionOrigin;
  }

  /** A visitor's chat message, in the open session or a new one (PROTOCOL `message.send`). */
  async visitorMessage(
    v: VisitorRef,
    message: { text: string; clientMsgId: string; attachments?: readonly session.Attachment[] },
    entry?: ChannelEntry,
  ): Promise<Result<{ messageId: string; sessionId: string }>> {
    for (let attempt = 0, withOrigin = false; ; attempt++) {
      const known = attempt === 0 ? this.knownOpen(v) : undefined;
      const open: Result<OpenSession> =
        known === undefined ? await this.openOrNew(v) : ok({ sessionId: known, opened: false });
      if (isLeft(open)) return open;
      const { sessionId, opened, previousSessionId } = open.right;
      // Resent after the session ended (its ack was lost): the message is there, not posted again.
      if (previousSessionId !== undefined) {
        const posted = await this.postedBefore(v, previousSessionId, message.clientMsgId);
        if (posted !== undefined) return ok({ messageId: posted, sessionId: previousSessionId });
      }
      // Where the session comes from matters only to the message that opens it: the configuration
      // (the default group) is not read for every message of a session that exists.
      const origin =
        !opened && !withOrigin
          ? right(undefined)
          : entry === undefined
            ? await this.origin(v)
            : right(this.entryOrigin(v, entry));
      if (isLeft(origin)) return origin;
      const messageId = this.newId();
      const result = await this.commands.onSession(v.companyId, sessionId, {
        type: 'PostMessage',
        messageId,
        clientMsgId: message.clientMsgId,
        from: { role: 'visitor', id: v.visitorId },
        text: message.text,
        ...(message.attachments === undefined || message.attachments.length === 0
          ? {}
          : { attachments: [...message.attachments] }),
        ...(origin.right === undefined ? {} : { origin: origin.right }),
      });
      // Another tab opened this session a moment ago and its first message is not in yet: this one opens it.
      if (isLeft(result) && result.left.code === 'session_not_found' && origin.right === undefined && !withOrigin) {
        withOrigin = true;
        continue;
      }
      if (isLeft(result) && result.left.code === 'duplicate_message')
        return ok({ messageId: result.left.details!['messageId']!, sessionId });
      // The session ended but the visitor's stream (or what this process knew of it) still names
      // it: close it and open a new one.
      if (isLeft(result) && result.left.code === 'session_ended' && attempt === 0) {
        this.forgetOpen(v);
        const closed = await this.closeVisitorSession(v.companyId, v.visitorId, sessionId);
        if (isLeft(closed)) return closed;
        continue;
      }
      if (isLeft(result)) return result;
      this.rememberOpen(v, sessionId);
      const { state } = result.right;
      await this.recordActivity(v.companyId, state);
      // Files without words give the bot nothing to answer.
      if (state.status === 'bot' && message.text.trim() !== '')
        await this.botAnswers(v, sessionId, { messageId, text: message.text }, state, entry);
      return ok({ messageId, sessionId });
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
    state: { readonly botMisses?: number; readonly channel?: session.Channel },
    entry: ChannelEntry | undefined,
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
      if (reply.then === 'transfer') await this.requestHuman(v, entry);
    } catch (error) {
      logger.error({ err: error, companyId: v.companyId, sessionId }, 'bot: no reply');
    }
  }

  /**
   * A chat message in a session with humans records its last activity: one write, no new check,
   * and no read of the configuration (the timeout worker applies the company's timeout).
   */
  private async recordActivity(companyId: string, state: session.SessionState): Promise<void> {
    const { activity } = this.options;
    if (activity === undefined || (state.status !== 'queued' && state.status !== 'assigned')) return;
    await activity.record({ companyId, sessionId: state.sessionId }, millis(state.lastActivityAt));
  }

  /** The time a use case waits for the workflows of its own process (embedded mode). */
  private get followupWaitMs(): number {
    return this.options.followupWaitMs ?? 2_000;
  }

  /** The visitor asks for a human (PROTOCOL `human.request`); a channel visitor from its entry's group. */
  async requestHuman(v: VisitorRef, entry?: ChannelEntry): Promise<Result<HumanRequestResult>> {
    for (let attempt = 0; ; attempt++) {
      const open = await this.openOrNew(v);
      if (isLeft(open)) return open;
      const { sessionId } = open.right;
      const origin = entry === undefined ? await this.origin(v) : right(this.entryOrigin(v, entry));
      if (isLeft(origin)) return origin;
      const { companyId } = v;
      // The workflows of this process (if it has them) assign it or leave it waiting: wait for either.
      const waiting = this.options.followups?.waitFor(
        (f) =>
          f.kind === 'event'
            ? f.event.type === 'SessionAssigned' && f.event.sessionId === sessionId && f.event.companyId === companyId
            : f.outcome.companyId === companyId && f.outcome.waiting.includes(sessionId),
        this.followupWaitMs,
      );
      const result = await this.commands.onSession(companyId, sessionId, {
        type: 'RequestHuman',
        origin: origin.right,
      });
      // The session ended but the workflow has not yet closed it on the visitor's stream.
      if (isLeft(result) && result.left.code === 'session_ended' && attempt === 0) {
        waiting?.cancel();
        const closed = await this.closeVisitorSession(companyId, v.visitorId, sessionId);
        if (isLeft(closed)) return closed;
        continue;
      }
      if (isLeft(result)) {
        waiting?.cancel();
        return result;
      }
      const unavailable = result.right.events.find((e) => e.type === 'HumanUnavailable');
      if (unavailable !== undefined) {
        waiting?.cancel();
        return ok({
          sessionId,
          state: 'closed_hours',
          ...(unavailable.nextOpeningAt === undefined ? {} : { nextOpeningAt: unavailable.nextOpeningAt }),
        });
      }
      if (result.right.events.some((e) => e.type === 'HumanRequested')) await waiting?.done;
      else waiting?.cancel();
      return this.humanState(companyId, sessionId);
    }
  }

  private async humanState(companyId: string, sessionId: string): Promise<Result<HumanRequestResult>> {
    const { state } = await this.sessionState(companyId, sessionId);
    if (state.status === 'assigned' && state.agentId !== undefined)
      return ok({ sessionId, state: 'assigned', agentId: state.agentId });
    if (state.status === 'queued') {
      const { state: waiting } = await loadAggregate(
        this.store,
        queue.queueAggregate,
        queue.queueStream(companyId, state.groupId),
      );
      // Not in the queue yet (the workflow is about to put it there): it will be last.
      const queuePosition = queue.queuePosition(waiting, sessionId) ?? waiting.waiting.length + 1;
      return ok({ sessionId, state: 'queued', queuePosition });
    }
    return left(domainError('session_ended', 'the session has ended'));
  }

  async queuePosition(companyId: string, groupId: string, sessionId: string): Promise<number | undefined> {
    const { state } = await loadAggregate(this.store, queue.queueAggregate, queue.queueStream(companyId, groupId));
    return queue.queuePosition(state, sessionId);
  }

  async visitorEnds(v: VisitorRef): Promise<Result<{ sessionId: string }>> {
    this.forgetOpen(v);
    const sessionId = await this.currentSession(v);
    if (sessionId === undefined) return left(domainError('session_not_found', 'no session is open'));
    const ended = await this.commands.onSession(v.companyId, sessionId, {
      type: 'EndSession',
      by: { role: 'visitor', id: v.visitorId },
    });
    return isLeft(ended) ? ended : ok({ sessionId });
  }

  private async closeVisitorSession(companyId: string, visitorId: string, sessionId: string): Promise<Result<void>> {
    const closed = await this.commands.onVisitor(companyId, visitorId, { type: 'CloseVisitorSession', sessionId });
    return isLeft(closed) ? closed : ok(undefined);
  }

  /**
   * PROTOCOL `csat.submit`: the visitor rates one of its ended sessions that asked for it, once
   * (a second time: `already_rated`). `clientMsgId`: the platform message that carried the digit,
   * so that a redelivered webhook is done already rather than refused.
   */
  async csatSubmit(
    v: VisitorRef,
    rating: { sessionId: string; rating: number; comment?: string; clientMsgId?: string },
  ): Promise<Result<{ sessionId: string; rating: number }>> {
    const submitted = await this.commands.onSession(v.companyId, rating.sessionId, {
      type: 'SubmitCsat',
      visitorId: v.visitorId,
      rating: rating.rating,
      ...(rating.comment === undefined ? {} : { comment: rating.comment }),
      ...(rating.clientMsgId === undefined ? {} : { clientMsgId: rating.clientMsgId }),
    });
    return isLeft(submitted) ? submitted : ok({ sessionId: rating.sessionId, rating: rating.rating });
  }

  /**
   * The visitor's latest session when it has ended and asked for a rating not given yet, or (with
   * `clientMsgId`) given by that very message (a redelivery). Two reads (the visitor's stream,
   * then that session's): a platform visitor's lone digit asks it, and a web visitor's new socket
   * (the question again, for a visitor that was away when the session ended).
   */
  async awaitingRating(v: VisitorRef, clientMsgId?: string): Promise<string | undefined> {
    const { state: seen } = await loadAggregate(
      this.store,
      visitor.visitorAggregate,
      visitor.visitorStream(v.companyId, v.visitorId),
    );
    const sessionId = seen.openSessionId ?? seen.lastSessionId;
    if (sessionId === undefined) return undefined;
    const { state } = await this.sessionState(v.companyId, sessionId);
    if (state.status !== 'ended' || state.visitorId !== v.visitorId) return undefined;
    if (state.csat === 'requested') return sessionId;
    return state.csat === 'submitted' && clientMsgId !== undefined && state.csatClientMsgId === clientMsgId
      ? sessionId
      : undefined;
  }

  /** PROTOCOL `agent.status`: the agent's choice; becoming idle routes its groups (a workflow trigger). */
  async agentStatus(a: AgentRef, status: agent.AgentStatus): Promise<Result<AgentStateResult>> {
    const profile = await this.directory.agent(a.companyId, a.agentId);
    if (profile === undefined) return left(domainError('agent_not_found', `agent ${a.agentId} does not exist`));
    const changed = await this.commands.onAgent(a.companyId, a.agentId, { type: 'ChangeAgentStatus', status });
    if (isLeft(changed)) return changed;
    return ok(stateOf(changed.right.state, profile));
  }

  /** A socket of the agent opened: a status lost to a disconnection comes back; the state to show. */
  async agentConnected(a: AgentRef): Promise<Result<AgentStateResult>> {
    const profile = await this.directory.agent(a.companyId, a.agentId);
    if (profile === undefined) return left(domainError('agent_not_found', `agent ${a.agentId} does not exist`));
    const resumed = await this.commands.onAgent(a.companyId, a.agentId, { type: 'ResumeAgentStatus' });
    if (isLeft(resumed)) return resumed;
    return ok(stateOf(resumed.right.state, profile));
  }

  async agentState(a: AgentRef): Promise<Result<AgentStateResult>> {
    const profile = await this.directory.agent(a.companyId, a.agentId);
    if (profile === undefined) return left(domainError('agent_not_found', `agent ${a.agentId} does not exist`));
    const { state } = await loadAggregate(this.store, agent.agentAggregate, agent.agentStream(a.companyId, a.agentId));
    return ok(stateOf(state, profile));
  }

  async agentMessage(
    a: AgentRef,
    message: { sessionId: string; text: string; clientMsgId: string; attachments?: readonly session.Attachment[] },
  ): Promise<Result<{ messageId: string; sessionId: string }>> {
    const messageId = this.newId();
    const result = await this.commands.onSession(a.companyId, message.sessionId, {
      type: 'PostMessage',
      messageId,
      clientMsgId: message.clientMsgId,
      from: { role: 'agent', id: a.agentId },
      text: message.text,
      ...(message.attachments === undefined || message.attachments.length === 0
        ? {}
        : { attachments: [...message.attachments] }),
    });
    if (isLeft(result) && result.left.code === 'duplicate_message') {
      return ok({ messageId: result.left.details!['messageId']!, sessionId: message.sessionId });
    }
    if (isLeft(result)) return result;
    await this.recordActivity(a.companyId, result.right.state);
    return ok({ messageId, sessionId: message.sessionId });
  }

  /**
   * PROTOCOL `note.send`: a private note in the session, by the agent holding it (or a supervisor
   * or admin, `role`); a resent note (same client id) answers the id it was given the first time.
   */
  async postNote(
    a: AgentRef,
    note: { sessionId: string; text: string; clientMsgId: string },
    role?: session.StaffRole,
  ): Promise<Result<{ messageId: string; sessionId: string }>> {
    const messageId = this.newId();
    const result = await this.commands.onSession(a.companyId, note.sessionId, {
      type: 'PostNote',
      messageId,
      agentId: a.agentId,
      clientMsgId: note.clientMsgId,
      text: note.text,
      ...(role === undefined ? {} : { role }),
    });
    if (isLeft(result) && result.left.code === 'duplicate_message') {
      return ok({ messageId: result.left.details!['messageId']!, sessionId: note.sessionId });
    }
    return isLeft(result) ? result : ok({ messageId, sessionId: note.sessionId });
  }

  /** PROTOCOL `session.tag`: the session's labels after the change (the same when nothing changed). */
  async tagSession(
    a: AgentRef,
    change: { sessionId: string; add: readonly string[]; remove: readonly string[] },
    role?: session.StaffRole,
  ): Promise<Result<{ sessionId: string; tags: readonly string[] }>> {
    const result = await this.commands.onSession(a.companyId, change.sessionId, {
      type: 'TagSession',
      agentId: a.agentId,
      add: [...change.add],
      remove: [...change.remove],
      ...(role === undefined ? {} : { role }),
    });
    if (isLeft(result)) return result;
    const { state } = result.right;
    return ok({ sessionId: change.sessionId, tags: state.status === 'none' ? [] : (state.tags ?? []) });
  }

  /** PROTOCOL `session.read` of a visitor: its open session's agent messages are read (a receipt for the agent). */
  async visitorRead(v: VisitorRef): Promise<Result<{ sessionId: string }>> {
    const sessionId = this.knownOpen(v) ?? (await this.currentSession(v));
    if (sessionId === undefined) return left(domainError('session_not_found', 'no session is open'));
    const read = await this.commands.onSession(v.companyId, sessionId, {
      type: 'MarkSessionReadByVisitor',
      visitorId: v.visitorId,
    });
    return isLeft(read) ? read : ok({ sessionId });
  }

  /**
   * Who is on the other side of a `typing` frame: for a visitor, its open session and the agent
   * holding it; for an agent, the session's visitor, if the agent holds it (or oversees, `role`).
   */
  async typingAudience(
    by: { readonly companyId: string; readonly visitorId: string } | (AgentRef & { readonly role?: session.StaffRole }),
    sessionId?: string,
  ): Promise<Result<{ sessionId: string; visitorId: string; agentId?: string; state: string }>> {
    const visitorSide = 'visitorId' in by;
    const id = visitorSide ? (this.knownOpen(by) ?? (await this.currentSession(by))) : sessionId;
    if (id === undefined) return left(domainError('session_not_found', 'no session is open'));
    const { state } = await this.sessionState(by.companyId, id);
    if (
      state.status === 'none' ||
      state.companyId !== by.companyId ||
      (visitorSide && state.visitorId !== by.visitorId)
    )
      return left(domainError('session_not_found', `session ${id} does not exist`));
    if (state.status === 'ended') return left(domainError('session_ended', 'the session has ended'));
    if (!visitorSide && state.agentId !== by.agentId && by.role !== 'admin' && by.role !== 'supervisor')
      return left(domainError('not_assigned_to_you', 'only the agent holding the session can type in it'));
    return ok({
      sessionId: id,
      visitorId: state.visitorId,
      state: state.status,
      ...(state.status === 'assigned' && state.agentId !== undefined ? { agentId: state.agentId } : {}),
    });
  }

  /**
   * A session as a supervisor watching it sees it now (`session.watch`'s ack): its state, its
   * visitor and the agent holding it. An ended session is not watched.
   */
  async watchable(
    companyId: string,
    sessionId: string,
  ): Promise<Result<{ sessionId: string; state: string; visitorId: string; groupId: string; agentId?: string }>> {
    const { state } = await this.sessionState(companyId, sessionId);
    if (state.status === 'none' || state.companyId !== companyId)
      return left(domainError('session_not_found', `session ${sessionId} does not exist`));
    if (state.status === 'ended') return left(domainError('session_ended', 'the session has ended'));
    return ok({
      sessionId,
      state: state.status,
      visitorId: state.visitorId,
      groupId: state.groupId,
      ...(state.status === 'assigned' && state.agentId !== undefined ? { agentId: state.agentId } : {}),
    });
  }

  async markRead(a: AgentRef, sessionId: string): Promise<Result<{ sessionId: string }>> {
    const read = await this.commands.onSession(a.companyId, sessionId, { type: 'MarkSessionRead', agentId: a.agentId });
    return isLeft(read) ? read : ok({ sessionId });
  }

  async agentEnds(a: AgentRef, sessionId: string): Promise<Result<{ sessionId: string }>> {
    const ended = await this.commands.onSession(a.companyId, sessionId, {
      type: 'EndSession',
      by: { role: 'agent', id: a.agentId },
    });
    return isLeft(ended) ? ended : ok({ sessionId });
  }

  /**
   * PROTOCOL `session.transfer`. To a colleague: the colleague's slot is taken now (refused when
   * it has no room or is offline), the transfer workflow transfers the session and frees the
   * agent's slot. To a group: the session goes back to that group's queue (the workflow queues it).
   */
  async transfer(
    a: AgentRef,
    sessionId: string,
    to: { agentId: string } | { groupId: string },
  ): Promise<Result<{ sessionId: string }>> {
    const { companyId } = a;
    if ('groupId' in to) {
      if (!(await this.directory.groupExists(companyId, to.groupId)))
        return left(domainError('no_group', `group ${to.groupId} does not exist`));
      const moved = await this.commands.onSession(companyId, sessionId, {
        type: 'TransferSession',
        byAgentId: a.agentId,
        to,
      });
      return isLeft(moved) ? moved : ok({ sessionId });
    }
    const target = await this.directory.agent(companyId, to.agentId);
    if (target === undefined) return left(domainError('agent_not_found', `agent ${to.agentId} does not exist`));
    if (to.agentId === a.agentId) return left(domainError('invalid_transition', 'the session is already yours'));
    const { state } = await this.sessionState(companyId, sessionId);
    if (state.status === 'none' || state.companyId !== companyId)
      return left(domainError('session_not_found', `session ${sessionId} does not exist`));
    if (state.status === 'ended') return left(domainError('session_ended', 'the session has ended'));
    if (state.status !== 'assigned' || state.agentId !== a.agentId)
      return left(domainError('not_assigned_to_you', 'only the agent holding the session can transfer it'));
    const handover = state.handover + 1;
    const done = sessionFollowup(companyId, sessionId, ['SessionTransferred'], to.agentId);
    const waiting = this.options.followups?.waitFor(done, this.followupWaitMs);
    const attached = await this.commands.onAgent(companyId, to.agentId, {
      type: 'AttachSession',
      sessionId,
      capacity: target.capacity,
      handover,
      for: 'transfer',
      fromAgentId: a.agentId,
    });
    if (isLeft(attached)) {
      waiting?.cancel();
      return attached;
    }
    if (attached.right.events.length === 0) {
      waiting?.cancel();
      return left(domainError('invalid_transition', `agent ${to.agentId} is being given this session already`));
    }
    await waiting?.done;
    return ok({ sessionId });
  }

  /**
   * PROTOCOL `session.takeover`: a supervisor (or an admin) takes a session over, from the agent
   * holding it or from its queue. The supervisor's slot is taken first whatever its capacity: one
   * stepping in is never refused for being full (its load may pass its capacity for a while, and
   * routing gives it nothing more until it is below). Then the transfer workflow (a held session)
   * or the assignment workflow (a queued one) moves the session and the holder's slot goes.
   */
  async takeover(
    a: AgentRef,
    sessionId: string,
    role: session.StaffRole,
  ): Promise<Result<{ sessionId: string; state: 'assigned'; agentId: string }>> {
    const { companyId, agentId } = a;
    if (role !== 'supervisor' && role !== 'admin')
      return left(domainError('forbidden', 'only supervisors and admins take sessions over'));
    const { state } = await this.sessionState(companyId, sessionId);
    if (state.status === 'none' || state.companyId !== companyId)
      return left(domainError('session_not_found', `session ${sessionId} does not exist`));
    if (state.status === 'ended') return left(domainError('session_ended', 'the session has ended'));
    const taken = ok({ sessionId, state: 'assigned' as const, agentId });
    if (state.status === 'assigned' && state.agentId === agentId) return taken;
    if (state.status !== 'assigned' && state.status !== 'queued')
      return left(
        domainError(
          'invalid_transition',
          `a session in state ${state.status} cannot be taken over (no human asked for)`,
        ),
      );
    if ((await this.directory.agent(companyId, agentId)) === undefined)
      return left(domainError('agent_not_found', `agent ${agentId} does not exist`));
    const handover = state.handover + 1;
    const done = sessionFollowup(companyId, sessionId, ['SessionTransferred', 'SessionAssigned'], agentId);
    const waiting = this.options.followups?.waitFor(done, this.followupWaitMs);
    const attached = await this.commands.onAgent(companyId, agentId, {
      type: 'AttachSession',
      sessionId,
      // Stepping in is not refused for capacity (see above).
      capacity: Number.MAX_SAFE_INTEGER,
      handover,
      ...(state.status === 'assigned' && state.agentId !== undefined
        ? { for: 'takeover' as const, fromAgentId: state.agentId }
        : { for: 'assignment' as const, groupId: state.groupId }),
    });
    if (isLeft(attached)) {
      waiting?.cancel();
      return attached;
    }
    if (attached.right.events.length === 0) {
      waiting?.cancel();
      return left(domainError('invalid_transition', `agent ${agentId} is being given this session already`));
    }
    if (waiting === undefined) return taken;
    await waiting.done;
    const after = await this.sessionState(companyId, sessionId);
    return after.state.status === 'assigned' && after.state.agentId === agentId
      ? taken
      : left(domainError('invalid_transition', 'the session was handed over or ended meanwhile'));
  }
}

const stateOf = (state: agent.AgentState, profile: AgentProfile): AgentStateResult => ({
  status: state.status,
  load: state.sessions.length,
  capacity: profile.capacity,
  name: displayName(profile),
});
