import type { Either } from 'fp-ts/Either';
import type { Decider } from './decider';
import type { EventDecodeFailure } from './upcast';

/** A decider with what the command handler needs to read its events back. */
export interface Aggregate<Command, Event extends { readonly type: string }, State, Context> extends Decider<
  Command,
  Event,
  State,
  Context
> {
  readonly name: string;
  readonly decodeEvent: (type: string, data: Record<string, unknown>) => Either<EventDecodeFailure, Event>;
}
