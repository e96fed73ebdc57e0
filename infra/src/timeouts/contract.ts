// The one contract both timeout adapters pass (in memory, Redis). Each test gets a fresh
// schedule: for Redis a key prefix of its own.
import {
  ACTIVITY_KEPT_MS,
  type ClaimedCheck,
  type SessionActivity,
  type SessionRef,
  type TimeoutSchedule,
} from './port';

export interface TimeoutFixture {
  readonly schedule: TimeoutSchedule;
  /** A second handle on the same schedule, as another worker process has. */
  readonly other: TimeoutSchedule;
  readonly activity: SessionActivity;
  /** Loses everything, as a flushed Redis does. */
  flush(): Promise<void>;
  dispose(): Promise<void>;
}

const ref = (n: number, companyId = 'acme'): SessionRef => ({ companyId, sessionId: `s${n}` });
const T0 = 1_800_000_000_000;

export const timeoutContract = (setup: () => Promise<TimeoutFixture>): void => {
  let f: TimeoutFixture;
  beforeEach(async () => {
    f = await setup();
  });
  afterEach(() => f.dispose());

  it('keeps one pending check per session: scheduling again moves it', async () => {
    await f.schedule.schedule(ref(1), T0 + 5_000);
    await f.schedule.schedule(ref(1), T0 + 9_000);
    await f.schedule.schedule(ref(1, 'globex'), T0 + 1_000);
    expect(await f.schedule.pending()).toBe(2);
    expect(await f.schedule.dueAtOf(ref(1))).toBe(T0 + 9_000);
    expect(await f.schedule.nextDueAt()).toBe(T0 + 1_000);
    expect(await f.schedule.scheduleIfAbsent(ref(1), T0)).toBe(false);
    expect(await f.schedule.dueAtOf(ref(1))).toBe(T0 + 9_000);
    expect(await f.schedule.scheduleIfAbsent(ref(2), T0)).toBe(true);
    await f.schedule.remove(ref(2));
    expect(await f.schedule.dueAtOf(ref(2))).toBeUndefined();
  });

  it('claims due checks oldest first, hides them for the lease, and hands them out again after it', async () => {
    await f.schedule.schedule(ref(1), T0 + 2_000);
    await f.schedule.schedule(ref(2), T0 + 1_000);
    await f.schedule.schedule(ref(3), T0 + 60_000);
    const claimed = await f.schedule.claimDue(T0 + 5_000, 10, 30_000);
    expect(claimed).toEqual([
      { ...ref(2), leaseUntil: T0 + 35_000 },
      { ...ref(1), leaseUntil: T0 + 35_000 },
    ]);
    expect(await f.other.claimDue(T0 + 6_000, 10, 30_000)).toEqual([]);
    // The worker that held them died: after the lease another one takes them.
    expect((await f.other.claimDue(T0 + 35_000, 10, 30_000)).map((c) => c.sessionId)).toEqual(['s1', 's2']);
  });

  it('completes a claimed check, unless it was scheduled again meanwhile', async () => {
    await f.schedule.schedule(ref(1), T0);
    await f.schedule.schedule(ref(2), T0);
    const [first, second] = (await f.schedule.claimDue(T0, 10, 30_000)) as [ClaimedCheck, ClaimedCheck];
    await f.schedule.schedule(second, T0 + 90_000); // a message moved it while the check ran
    await f.schedule.complete(first);
    await f.schedule.complete(second);
    expect(await f.schedule.dueAtOf(first)).toBeUndefined();
    expect(await f.schedule.dueAtOf(second)).toBe(T0 + 90_000);
  });

  it('gives each of 1,000 due checks to exactly one of two workers claiming at once', async () => {
    for (let n = 0; n < 1000; n += 1) await f.schedule.schedule(ref(n), T0 + (n % 7));
    const claimedBy = async (schedule: TimeoutSchedule): Promise<string[]> => {
      const mine: string[] = [];
      for (;;) {
        const batch = await schedule.claimDue(T0 + 10, 50, 60_000);
        if (batch.length === 0) return mine;
        mine.push(...batch.map((c) => c.sessionId));
      }
    };
    const [a, b] = await Promise.all([claimedBy(f.schedule), claimedBy(f.other)]);
    expect(a.length + b.length).toBe(1000);
    expect(new Set([...a, ...b]).size).toBe(1000);
  });

  it('says it lost its contents until a rebuild is marked, and again after a flush', async () => {
    expect(await f.schedule.intact()).toBe(false);
    await f.schedule.markRebuilt();
    expect(await f.other.intact()).toBe(true);
    await f.schedule.schedule(ref(1), T0);
    await f.flush();
    expect(await f.schedule.intact()).toBe(false);
    expect(await f.schedule.pending()).toBe(0);
  });

  it('keeps the last activity per session, moved by record, kept by recordIfAbsent', async () => {
    const now = Date.now();
    expect(await f.activity.get(ref(1))).toBeUndefined();
    await f.activity.record(ref(1), now);
    await f.activity.recordIfAbsent(ref(1), now - 5_000);
    expect(await f.activity.get(ref(1))).toBe(now);
    await f.activity.record(ref(1), now + 5_000);
    expect(await f.activity.get(ref(1))).toBe(now + 5_000);
    await f.activity.recordIfAbsent(ref(2), now);
    expect(await f.activity.get(ref(2))).toBe(now);
    await f.activity.remove(ref(2));
    expect(await f.activity.get(ref(2))).toBeUndefined();
  });

  it('keeps an activity as long as the longest timeout can need it, and forgets it after', async () => {
    // A week-long timeout from this activity is not reached yet: the check still needs it.
    const weekAgo = Date.now() - ACTIVITY_KEPT_MS + 60_000;
    await f.activity.record(ref(1), weekAgo);
    expect(await f.activity.get(ref(1))).toBe(weekAgo);
    await f.activity.record(ref(2), Date.now() - ACTIVITY_KEPT_MS - 60_000);
    expect(await f.activity.get(ref(2))).toBeUndefined();
  });
};
