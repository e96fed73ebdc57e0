import type { Aggregate } from '../shared/aggregate';
import { decodeEvent } from '../shared/upcast';
import type { VisitorCommand } from './commands';
import { visitorDecider, type VisitorState } from './decider';
import { VisitorEvent } from './events';

export * from './commands';
export * from './decider';
export * from './events';

export const visitorAggregate: Aggregate<VisitorCommand, VisitorEvent, VisitorState, unknown> = {
  ...visitorDecider,
  name: 'visitor',
  decodeEvent: decodeEvent(VisitorEvent),
};
export * from './profile';
