// Which session of a visitor is open: a visitor writes into one session at a time, and two tabs
// sending at once must not open two sessions.
import * as t from 'io-ts';
import { CompanyId, Id, IsoInstant } from '../shared/codecs';

const base = { v: t.literal(1), companyId: CompanyId, visitorId: Id, sessionId: Id, at: IsoInstant };

export const VisitorSessionOpened = t.type({ type: t.literal('VisitorSessionOpened'), ...base });
export const VisitorSessionClosed = t.type({ type: t.literal('VisitorSessionClosed'), ...base });

export const VisitorEvent = t.union([VisitorSessionOpened, VisitorSessionClosed]);
export type VisitorEvent = t.TypeOf<typeof VisitorEvent>;

export const visitorStream = (companyId: string, visitorId: string): string => `visitor-${companyId}-${visitorId}`;
