// The timeout checks follow the sessions' events: a `TimeoutCheckScheduled` puts the session's
// check in the schedule (and its deadline, unless a chat message set a later one); an end takes
// both out. Idempotent: a redelivered event changes nothing.
import { millis, session, type DomainEvent } from '@cschat/domain';
import { loadAggregate } from '../command-handler/handler';
import type { EventStore } from '../event-store/port';
import type { Deadlines, TimeoutSchedule } from './port';

export interface TimeoutReactionsOptions {
  readonly store: EventStore;
  readonly schedule: TimeoutSchedule;
  readonly deadlines: Deadlines;
  /** A check was scheduled: the timeout worker of this process may have to look sooner. */
  readonly scheduled?: () => void;
}

export class TimeoutReactions {
  constructor(private readonly options: TimeoutReactionsOptions) {}

  async react(event: DomainEvent): Promise<void> {
    const { schedule, deadlines } = this.options;
    if (event.type === 'SessionEnded') {
      await schedule.remove(event);
      await deadlines.remove(event);
    } else if (event.type === 'TimeoutCheckScheduled') {
      await this.scheduleCheck(event);
    }
  }

  private async scheduleCheck(event: session.SessionEvent & { type: 'TimeoutCheckScheduled' }): Promise<void> {
    const { store, schedule, deadlines } = this.options;
    // A redelivered old event must not bring back the check of a session that ended since.
    const { state } = await loadAggregate(
      store,
      session.sessionAggregate,
      session.sessionStream(event.companyId, event.sessionId),
    );
    if (state.status !== 'queued' && state.status !== 'assigned') return;
    const dueAt = millis(state.nextCheckAt ?? event.dueAt);
    await deadlines.setIfAbsent(event, dueAt);
    await schedule.schedule(event, dueAt);
    this.options.scheduled?.();
  }
}
