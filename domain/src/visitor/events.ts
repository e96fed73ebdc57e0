// Which session of a visitor is open: a visitor writes into one session at a time, and two tabs
// sending at once must not open two sessions. And what the visitor told about itself (its
// profile) and when it was seen.
import * as t from 'io-ts';
import { CompanyId, Id, IsoInstant } from '../shared/codecs';
import { Channel } from '../session/events';
import { PageUrl, VisitorProfile } from './profile';

const ids = { v: t.literal(1), companyId: CompanyId, visitorId: Id, at: IsoInstant };
const base = { ...ids, sessionId: Id };

export const VisitorSessionOpened = t.type({ type: t.literal('VisitorSessionOpened'), ...base });
export const VisitorSessionClosed = t.type({ type: t.literal('VisitorSessionClosed'), ...base });
/**
 * Only the profile fields that changed, with their new values: a returning visitor who logs in
 * with the same values adds nothing, and the stream reads as the history of its changes.
 */
export const VisitorProfileUpdated = t.type({
  type: t.literal('VisitorProfileUpdated'),
  ...ids,
  changed: VisitorProfile,
});
/** The visitor logged in (web) or wrote (a platform): the first of these is its first visit. */
export const VisitorSeen = t.intersection([
  t.type({ type: t.literal('VisitorSeen'), ...ids, channel: Channel }),
  t.partial({ pageUrl: PageUrl }),
]);

export const VisitorEvent = t.union([VisitorSessionOpened, VisitorSessionClosed, VisitorProfileUpdated, VisitorSeen]);
export type VisitorEvent = t.TypeOf<typeof VisitorEvent>;

export const visitorStream = (companyId: string, visitorId: string): string => `visitor-${companyId}-${visitorId}`;
