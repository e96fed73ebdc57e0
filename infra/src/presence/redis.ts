// Presence in Redis, shared by every gateway and worker: a sorted set per agent,
// `<prefix>presence:<companyId>:<agentId>`, of its sockets (`<gatewayId>/<connectionId>`) scored by
// lease end, a closed socket's being its close time. Every write pushes the key's expiry
// `PRESENCE_KEEP_MS` away, so an agent who never comes back is forgotten.
import type { ChainableCommander, Redis } from 'ioredis';
import {
  agentKeyOf,
  DEFAULT_LEASE_MS,
  PRESENCE_KEEP_MS,
  seenFrom,
  socketKeyOf,
  type AgentRef,
  type Presence,
  type Seen,
  type SocketLease,
} from './port';

/**
 * KEYS: the agents' sorted sets; ARGV[1]: now. Answers each agent's latest lease end (nil: none),
 * and drops the leases ended at now but the latest, the only one `until` needs.
 */
const SEEN = `
local latest = {}
for i, key in ipairs(KEYS) do
  local top = redis.call('ZRANGE', key, 0, 0, 'REV', 'WITHSCORES')
  if top[2] == nil then
    latest[i] = false
  else
    if tonumber(top[2]) > tonumber(ARGV[1]) then
      redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[1])
    else
      redis.call('ZREMRANGEBYRANK', key, 0, -2)
    end
    latest[i] = top[2]
  end
end
return latest`;

export interface RedisPresenceOptions {
  readonly redis: Redis;
  /** Prefix of every key (tests and deployments sharing a Redis keep apart). Default `cschat:`. */
  readonly prefix?: string;
  /** How long a lease lasts unless renewed. Default 15 s. */
  readonly leaseMs?: number | undefined;
}

export class RedisPresence implements Presence {
  readonly leaseMs: number;
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(options: RedisPresenceOptions) {
    this.redis = options.redis;
    this.prefix = `${options.prefix ?? 'cschat:'}presence:`;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.redis.defineCommand('cschatPresenceSeen', { lua: SEEN });
  }

  private get commands(): Redis & {
    cschatPresenceSeen(numberOfKeys: number, ...keysThenNow: (string | number)[]): Promise<(string | null)[]>;
  } {
    return this.redis as never;
  }

  private keyOf(agent: AgentRef): string {
    return `${this.prefix}${agentKeyOf(agent)}`;
  }

  async open(socket: SocketLease, now: number): Promise<void> {
    await this.write([[socket, now + this.leaseMs]]);
  }

  async renew(sockets: readonly SocketLease[], now: number): Promise<void> {
    // ZADD without XX: a lease that a flushed Redis lost is added back.
    await this.write(sockets.map((socket) => [socket, now + this.leaseMs]));
  }

  async close(socket: SocketLease, now: number): Promise<void> {
    await this.write([[socket, now]]);
  }

  async seen(agents: readonly AgentRef[], now: number): Promise<readonly Seen[]> {
    if (agents.length === 0) return [];
    const keys = agents.map((agent) => this.keyOf(agent));
    const latest = await this.commands.cschatPresenceSeen(keys.length, ...keys, now);
    return latest.map((end) => seenFrom(end === null ? undefined : Number(end), now));
  }

  /** Sets each socket's lease end, and every key's expiry once, in one pipeline. */
  private async write(leases: readonly (readonly [SocketLease, number])[]): Promise<void> {
    if (leases.length === 0) return;
    const pipeline = this.redis.pipeline();
    const keys = new Set<string>();
    for (const [socket, end] of leases) {
      const key = this.keyOf(socket);
      pipeline.zadd(key, end, socketKeyOf(socket));
      keys.add(key);
    }
    for (const key of keys) pipeline.pexpire(key, PRESENCE_KEEP_MS);
    await run(pipeline);
  }
}

/** Runs the pipeline and throws the first command's error (a pipeline resolves with them). */
const run = async (pipeline: ChainableCommander): Promise<void> => {
  const failed = (await pipeline.exec())?.find(([error]) => error !== null);
  if (failed?.[0]) throw failed[0];
};
