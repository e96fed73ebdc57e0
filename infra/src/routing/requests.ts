// Routing requests: "route this group now", on a topic of their own keyed by the group's queue
// stream, so that with Kafka one group's requests land on one partition and are handled in order
// by one worker. The triggers (domain's `routingTrigger`: a session queued, an agent idle or with
// a slot freed) and configuration changes (capacity, groups) publish them; the routing worker
// consumes them and runs the router.
import { isLeft } from 'fp-ts/Either';
import * as t from 'io-ts';
import { queue, routingTrigger, type DomainEvent } from '@cschat/domain';
import type { Bus, BusMessage, Consumer } from '../bus/port';
import type { Directory } from '../company-config/directory';
import type { Logger } from '../logging';
import type { Router } from './router';

export const ROUTING_TOPIC = 'routing';

const RouteRequest = t.type({ companyId: t.string, groupId: t.string });

export const routeRequest = (companyId: string, groupId: string): BusMessage => ({
  key: queue.queueStream(companyId, groupId),
  value: JSON.stringify({ companyId, groupId }),
});

/** Asks for the routing of groups. */
export type RequestRouting = (companyId: string, groupIds: readonly string[]) => Promise<void>;

export const routingRequestsOn =
  (bus: Bus): RequestRouting =>
  (companyId, groupIds) =>
    bus.publish(
      ROUTING_TOPIC,
      groupIds.map((groupId) => routeRequest(companyId, groupId)),
    );

/** The routing an event calls for: its group, or the groups of its agent. */
export class RoutingTriggers {
  constructor(
    private readonly directory: Directory,
    private readonly request: RequestRouting,
  ) {}

  async react(event: DomainEvent): Promise<void> {
    const trigger = routingTrigger(event);
    if (trigger === undefined) return;
    if (trigger.kind === 'group') return this.request(trigger.companyId, [trigger.groupId]);
    const profile = await this.directory.agent(trigger.companyId, trigger.agentId);
    if (profile !== undefined && profile.groupIds.length > 0) await this.request(trigger.companyId, profile.groupIds);
  }
}

/** The routing worker (worker role): one routing pass per request. */
export class RoutingWorker {
  private consumer: Consumer | undefined;

  constructor(
    private readonly options: {
      readonly bus: Bus;
      readonly router: Router;
      readonly logger: Logger;
      /** How long stop() lets the request in hand finish (default the bus's). */
      readonly stopGraceMs?: number;
    },
  ) {}

  async start(): Promise<void> {
    const { bus, router, logger } = this.options;
    this.consumer ??= await bus.consume({
      topic: ROUTING_TOPIC,
      groupId: 'routing-worker',
      ...(this.options.stopGraceMs === undefined ? {} : { stopGraceMs: this.options.stopGraceMs }),
      handle: async (message) => {
        let request: unknown;
        try {
          request = JSON.parse(message.value);
        } catch {
          request = undefined;
        }
        const decoded = RouteRequest.decode(request);
        if (isLeft(decoded)) {
          logger.warn({ key: message.key }, 'routing: not a routing request, skipped');
          return;
        }
        await router.route(decoded.right.companyId, decoded.right.groupId);
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
    this.consumer = undefined;
  }
}
