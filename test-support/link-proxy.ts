// A slow, lossy link in user space: a TCP proxy between a client and one target, for faults such as
// "100-300 ms latency + 1% loss between the workers and PostgreSQL" on a kernel without tc netem.
//
// What it emulates: every chunk read from one side is written to the other after a random delay in
// [min, max] ms, and chunks keep their order in each direction (a chunk is never written before the
// one read before it, so a short delay after a long one waits for it, as on one TCP stream). With
// probability `lossRate` a chunk is "lost": it, and everything behind it in that direction, waits one
// retransmission timeout more (RETRANSMIT_MS, Linux's 200 ms minimum RTO), which is what a lost
// segment costs a TCP stream: head-of-line blocking, then the data arrives intact.
// What it does not emulate: no packet is ever dropped, duplicated or reordered at the IP level; no
// TCP retransmission, congestion window or RTO backoff happens (the proxy's own sockets are on fast
// links); the delay is per chunk read (a few KB to 64 KB), not per packet; the peers see the proxy's
// address, not each other's; a close or reset is passed on after the data queued before it.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/** Linux's minimum retransmission timeout (TCP_RTO_MIN): what one lost segment delays a stream by. */
export const RETRANSMIT_MS = 200;
/** Bytes queued in one direction before the sender is paused (backpressure, not memory growth). */
const HIGH_WATER = 1 << 20;

export interface Impairment {
  /** One-way delay of each chunk, in each direction: uniformly random in [min, max]. */
  readonly latencyMs: readonly [number, number];
  /** Chance (0..1) that a chunk is "lost" and waits RETRANSMIT_MS more, with the chunks behind it. */
  readonly lossRate: number;
}

export interface LinkProxyStats {
  readonly connections: number;
  readonly chunks: number;
  /** Chunks that waited a retransmission timeout. */
  readonly lost: number;
}

export interface LinkProxy {
  readonly host: string;
  readonly port: number;
  /** Impairs chunks read from now on, on open connections and new ones. */
  impair(impairment: Impairment): void;
  /** A clean link again for chunks read from now on (those already queued keep their time). */
  clear(): void;
  stats(): LinkProxyStats;
  /** Closes the listener and every connection through it. */
  stop(): Promise<void>;
}

export interface LinkProxyOptions {
  /** Where it listens: the bridge address (root namespace) or a host's address; port 0 or absent = any. */
  readonly listen: { readonly host: string; readonly port?: number };
  readonly target: { readonly host: string; readonly port: number };
}

const CLEAN: Impairment = { latencyMs: [0, 0], lossRate: 0 };

const check = (impairment: Impairment): Impairment => {
  const [min, max] = impairment.latencyMs;
  if (!(min >= 0 && max >= min && Number.isFinite(max))) {
    throw new Error(`latencyMs must be [min, max] with 0 <= min <= max, got [${min}, ${max}]`);
  }
  if (!(impairment.lossRate >= 0 && impairment.lossRate <= 1)) {
    throw new Error(`lossRate must be within 0..1, got ${impairment.lossRate}`);
  }
  return impairment;
};

export const startLinkProxy = async (options: LinkProxyOptions): Promise<LinkProxy> => {
  let impairment = CLEAN;
  let connections = 0;
  let chunks = 0;
  let lost = 0;
  const sockets = new Set<Socket>();

  /**
   * One direction of one connection: chunks from `from` are written to `to` in order, each at its
   * due time; `from`'s end is passed on once everything before it is written.
   */
  const pipe = (from: Socket, to: Socket): void => {
    const queue: { due: number; chunk: Buffer }[] = [];
    let queued = 0;
    let lastDue = 0;
    let ended = false;
    // A timer for the head's due time or a 'drain' of `to` is pending: pump() will run again.
    let waiting = false;

    const pump = (): void => {
      waiting = false;
      for (let head = queue[0]; head !== undefined; head = queue[0]) {
        const wait = head.due - performance.now();
        if (wait > 0) {
          // Timers may fire a little early: re-checking against the clock means never early.
          waiting = true;
          setTimeout(pump, Math.ceil(wait));
          return;
        }
        queue.shift();
        queued -= head.chunk.length;
        if (to.destroyed) continue;
        if (!to.write(head.chunk)) {
          waiting = true;
          to.once('drain', pump);
          return;
        }
      }
      if (queued < HIGH_WATER && from.isPaused() && !from.destroyed) from.resume();
      if (ended && !to.destroyed) to.end();
    };

    from.on('data', (chunk: Buffer) => {
      const [min, max] = impairment.latencyMs;
      const isLost = impairment.lossRate > 0 && Math.random() < impairment.lossRate;
      chunks++;
      if (isLost) lost++;
      const delay = min + Math.random() * (max - min) + (isLost ? RETRANSMIT_MS : 0);
      // Never before the chunk ahead of it: one stream, in order.
      lastDue = Math.max(performance.now() + delay, lastDue);
      queue.push({ due: lastDue, chunk });
      queued += chunk.length;
      if (queued >= HIGH_WATER) from.pause();
      if (!waiting) pump();
    });
    from.on('end', () => {
      ended = true;
      if (!waiting) pump();
    });
  };

  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    connections++;
    const upstream = createConnection({ host: options.target.host, port: options.target.port, allowHalfOpen: true });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.setNoDelay(true);
      socket.on('close', () => sockets.delete(socket));
    }
    // A reset or error on one side resets the other, as a broken link would look to both peers.
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    pipe(client, upstream);
    pipe(upstream, client);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listen.port ?? 0, options.listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;

  return {
    host: options.listen.host,
    port,
    impair: (next) => {
      impairment = check(next);
    },
    clear: () => {
      impairment = CLEAN;
    },
    stats: () => ({ connections, chunks, lost }),
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};
