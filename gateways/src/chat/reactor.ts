// The routing reactor (worker role): consumes the events, runs the reactions, and routes each
// group one at a time. A routing request travels on its own topic keyed by the queue stream, so
// with Kafka one group's requests land on one partition and are handled in order by one worker.
import { isLeft } from 'fp-ts/Either';
import * as t from 'io-ts';
import { queue } from '@cschat/domain';
import { EVENTS_TOPIC, fromBusMessage, type Bus, type Consumer, type Logger } from '@cschat/infra';
import { decodeDomainEvent } from '@cschat/projections';
import type { Reactions } from './reactions';
import type { Router } from './router';

export const ROUTING_TOPIC = 'routing';

const RouteRequest = t.type({ companyId: t.string, groupId: t.string });

export interface RoutingReactorOptions {
  readonly bus: Bus;
  readonly reactions: (routeGroup: (companyId: string, groupId: string) => Promise<void>) => Reactions;
  readonly router: Router;
  readonly logger: Logger;
}

export class RoutingReactor {
  private consumers: Consumer[] = [];
  private readonly reactions: Reactions;

  constructor(private readonly options: RoutingReactorOptions) {
    this.reactions = options.reactions((companyId, groupId) =>
      options.bus.publish(ROUTING_TOPIC, [
        { key: queue.queueStream(companyId, groupId), value: JSON.stringify({ companyId, groupId }) },
      ]),
    );
  }

  async start(): Promise<void> {
    const { bus, router, logger } = this.options;
    this.consumers = await Promise.all([
      bus.consume({
        topic: EVENTS_TOPIC,
        groupId: 'routing-reactor',
        handle: async (message) => {
          const recorded = fromBusMessage(message.value);
          if (isLeft(recorded)) {
            logger.warn({ offset: message.offset.toString(), reason: recorded.left }, 'reactor: not an event, skipped');
            return;
          }
          const decoded = decodeDomainEvent(recorded.right);
          if (decoded === undefined) return;
          if (isLeft(decoded)) {
            logger.warn({ streamId: recorded.right.streamId, reason: decoded.left }, 'reactor: undecodable event');
            return;
          }
          await this.reactions.react(decoded.right);
        },
      }),
      bus.consume({
        topic: ROUTING_TOPIC,
        groupId: 'routing-worker',
        handle: async (message) => {
          let request: unknown;
          try {
            request = JSON.parse(message.value);
          } catch {
            request = undefined;
          }
          const decoded = RouteRequest.decode(request);
          if (isLeft(decoded)) {
            logger.warn({ key: message.key }, 'reactor: not a routing request, skipped');
            return;
          }
          await router.route(decoded.right.companyId, decoded.right.groupId);
        },
      }),
    ]);
  }

  async stop(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.stop()));
    this.consumers = [];
  }
}
