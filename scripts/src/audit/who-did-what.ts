// Who did what, from one event: the actor the event names, and a one-line summary of the fact.
import type { agent, DomainEvent, session } from '@cschat/domain';
import * as t from 'io-ts';

export type AuditedEvent = DomainEvent;

/** `role` is a sender's role (visitor, agent, bot, system), or `unknown` when the event cannot be read. */
export interface Actor {
  readonly role: string;
  readonly id?: string;
}

export interface WhoDidWhat {
  readonly actor: Actor;
  readonly summary: string;
}

/** What the event itself does not say but earlier events of the same stream did. */
export interface Known {
  /** The session's visitor, from its SessionStarted. */
  readonly visitorId: string | undefined;
  /** `metadata.actor` of the event, when a writer recorded one. */
  readonly metadataActor: Actor | undefined;
}

const MetadataActor = t.intersection([t.type({ role: t.string }), t.partial({ id: t.string })]);

/** The `{ role, id }` a writer may put under `metadata.actor`; anything else is ignored. */
export const metadataActorOf = (metadata: Readonly<Record<string, unknown>>): Actor | undefined => {
  const actor = metadata['actor'];
  if (!MetadataActor.is(actor) || actor.role === '') return undefined;
  return actorOf(actor.role, actor.id);
};

export const actorOf = (role: string, id: string | undefined): Actor => (id === undefined ? { role } : { role, id });

export const SYSTEM: Actor = { role: 'system' };

export const describeActor = (actor: Actor): string =>
  printable(actor.id === undefined ? actor.role : `${actor.role} ${actor.id}`);

const MAX_TEXT = 80;

// Control characters (newlines, terminal escapes) and bidirectional overrides, as runs.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\s\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069]+/g;

/**
 * Text from outside (a visitor's message, an actor recorded in metadata) as one plain line: a
 * newline, a terminal escape sequence or a right-to-left override in it must not forge lines,
 * colours or reordered words in the auditor's terminal.
 */
export const printable = (text: string): string => text.replace(UNPRINTABLE, ' ').trim();

/** A message in quotes, cut to 80 characters (by code point, so that an emoji is never halved). */
export const quoteText = (text: string): string => {
  const chars = [...printable(text)];
  return `"${chars.length > MAX_TEXT ? `${chars.slice(0, MAX_TEXT - 1).join('')}…` : chars.join('')}"`;
};

const visitor = (known: Known): Actor => actorOf('visitor', known.visitorId);

const sessionEnded = (event: session.SessionEvent & { type: 'SessionEnded' }, known: Known): WhoDidWhat => {
  const held = event.agentId === undefined ? '' : `, held by agent ${event.agentId}`;
  switch (event.reason) {
    case 'visitor':
      return { actor: visitor(known), summary: `ended the session${held}` };
    case 'agent':
      return { actor: actorOf('agent', event.agentId), summary: 'ended the session' };
    case 'timeout':
      return { actor: known.metadataActor ?? SYSTEM, summary: `ended the session: inactivity timeout${held}` };
    case 'system':
      return { actor: known.metadataActor ?? SYSTEM, summary: `ended the session${held}` };
  }
};

const agentStatusChanged = (event: agent.AgentEvent & { type: 'AgentStatusChanged' }, otherwise: Actor): WhoDidWhat => {
  const change = `${event.previous} -> ${event.status}`;
  switch (event.reason ?? 'chosen') {
    case 'chosen':
      return { actor: actorOf('agent', event.agentId), summary: change };
    case 'signed_out':
      return { actor: actorOf('agent', event.agentId), summary: `${change}: signed out` };
    case 'disconnected':
      return { actor: otherwise, summary: `${change}: no console open for the grace period` };
    case 'reconnected':
      return { actor: actorOf('agent', event.agentId), summary: `${change}: back (a console opened)` };
  }
};

export const whoDidWhat = (event: AuditedEvent, known: Known): WhoDidWhat => {
  const otherwise = known.metadataActor ?? SYSTEM;
  switch (event.type) {
    // The visitor's first message opens the session: the visitor opened it.
    case 'SessionStarted': {
      const account = event.channelAccountId === undefined ? '' : ` account ${event.channelAccountId}`;
      const name = event.visitorName === undefined ? '' : ` as ${quoteText(event.visitorName)}`;
      return {
        actor: actorOf('visitor', event.visitorId),
        summary: `opened the session on ${event.channel}${account}${name}, group ${event.groupId}`,
      };
    }
    case 'MessagePosted': {
      const attachments = event.attachments?.length ?? 0;
      const { bot } = event;
      // Why the bot said it: what it made of the question, and how sure it was. A goodbye only
      // offers the end: the session ends on the visitor's own session.end, told as such.
      const why =
        bot === undefined
          ? ''
          : ` — ${bot.outcome === 'end' ? 'offered to end on' : bot.outcome.replace('_', ' ')} ${quoteText(bot.question)}` +
            `${bot.title === undefined ? '' : ` as ${bot.entryKind ?? 'entry'} ${quoteText(bot.title)}`}` +
            ` (confidence ${bot.confidence.toFixed(2)})`;
      return {
        actor: actorOf(event.from.role, event.from.id),
        summary: `wrote ${quoteText(event.text)}${attachments === 0 ? '' : ` (+${attachments} attachment(s))`}${why}`,
      };
    }
    case 'HumanRequested':
      return { actor: visitor(known), summary: `asked for a human: waits in group ${event.groupId}` };
    case 'HumanUnavailable': {
      const next = event.nextOpeningAt === undefined ? '' : `, opens ${event.nextOpeningAt}`;
      return { actor: visitor(known), summary: `asked for a human: group ${event.groupId} is closed${next}` };
    }
    case 'SessionAssigned':
      return { actor: actorOf('agent', event.agentId), summary: `took the session (group ${event.groupId})` };
    case 'SessionTransferred': {
      const to = 'agentId' in event.to ? `agent ${event.to.agentId}` : `group ${event.to.groupId}`;
      return { actor: actorOf('agent', event.fromAgentId), summary: `transferred the session -> ${to}` };
    }
    case 'SessionRequeued':
      return {
        actor: otherwise,
        summary: `session back to the front of group ${event.groupId}'s queue: agent ${event.fromAgentId} offline too long`,
      };
    case 'SessionRead':
      return { actor: actorOf('agent', event.agentId), summary: 'read the session' };
    case 'SessionReadByVisitor':
      return { actor: actorOf('visitor', event.visitorId), summary: `read the agents' messages up to ${event.upTo}` };
    case 'NotePosted':
      return { actor: actorOf(event.from.role, event.from.id), summary: `noted ${quoteText(event.text)} (private)` };
    case 'SessionTagsChanged': {
      const changes = [...event.added.map((tag) => `+${tag}`), ...event.removed.map((tag) => `-${tag}`)];
      return { actor: actorOf('agent', event.agentId), summary: `tagged the session ${changes.join(' ')}` };
    }
    case 'SessionEnded':
      return sessionEnded(event, known);
    case 'TimeoutCheckScheduled':
      return { actor: otherwise, summary: `next inactivity check at ${event.dueAt}` };
    case 'ChannelDeliveryRecorded':
      return {
        actor: otherwise,
        summary:
          event.outcome === 'delivered'
            ? `delivered message ${event.messageId} to the platform`
            : `could not deliver message ${event.messageId}: ${quoteText(event.reason ?? 'unknown reason')}`,
      };
    case 'CsatRequested':
      return { actor: otherwise, summary: `asked the visitor how it went (satisfaction)` };
    case 'CsatSubmitted': {
      const comment = event.comment === undefined ? '' : `: ${quoteText(event.comment)}`;
      return { actor: visitor(known), summary: `rated the session ${event.rating} of 5${comment}` };
    }
    case 'SlaBreached':
      return {
        actor: otherwise,
        summary: `missed the ${event.target === 'wait' ? 'waiting' : 'first-response'} target of group ${event.groupId} (${event.targetSeconds} s)`,
      };
    case 'AgentStatusChanged':
      return agentStatusChanged(event, otherwise);
    case 'SessionAttached': {
      const purpose =
        event.for === 'assignment'
          ? ` for an assignment in group ${event.groupId ?? '?'}`
          : event.for === 'transfer'
            ? ` for a transfer from agent ${event.fromAgentId ?? '?'}`
            : '';
      return { actor: otherwise, summary: `session ${event.sessionId} attached${purpose} (load ${event.load})` };
    }
    case 'SessionDetached':
      return { actor: otherwise, summary: `session ${event.sessionId} detached: ${event.reason} (load ${event.load})` };
    case 'SessionQueued':
      return {
        actor: otherwise,
        summary: `session ${event.sessionId} joined the queue${event.front === true ? ' at the front' : ''}`,
      };
    case 'SessionLeftQueue':
      return { actor: otherwise, summary: `session ${event.sessionId} left the queue: ${event.reason}` };
    case 'VisitorSessionOpened':
      return { actor: actorOf('visitor', event.visitorId), summary: `opened session ${event.sessionId}` };
    case 'VisitorSessionClosed':
      return { actor: otherwise, summary: `session ${event.sessionId} closed: the next message opens a new one` };
    // The fields only: their values are personal data, shown by the profile, not the audit.
    case 'VisitorProfileUpdated':
      return {
        actor: actorOf('visitor', event.visitorId),
        summary: `changed the profile: ${Object.keys(event.changed).join(', ')}`,
      };
    case 'VisitorSeen':
      return { actor: actorOf('visitor', event.visitorId), summary: `came back on ${event.channel}` };
  }
};
