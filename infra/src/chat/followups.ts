// What a command set off in this process, for a use case that may wait a moment for it: in a
// process that also runs the worker role (embedded mode), a visitor's human request is answered
// `assigned` once the assignment workflow assigned the session, or `queued` once routing left it
// waiting; a transfer once it happened. Elsewhere nobody calls `seen` and nothing waits.
import type { DomainEvent } from '@cschat/domain';
import type { RoutingOutcome } from '../routing/router';

export type Followup =
  | { readonly kind: 'event'; readonly event: DomainEvent }
  | { readonly kind: 'routed'; readonly outcome: RoutingOutcome };

export class Followups {
  private readonly waiters = new Set<(followup: Followup) => void>();

  /**
   * Resolves true at the first followup that `match` accepts, false after `timeoutMs`. Start
   * waiting before running the command: what it sets off may come at once.
   */
  waitFor(
    match: (followup: Followup) => boolean,
    timeoutMs: number,
  ): { readonly done: Promise<boolean>; cancel(): void } {
    let waiter: ((followup: Followup) => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    const finish = (resolve: (value: boolean) => void, value: boolean): void => {
      if (waiter !== undefined) this.waiters.delete(waiter);
      clearTimeout(timer);
      resolve(value);
    };
    let cancel = (): void => undefined;
    const done = new Promise<boolean>((resolve) => {
      waiter = (followup) => {
        if (match(followup)) finish(resolve, true);
      };
      this.waiters.add(waiter);
      timer = setTimeout(() => finish(resolve, false), timeoutMs);
      cancel = () => finish(resolve, false);
    });
    return { done, cancel: () => cancel() };
  }

  seen(followup: Followup): void {
    for (const waiter of [...this.waiters]) waiter(followup);
  }
}
