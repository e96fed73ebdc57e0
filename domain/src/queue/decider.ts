// The queue of a group: first in, first out, except that a session whose agent went offline goes
// to the front (behind others that did); joining twice or leaving twice changes nothing.
import { right, type Either } from 'fp-ts/Either';
import type { IsoInstant } from '../shared/codecs';
import type { Decider } from '../shared/decider';
import type { DomainError } from '../shared/errors';
import type { QueueCommand } from './commands';
import type { QueueEvent } from './events';

export interface Waiting {
  readonly sessionId: string;
  readonly since: IsoInstant;
  /** Put at the front (a requeue). */
  readonly front?: true;
}

export interface QueueState {
  /** In order: the first is the next to be served. */
  readonly waiting: readonly Waiting[];
}

export const evolve = (state: QueueState, event: QueueEvent): QueueState => {
  switch (event.type) {
    case 'SessionQueued': {
      if (event.front !== true) return { waiting: [...state.waiting, { sessionId: event.sessionId, since: event.at }] };
      const fronts = state.waiting.filter((w) => w.front === true);
      const others = state.waiting.filter((w) => w.front !== true);
      return { waiting: [...fronts, { sessionId: event.sessionId, since: event.at, front: true }, ...others] };
    }
    case 'SessionLeftQueue':
      return { waiting: state.waiting.filter((w) => w.sessionId !== event.sessionId) };
  }
};

export const decide = (command: QueueCommand, state: QueueState): Either<DomainError, readonly QueueEvent[]> => {
  const waiting = state.waiting.some((w) => w.sessionId === command.sessionId);
  const { companyId, groupId, sessionId, at } = command;
  switch (command.type) {
    case 'JoinQueue':
      return right(
        waiting
          ? []
          : [
              {
                type: 'SessionQueued',
                v: 1,
                companyId,
                groupId,
                sessionId,
                at,
                ...(command.front ? { front: true } : {}),
              },
            ],
      );
    case 'LeaveQueue':
      return right(
        waiting ? [{ type: 'SessionLeftQueue', v: 1, companyId, groupId, sessionId, at, reason: command.reason }] : [],
      );
  }
};

/** 1 for the next to be served; undefined when the session does not wait here. */
export const queuePosition = (state: QueueState, sessionId: string): number | undefined => {
  const index = state.waiting.findIndex((w) => w.sessionId === sessionId);
  return index < 0 ? undefined : index + 1;
};

export const queueDecider: Decider<QueueCommand, QueueEvent, QueueState, unknown> = {
  initialState: { waiting: [] },
  evolve,
  decide,
};
