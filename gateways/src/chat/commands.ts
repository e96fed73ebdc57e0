// One place that turns a use case's intent into a command on an aggregate's stream, through the
// command handler (load -> decide -> append, retried on a version conflict). The chat service,
// the router and the reactions all speak to the aggregates through it.
import { isLeft, type Either } from 'fp-ts/Either';
import {
  agent,
  queue,
  session,
  visitor,
  type Aggregate,
  type DomainError,
  type DomainErrorCode,
  type IsoInstant,
} from '@cschat/domain';
import { handleCommand, type EventStore, type Handled } from '@cschat/infra';
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

export const orThrow = <T>(result: Either<DomainError, T>): T => {
  if (isLeft(result)) throw new ChatError(result.left.code, result.left.message, result.left.details);
  return result.right;
};

/** What the session decider gets for the commands that do not read hours or the timeout. */
const UNREAD_CONTEXT: session.SessionContext = { hours: {}, timeoutSeconds: 0 };

type Fields = Record<string, unknown>;

export class Commands {
  constructor(
    private readonly store: EventStore,
    private readonly directory: Directory,
    private readonly now: () => Date,
  ) {}

  at(): IsoInstant {
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
  private async sessionContext(
    companyId: string,
    commandType: unknown,
    state: session.SessionState,
    originGroupId?: string,
  ): Promise<session.SessionContext> {
    if (commandType !== 'RequestHuman' && commandType !== 'CheckTimeout') return UNREAD_CONTEXT;
    const settings = await this.directory.settings(companyId);
    const groupId = state.status === 'none' ? originGroupId : state.groupId;
    const hours = groupId === undefined ? {} : await this.directory.hoursOfGroup(companyId, groupId);
    return { hours, timeoutSeconds: settings.inactivityTimeoutSeconds };
  }

  onSession(companyId: string, sessionId: string, command: Fields) {
    const origin = command['origin'] as { groupId: string } | undefined;
    return this.run(
      session.sessionAggregate,
      session.sessionStream(companyId, sessionId),
      { companyId, sessionId, at: this.at(), ...command } as session.SessionCommand,
      (state) => this.sessionContext(companyId, command['type'], state, origin?.groupId),
    );
  }

  onAgent(companyId: string, agentId: string, command: Fields) {
    return this.run(
      agent.agentAggregate,
      agent.agentStream(companyId, agentId),
      { companyId, agentId, at: this.at(), ...command } as agent.AgentCommand,
      () => undefined,
    );
  }

  onQueue(companyId: string, groupId: string, command: Fields) {
    return this.run(
      queue.queueAggregate,
      queue.queueStream(companyId, groupId),
      { companyId, groupId, at: this.at(), ...command } as queue.QueueCommand,
      () => undefined,
    );
  }

  onVisitor(companyId: string, visitorId: string, command: Fields) {
    return this.run(
      visitor.visitorAggregate,
      visitor.visitorStream(companyId, visitorId),
      { companyId, visitorId, at: this.at(), ...command } as visitor.VisitorCommand,
      () => undefined,
    );
  }
}
