// The one runner of every workflow (domain/src/shared/workflow.ts). For each event a workflow
// takes: load the instance's progress from its stream (`workflow-<name>-<instance>`), skip an
// input it recorded already, decide, run the commands through the command handler (a refused
// one goes back to the workflow as its next input, which may give back what an earlier step
// took), then record the input, with the refusals, in the instance's stream. Recording comes
// last: a crash at any step leaves the input unrecorded and its bus message uncommitted, so it
// comes again after the restart and the same commands run again; those that ran change nothing
// (idempotent, and guarded by the session's handover number), those that did not run now.
import { isLeft } from 'fp-ts/Either';
import * as t from 'io-ts';
import {
  DomainCommand,
  DomainErrorCode,
  decodeStreamEvent,
  invalidPaths,
  type Aggregate,
  type CommandRefused,
  type DomainEvent,
  type UntimedCommand,
  type Workflow,
} from '@cschat/domain';
import { left, right } from 'fp-ts/Either';
import { loadAggregate } from '../command-handler/handler';
import type { Commands } from '../command-handler/commands';
import { VersionConflictError } from '../event-store/errors';
import type { EventStore, RecordedEvent } from '../event-store/port';
import type { Logger } from '../logging';
import { traceMetadata } from '../tracing/spans';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each workflow has its own input and state
export type AnyWorkflow = Workflow<any, any>;

const Refusal = t.type({ command: DomainCommand, code: DomainErrorCode, message: t.string });

/** What the runner records once an input's commands have run. */
export const WorkflowStepRecorded = t.type({
  type: t.literal('WorkflowStepRecorded'),
  v: t.literal(1),
  /** The event the step is about, as stored (its own codec reads it back, upcasters included). */
  input: t.type({ streamId: t.string, revision: t.string, type: t.string, data: t.UnknownRecord }),
  /** How many commands ran, the refused included. */
  commands: t.number,
  refusals: t.array(Refusal),
});

export const workflowStream = (name: string, instance: string): string => `workflow-${name}-${instance}`;

/** A step's place for the fault hook (tests crash the runner there). */
export interface FaultPoint {
  readonly workflow: string;
  readonly instance: string;
  readonly input: string;
  /** After deciding, after the n-th command (1-based), or after recording. */
  readonly point: 'decided' | 'command' | 'recorded';
  readonly command?: number;
}

interface Progress {
  readonly state: unknown;
  /** Inputs recorded, as `<stream>@<revision>`. */
  readonly handled: readonly string[];
}

interface Step {
  readonly inputId: string;
  readonly input: DomainEvent;
  readonly refusals: readonly CommandRefused[];
}

const inputIdOf = (recorded: { readonly streamId: string; readonly revision: bigint | string }): string =>
  `${recorded.streamId}@${String(recorded.revision)}`;

/** The instance's progress as an aggregate of the command handler's, so that loading it is cached and guarded. */
const progressOf = (workflow: AnyWorkflow): Aggregate<never, Step & { readonly type: string }, Progress, unknown> => ({
  name: `workflow-${workflow.name}`,
  initialState: { state: workflow.initialState as unknown, handled: [] },
  decide: () => right([]),
  evolve: (progress, step) => {
    const input: unknown = workflow.inputOf(step.input);
    let state: unknown = input === undefined ? progress.state : workflow.evolve(progress.state, input);
    for (const refusal of step.refusals) state = workflow.evolve(state, refusal);
    return { state, handled: [...progress.handled, step.inputId] };
  },
  decodeEvent: (type, data) => {
    const decoded = WorkflowStepRecorded.decode({ ...data, type });
    if (isLeft(decoded)) return left({ type, message: `cannot decode ${type}: invalid ${invalidPaths(decoded.left)}` });
    const { input, refusals } = decoded.right;
    const event = decodeStreamEvent(input.streamId, input.type, input.data);
    if (event === undefined) return left({ type, message: `input from ${input.streamId}: not a domain event` });
    if (isLeft(event)) return event;
    return right({
      type,
      inputId: inputIdOf(input),
      input: event.right,
      refusals: refusals.map((r) => ({ type: 'CommandRefused' as const, ...r })),
    });
  },
});

export interface WorkflowRunnerOptions {
  readonly store: EventStore;
  readonly commands: Commands;
  readonly workflows: readonly AnyWorkflow[];
  readonly logger: Logger;
  /** Called at each step; a test throws (or kills the process) there to crash the runner. */
  readonly fault?: (at: FaultPoint) => void | Promise<void>;
}

/** Commands of one input, refusals' follow-ups included, beyond which a workflow is looping. */
export const MAX_COMMANDS_PER_STEP = 50;
const MAX_ATTEMPTS = 10;

export class WorkflowRunner {
  private readonly workflows: readonly {
    readonly workflow: AnyWorkflow;
    readonly progress: ReturnType<typeof progressOf>;
  }[];

  constructor(private readonly options: WorkflowRunnerOptions) {
    this.workflows = options.workflows.map((workflow) => ({ workflow, progress: progressOf(workflow) }));
  }

  /** Runs every workflow that takes the event (in the order they were given). */
  async react(event: DomainEvent, recorded: RecordedEvent): Promise<void> {
    for (const { workflow, progress } of this.workflows) {
      const input: unknown = workflow.inputOf(event);
      if (input !== undefined) await this.step(workflow, progress, input, recorded);
    }
  }

  private async step(
    workflow: AnyWorkflow,
    progressAggregate: ReturnType<typeof progressOf>,
    input: unknown,
    recorded: RecordedEvent,
  ): Promise<void> {
    const { store, commands, logger } = this.options;
    const instance = workflow.instanceOf(input);
    const streamId = workflowStream(workflow.name, instance);
    const inputId = inputIdOf(recorded);
    const fault = async (point: FaultPoint['point'], command?: number): Promise<void> =>
      this.options.fault?.({
        workflow: workflow.name,
        instance,
        input: inputId,
        point,
        ...(command === undefined ? {} : { command }),
      });
    for (let attempt = 1; ; attempt++) {
      const { state: progress, revision } = await loadAggregate(store, progressAggregate, streamId);
      if (progress.handled.includes(inputId)) return;
      let state: unknown = progress.state;
      const pending: UntimedCommand[] = [...workflow.decide(input, state)];
      state = workflow.evolve(state, input);
      await fault('decided');
      const refusals: CommandRefused[] = [];
      let ran = 0;
      for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
        if (ran >= MAX_COMMANDS_PER_STEP)
          throw new Error(
            `workflow ${workflow.name} ${instance}: more than ${MAX_COMMANDS_PER_STEP} commands for ${inputId}`,
          );
        const command = commands.stamp(next);
        const result = await commands.execute(command);
        ran += 1;
        await fault('command', ran);
        if (!isLeft(result)) continue;
        const refusal: CommandRefused = { type: 'CommandRefused', command, ...result.left };
        logger.debug(
          { workflow: workflow.name, instance, command: command.type, code: result.left.code },
          'workflow: command refused',
        );
        refusals.push(refusal);
        pending.push(...workflow.decide(refusal, state));
        state = workflow.evolve(state, refusal);
      }
      try {
        await store.append(
          streamId,
          [
            {
              type: 'WorkflowStepRecorded',
              data: {
                v: 1,
                input: {
                  streamId: recorded.streamId,
                  revision: recorded.revision.toString(),
                  type: recorded.type,
                  data: recorded.data,
                },
                commands: ran,
                refusals: refusals.map(({ command, code, message }) => ({ command, code, message })),
              },
              metadata: { causationId: recorded.eventId, ...traceMetadata() },
            },
          ],
          revision ?? 'no_stream',
        );
      } catch (error) {
        // Another runner recorded an input of this instance meanwhile: decide again on the new state.
        if (error instanceof VersionConflictError && attempt < MAX_ATTEMPTS) continue;
        throw error;
      }
      await fault('recorded');
      return;
    }
  }
}
