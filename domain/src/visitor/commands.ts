import * as t from 'io-ts';
import { CompanyId, Id, IsoInstant } from '../shared/codecs';

const base = { companyId: CompanyId, visitorId: Id, sessionId: Id, at: IsoInstant };

/** Opens `sessionId` unless a session is open already (then nothing happens: use that one). */
export const OpenVisitorSession = t.type({ type: t.literal('OpenVisitorSession'), ...base });
/** The session ended: the visitor's next message opens a new one. */
export const CloseVisitorSession = t.type({ type: t.literal('CloseVisitorSession'), ...base });

export const VisitorCommand = t.union([OpenVisitorSession, CloseVisitorSession]);
export type VisitorCommand = t.TypeOf<typeof VisitorCommand>;
