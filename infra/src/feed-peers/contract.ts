// The one contract both feed-peers stores pass (in memory, Redis). Each test gets a fresh store and
// a second handle on the same reports, as another gateway has.
import type { FeedPeers } from './port';

export interface FeedPeersFixture {
  readonly peers: FeedPeers;
  /** A second handle on the same reports, as another gateway has (in memory: the same object). */
  readonly other: FeedPeers;
  dispose(): Promise<void>;
}

const T = Date.UTC(2026, 0, 1, 9);

export const feedPeersContract = (setup: () => Promise<FeedPeersFixture>): void => {
  let f: FeedPeersFixture;
  beforeEach(async () => {
    f = await setup();
  });
  afterEach(() => f.dispose());

  it('answers no while nobody else reported, its own report not counting', async () => {
    expect(await f.peers.othersHeardSince('gw-a', 0)).toBe(false);
    await f.peers.report('gw-a', T);
    expect(await f.peers.othersHeardSince('gw-a', 0)).toBe(false);
    expect(await f.peers.othersHeardSince('gw-b', T)).toBe(true);
  });

  it('answers yes when another gateway heard at `since` or later, no when before, across handles', async () => {
    await f.peers.report('gw-a', T);
    await f.other.report('gw-b', T + 5_000);
    expect(await f.peers.othersHeardSince('gw-a', T + 5_000)).toBe(true);
    expect(await f.peers.othersHeardSince('gw-a', T + 5_001)).toBe(false);
    expect(await f.other.othersHeardSince('gw-b', T)).toBe(true);
    expect(await f.other.othersHeardSince('gw-b', T + 1)).toBe(false);
  });

  it("keeps only a gateway's latest report", async () => {
    await f.other.report('gw-b', T);
    await f.other.report('gw-b', T + 10_000);
    expect(await f.peers.othersHeardSince('gw-a', T + 10_000)).toBe(true);
    // Its later report is still its own: a gateway never counts as another one.
    expect(await f.peers.othersHeardSince('gw-b', 0)).toBe(false);
  });

  it('finds another gateway among many, wherever the asker stands', async () => {
    for (let i = 0; i < 5; i += 1) await f.other.report(`gw-${i}`, T + i * 1_000);
    expect(await f.peers.othersHeardSince('gw-4', T + 3_000)).toBe(true);
    expect(await f.peers.othersHeardSince('gw-3', T + 3_000)).toBe(true);
    expect(await f.peers.othersHeardSince('gw-4', T + 4_000)).toBe(false);
    expect(await f.peers.othersHeardSince('gw-0', T + 4_000)).toBe(true);
  });

  it('forgets gateways whose last report is older than the retention (the fixture keeps one hour)', async () => {
    await f.other.report('gw-gone', T);
    await f.peers.report('gw-a', T + 60 * 60_000 + 1);
    expect(await f.peers.othersHeardSince('gw-a', 0)).toBe(false);
  });
};
