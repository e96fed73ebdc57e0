import type { Aggregate } from '../shared/aggregate';
import { decodeEvent, type Upcasters } from '../shared/upcast';
import type { SessionCommand } from './commands';
import { sessionDecider, type SessionContext, type SessionState } from './decider';
import { SessionEvent } from './events';

export * from './commands';
export * from './decider';
export * from './events';

/** Lifts of older session event shapes (none yet: every session event is at v1). */
export const sessionUpcasters: Upcasters = {};

export const sessionAggregate: Aggregate<SessionCommand, SessionEvent, SessionState, SessionContext> = {
  ...sessionDecider,
  name: 'session',
  decodeEvent: decodeEvent(SessionEvent, sessionUpcasters),
};
