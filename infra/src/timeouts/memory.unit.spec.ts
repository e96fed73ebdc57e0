// The in-memory schedule's heap against the obvious model (a map, scanned and sorted on every
// claim): any sequence of schedules, removals, claims and completions gives the same answers.
import fc from 'fast-check';
import { InMemoryTimeoutSchedule } from './memory';
import type { ClaimedCheck, SessionRef } from './port';

class Model {
  readonly due = new Map<string, { ref: SessionRef; dueAt: number }>();
  claim(now: number, limit: number, lease: number): ClaimedCheck[] {
    const picked = [...this.due.entries()]
      .filter(([, v]) => v.dueAt <= now)
      .sort(([a, x], [b, y]) => x.dueAt - y.dueAt || (a < b ? -1 : 1))
      .slice(0, limit);
    for (const [key, v] of picked) this.due.set(key, { ref: v.ref, dueAt: now + lease });
    return picked.map(([, v]) => ({ ...v.ref, leaseUntil: now + lease }));
  }
}

const key = (ref: SessionRef): string => JSON.stringify([ref.companyId, ref.sessionId]);

const op = fc.oneof(
  fc.record({ kind: fc.constant('schedule' as const), session: fc.integer({ min: 0, max: 30 }), at: fc.nat(200) }),
  fc.record({ kind: fc.constant('ifAbsent' as const), session: fc.integer({ min: 0, max: 30 }), at: fc.nat(200) }),
  fc.record({ kind: fc.constant('remove' as const), session: fc.integer({ min: 0, max: 30 }) }),
  fc.record({ kind: fc.constant('claim' as const), now: fc.nat(250), limit: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('completeLast' as const) }),
);

describe('InMemoryTimeoutSchedule', () => {
  it('claims, moves and forgets checks exactly like a scan of every pending check', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 120 }), async (ops) => {
        const schedule = new InMemoryTimeoutSchedule();
        const model = new Model();
        let last: ClaimedCheck[] = [];
        for (const o of ops) {
          if (o.kind === 'claim') {
            const got = await schedule.claimDue(o.now, o.limit, 50);
            expect(got).toEqual(model.claim(o.now, o.limit, 50));
            last = got;
          } else if (o.kind === 'completeLast') {
            for (const check of last) {
              await schedule.complete(check);
              const current = model.due.get(key(check));
              if (current?.dueAt === check.leaseUntil) model.due.delete(key(check));
            }
            last = [];
          } else {
            const ref = { companyId: 'acme', sessionId: `s-${o.session}` };
            if (o.kind === 'remove') {
              await schedule.remove(ref);
              model.due.delete(key(ref));
            } else if (o.kind === 'schedule') {
              await schedule.schedule(ref, o.at);
              model.due.set(key(ref), { ref, dueAt: o.at });
            } else {
              const added = await schedule.scheduleIfAbsent(ref, o.at);
              expect(added).toBe(!model.due.has(key(ref)));
              if (added) model.due.set(key(ref), { ref, dueAt: o.at });
            }
          }
          const next = [...model.due.values()].reduce<number | undefined>(
            (min, v) => (min === undefined || v.dueAt < min ? v.dueAt : min),
            undefined,
          );
          expect(await schedule.nextDueAt()).toBe(next);
          expect(await schedule.pending()).toBe(model.due.size);
        }
      }),
      { numRuns: 300 },
    );
  });
});
