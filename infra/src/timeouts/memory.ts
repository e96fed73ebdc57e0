// The timeout schedule and the sessions' last activity in this process's memory (embedded mode):
// the same semantics as Redis, lost with the process and rebuilt at start like a flushed Redis.
import {
  ACTIVITY_KEPT_MS,
  memberOf,
  refOf,
  type ClaimedCheck,
  type SessionActivity,
  type SessionRef,
  type TimeoutSchedule,
} from './port';

type Entry = readonly [dueAt: number, member: string];

const before = (a: Entry, b: Entry): boolean => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

/**
 * A binary min-heap of (due time, member), oldest first. Entries are never updated in place: a
 * moved or removed check leaves its old entry behind, which `claimDue` and `nextDueAt` drop when
 * it reaches the top (the map says what is current). Claiming is O(k log n), not a scan and sort
 * of every pending check (100,000 of them took 139 ms per claim at p99 in `bench timeouts`).
 */
class Heap {
  private items: Entry[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Entry | undefined {
    return this.items[0];
  }

  push(entry: Entry): void {
    const items = this.items;
    items.push(entry);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): Entry | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    items[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < items.length && before(items[left]!, items[least]!)) least = left;
      if (right < items.length && before(items[right]!, items[least]!)) least = right;
      if (least === i) return top;
      [items[i], items[least]] = [items[least]!, items[i]!];
      i = least;
    }
  }

  reset(entries: Entry[]): void {
    this.items = [];
    for (const entry of entries) this.push(entry);
  }
}

export class InMemoryTimeoutSchedule implements TimeoutSchedule {
  private readonly due = new Map<string, number>();
  private readonly heap = new Heap();
  private rebuilt = false;

  private set(member: string, dueAt: number): void {
    this.due.set(member, dueAt);
    this.heap.push([dueAt, member]);
    // Old entries of moved checks: keep the heap within twice what is pending.
    if (this.heap.size > 2 * this.due.size + 1024) this.heap.reset([...this.due].map(([m, d]) => [d, m]));
  }

  /** The earliest current entry, after dropping the stale ones above it. */
  private top(): Entry | undefined {
    for (;;) {
      const entry = this.heap.peek();
      if (entry === undefined || this.due.get(entry[1]) === entry[0]) return entry;
      this.heap.pop();
    }
  }

  async schedule(ref: SessionRef, dueAt: number): Promise<void> {
    this.set(memberOf(ref), dueAt);
  }

  async scheduleIfAbsent(ref: SessionRef, dueAt: number): Promise<boolean> {
    const member = memberOf(ref);
    if (this.due.has(member)) return false;
    this.set(member, dueAt);
    return true;
  }

  async claimDue(now: number, limit: number, leaseMs: number): Promise<ClaimedCheck[]> {
    const leaseUntil = now + leaseMs;
    const claimed: ClaimedCheck[] = [];
    const leased: string[] = [];
    while (claimed.length < limit) {
      const entry = this.top();
      if (entry === undefined || entry[0] > now) break;
      this.heap.pop();
      const ref = refOf(entry[1]);
      if (ref === undefined) {
        this.due.delete(entry[1]);
        continue;
      }
      leased.push(entry[1]);
      claimed.push({ ...ref, leaseUntil });
    }
    for (const member of leased) this.set(member, leaseUntil);
    return claimed;
  }

  async complete(check: ClaimedCheck): Promise<void> {
    const member = memberOf(check);
    if (this.due.get(member) === check.leaseUntil) this.due.delete(member);
  }

  async remove(ref: SessionRef): Promise<void> {
    this.due.delete(memberOf(ref));
  }

  async nextDueAt(): Promise<number | undefined> {
    return this.top()?.[0];
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

export class InMemorySessionActivity implements SessionActivity {
  private readonly activity = new Map<string, { at: number; forgetAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async record(ref: SessionRef, at: number): Promise<void> {
    this.activity.set(memberOf(ref), { at, forgetAt: at + ACTIVITY_KEPT_MS });
    if (this.activity.size % 1024 === 0) this.sweep();
  }

  async recordIfAbsent(ref: SessionRef, at: number): Promise<void> {
    if ((await this.get(ref)) === undefined) await this.record(ref, at);
  }

  async get(ref: SessionRef): Promise<number | undefined> {
    const entry = this.activity.get(memberOf(ref));
    if (entry === undefined) return undefined;
    if (entry.forgetAt <= this.now()) {
      this.activity.delete(memberOf(ref));
      return undefined;
    }
    return entry.at;
  }

  async remove(ref: SessionRef): Promise<void> {
    this.activity.delete(memberOf(ref));
  }

  private sweep(): void {
    const now = this.now();
    for (const [member, entry] of this.activity) if (entry.forgetAt <= now) this.activity.delete(member);
  }
}
