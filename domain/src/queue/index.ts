import type { Aggregate } from '../shared/aggregate';
import { decodeEvent } from '../shared/upcast';
import type { QueueCommand } from './commands';
import { queueDecider, type QueueState } from './decider';
import { QueueEvent } from './events';

export * from './commands';
export * from './decider';
export * from './events';

export const queueAggregate: Aggregate<QueueCommand, QueueEvent, QueueState, unknown> = {
  ...queueDecider,
  name: 'queue',
  decodeEvent: decodeEvent(QueueEvent),
};
