import * as t from 'io-ts';
import { CompanyId, Id, IsoInstant } from '../shared/codecs';
import { Channel } from '../session/events';
import { PageUrl, VisitorProfile } from './profile';

const ids = { companyId: CompanyId, visitorId: Id, at: IsoInstant };
const base = { ...ids, sessionId: Id };

/** Opens `sessionId` unless a session is open already (then nothing happens: use that one). */
export const OpenVisitorSession = t.type({ type: t.literal('OpenVisitorSession'), ...base });
/** The session ended: the visitor's next message opens a new one. */
export const CloseVisitorSession = t.type({ type: t.literal('CloseVisitorSession'), ...base });
/**
 * A login (web) or a platform's message: the given profile fields replace the old values (a
 * field not given keeps its value; `attributes` is replaced as a whole).
 */
export const RecordVisitorVisit = t.intersection([
  t.type({ type: t.literal('RecordVisitorVisit'), ...ids, channel: Channel, profile: VisitorProfile }),
  t.partial({ pageUrl: PageUrl }),
]);

export const VisitorCommand = t.union([OpenVisitorSession, CloseVisitorSession, RecordVisitorVisit]);
export type VisitorCommand = t.TypeOf<typeof VisitorCommand>;
