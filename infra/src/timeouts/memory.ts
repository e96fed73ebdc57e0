// The timeout schedule and deadlines in this process's memory (embedded mode): the same
// semantics as Redis, lost with the process and rebuilt at start like a flushed Redis.
import {
  DEADLINE_GRACE_MS,
  memberOf,
  refOf,
  type ClaimedCheck,
  type Deadlines,
  type SessionRef,
  type TimeoutSchedule,
} from './port';

export class InMemoryTimeoutSchedule implements TimeoutSchedule {
  private readonly due = new Map<string, number>();
  private rebuilt = false;

  async schedule(ref: SessionRef, dueAt: number): Promise<void> {
    this.due.set(memberOf(ref), dueAt);
  }

  async scheduleIfAbsent(ref: SessionRef, dueAt: number): Promise<boolean> {
    const member = memberOf(ref);
    if (this.due.has(member)) return false;
    this.due.set(member, dueAt);
    return true;
  }

  async claimDue(now: number, limit: number, leaseMs: number): Promise<ClaimedCheck[]> {
    const claimed = [...this.due.entries()]
      .filter(([, dueAt]) => dueAt <= now)
      .sort(([a, x], [b, y]) => x - y || (a < b ? -1 : 1))
      .slice(0, limit);
    const leaseUntil = now + leaseMs;
    return claimed.flatMap(([member]) => {
      const ref = refOf(member);
      if (ref === undefined) return [];
      this.due.set(member, leaseUntil);
      return [{ ...ref, leaseUntil }];
    });
  }

  async complete(check: ClaimedCheck): Promise<void> {
    const member = memberOf(check);
    if (this.due.get(member) === check.leaseUntil) this.due.delete(member);
  }

  async remove(ref: SessionRef): Promise<void> {
    this.due.delete(memberOf(ref));
  }

  async nextDueAt(): Promise<number | undefined> {
    let next: number | undefined;
    for (const dueAt of this.due.values()) if (next === undefined || dueAt < next) next = dueAt;
    return next;
  }

  async dueAtOf(ref: SessionRef): Promise<number | undefined> {
    return this.due.get(memberOf(ref));
  }

  async pending(): Promise<number> {
    return this.due.size;
  }

  async intact(): Promise<boolean> {
    return this.rebuilt;
  }

  async markRebuilt(): Promise<void> {
    this.rebuilt = true;
  }
}

export class InMemoryDeadlines implements Deadlines {
  private readonly deadlines = new Map<string, { deadline: number; forgetAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async set(ref: SessionRef, deadline: number): Promise<void> {
    this.deadlines.set(memberOf(ref), { deadline, forgetAt: deadline + DEADLINE_GRACE_MS });
    if (this.deadlines.size % 1024 === 0) this.sweep();
  }

  async setIfAbsent(ref: SessionRef, deadline: number): Promise<void> {
    if ((await this.get(ref)) === undefined) await this.set(ref, deadline);
  }

  async get(ref: SessionRef): Promise<number | undefined> {
    const entry = this.deadlines.get(memberOf(ref));
    if (entry === undefined) return undefined;
    if (entry.forgetAt <= this.now()) {
      this.deadlines.delete(memberOf(ref));
      return undefined;
    }
    return entry.deadline;
  }

  async remove(ref: SessionRef): Promise<void> {
    this.deadlines.delete(memberOf(ref));
  }

  private sweep(): void {
    const now = this.now();
    for (const [member, entry] of this.deadlines) if (entry.forgetAt <= now) this.deadlines.delete(member);
  }
}
