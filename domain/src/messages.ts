// The aggregates' events and commands as one vocabulary: what workflows take and give, and how a
// stored event is read back by the name of its stream.
import type { Either } from 'fp-ts/Either';
import * as t from 'io-ts';
import * as agent from './agent';
import * as queue from './queue';
import * as session from './session';
import type { EventDecodeFailure } from './shared/upcast';
import * as visitor from './visitor';

export const DomainEvent = t.union([session.SessionEvent, queue.QueueEvent, agent.AgentEvent, visitor.VisitorEvent]);
export type DomainEvent = t.TypeOf<typeof DomainEvent>;

export const DomainCommand = t.union([
  session.SessionCommand,
  queue.QueueCommand,
  agent.AgentCommand,
  visitor.VisitorCommand,
]);
export type DomainCommand = t.TypeOf<typeof DomainCommand>;

/** A command as a workflow or a policy gives it: whoever runs it stamps the time. */
export type UntimedCommand = DomainCommand extends infer C ? (C extends DomainCommand ? Omit<C, 'at'> : never) : never;

export type AggregateName = 'session' | 'queue' | 'agent' | 'visitor';

/** The aggregate each command is for (complete by its type: a new command must be listed). */
export const COMMAND_TARGET: Readonly<Record<DomainCommand['type'], AggregateName>> = {
  PostMessage: 'session',
  RequestHuman: 'session',
  AssignSession: 'session',
  TransferSession: 'session',
  RequeueSession: 'session',
  MarkSessionRead: 'session',
  MarkSessionReadByVisitor: 'session',
  PostNote: 'session',
  TagSession: 'session',
  EndSession: 'session',
  CheckTimeout: 'session',
  RecordChannelDelivery: 'session',
  SubmitCsat: 'session',
  FlagSlaBreach: 'session',
  JoinQueue: 'queue',
  LeaveQueue: 'queue',
  ChangeAgentStatus: 'agent',
  MarkAgentDisconnected: 'agent',
  ResumeAgentStatus: 'agent',
  AttachSession: 'agent',
  DetachSession: 'agent',
  OpenVisitorSession: 'visitor',
  CloseVisitorSession: 'visitor',
  RecordVisitorVisit: 'visitor',
};

/** Which aggregate owns a stream, from the prefix of its name (`session-`, `agent-`, ...). */
export const aggregateOfStream = (streamId: string): AggregateName | undefined =>
  streamId.startsWith('session-')
    ? 'session'
    : streamId.startsWith('queue-')
      ? 'queue'
      : streamId.startsWith('agent-')
        ? 'agent'
        : streamId.startsWith('visitor-')
          ? 'visitor'
          : undefined;

/**
 * A stored event of one of the aggregates, upcast and decoded by its aggregate's codec;
 * undefined for a stream that is none of theirs (a workflow's own, say).
 */
export const decodeStreamEvent = (
  streamId: string,
  type: string,
  data: Record<string, unknown>,
): Either<EventDecodeFailure, DomainEvent> | undefined => {
  switch (aggregateOfStream(streamId)) {
    case 'session':
      return session.sessionAggregate.decodeEvent(type, data);
    case 'queue':
      return queue.queueAggregate.decodeEvent(type, data);
    case 'agent':
      return agent.agentAggregate.decodeEvent(type, data);
    case 'visitor':
      return visitor.visitorAggregate.decodeEvent(type, data);
    case undefined:
      return undefined;
  }
};
