// given(events).when(command).then(events) for deciders, in the manner of Emmett's
// DeciderSpecification: the state is the fold of the given events.
import { isLeft, isRight } from 'fp-ts/Either';
import type { Decider } from '../domain/src/shared/decider';
import type { DomainErrorCode } from '../domain/src/shared/errors';

export const deciderSpec = <Command, Event, State, Context>(
  decider: Decider<Command, Event, State, Context>,
  defaultContext: Context,
) => ({
  given: (events: readonly Event[]) => ({
    when: (command: Command, context: Context = defaultContext) => {
      const state = events.reduce(decider.evolve, decider.initialState);
      const result = decider.decide(command, state, context);
      return {
        then: (expected: readonly Event[]): void => {
          if (isLeft(result)) throw new Error(`expected events, got error ${result.left.code}: ${result.left.message}`);
          expect(result.right).toEqual(expected);
        },
        thenNothing: (): void => {
          if (isLeft(result)) throw new Error(`expected no events, got error ${result.left.code}`);
          expect(result.right).toEqual([]);
        },
        thenError: (code: DomainErrorCode, details?: Record<string, string>): void => {
          if (isRight(result)) throw new Error(`expected error ${code}, got ${JSON.stringify(result.right)}`);
          expect(result.left.code).toBe(code);
          if (details !== undefined) expect(result.left.details).toEqual(details);
        },
        /** The state after the given events and the decided ones. */
        state: (): State => {
          if (isLeft(result)) throw new Error(`expected events, got error ${result.left.code}`);
          return result.right.reduce(decider.evolve, state);
        },
      };
    },
  }),
});
