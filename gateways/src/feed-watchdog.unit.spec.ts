// The event feed's watchdog on a clock the test moves: lost only past the timeout, once per loss,
// back as soon as the consumers hear from the bus again; its gauge, log lines and /readyz reason;
// and, with peers (in memory), moving the clients only while another gateway's feed works.
import { Registry } from 'prom-client';
import { createLogger, InMemoryFeedPeers, type FeedPeers } from '@cschat/infra';
import { FEED_METRIC, FeedWatchdog, feedGauge } from './feed-watchdog';

const TIMEOUT_MS = 15_000;

const setup = (peers?: FeedPeers) => {
  let now = 1_000_000;
  let heardAt = now;
  type Line = { level: number; msg: string; silentMs?: number; downMs?: number };
  const lines: Line[] = [];
  const logger = createLogger({
    level: 'info',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Line) },
  });
  const registry = new Registry();
  let losses = 0;
  const watchdog = new FeedWatchdog({
    lastHeardAt: () => heardAt,
    timeoutMs: TIMEOUT_MS,
    logger,
    gauge: feedGauge(registry),
    onLost: () => void (losses += 1),
    now: () => now,
    ...(peers === undefined ? {} : { peers, gatewayId: 'gw-self' }),
  });
  const gauge = async (): Promise<number | undefined> =>
    (await registry.getSingleMetric(FEED_METRIC)?.get())?.values[0]?.value;
  return {
    watchdog,
    lines,
    gauge,
    losses: () => losses,
    now: () => now,
    /** Time passes; the consumers hear from the bus at its end when `heard`. */
    move: (ms: number, heard = false) => {
      now += ms;
      if (heard) heardAt = now;
    },
  };
};

describe('FeedWatchdog', () => {
  it('keeps the feed up while the consumers heard from the bus within the timeout, silences included', async () => {
    const { watchdog, move, losses, gauge, lines } = setup();
    expect(await gauge()).toBe(1);
    for (let i = 0; i < 10; i += 1) {
      move(TIMEOUT_MS, true);
      expect(await watchdog.check()).toBe(true);
    }
    move(TIMEOUT_MS); // silent for exactly the timeout: not yet lost
    expect(await watchdog.check()).toBe(true);
    expect(watchdog.isUp).toBe(true);
    expect(watchdog.reason).toBeUndefined();
    expect(losses()).toBe(0);
    expect(await gauge()).toBe(1);
    expect(lines).toEqual([]);
  });

  it('counts the feed lost past the timeout, once, until the consumers hear from the bus again', async () => {
    const { watchdog, move, losses, gauge, lines } = setup();
    move(TIMEOUT_MS + 1);
    expect(await watchdog.check()).toBe(false);
    expect(watchdog.isUp).toBe(false);
    expect(losses()).toBe(1);
    expect(await gauge()).toBe(0);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        msg: expect.stringMatching(/^event feed lost/) as unknown,
        silentMs: TIMEOUT_MS + 1,
      }),
      expect.objectContaining({ level: 40, msg: 'event feed lost: not ready, sockets closed with 1013' }),
    ]);
    expect(watchdog.reason).toBe(
      `event feed lost: nothing heard from Kafka for ${TIMEOUT_MS + 1} ms (KAFKA_LINK_TIMEOUT_MS is ${TIMEOUT_MS})`,
    );

    // Still lost: nothing more is done, the reason counts on.
    move(60_000);
    expect(await watchdog.check()).toBe(false);
    expect(losses()).toBe(1);
    expect(lines).toHaveLength(2);
    expect(watchdog.reason).toContain(`for ${TIMEOUT_MS + 1 + 60_000} ms`);

    move(1_000, true);
    expect(await watchdog.check()).toBe(true);
    expect(watchdog.reason).toBeUndefined();
    expect(await gauge()).toBe(1);
    expect(lines[2]).toEqual(
      expect.objectContaining({ level: 40, msg: expect.stringMatching(/^event feed back/) as unknown, downMs: 61_000 }),
    );

    // A second loss is a loss again.
    move(TIMEOUT_MS + 1);
    expect(await watchdog.check()).toBe(false);
    expect(losses()).toBe(2);
  });

  describe('with peers', () => {
    /** A second gateway on the same peers, whose feed the test says works (it reports now) or not. */
    const withOther = () => {
      const peers = new InMemoryFeedPeers();
      const f = setup(peers);
      const otherHears = () => peers.report('gw-other', f.now());
      return { ...f, peers, otherHears };
    };

    it('reports its own hearing, at most once a second, and only while its feed works', async () => {
      const { watchdog, move, peers, now } = withOther();
      await watchdog.check();
      expect(await peers.othersHeardSince('gw-other', now())).toBe(true);
      move(500, true);
      await watchdog.check(); // within the second: not reported
      expect(await peers.othersHeardSince('gw-other', now())).toBe(false);
      move(500, true);
      await watchdog.check();
      expect(await peers.othersHeardSince('gw-other', now())).toBe(true);
      move(TIMEOUT_MS + 1);
      await watchdog.check(); // lost: reports nothing
      expect(await peers.othersHeardSince('gw-other', now() - TIMEOUT_MS)).toBe(false);
    });

    it("stops serving when its own feed is lost while another gateway's works", async () => {
      const { watchdog, move, losses, gauge, lines, otherHears } = withOther();
      move(TIMEOUT_MS + 1);
      await otherHears();
      expect(await watchdog.check()).toBe(false);
      expect(watchdog.isUp).toBe(false);
      expect(watchdog.feedUp).toBe(false);
      expect(losses()).toBe(1);
      expect(await gauge()).toBe(0);
      expect(watchdog.reason).toMatch(/; another gateway's works$/);
      expect(lines.map((line) => line.msg)).toEqual([
        expect.stringMatching(/^event feed lost: the delivery consumers/) as unknown,
        "event feed lost while another gateway's works: not ready, sockets closed with 1013",
      ]);
    });

    it('keeps serving while every other gateway is silent too, warning once; its gauge still says its own feed', async () => {
      const { watchdog, move, losses, gauge, lines, otherHears } = withOther();
      await otherHears(); // the other heard when this one last did: one outage for both
      move(TIMEOUT_MS + 1);
      expect(await watchdog.check()).toBe(true);
      move(60_000);
      expect(await watchdog.check()).toBe(true);
      expect(watchdog.isUp).toBe(true);
      expect(watchdog.feedUp).toBe(false);
      expect(watchdog.reason).toBeUndefined();
      expect(losses()).toBe(0);
      expect(await gauge()).toBe(0);
      expect(
        lines.filter((line) => line.msg === 'event feed silent on every gateway: keeping the sockets'),
      ).toHaveLength(1);
    });

    it('counts a gateway that stopped hearing within half a timeout of this one as silenced by the same outage', async () => {
      const { watchdog, move, losses, otherHears } = withOther();
      move(TIMEOUT_MS / 2 - 1); // the other heard last just under half a timeout after this one
      await otherHears();
      move(TIMEOUT_MS / 2 + 2);
      expect(await watchdog.check()).toBe(true);
      expect(losses()).toBe(0);
    });

    it('serves again when every other gateway goes silent later, and its own feed back keeps it so', async () => {
      const { watchdog, move, losses, lines, otherHears } = withOther();
      move(TIMEOUT_MS + 1);
      await otherHears();
      expect(await watchdog.check()).toBe(false);
      move(TIMEOUT_MS); // the other heard within the timeout still
      expect(await watchdog.check()).toBe(false);
      move(1); // the other silent for longer than the timeout too
      expect(await watchdog.check()).toBe(true);
      expect(watchdog.reason).toBeUndefined();
      expect(lines.map((line) => line.msg)).toContain('every other gateway is silent too now: ready again');
      move(1_000, true);
      expect(await watchdog.check()).toBe(true);
      expect(watchdog.feedUp).toBe(true);
      expect(losses()).toBe(1);
    });

    it('after a silence everywhere, gives its own feed a timeout to come back once the others hear again', async () => {
      const { watchdog, move, losses, otherHears } = withOther();
      await otherHears();
      move(TIMEOUT_MS + 1);
      expect(await watchdog.check()).toBe(true); // silent everywhere
      move(30_000);
      await otherHears(); // the other's feed came back first
      expect(await watchdog.check()).toBe(true);
      move(TIMEOUT_MS);
      await otherHears();
      expect(await watchdog.check()).toBe(true);
      move(1);
      await otherHears();
      expect(await watchdog.check()).toBe(false); // still nothing here: its clients move
      expect(losses()).toBe(1);
    });

    it('keeps serving when the peers cannot be asked, logging it at most every 30 s', async () => {
      const broken: FeedPeers = {
        report: () => Promise.reject(new Error('ECONNREFUSED')),
        othersHeardSince: () => Promise.reject(new Error('ECONNREFUSED')),
      };
      const { watchdog, move, losses, lines } = setup(broken);
      await watchdog.check();
      move(TIMEOUT_MS + 1);
      for (let i = 0; i < 10; i += 1) {
        expect(await watchdog.check()).toBe(true);
        move(1_000);
      }
      expect(losses()).toBe(0);
      expect(lines.filter((line) => line.msg.startsWith('event feed peers unreachable'))).toHaveLength(1);
    });
  });

  it('checks on its own once started, a few times per timeout', async () => {
    jest.useFakeTimers();
    try {
      let heardAt = Date.now();
      let losses = 0;
      const watchdog = new FeedWatchdog({
        lastHeardAt: () => heardAt,
        timeoutMs: 3_000,
        logger: createLogger({ level: 'silent' }),
        onLost: () => void (losses += 1),
      });
      watchdog.start();
      await jest.advanceTimersByTimeAsync(2_000);
      heardAt = Date.now();
      await jest.advanceTimersByTimeAsync(3_000);
      expect(losses).toBe(0);
      // Lost within a check's interval (a quarter of the timeout) of passing it.
      await jest.advanceTimersByTimeAsync(750 + 1);
      expect(losses).toBe(1);
      expect(watchdog.isUp).toBe(false);
      heardAt = Date.now();
      await jest.advanceTimersByTimeAsync(750);
      expect(watchdog.isUp).toBe(true);
      watchdog.stop();
      await jest.advanceTimersByTimeAsync(60_000);
      expect(watchdog.isUp).toBe(true);
      expect(losses).toBe(1);
    } finally {
      jest.useRealTimers();
    }
  });
});
