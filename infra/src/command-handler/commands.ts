// One place that turns a command into a change of one aggregate's stream, through the command
// handler (load -> decide -> append, retried on a version conflict): the chat's use cases, the
// workflows, routing, presence and the timeouts all speak to the aggregates through it.
import type { Either } from 'fp-ts/Either';
import {
  agent,
  queue,
  session,
  visitor,
  COMMAND_TARGET,
  type Aggregate,
  type DomainCommand,
  type DomainError,
  type IsoInstant,
  type UntimedCommand,
} from '@cschat/domain';
import type { Directory } from '../company-config/directory';
import type { EventStore } from '../event-store/port';
import { handleCommand, type Handled } from './handler';

/** What the session decider gets for the commands that do not read hours or the timeout. */
const UNREAD_CONTEXT: session.SessionContext = { hours: {}, timeoutSeconds: 0 };

type Fields = Readonly<Record<string, unknown>>;

const noContext = (): undefined => undefined;

type Outcome<E, S> = Promise<Either<DomainError, Handled<E, S>>>;

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
  ): Outcome<E, S> {
    return handleCommand(this.store, aggregate, streamId, command, context);
  }

  /**
   * The session's group's hours; a session that the command opens is in its origin's group.
   * Only a human request and a timeout check read them: other commands (every chat message)
   * skip the two configuration reads.
   */
  private async sessionContext(command: session.SessionCommand, state: session.SessionState) {
    if (command.type !== 'RequestHuman' && command.type !== 'CheckTimeout') return UNREAD_CONTEXT;
    const { companyId } = command;
    const settings = await this.directory.settings(companyId);
    const groupId =
      state.status === 'none' ? (command.type === 'RequestHuman' ? command.origin?.groupId : undefined) : state.groupId;
    const hours = groupId === undefined ? {} : await this.directory.hoursOfGroup(companyId, groupId);
    return { hours, timeoutSeconds: settings.inactivityTimeoutSeconds };
  }

  session(command: session.SessionCommand): Outcome<session.SessionEvent, session.SessionState> {
    return this.run(
      session.sessionAggregate,
      session.sessionStream(command.companyId, command.sessionId),
      command,
      (state) => this.sessionContext(command, state),
    );
  }

  // The other aggregates decide without a context.
  agent(command: agent.AgentCommand): Outcome<agent.AgentEvent, agent.AgentState> {
    return this.run(agent.agentAggregate, agent.agentStream(command.companyId, command.agentId), command, noContext);
  }

  queue(command: queue.QueueCommand): Outcome<queue.QueueEvent, queue.QueueState> {
    return this.run(queue.queueAggregate, queue.queueStream(command.companyId, command.groupId), command, noContext);
  }

  visitor(command: visitor.VisitorCommand): Outcome<visitor.VisitorEvent, visitor.VisitorState> {
    const stream = visitor.visitorStream(command.companyId, command.visitorId);
    return this.run(visitor.visitorAggregate, stream, command, noContext);
  }

  // Shorthands for the use cases: the ids and the time are filled in. (Ids come from validated
  // frames, tokens and events; the commands' codecs are for what comes from outside.)
  onSession(companyId: string, sessionId: string, command: Fields) {
    return this.session({ companyId, sessionId, at: this.at(), ...command } as session.SessionCommand);
  }

  onAgent(companyId: string, agentId: string, command: Fields) {
    return this.agent({ companyId, agentId, at: this.at(), ...command } as agent.AgentCommand);
  }

  onQueue(companyId: string, groupId: string, command: Fields) {
    return this.queue({ companyId, groupId, at: this.at(), ...command } as queue.QueueCommand);
  }

  onVisitor(companyId: string, visitorId: string, command: Fields) {
    return this.visitor({ companyId, visitorId, at: this.at(), ...command } as visitor.VisitorCommand);
  }

  /** A command, stamped with the time now. */
  stamp(command: UntimedCommand): DomainCommand {
    return { ...command, at: this.at() };
  }

  /** Any command to the aggregate it is for (by its type). */
  execute(command: DomainCommand): Promise<Either<DomainError, Handled<unknown, unknown>>> {
    switch (COMMAND_TARGET[command.type]) {
      case 'session':
        return this.session(command as session.SessionCommand);
      case 'agent':
        return this.agent(command as agent.AgentCommand);
      case 'queue':
        return this.queue(command as queue.QueueCommand);
      case 'visitor':
        return this.visitor(command as visitor.VisitorCommand);
    }
  }
}
