// Delivery: turns what happened (events from the bus) into the frames of the people concerned —
// `message` and `session.state` to a session's visitor and agent, queue positions to waiting
// visitors, `agent.state` to an agent, and `session.list` when a projector says a list changed.
// Each gateway process consumes in a group of its own, so every process sees every event.
import { isLeft } from 'fp-ts/Either';
import type { Knex } from 'knex';
import { agent, queue, session } from '@cschat/domain';
import {
  attachmentsView,
  decodeDomainEvent,
  displayName,
  EVENTS_TOPIC,
  fromBusMessage,
  loadAggregate,
  loadAggregateAt,
  type Bus,
  type Consumer,
  type Directory,
  type EventStore,
  type Logger,
  type RecordedEvent,
} from '@cschat/infra';
import { pushesOneRow, sessionListOf, sessionRowOf, type ListChanged } from '@cschat/projections';
import { CSAT_QUESTION_ID, CSAT_THANKS_ID } from './channels/sender';
import { busSignals, type Signals, type TypingSignal } from './signals';
import type { ServerFrame, SessionListRow } from './ws/frames';

/** Where frames go: every open socket of that visitor or agent (none: nothing happens). */
export interface Push {
  toVisitor(companyId: string, visitorId: string, frame: ServerFrame): void;
  toAgent(companyId: string, agentId: string, frame: ServerFrame): void;
  /**
   * To the supervisors watching the session on this gateway (`session.watch`), but not to the
   * agents of `except`, who got the frame already (the holder, the author).
   */
  toWatchers?(companyId: string, sessionId: string, frame: ServerFrame, except: readonly string[]): void;
  /** The session ended: its watchers stop watching (after they got the `ended` state). */
  endWatch?(companyId: string, sessionId: string): void;
  /** Something on the company's live board changed (an event, or a list the projector rewrote). */
  liveChanged?(companyId: string): void;
}

export interface DeliveryOptions {
  readonly bus: Bus;
  readonly store: EventStore;
  readonly readModels: Knex;
  readonly readModelSchema: string;
  readonly directory: Directory;
  readonly push: Push;
  readonly logger: Logger;
  /** This process's consumer groups are named after it. */
  readonly instanceId: string;
  readonly listChangesTopic: string;
  /** Where `typing` comes from other gateways; default: the bus's signals topic. */
  readonly signals?: Signals;
}

export class Delivery {
  private consumers: Consumer[] = [];
  private stopSignals: (() => Promise<void>) | undefined;

  constructor(private readonly options: DeliveryOptions) {}

  async start(): Promise<void> {
    const { bus, instanceId, listChangesTopic } = this.options;
    this.consumers = await Promise.all([
      bus.consume({
        topic: EVENTS_TOPIC,
        groupId: `gateway-${instanceId}`,
        fromBeginning: false,
        handle: async (message) => {
          const recorded = fromBusMessage(message.value);
          if (!isLeft(recorded)) await this.deliver(recorded.right);
        },
      }),
      bus.consume({
        topic: listChangesTopic,
        groupId: `gateway-lists-${instanceId}`,
        fromBeginning: false,
        handle: async (message) => this.pushChange(JSON.parse(message.value) as ListChanged),
      }),
    ]);
    const signals = this.options.signals ?? busSignals(bus, this.options.logger);
    this.stopSignals = await signals.subscribe(instanceId, (signal) => this.pushSignal(signal));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.consumers.map((c) => c.stop()), this.stopSignals?.()]);
    this.consumers = [];
    this.stopSignals = undefined;
  }

  /**
   * When the events' and the lists' consumers last heard from the bus: the longer silent of the two (the bus port's
   * Consumer.lastHeardAt). Before the start and after the stop, now: nothing to wait for.
   */
  lastHeardAt(): number {
    return this.consumers.reduce((oldest, consumer) => Math.min(oldest, consumer.lastHeardAt()), Date.now());
  }

  /** The agent's whole current list, as `GET /api/sessions` returns it. */
  async sessionList(companyId: string, agentId: string): Promise<SessionListRow[]> {
    const rows = await sessionListOf(this.options.readModels, this.options.readModelSchema, companyId, agentId);
    return rows as SessionListRow[];
  }

  /** A `typing` signal of a socket (on any gateway), to this gateway's sockets of its addressee. */
  private pushSignal(signal: TypingSignal): void {
    const frame: ServerFrame = {
      type: 'typing',
      sessionId: signal.sessionId,
      from: signal.from,
      typing: signal.typing,
    };
    const { push } = this.options;
    const { to } = signal;
    if (to?.role === 'visitor') push.toVisitor(signal.companyId, to.id, frame);
    else if (to?.role === 'agent') push.toAgent(signal.companyId, to.id, frame);
    // Watchers see both sides type; not the agent who got it already, nor the one typing.
    const except = [to?.role === 'agent' ? to.id : undefined, signal.from.id].filter((id) => id !== undefined);
    push.toWatchers?.(signal.companyId, signal.sessionId, frame, except);
  }

  /** The name the visitor sees of an agent. */
  private async agentName(companyId: string, agentId: string): Promise<string> {
    const profile = await this.options.directory.agent(companyId, agentId);
    return profile === undefined ? agentId : displayName(profile);
  }

  /**
   * What a projector said changed in an agent's list, pushed: the whole list when the agent was given
   * or lost a session (R6), the one row (`session.update`) when a message or a read changed it.
   */
  async pushChange(change: ListChanged): Promise<void> {
    const { companyId, agentId, sessionId } = change;
    // The projector wrote the read models the live board reads.
    this.options.push.liveChanged?.(companyId);
    if (!pushesOneRow(change.reason)) {
      const sessions = await this.sessionList(companyId, agentId);
      this.options.push.toAgent(companyId, agentId, { type: 'session.list', sessions });
      return;
    }
    const row =
      change.row ??
      (await sessionRowOf(this.options.readModels, this.options.readModelSchema, companyId, agentId, sessionId));
    // Not the agent's any more (a transfer came after): the push of that transfer told it.
    if (row === undefined || row.state !== 'assigned') return;
    this.options.push.toAgent(companyId, agentId, { type: 'session.update', session: row as SessionListRow });
  }

  private async deliver(recorded: RecordedEvent): Promise<void> {
    const decoded = decodeDomainEvent(recorded);
    if (decoded === undefined || isLeft(decoded)) return;
    const event = decoded.right;
    const { push, store, directory } = this.options;
    if (LIVE_BOARD_EVENTS.has(event.type)) push.liveChanged?.(event.companyId);
    switch (event.type) {
      case 'MessagePosted': {
        // Who gets it is who was in the session when it was posted: an event that arrives late
        // (the bus was behind, or restarting) still reaches the agent who held the session then,
        // although the visitor may have left since. The event names them; one written before it
        // did is judged by the session as it was then.
        const { visitorId, agentId } = event;
        const audience =
          visitorId !== undefined
            ? { visitorId, ...(agentId === undefined ? {} : { agentId }) }
            : await audienceAt(store, recorded);
        if (audience === undefined) return;
        // An agent's name rides on the frame, so that the widget can show who writes.
        const from =
          event.from.role === 'agent' && event.from.id !== undefined
            ? { ...event.from, name: await this.agentName(event.companyId, event.from.id) }
            : event.from;
        const frame: ServerFrame = {
          type: 'message',
          sessionId: event.sessionId,
          messageId: event.messageId,
          from,
          text: event.text,
          at: event.at,
          ...(event.clientMsgId === undefined ? {} : { clientMsgId: event.clientMsgId }),
          ...(event.bot?.suggestions === undefined ? {} : { suggestions: event.bot.suggestions }),
          ...(event.bot?.offerHuman === true ? { offerHuman: true } : {}),
          ...(event.bot?.actions === undefined ? {} : { actions: event.bot.actions }),
          ...(attachmentsView(event.attachments).length === 0
            ? {}
            : { attachments: attachmentsView(event.attachments) }),
        };
        push.toVisitor(event.companyId, audience.visitorId, frame);
        if (audience.agentId !== undefined) push.toAgent(event.companyId, audience.agentId, frame);
        push.toWatchers?.(
          event.companyId,
          event.sessionId,
          frame,
          audience.agentId === undefined ? [] : [audience.agentId],
        );
        return;
      }
      case 'NotePosted': {
        // A note goes to agents only: the one holding the session and its author. Never to the
        // visitor, and the channel sender reads MessagePosted only, so never to a platform.
        const frame: ServerFrame = {
          type: 'message',
          sessionId: event.sessionId,
          messageId: event.messageId,
          from: event.from,
          text: event.text,
          at: event.at,
          private: true,
          ...(event.clientMsgId === undefined ? {} : { clientMsgId: event.clientMsgId }),
        };
        const agents = new Set([event.agentId, event.from.id].filter((id) => id !== undefined));
        for (const agentId of agents) push.toAgent(event.companyId, agentId, frame);
        push.toWatchers?.(event.companyId, event.sessionId, frame, [...agents]);
        return;
      }
      case 'SessionRead':
      case 'SessionReadByVisitor': {
        if (event.upTo === undefined) return; // a read written before receipts: nothing to tell
        const { state } = await loadAggregate(store, session.sessionAggregate, recorded.streamId);
        if (state.status === 'none') return;
        const frame: ServerFrame = { type: 'message.read', sessionId: event.sessionId, upTo: event.upTo, at: event.at };
        if (event.type === 'SessionRead') push.toVisitor(event.companyId, state.visitorId, frame);
        else if (state.agentId !== undefined) push.toAgent(event.companyId, state.agentId, frame);
        return;
      }
      case 'SessionAssigned':
      case 'SessionTransferred':
      case 'SessionRequeued':
      case 'SessionEnded': {
        const { state } = await loadAggregate(store, session.sessionAggregate, recorded.streamId);
        if (state.status === 'none') return;
        const change = stateChange(event);
        const { agents } = change;
        const frame: ServerFrame =
          change.frame.type === 'session.state' && change.frame.agentId !== undefined
            ? { ...change.frame, agentName: await this.agentName(event.companyId, change.frame.agentId) }
            : change.frame;
        push.toVisitor(event.companyId, state.visitorId, frame);
        for (const agentId of agents) push.toAgent(event.companyId, agentId, frame);
        push.toWatchers?.(event.companyId, event.sessionId, frame, agents);
        if (event.type === 'SessionEnded') push.endWatch?.(event.companyId, event.sessionId);
        return;
      }
      case 'SessionQueued':
      case 'SessionLeftQueue': {
        // Everyone still waiting in that queue learns their (new) position.
        const { state } = await loadAggregate(store, queue.queueAggregate, recorded.streamId);
        for (const [index, waiting] of state.waiting.entries()) {
          const { state: waitingSession } = await loadAggregate(
            store,
            session.sessionAggregate,
            session.sessionStream(event.companyId, waiting.sessionId),
          );
          if (waitingSession.status !== 'queued') continue;
          push.toVisitor(event.companyId, waitingSession.visitorId, {
            type: 'session.state',
            sessionId: waiting.sessionId,
            state: 'queued',
            queuePosition: index + 1,
          });
        }
        return;
      }
      // The satisfaction question, to the visitor's sockets on this gateway (a platform visitor has
      // none: the channel sender asks it in words).
      case 'CsatRequested':
        push.toVisitor(event.companyId, event.visitorId, { type: 'csat.request', sessionId: event.sessionId });
        return;
      case 'ChannelDeliveryRecorded': {
        // The server's own texts (the satisfaction question and thanks) are no agent's message.
        if (event.outcome !== 'failed' || SERVER_TEXT_IDS.has(event.messageId)) return;
        const { state } = await loadAggregate(store, session.sessionAggregate, recorded.streamId);
        if (state.status === 'none' || state.agentId === undefined) return;
        push.toAgent(event.companyId, state.agentId, {
          type: 'message.failed',
          sessionId: event.sessionId,
          messageId: event.messageId,
          reason: event.reason ?? 'not delivered',
        });
        return;
      }
      case 'AgentStatusChanged':
      case 'SessionAttached':
      case 'SessionDetached': {
        const { state } = await loadAggregate(store, agent.agentAggregate, recorded.streamId);
        const profile = await directory.agent(event.companyId, event.agentId);
        push.toAgent(event.companyId, event.agentId, {
          type: 'agent.state',
          status: state.status,
          load: state.sessions.length,
          capacity: profile?.capacity ?? 0,
          name: profile === undefined ? event.agentId : displayName(profile),
        });
        return;
      }
      default:
        return;
    }
  }
}

/** The delivery ids of the channel sender's own texts, which no agent wrote. */
const SERVER_TEXT_IDS: ReadonlySet<string> = new Set([CSAT_QUESTION_ID, CSAT_THANKS_ID]);

/** The events that change what `GET /api/admin/live` answers (and so a `live.update`). */
const LIVE_BOARD_EVENTS: ReadonlySet<string> = new Set([
  'MessagePosted',
  'HumanRequested',
  'SessionQueued',
  'SessionLeftQueue',
  'SessionAssigned',
  'SessionTransferred',
  'SessionRequeued',
  'SessionEnded',
  'AgentStatusChanged',
  'SessionAttached',
  'SessionDetached',
]);

/**
 * Who a message written before events named their audience was for: the session's visitor, and
 * its agent if it held the session then (its state right after the message).
 */
const audienceAt = async (
  store: EventStore,
  recorded: RecordedEvent,
): Promise<{ visitorId: string; agentId?: string } | undefined> => {
  const state = await loadAggregateAt(store, session.sessionAggregate, recorded.streamId, recorded.revision);
  if (state.status === 'none') return undefined;
  return state.status === 'assigned' && state.agentId !== undefined
    ? { visitorId: state.visitorId, agentId: state.agentId }
    : { visitorId: state.visitorId };
};

/** The `session.state` frame of an assignment, transfer or end, and the agents it concerns. */
const stateChange = (
  event: session.SessionEvent & { type: 'SessionAssigned' | 'SessionTransferred' | 'SessionRequeued' | 'SessionEnded' },
): { frame: ServerFrame; agents: string[] } => {
  const base = { type: 'session.state', sessionId: event.sessionId } as const;
  switch (event.type) {
    case 'SessionEnded':
      return {
        frame: { ...base, state: 'ended', reason: event.reason },
        agents: event.agentId === undefined ? [] : [event.agentId],
      };
    case 'SessionAssigned':
      return { frame: { ...base, state: 'assigned', agentId: event.agentId }, agents: [event.agentId] };
    // The visitor learns its position from the queue's event; the agent that lost it, that it went back.
    case 'SessionRequeued':
      return { frame: { ...base, state: 'queued', reason: event.reason }, agents: [event.fromAgentId] };
    case 'SessionTransferred':
      return 'agentId' in event.to
        ? {
            // A takeover says so: the agent that lost the session learns why.
            frame: {
              ...base,
              state: 'assigned',
              agentId: event.to.agentId,
              ...(event.reason === undefined ? {} : { reason: event.reason }),
            },
            agents: [event.fromAgentId, event.to.agentId],
          }
        : { frame: { ...base, state: 'queued' }, agents: [event.fromAgentId] };
  }
};
