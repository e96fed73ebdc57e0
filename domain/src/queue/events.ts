// Who waits for an agent in one group of one company, in order.
import * as t from 'io-ts';
import { CompanyId, Id, IsoInstant } from '../shared/codecs';

const base = { v: t.literal(1), companyId: CompanyId, groupId: Id, sessionId: Id, at: IsoInstant };

export const LeaveReason = t.keyof({ assigned: null, ended: null, timeout: null, transferred: null });
export type LeaveReason = t.TypeOf<typeof LeaveReason>;

/** `front`: the session goes before everyone who joined normally (its agent went offline). */
export const SessionQueued = t.intersection([
  t.type({ type: t.literal('SessionQueued'), ...base }),
  t.partial({ front: t.literal(true) }),
]);
export const SessionLeftQueue = t.type({ type: t.literal('SessionLeftQueue'), ...base, reason: LeaveReason });

export const QueueEvent = t.union([SessionQueued, SessionLeftQueue]);
export type QueueEvent = t.TypeOf<typeof QueueEvent>;

export const queueStream = (companyId: string, groupId: string): string => `queue-${companyId}-${groupId}`;
