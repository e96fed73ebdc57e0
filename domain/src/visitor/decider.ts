import { right, type Either } from 'fp-ts/Either';
import type { Id } from '../shared/codecs';
import type { Decider } from '../shared/decider';
import type { DomainError } from '../shared/errors';
import type { VisitorCommand } from './commands';
import type { VisitorEvent } from './events';

export interface VisitorState {
  readonly openSessionId?: Id;
  /** The session closed last: a message resent after its end is found there, not posted again. */
  readonly lastSessionId?: Id;
}

export const evolve = (state: VisitorState, event: VisitorEvent): VisitorState => {
  switch (event.type) {
    case 'VisitorSessionOpened':
      return { ...state, openSessionId: event.sessionId };
    case 'VisitorSessionClosed':
      return state.openSessionId === event.sessionId ? { lastSessionId: event.sessionId } : state;
  }
};

export const decide = (command: VisitorCommand, state: VisitorState): Either<DomainError, readonly VisitorEvent[]> => {
  const { companyId, visitorId, sessionId, at } = command;
  switch (command.type) {
    case 'OpenVisitorSession':
      return right(
        state.openSessionId === undefined
          ? [{ type: 'VisitorSessionOpened', v: 1, companyId, visitorId, sessionId, at }]
          : [],
      );
    case 'CloseVisitorSession':
      return right(
        state.openSessionId === sessionId
          ? [{ type: 'VisitorSessionClosed', v: 1, companyId, visitorId, sessionId, at }]
          : [],
      );
  }
};

export const visitorDecider: Decider<VisitorCommand, VisitorEvent, VisitorState, unknown> = {
  initialState: {},
  evolve,
  decide,
};
