// The feed peers of one process (embedded mode, tests): a map of gateway id to its latest report.
// Reports older than the retention go at each report, so gateways gone for good are forgotten.
import { FEED_PEERS_RETENTION_MS, type FeedPeers } from './port';

export interface InMemoryFeedPeersOptions {
  /** How long a report is kept after its time; default FEED_PEERS_RETENTION_MS. */
  readonly retentionMs?: number;
}

export class InMemoryFeedPeers implements FeedPeers {
  private readonly heard = new Map<string, number>();
  private readonly retentionMs: number;

  constructor(options: InMemoryFeedPeersOptions = {}) {
    this.retentionMs = options.retentionMs ?? FEED_PEERS_RETENTION_MS;
  }

  async report(gatewayId: string, heardAt: number): Promise<void> {
    this.heard.set(gatewayId, heardAt);
    for (const [id, at] of this.heard) if (at < heardAt - this.retentionMs) this.heard.delete(id);
  }

  async othersHeardSince(gatewayId: string, since: number): Promise<boolean> {
    for (const [id, at] of this.heard) if (id !== gatewayId && at >= since) return true;
    return false;
  }
}
