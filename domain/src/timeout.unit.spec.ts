import type { IsoInstant } from './shared/codecs';
import { deadlineOf, timeoutDecision } from './timeout';

const at = (s: string) => s as IsoInstant;

describe('timeout rule', () => {
  it('computes the deadline from the last activity', () => {
    expect(deadlineOf(at('2026-11-25T10:00:00.000Z'), 900)).toBe('2026-11-25T10:15:00.000Z');
  });
  it('ends at or after the deadline, and checks again at the deadline before it', () => {
    const deadline = at('2026-11-25T10:15:00.000Z');
    expect(timeoutDecision(deadline, at('2026-11-25T10:15:00.000Z'))).toEqual({ kind: 'end' });
    expect(timeoutDecision(deadline, at('2026-11-25T10:20:00.000Z'))).toEqual({ kind: 'end' });
    expect(timeoutDecision(deadline, at('2026-11-25T10:14:59.999Z'))).toEqual({ kind: 'check_at', at: deadline });
  });
});
