// The feed peers in Redis, shared by every gateway (distributed mode): one sorted set
// `<prefix>feed-peers`, member the gateway id, score when it last heard from Kafka (ms). A report
// replaces the member's score and trims members older than the retention, so gateways gone for good
// leave; the key expires a retention after the last report. A question reads at most two members
// (one of them may be the asker), never the whole set. The times are the gateways' clocks (kept in
// step by NTP; the watchdog's windows are seconds, well above such skews).
import type { Redis } from 'ioredis';
import { FEED_PEERS_RETENTION_MS, type FeedPeers } from './port';

export interface RedisFeedPeersOptions {
  readonly redis: Redis;
  /** Prefix of every key (tests and deployments sharing a Redis keep apart). Default `cschat:`. */
  readonly prefix?: string;
  /** How long a report is kept after its time; default FEED_PEERS_RETENTION_MS. */
  readonly retentionMs?: number;
}

export class RedisFeedPeers implements FeedPeers {
  private readonly redis: Redis;
  private readonly key: string;
  private readonly retentionMs: number;

  constructor(options: RedisFeedPeersOptions) {
    this.redis = options.redis;
    this.key = `${options.prefix ?? 'cschat:'}feed-peers`;
    this.retentionMs = options.retentionMs ?? FEED_PEERS_RETENTION_MS;
  }

  async report(gatewayId: string, heardAt: number): Promise<void> {
    await this.redis
      .multi()
      .zadd(this.key, heardAt, gatewayId)
      .zremrangebyscore(this.key, '-inf', `(${heardAt - this.retentionMs}`)
      .pexpire(this.key, this.retentionMs)
      .exec();
  }

  async othersHeardSince(gatewayId: string, since: number): Promise<boolean> {
    // Two are enough: if the asker is among them, the other one is someone else.
    const members = await this.redis.zrangebyscore(this.key, since, '+inf', 'LIMIT', 0, 2);
    return members.some((member) => member !== gatewayId);
  }
}
