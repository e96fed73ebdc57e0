import { right, type Either } from 'fp-ts/Either';
import type { Id, IsoInstant } from '../shared/codecs';
import { millis } from '../shared/codecs';
import type { Decider } from '../shared/decider';
import type { DomainError } from '../shared/errors';
import type { VisitorCommand } from './commands';
import type { VisitorEvent } from './events';
import { PROFILE_FIELDS, type VisitorProfile } from './profile';

export interface VisitorState {
  readonly openSessionId?: Id;
  /** The session closed last: a message resent after its end is found there, not posted again. */
  readonly lastSessionId?: Id;
  readonly profile?: VisitorProfile;
  readonly lastSeenAt?: IsoInstant;
  readonly lastPageUrl?: string;
}

/**
 * A visit within this long of the last one, from the same page, is not recorded again: a widget
 * that logs in on every page load does not grow the stream by one event per reload.
 */
export const SEEN_AGAIN_AFTER_MS = 60_000;

export const evolve = (state: VisitorState, event: VisitorEvent): VisitorState => {
  switch (event.type) {
    case 'VisitorSessionOpened':
      return { ...state, openSessionId: event.sessionId };
    case 'VisitorSessionClosed': {
      if (state.openSessionId !== event.sessionId) return state;
      const { openSessionId: _closed, ...rest } = state;
      return { ...rest, lastSessionId: event.sessionId };
    }
    case 'VisitorProfileUpdated':
      return { ...state, profile: { ...state.profile, ...event.changed } };
    case 'VisitorSeen': {
      const { lastPageUrl: _page, ...rest } = state;
      return { ...rest, lastSeenAt: event.at, ...(event.pageUrl === undefined ? {} : { lastPageUrl: event.pageUrl }) };
    }
  }
};

/** Attributes compare by their entries, whatever their order. */
const canonical = (value: unknown): string =>
  typeof value === 'object' && value !== null
    ? JSON.stringify(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    : JSON.stringify(value);
const sameValue = (a: unknown, b: unknown): boolean => canonical(a) === canonical(b);

/** The given fields whose values differ from the profile's. */
export const profileChanges = (old: VisitorProfile | undefined, given: VisitorProfile): VisitorProfile => {
  const changed: Record<string, unknown> = {};
  for (const field of PROFILE_FIELDS) {
    const value = given[field];
    if (value !== undefined && !sameValue(value, old?.[field])) changed[field] = value;
  }
  return changed;
};

export const decide = (command: VisitorCommand, state: VisitorState): Either<DomainError, readonly VisitorEvent[]> => {
  const { companyId, visitorId, at } = command;
  switch (command.type) {
    case 'OpenVisitorSession':
      return right(
        state.openSessionId === undefined
          ? [{ type: 'VisitorSessionOpened', v: 1, companyId, visitorId, sessionId: command.sessionId, at }]
          : [],
      );
    case 'CloseVisitorSession':
      return right(
        state.openSessionId === command.sessionId
          ? [{ type: 'VisitorSessionClosed', v: 1, companyId, visitorId, sessionId: command.sessionId, at }]
          : [],
      );
    case 'RecordVisitorVisit': {
      const events: VisitorEvent[] = [];
      const changed = profileChanges(state.profile, command.profile);
      if (Object.keys(changed).length > 0)
        events.push({ type: 'VisitorProfileUpdated', v: 1, companyId, visitorId, at, changed });
      const pageUrl = command.pageUrl ?? state.lastPageUrl;
      const seenLately =
        state.lastSeenAt !== undefined &&
        millis(at) - millis(state.lastSeenAt) < SEEN_AGAIN_AFTER_MS &&
        pageUrl === state.lastPageUrl;
      if (!seenLately)
        events.push({
          type: 'VisitorSeen',
          v: 1,
          companyId,
          visitorId,
          at,
          channel: command.channel,
          ...(command.pageUrl === undefined ? {} : { pageUrl: command.pageUrl }),
        });
      return right(events);
    }
  }
};

export const visitorDecider: Decider<VisitorCommand, VisitorEvent, VisitorState, unknown> = {
  initialState: {},
  evolve,
  decide,
};
