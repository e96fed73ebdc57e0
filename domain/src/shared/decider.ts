import type { Either } from 'fp-ts/Either';
import type { DomainError } from './errors';

/**
 * An aggregate as three pure functions (Chassaing's decider): the state is the fold of the
 * events with `evolve` from `initialState`; `decide` turns a command into new events or an error.
 * The context carries what the decision needs from outside: the time, settings, calendars.
 */
export interface Decider<Command, Event, State, Context> {
  readonly initialState: State;
  readonly evolve: (state: State, event: Event) => State;
  readonly decide: (command: Command, state: State, context: Context) => Either<DomainError, readonly Event[]>;
}

export const fold = <Command, Event, State, Context>(
  decider: Decider<Command, Event, State, Context>,
  events: readonly Event[],
): State => events.reduce(decider.evolve, decider.initialState);
