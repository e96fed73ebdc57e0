// Inactivity timeouts: the pending checks (one per session, ordered by due time) and the
// sessions' last chat activity (written by every chat message). Adapters: in memory (embedded
// mode) and Redis (a sorted set and one key per session). Times are epoch milliseconds.
import { LONGEST_INACTIVITY_TIMEOUT_SECONDS } from '../company-config/codecs';

export interface SessionRef {
  readonly companyId: string;
  readonly sessionId: string;
}

/** A check a worker claimed: hidden from the others until `leaseUntil`, then due again. */
export interface ClaimedCheck extends SessionRef {
  readonly leaseUntil: number;
}

export interface TimeoutSchedule {
  /** Sets the session's one pending check to `dueAt`, replacing the one it had. */
  schedule(ref: SessionRef, dueAt: number): Promise<void>;
  /** Adds a check only for a session that has none (a rebuild must not undo newer ones). */
  scheduleIfAbsent(ref: SessionRef, dueAt: number): Promise<boolean>;
  /**
   * Claims, atomically across workers, up to `limit` checks due at `now`: each is moved to
   * `now + leaseMs`, so a worker that dies holding it lets another take it then.
   */
  claimDue(now: number, limit: number, leaseMs: number): Promise<ClaimedCheck[]>;
  /** Drops a claimed check, unless it was scheduled again since the claim. */
  complete(check: ClaimedCheck): Promise<void>;
  /** Drops the session's check, whatever its time. */
  remove(ref: SessionRef): Promise<void>;
  /** When the earliest check is due; undefined when none is pending. */
  nextDueAt(): Promise<number | undefined>;
  /** The due time of the session's check, if it has one. */
  dueAtOf(ref: SessionRef): Promise<number | undefined>;
  pending(): Promise<number>;
  /**
   * False when the schedule lost its contents since `markRebuilt` (Redis flushed or restarted
   * empty): the pending checks must be rebuilt from the read model.
   */
  intact(): Promise<boolean>;
  markRebuilt(): Promise<void>;
}

/**
 * When each session with humans last had chat activity (a visitor's or an agent's message, or the
 * request for a human: the session's `lastActivityAt`). A chat message writes it without reading
 * anything; the timeout worker turns it into a deadline with the company's timeout at the check,
 * so the message path never reads the configuration.
 */
export interface SessionActivity {
  /** The session's last activity (one write per chat message), forgotten once no timeout can reach it. */
  record(ref: SessionRef, at: number): Promise<void>;
  /** Records it only when none is known (a rebuild must not undo newer ones). */
  recordIfAbsent(ref: SessionRef, at: number): Promise<void>;
  get(ref: SessionRef): Promise<number | undefined>;
  remove(ref: SessionRef): Promise<void>;
}

/** Slack past the longest timeout before an activity is forgotten (a due check runs within a second). */
export const ACTIVITY_GRACE_MS = 10 * 60_000;

/**
 * How long an activity is kept when its session's end does not remove it: past the longest
 * timeout a company may set, plus the grace, no check can still need it.
 */
export const ACTIVITY_KEPT_MS = LONGEST_INACTIVITY_TIMEOUT_SECONDS * 1000 + ACTIVITY_GRACE_MS;

export const memberOf = (ref: SessionRef): string => JSON.stringify([ref.companyId, ref.sessionId]);

export const refOf = (member: string): SessionRef | undefined => {
  try {
    const parsed: unknown = JSON.parse(member);
    if (Array.isArray(parsed) && parsed.length === 2 && parsed.every((p) => typeof p === 'string'))
      return { companyId: parsed[0] as string, sessionId: parsed[1] as string };
  } catch {
    // not one of ours
  }
  return undefined;
};
