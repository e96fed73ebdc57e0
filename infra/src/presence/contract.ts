// The one contract both presence adapters pass (in memory, Redis). Each test gets a fresh store:
// for Redis a key prefix of its own, and a second handle on another connection, as another
// gateway or a worker has.
import type { AgentRef, Presence, SocketLease } from './port';

export interface PresenceFixture {
  /** Leases of 15 s. */
  readonly presence: Presence;
  /** A second handle on the same presence, as another gateway or worker process has. */
  readonly other: Presence;
  /** Loses everything, as a flushed Redis does. */
  flush(): Promise<void>;
  dispose(): Promise<void>;
}

const T0 = 1_800_000_000_000;
const LEASE = 15_000;

const agent = (agentId = 'a1', companyId = 'acme'): AgentRef => ({ companyId, agentId });
const socket = (connectionId = 'c1', gatewayId = 'g1', of: AgentRef = agent()): SocketLease => ({
  ...of,
  gatewayId,
  connectionId,
});

export const presenceContract = (setup: () => Promise<PresenceFixture>): void => {
  let f: PresenceFixture;
  beforeEach(async () => {
    f = await setup();
  });
  afterEach(() => f.dispose());

  it('says connected once a socket opened', async () => {
    expect(f.presence.leaseMs).toBe(LEASE);
    await f.presence.open(socket(), T0);
    expect(await f.presence.seen([agent()], T0 + 1)).toEqual([{ connected: true }]);
  });

  it('says not connected since the close of the only socket', async () => {
    await f.presence.open(socket(), T0);
    await f.presence.close(socket(), T0 + 4_000);
    expect(await f.presence.seen([agent()], T0 + 4_000)).toEqual([{ connected: false, until: T0 + 4_000 }]);
    expect(await f.presence.seen([agent()], T0 + 60_000)).toEqual([{ connected: false, until: T0 + 4_000 }]);
  });

  it('counts a socket whose lease ran out unrenewed (its gateway died) as closed at the lease end', async () => {
    await f.presence.open(socket(), T0);
    expect(await f.presence.seen([agent()], T0 + LEASE - 1)).toEqual([{ connected: true }]);
    expect(await f.presence.seen([agent()], T0 + LEASE)).toEqual([{ connected: false, until: T0 + LEASE }]);
    expect(await f.presence.seen([agent()], T0 + 10 * LEASE)).toEqual([{ connected: false, until: T0 + LEASE }]);
  });

  it('extends the lease on renew', async () => {
    await f.presence.open(socket(), T0);
    await f.presence.renew([socket()], T0 + 10_000);
    expect(await f.presence.seen([agent()], T0 + LEASE + 1)).toEqual([{ connected: true }]);
    expect(await f.presence.seen([agent()], T0 + 10_000 + LEASE)).toEqual([
      { connected: false, until: T0 + 10_000 + LEASE },
    ]);
  });

  it('keeps an agent connected while one of its sockets is, and seen until the later close', async () => {
    await f.presence.open(socket('c1', 'g1'), T0);
    await f.other.open(socket('c2', 'g2'), T0 + 1_000);
    await f.presence.close(socket('c1', 'g1'), T0 + 2_000);
    expect(await f.presence.seen([agent()], T0 + 3_000)).toEqual([{ connected: true }]);
    await f.other.close(socket('c2', 'g2'), T0 + 5_000);
    expect(await f.presence.seen([agent()], T0 + 6_000)).toEqual([{ connected: false, until: T0 + 5_000 }]);
  });

  it('keeps the later end whichever socket ended first', async () => {
    await f.presence.open(socket('c1', 'g1'), T0);
    await f.presence.open(socket('c2', 'g2'), T0);
    await f.presence.close(socket('c2', 'g2'), T0 + 1_000);
    await f.presence.renew([socket('c1', 'g1')], T0 + 2_000);
    // The renewed socket's gateway died: its lease end is the later.
    expect(await f.presence.seen([agent()], T0 + 60_000)).toEqual([{ connected: false, until: T0 + 2_000 + LEASE }]);
    await f.presence.close(socket('c1', 'g1'), T0 + 61_000);
    expect(await f.presence.seen([agent()], T0 + 62_000)).toEqual([{ connected: false, until: T0 + 61_000 }]);
  });

  it('knows nothing of an agent never seen', async () => {
    expect(await f.presence.seen([agent('nobody')], T0)).toEqual([{ connected: false }]);
    expect(await f.presence.seen([], T0)).toEqual([]);
  });

  it('keeps companies apart: an agent id in one company is not the same id in another', async () => {
    await f.presence.open(socket('c1', 'g1', agent('a1', 'acme')), T0);
    await f.presence.close(socket('c2', 'g1', agent('a1', 'globex')), T0 + 1_000);
    expect(
      await f.presence.seen([agent('a1', 'acme'), agent('a1', 'globex'), agent('a1', 'initech')], T0 + 2_000),
    ).toEqual([{ connected: true }, { connected: false, until: T0 + 1_000 }, { connected: false }]);
  });

  it('answers for 500 agents in one call, in the order given', async () => {
    const agents = Array.from({ length: 500 }, (_, n) => agent(`a${n}`));
    // Every third agent connected, every third closed at a time of its own, the rest never seen.
    await f.presence.renew(
      agents.filter((_, n) => n % 3 === 0).map((a) => socket('c', 'g1', a)),
      T0,
    );
    for (const [n, a] of agents.entries()) if (n % 3 === 1) await f.presence.close(socket('c', 'g1', a), T0 + n);
    const seen = await f.other.seen([...agents].reverse(), T0 + 1_000);
    expect(seen).toEqual(
      [...agents.keys()]
        .reverse()
        .map((n) =>
          n % 3 === 0 ? { connected: true } : n % 3 === 1 ? { connected: false, until: T0 + n } : { connected: false },
        ),
    );
  });

  it('restores on the next renew the leases a flush lost', async () => {
    await f.presence.open(socket('c1', 'g1'), T0);
    await f.presence.open(socket('c2', 'g1', agent('a2')), T0);
    await f.flush();
    expect(await f.presence.seen([agent(), agent('a2')], T0 + 1_000)).toEqual([
      { connected: false },
      { connected: false },
    ]);
    await f.presence.renew([socket('c1', 'g1'), socket('c2', 'g1', agent('a2'))], T0 + 5_000);
    expect(await f.presence.seen([agent(), agent('a2')], T0 + 6_000)).toEqual([
      { connected: true },
      { connected: true },
    ]);
  });

  it('shows each handle what the other wrote (several gateways and a worker)', async () => {
    await f.presence.open(socket('c1', 'g1'), T0);
    expect(await f.other.seen([agent()], T0 + 1_000)).toEqual([{ connected: true }]);
    await f.other.renew([socket('c1', 'g1')], T0 + 10_000);
    expect(await f.presence.seen([agent()], T0 + 20_000)).toEqual([{ connected: true }]);
    await f.other.close(socket('c1', 'g1'), T0 + 21_000);
    expect(await f.presence.seen([agent()], T0 + 22_000)).toEqual([{ connected: false, until: T0 + 21_000 }]);
  });
};
