import * as t from 'io-ts';
import { CompanyId, Id, IsoInstant } from '../shared/codecs';
import { LeaveReason } from './events';

const base = { companyId: CompanyId, groupId: Id, sessionId: Id, at: IsoInstant };

export const JoinQueue = t.type({ type: t.literal('JoinQueue'), ...base });
export const LeaveQueue = t.type({ type: t.literal('LeaveQueue'), ...base, reason: LeaveReason });

export const QueueCommand = t.union([JoinQueue, LeaveQueue]);
export type QueueCommand = t.TypeOf<typeof QueueCommand>;
