// The worker role in line, for use-case tests: every event of the log not yet seen goes through
// the workflows, the routing triggers (the router runs at once instead of through the bus) and the
// timeout reactions, until nothing new happens — what the worker's consumers do, without a bus.
import {
  EventReactor,
  Router,
  RoutingTriggers,
  TimeoutReactions,
  WorkflowRunner,
  silentLogger,
  type Commands,
  type Directory,
  type EventStore,
  type FaultPoint,
  type Position,
  type SessionActivity,
  type TimeoutSchedule,
} from '../infra/src';
import { workflows } from '../domain/src';

export interface InlineWorkerOptions {
  readonly store: EventStore;
  readonly commands: Commands;
  readonly directory: Directory;
  readonly timeouts?: { readonly schedule: TimeoutSchedule; readonly activity: SessionActivity };
  readonly fault?: (at: FaultPoint) => void | Promise<void>;
}

export const inlineWorker = (options: InlineWorkerOptions) => {
  const { store, commands, directory, timeouts } = options;
  const logger = silentLogger();
  const router = new Router({ store, directory, commands, logger });
  const reactor = new EventReactor({
    logger,
    reactions: [
      new WorkflowRunner({
        store,
        commands,
        workflows: workflows.WORKFLOWS,
        logger,
        ...(options.fault === undefined ? {} : { fault: options.fault }),
      }),
      new RoutingTriggers(directory, async (companyId, groupIds) => {
        for (const groupId of groupIds) await router.route(companyId, groupId);
      }),
      ...(timeouts === undefined ? [] : [new TimeoutReactions({ store, ...timeouts })]),
    ],
  });
  let after: Position | undefined;
  return {
    router,
    /** Runs the worker on every event not yet seen, until nothing new happens. */
    settle: async (): Promise<void> => {
      for (;;) {
        const batch = await store.readAll({ ...(after === undefined ? {} : { after }), maxCount: 500 });
        if (batch.length === 0) return;
        for (const recorded of batch) {
          await reactor.react(recorded);
          after = recorded.position;
        }
      }
    },
  };
};

/** The value of a use case's result, or a failure of the test naming the refusal. */
export const must = <T>(
  result: { _tag: 'Left'; left: { code: string; message: string } } | { _tag: 'Right'; right: T },
): T => {
  if (result._tag === 'Left') throw new Error(`refused: ${result.left.code}: ${result.left.message}`);
  return result.right;
};

/** The code of a use case's refusal, or a failure of the test when it was not refused. */
export const refusal = (
  result: { _tag: 'Left'; left: { code: string } } | { _tag: 'Right'; right: unknown },
): string => {
  if (result._tag === 'Right') throw new Error(`expected a refusal, got ${JSON.stringify(result.right)}`);
  return result.left.code;
};

type Unwrapped<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => Promise<infer R>
    ? (...args: A) => Promise<[R] extends [{ _tag: 'Left' } | { _tag: 'Right'; right: infer V }] ? V : R>
    : T[K];
};

/** The use cases with their results unwrapped: a refusal fails the test (for tests about what follows). */
export const unwrapped = <T extends object>(service: T): Unwrapped<T> =>
  new Proxy(service, {
    get: (target, name, receiver) => {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const result: unknown = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        const either = result as { _tag?: unknown };
        return either !== null && typeof either === 'object' && (either._tag === 'Left' || either._tag === 'Right')
          ? must(result as Parameters<typeof must>[0])
          : result;
      };
    },
  }) as Unwrapped<T>;
