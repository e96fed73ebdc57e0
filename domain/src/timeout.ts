// The inactivity rule: a due check either ends the session or is scheduled again at the deadline.
import { instantOf, millis, type IsoInstant } from './shared/codecs';

export type TimeoutDecision = { readonly kind: 'end' } | { readonly kind: 'check_at'; readonly at: IsoInstant };

/** The deadline of a session whose last activity was at `lastActivityAt`. */
export const deadlineOf = (lastActivityAt: IsoInstant, timeoutSeconds: number): IsoInstant =>
  instantOf(millis(lastActivityAt) + timeoutSeconds * 1000);

export const timeoutDecision = (deadline: IsoInstant, now: IsoInstant): TimeoutDecision =>
  millis(now) >= millis(deadline) ? { kind: 'end' } : { kind: 'check_at', at: deadline };
