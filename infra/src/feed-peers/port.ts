// What each gateway last heard from Kafka, shared by every gateway: the event feed's watchdog
// (gateways/src/feed-watchdog.ts) moves a gateway's clients away only when another gateway's feed
// works, since when Kafka is silent for every gateway at once (a cluster outage, a restart) moving
// them would only cut every chat off. This port only keeps the times and answers.

export interface FeedPeers {
  /** Gateway `gatewayId`'s delivery consumers last heard from Kafka at `heardAt` (epoch ms); a later report replaces it. */
  report(gatewayId: string, heardAt: number): Promise<void>;
  /** Whether a gateway other than `gatewayId` reported having heard from Kafka at `since` or later. */
  othersHeardSince(gatewayId: string, since: number): Promise<boolean>;
}

/** How long a gateway's report is kept: far beyond any link timeout, so gateways gone for good are forgotten. */
export const FEED_PEERS_RETENTION_MS = 60 * 60_000;
