// A process over several aggregates, in the manner of Emmett's workflows: pure functions from the
// events of the previous step to the commands of the next. A generic runner (infra/workflows)
// feeds it the events from the bus, runs the commands through the command handler, gives a
// refused command back to it as an input (so that it can give back what it took), and records
// each input in the workflow instance's own stream once its commands have run: after a crash
// the same input comes again and the same commands run again, which changes nothing for those
// that ran (each is idempotent, and a step about an earlier handover of a session is refused or
// ignored by the aggregate).
import type { DomainErrorCode } from './errors';
import type { DomainCommand, DomainEvent, UntimedCommand } from '../messages';

/** A command of the workflow's that its aggregate refused: the workflow's next input. */
export interface CommandRefused {
  readonly type: 'CommandRefused';
  readonly command: DomainCommand;
  readonly code: DomainErrorCode;
  readonly message: string;
}

export interface Workflow<Input extends DomainEvent, State> {
  /** Names the workflow's streams (`workflow-<name>-<instance>`), so it must not change. */
  readonly name: string;
  readonly initialState: State;
  /** The event as this workflow's input, or undefined when the workflow does not take it. */
  readonly inputOf: (event: DomainEvent) => Input | undefined;
  /** The instance an input belongs to, unique across companies (`<companyId>-<sessionId>`). */
  readonly instanceOf: (input: Input) => string;
  readonly evolve: (state: State, input: Input | CommandRefused) => State;
  readonly decide: (input: Input | CommandRefused, state: State) => readonly UntimedCommand[];
}

/** The instance of a session's workflows. */
export const sessionInstance = (event: { readonly companyId: string; readonly sessionId: string }): string =>
  `${event.companyId}-${event.sessionId}`;
