// The event feed's watchdog on a clock the test moves: lost only past the timeout, once per loss,
// back as soon as the consumers hear from the bus again; its gauge, log lines and /readyz reason.
import { Registry } from 'prom-client';
import { createLogger } from '@cschat/infra';
import { FEED_METRIC, FeedWatchdog, feedGauge } from './feed-watchdog';

const TIMEOUT_MS = 15_000;

const setup = () => {
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
  });
  const gauge = async (): Promise<number | undefined> =>
    (await registry.getSingleMetric(FEED_METRIC)?.get())?.values[0]?.value;
  return {
    watchdog,
    lines,
    gauge,
    losses: () => losses,
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
      expect(watchdog.check()).toBe(true);
    }
    move(TIMEOUT_MS); // silent for exactly the timeout: not yet lost
    expect(watchdog.check()).toBe(true);
    expect(watchdog.isUp).toBe(true);
    expect(watchdog.reason).toBeUndefined();
    expect(losses()).toBe(0);
    expect(await gauge()).toBe(1);
    expect(lines).toEqual([]);
  });

  it('counts the feed lost past the timeout, once, until the consumers hear from the bus again', async () => {
    const { watchdog, move, losses, gauge, lines } = setup();
    move(TIMEOUT_MS + 1);
    expect(watchdog.check()).toBe(false);
    expect(watchdog.isUp).toBe(false);
    expect(losses()).toBe(1);
    expect(await gauge()).toBe(0);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        msg: expect.stringMatching(/^event feed lost/) as unknown,
        silentMs: TIMEOUT_MS + 1,
      }),
    ]);
    expect(watchdog.reason).toBe(
      `event feed lost: nothing heard from Kafka for ${TIMEOUT_MS + 1} ms (KAFKA_LINK_TIMEOUT_MS is ${TIMEOUT_MS})`,
    );

    // Still lost: nothing more is done, the reason counts on.
    move(60_000);
    expect(watchdog.check()).toBe(false);
    expect(losses()).toBe(1);
    expect(lines).toHaveLength(1);
    expect(watchdog.reason).toContain(`for ${TIMEOUT_MS + 1 + 60_000} ms`);

    move(1_000, true);
    expect(watchdog.check()).toBe(true);
    expect(watchdog.reason).toBeUndefined();
    expect(await gauge()).toBe(1);
    expect(lines[1]).toEqual(
      expect.objectContaining({ level: 40, msg: expect.stringMatching(/^event feed back/) as unknown, downMs: 61_000 }),
    );

    // A second loss is a loss again.
    move(TIMEOUT_MS + 1);
    expect(watchdog.check()).toBe(false);
    expect(losses()).toBe(2);
  });

  it('checks on its own once started, a few times per timeout', () => {
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
      jest.advanceTimersByTime(2_000);
      heardAt = Date.now();
      jest.advanceTimersByTime(3_000);
      expect(losses).toBe(0);
      // Lost within a check's interval (a quarter of the timeout) of passing it.
      jest.advanceTimersByTime(750 + 1);
      expect(losses).toBe(1);
      expect(watchdog.isUp).toBe(false);
      heardAt = Date.now();
      jest.advanceTimersByTime(750);
      expect(watchdog.isUp).toBe(true);
      watchdog.stop();
      jest.advanceTimersByTime(60_000);
      expect(watchdog.isUp).toBe(true);
      expect(losses).toBe(1);
    } finally {
      jest.useRealTimers();
    }
  });
});
