// given(inputs).when(input).then(commands) for workflows, as decider-spec.ts does for deciders:
// the state is the fold of the given inputs. Events go through the workflow's `inputOf`, as the
// runner feeds them, so an event the workflow does not take fails the spec.
import type { CommandRefused, DomainEvent, Workflow } from '../domain/src';

export const workflowSpec = <Input extends DomainEvent, State>(workflow: Workflow<Input, State>) => {
  const asInput = (given: DomainEvent | CommandRefused): Input | CommandRefused => {
    if (given.type === 'CommandRefused') return given;
    const input = workflow.inputOf(given);
    if (input === undefined) throw new Error(`workflow ${workflow.name} does not take ${given.type}`);
    return input;
  };
  return {
    given: (inputs: readonly (DomainEvent | CommandRefused)[]) => ({
      when: (given: DomainEvent | CommandRefused) => {
        const state = inputs.map(asInput).reduce(workflow.evolve, workflow.initialState);
        const input = asInput(given);
        const commands = workflow.decide(input, state);
        return {
          then: (expected: readonly object[]): void => expect(commands).toEqual(expected),
          thenNothing: (): void => expect(commands).toEqual([]),
          state: (): State => workflow.evolve(state, input),
        };
      },
    }),
  };
};

/** The input a refused command becomes. */
export const refused = (command: CommandRefused['command'], code: CommandRefused['code']): CommandRefused => ({
  type: 'CommandRefused',
  command,
  code,
  message: code,
});
