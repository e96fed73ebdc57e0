// The timeout checks follow the sessions' events: a `TimeoutCheckScheduled` puts the session's
// check in the schedule (and its last activity, unless a chat message recorded one already); an
// end takes both out. Idempotent: a redelivered event changes nothing.
import { millis, session, type DomainEvent } from '@cschat/domain';
import { loadAggregate } from '../command-handler/handler';
import type { EventStore } from '../event-store/port';
import type { SessionActivity, TimeoutSchedule } from './port';

export interface TimeoutReactionsOptions {
  readonly store: EventStore;
  readonly schedule: TimeoutSchedule;
  readonly activity: SessionActivity;
  /** A check was scheduled: the timeout worker of this process may have to look sooner. */
  readonly scheduled?: () => void;
}

export class TimeoutReactions {
  constructor(private readonly options: TimeoutReactionsOptions) {}

  async react(event: DomainEvent): Promise<void> {
    const { schedule, activity } = this.options;
    if (event.type === 'SessionEnded') {
      await schedule.remove(event);
      await activity.remove(event);
    } else if (event.type === 'TimeoutCheckScheduled') {
      await this.scheduleCheck(event);
    }
  }

  private async scheduleCheck(event: session.SessionEvent & { type: 'TimeoutCheckScheduled' }): Promise<void> {
    const { store, schedule, activity } = this.options;
    // A redelivered old event must not bring back the check of a session that ended since.
    const { state } = await loadAggregate(
      store,
      session.sessionAggregate,
      session.sessionStream(event.companyId, event.sessionId),
    );
    if (state.status !== 'queued' && state.status !== 'assigned') return;
    await activity.recordIfAbsent(event, millis(state.lastActivityAt));
    await schedule.schedule(event, millis(state.nextCheckAt ?? event.dueAt));
    this.options.scheduled?.();
  }
}
