import * as t from 'io-ts';
import { CompanyId, Id, IsoInstant } from '../shared/codecs';
import { LeaveReason } from './events';

const base = { companyId: CompanyId, groupId: Id, sessionId: Id, at: IsoInstant };

/** `front`: ahead of the sessions that joined normally, behind those that went to the front before. */
export const JoinQueue = t.intersection([
  t.type({ type: t.literal('JoinQueue'), ...base }),
  t.partial({ front: t.boolean }),
]);
export const LeaveQueue = t.type({ type: t.literal('LeaveQueue'), ...base, reason: LeaveReason });

export const QueueCommand = t.union([JoinQueue, LeaveQueue]);
export type QueueCommand = t.TypeOf<typeof QueueCommand>;
