// The e2e load's accounting, against a stand-in service whose answer to each probe is known: it
// acks, refuses (overloaded, rate_limited), delivers or drops a message by its probe number.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import WebSocket, { WebSocketServer } from 'ws';
import type { Deployment } from './deployments';
import { pairSet, refusedOf, relayPairs, runStep, sustainedBy, type PairSet } from './e2e-load';

/**
 * By probe number modulo 6: 0, 1 acked and delivered; 2 refused `overloaded`; 3 acked, never
 * delivered; 4 delivered, never answered; 5 refused `rate_limited` and delivered all the same.
 * Acks only for frames with an id, as the gateway; errors always.
 */
interface StandIn {
  readonly base: string;
  readonly server: Server;
  /** Visitors' sockets are refused (HTTP 401) while this is set, as by a service too busy to let them in. */
  refuseVisitors: boolean;
}

const startStandIn = async (): Promise<StandIn> => {
  const agents = new Map<string, WebSocket>();
  const server = createServer((_request, response) => response.writeHead(200).end('ok'));
  const wss = new WebSocketServer({
    server,
    verifyClient: ({ req }: { req: IncomingMessage }) =>
      !(standIn.refuseVisitors && (req.url ?? '').startsWith('/visitor')),
  });
  wss.on('connection', (ws, request) => {
    const url = new URL(request.url ?? '/', 'http://stand-in');
    const pair = url.searchParams.get('pair') ?? '';
    if (url.pathname === '/agent') agents.set(pair, ws);
    ws.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as { id?: number; text: string };
      const probe = Number(/#(\d+)#/.exec(frame.text)?.[1]);
      const withId = frame.id === undefined ? {} : { id: frame.id };
      const ack = (): void => void (frame.id !== undefined && ws.send(JSON.stringify({ type: 'ack', ...withId })));
      const refuse = (code: string): void => ws.send(JSON.stringify({ type: 'error', ...withId, code, message: code }));
      const deliver = (): void => agents.get(pair)?.send(JSON.stringify({ type: 'message', text: frame.text }));
      const outcome = probe % 6;
      if (outcome === 0 || outcome === 1) {
        ack();
        deliver();
      } else if (outcome === 2) refuse('overloaded');
      else if (outcome === 3) ack();
      else if (outcome === 4) deliver();
      else {
        refuse('rate_limited');
        deliver();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const standIn: StandIn = {
    base: `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`,
    server,
    refuseVisitors: false,
  };
  return standIn;
};

describe('the e2e load against a stand-in service', () => {
  jest.setTimeout(30_000);
  let standIn: StandIn;
  let pairs: PairSet;

  beforeAll(async () => {
    standIn = await startStandIn();
    const deployment: Deployment = {
      name: 'stand-in',
      base: standIn.base,
      servers: [],
      services: [],
      stop: async () => undefined,
    };
    // Two visitors to an agent socket, as with --sessions-per-agent 2.
    pairs = pairSet(relayPairs(deployment, 2));
    await pairs.ensure(6);
  });

  afterAll(async () => {
    pairs.close();
    standIn.server.closeAllConnections();
    await new Promise((resolve) => standIn.server.close(resolve));
  });

  it('opens pairs as asked, sharing an agent socket among --sessions-per-agent visitors', async () => {
    expect(pairs.all).toHaveLength(6);
    expect(new Set(pairs.all.map((p) => p.agent)).size).toBe(3);
    expect(await pairs.ensure(4)).toEqual({ opened: 0 });
    expect(await pairs.ensure(8)).toEqual({ opened: 2 });
    expect(pairs.all).toHaveLength(8);
    expect(new Set(pairs.all.map((p) => p.agent)).size).toBe(4);
  });

  it('with ids: counts acks, refusals by code, deliveries, what was acked and never delivered, what was never answered', async () => {
    // 60 probes: each outcome 10 times whatever the first probe number.
    const outcome = await runStep(pairs.all, 60, 1, { answered: true, graceMs: 3000 });
    expect({
      offered: outcome.offered,
      notSent: outcome.notSent,
      delivered: outcome.latencies.length,
      answers: outcome.answers,
      unanswered: outcome.unanswered,
      lost: outcome.lost,
      refusedDelivered: outcome.refusedDelivered,
      closedPairs: outcome.closedPairs,
    }).toEqual({
      offered: 60,
      notSent: 0,
      delivered: 40,
      answers: { ack: 30, overloaded: 10, rate_limited: 10 },
      unanswered: 10,
      lost: 10,
      refusedDelivered: 10,
      closedPairs: 0,
    });
    expect(refusedOf(outcome)).toBe(20);
    expect(sustainedBy(outcome, 100)).toBe(false);
  });

  it('without ids: no acks, refusals still counted by code, every undelivered message lost', async () => {
    const outcome = await runStep(pairs.all, 60, 1, { graceMs: 3000 });
    expect([outcome.latencies.length, outcome.answers, outcome.unanswered, outcome.lost]).toEqual([
      40,
      { overloaded: 10, rate_limited: 10 },
      0,
      20,
    ]);
  });

  it('counts a message to a closed visitor socket as not sent, and replaces the pair', async () => {
    pairs.all[0]!.visitor.terminate();
    const outcome = await runStep(pairs.all, 60, 1, { answered: true, graceMs: 3000 });
    expect(outcome.notSent).toBeGreaterThan(0);
    expect(outcome.closedPairs).toBe(1);
    expect(await pairs.ensure(8)).toEqual({ opened: 1 });
    expect(pairs.all.every((p) => p.visitor.open && p.agent.open)).toBe(true);
  });

  it('says why it could not open pairs, and goes on with those it has', async () => {
    standIn.refuseVisitors = true;
    try {
      const refused = await pairs.ensure(10);
      expect([refused.opened, refused.failure]).toEqual([0, expect.stringContaining('HTTP 401')]);
      expect(pairs.all).toHaveLength(8);
    } finally {
      standIn.refuseVisitors = false;
    }
    expect(await pairs.ensure(10)).toEqual({ opened: 2 });
  });
});
