// The timeout worker (worker role): claims due checks from the schedule and runs each as a
// `CheckTimeout` through the command handler. The session's last chat activity (one Redis key per
// session, written by every chat message) plus the company's timeout of now is its deadline: one
// still ahead just moves the check there, without touching the event store; otherwise the session
// decides from its events: deadline reached -> `SessionEnded(timeout)` (the end workflow does the
// follow-ups), not reached -> `TimeoutCheckScheduled` at the deadline, and the check moves there.
// A schedule that lost its contents (Redis flushed) is rebuilt from the read model of open
// sessions before anything else, and compared with it again every few seconds: the read model may
// be behind the reactions whose checks the flush took.
import { isLeft } from 'fp-ts/Either';
import { deadlineOf, instantOf, millis, session } from '@cschat/domain';
import { loadAggregate } from '../command-handler/handler';
import type { Commands } from '../command-handler/commands';
import type { Directory } from '../company-config/directory';
import type { EventStore } from '../event-store/port';
import type { Logger } from '../logging';
import type { ClaimedCheck, SessionActivity, SessionRef, TimeoutSchedule } from './port';

export interface TimeoutWorkerOptions {
  readonly store: EventStore;
  readonly commands: Commands;
  readonly directory: Directory;
  readonly schedule: TimeoutSchedule;
  readonly activity: SessionActivity;
  /** The sessions with humans now, from the read model: what a lost schedule is rebuilt from. */
  readonly openSessions: () => Promise<readonly SessionRef[]>;
  readonly logger: Logger;
  /** Epoch milliseconds; the command handler's clock (Commands) must be the same. */
  readonly now?: () => number;
  /** The longest sleep between looks at the schedule when nothing is due sooner (default 1 s). */
  readonly pollIntervalMs?: number;
  readonly batchSize?: number;
  /** A claimed check that was neither done nor moved within this is handed out again (default 30 s). */
  readonly leaseMs?: number;
  /** Called for each session this worker ended (metrics). */
  readonly onTimedOut?: () => void;
  /**
   * How often the open sessions of the read model are compared with the schedule (default 5 s):
   * one with no pending check gets it back. A rebuild after a flush reads the read model, which
   * may not show yet a session whose reaction had scheduled its check before the flush (the
   * projector was behind, e.g. after a restart of the bus); the next comparison finds it.
   */
  readonly reconcileIntervalMs?: number;
}

export class TimeoutWorker {
  private readonly now: () => number;
  private stopped = true;
  private running: Promise<void> | undefined;
  private wakeSleeper: (() => void) | undefined;
  /** When the schedule is next compared with the open sessions. */
  private reconcileAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: TimeoutWorkerOptions) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeSleeper?.();
    await this.running;
    this.running = undefined;
  }

  /** A check was scheduled in this process: look again now, it may be due sooner than the sleep. */
  wake(): void {
    this.wakeSleeper?.();
  }

  private async loop(): Promise<void> {
    const { schedule, logger } = this.options;
    const poll = this.options.pollIntervalMs ?? 1000;
    while (!this.stopped) {
      let pause = poll;
      try {
        const handled = await this.pass();
        if (handled === (this.options.batchSize ?? 100)) continue;
        const next = await schedule.nextDueAt();
        if (next !== undefined) pause = Math.max(0, Math.min(poll, next - this.now()));
      } catch (error) {
        logger.error({ err: error }, 'timeouts: pass failed; trying again');
        pause = poll;
      }
      await this.sleep(pause);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        this.wakeSleeper = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeSleeper = done;
    });
  }

  /**
   * One look at the schedule: rebuilt first if it lost its contents (or compared with the open
   * sessions, when that is due), then the due checks run.
   */
  async pass(): Promise<number> {
    if (!(await this.options.schedule.intact())) await this.rebuild();
    else if (this.now() >= this.reconcileAt) await this.reconcile();
    return this.runOnce();
  }

  /** Claims the checks due now and runs them; returns how many it claimed. */
  async runOnce(): Promise<number> {
    const { schedule, logger } = this.options;
    const claimed = await schedule.claimDue(this.now(), this.options.batchSize ?? 100, this.options.leaseMs ?? 30_000);
    // The timeout as the configuration says now, read once per company in the batch: a change
    // counts from the next check, and the chat messages never read it.
    const timeouts = new Map<string, number>();
    const timeoutOf = async (companyId: string): Promise<number> => {
      let timeout = timeouts.get(companyId);
      if (timeout === undefined) {
        timeout = (await this.options.directory.settings(companyId)).inactivityTimeoutSeconds;
        timeouts.set(companyId, timeout);
      }
      return timeout;
    };
    for (const check of claimed) {
      try {
        await this.check(check, timeoutOf);
      } catch (error) {
        // The lease hands it out again: a passing failure (the store restarting) delays it only.
        logger.error({ err: error, companyId: check.companyId, sessionId: check.sessionId }, 'timeouts: check failed');
      }
    }
    return claimed.length;
  }

  private async check(check: ClaimedCheck, timeoutOf: (companyId: string) => Promise<number>): Promise<void> {
    const { schedule, activity, commands, logger } = this.options;
    const lastActivityAt = await activity.get(check);
    if (lastActivityAt !== undefined) {
      const deadline = millis(deadlineOf(instantOf(lastActivityAt), await timeoutOf(check.companyId)));
      if (deadline > this.now()) {
        await schedule.schedule(check, deadline);
        return;
      }
    }
    const result = await commands.onSession(check.companyId, check.sessionId, { type: 'CheckTimeout' });
    if (isLeft(result)) {
      logger.warn({ ...check, code: result.left.code }, 'timeouts: check refused; dropped');
      await schedule.complete(check);
      return;
    }
    const { state, events } = result.right;
    if (events.some((e) => e.type === 'SessionEnded')) this.options.onTimedOut?.();
    if ((state.status === 'queued' || state.status === 'assigned') && state.nextCheckAt !== undefined) {
      // From the events, so at least as new as what was read: a message after it records a later one.
      await activity.record(check, millis(state.lastActivityAt));
      await schedule.schedule(check, millis(state.nextCheckAt));
      return;
    }
    await schedule.complete(check);
    await activity.remove(check);
  }

  /**
   * Puts back a check and a last activity for every session with humans that has none (after a
   * Redis flush, or at the first start): its deadline from its events and the company's timeout.
   */
  async rebuild(): Promise<number> {
    const { schedule, logger } = this.options;
    const started = this.now();
    const { sessions, restored } = await this.restore(false);
    await schedule.markRebuilt();
    logger.info({ sessions, restored, ms: this.now() - started }, 'timeouts: schedule rebuilt from the open sessions');
    return restored;
  }

  /** Puts back the checks of the open sessions that have none; returns how many. */
  async reconcile(): Promise<number> {
    const { restored } = await this.restore(true);
    if (restored > 0) this.options.logger.warn({ restored }, 'timeouts: put back checks missing from the schedule');
    return restored;
  }

  /**
   * A check and a last activity for every open session of the read model that has none, from its
   * events. `onlyMissing`: sessions with a pending check are not even loaded.
   */
  private async restore(onlyMissing: boolean): Promise<{ sessions: number; restored: number }> {
    const { schedule, activity, store, directory, openSessions } = this.options;
    this.reconcileAt = this.now() + (this.options.reconcileIntervalMs ?? 5_000);
    let restored = 0;
    const sessions = await openSessions();
    const work = [...sessions];
    const one = async (): Promise<void> => {
      for (let ref = work.pop(); ref !== undefined; ref = work.pop()) {
        if (onlyMissing && (await schedule.dueAtOf(ref)) !== undefined) continue;
        const { state } = await loadAggregate(
          store,
          session.sessionAggregate,
          session.sessionStream(ref.companyId, ref.sessionId),
        );
        if (state.status !== 'queued' && state.status !== 'assigned') continue;
        const { inactivityTimeoutSeconds } = await directory.settings(ref.companyId);
        await activity.recordIfAbsent(ref, millis(state.lastActivityAt));
        const deadline = millis(deadlineOf(state.lastActivityAt, inactivityTimeoutSeconds));
        if (await schedule.scheduleIfAbsent(ref, deadline)) restored += 1;
      }
    };
    await Promise.all(Array.from({ length: 8 }, one));
    return { sessions: sessions.length, restored };
  }
}
