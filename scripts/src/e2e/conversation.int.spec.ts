// The live conversation end to end over real sockets, in embedded mode (PROTOCOL, second edition,
// "Live conversation" and "Names and profiles"): typing both ways and its limit, read receipts both
// ways, private notes that reach agents only, tags on the list, and the agents' names.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfig, silentLogger } from '@cschat/infra';
import { Client, http, type Frame } from '../../../test-support/clients';
import { createApp, type App } from '../app';

describe('the live conversation end to end (embedded mode)', () => {
  let dataDir: string;
  let app: App;
  let ws: string;
  let api: ReturnType<typeof http>;
  const clients: Client[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'cschat-conv-'));
    app = createApp(loadConfig({ DATA_DIR: dataDir, PORT: '0' }), silentLogger());
    await app.start();
    ws = `ws://127.0.0.1:${app.frontDoor!.port}`;
    api = http(`http://127.0.0.1:${app.frontDoor!.port}`);
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await app.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const open = async (kind: 'agent' | 'visitor', body: Record<string, string>) => {
    const login = await api.post(`/api/${kind}s/login`, body);
    expect(login.status).toBe(200);
    const client = await Client.open(`${ws}/ws/${kind}?token=${String(login.body['token'])}`);
    clients.push(client);
    return { client, token: String(login.body['token']), id: String(login.body[`${kind}Id`]) };
  };

  /** Alice idle, a visitor with a session she holds (the only agent online). */
  const conversation = async () => {
    const alice = await open('agent', { companyId: 'demo', username: 'alice', password: 'demo' });
    const state = await alice.client.next((f) => f.type === 'agent.state', 'agent.state');
    expect(state['name']).toBe('Alice');
    expect(await alice.client.request({ type: 'agent.status', status: 'idle' })).toMatchObject({ type: 'ack' });
    const visitor = await open('visitor', { companyId: 'demo' });
    const sent = await visitor.client.request({ type: 'message.send', text: 'Hello there', clientMsgId: 'v-1' });
    const sessionId = String(sent['sessionId']);
    expect(await visitor.client.request({ type: 'human.request' })).toMatchObject({ state: 'assigned' });
    const assigned = await visitor.client.next((f) => f.type === 'session.state' && f['state'] === 'assigned');
    expect(assigned).toMatchObject({ agentId: 'alice', agentName: 'Alice' });
    return { alice, visitor, sessionId, visitorMessageId: String(sent['messageId']) };
  };
  const endAll = async (visitor: Client) => {
    expect(await visitor.request({ type: 'session.end' })).toMatchObject({ type: 'ack' });
  };

  it('passes typing on to the other side, at most twice a second per socket, ending on the last state', async () => {
    const { alice, visitor, sessionId } = await conversation();
    const typingFrames = (client: Client): Frame[] => client.frames.filter((f) => f.type === 'typing');

    expect(await visitor.client.request({ type: 'typing', typing: true })).toEqual(
      expect.objectContaining({ type: 'ack' }),
    );
    const seen = await alice.client.next((f) => f.type === 'typing', 'the visitor typing');
    expect(seen).toEqual({ type: 'typing', sessionId, from: { role: 'visitor' }, typing: true });

    expect(await alice.client.request({ type: 'typing', sessionId, typing: true })).toMatchObject({ type: 'ack' });
    expect(await visitor.client.next((f) => f.type === 'typing', 'the agent typing')).toEqual({
      type: 'typing',
      sessionId,
      from: { role: 'agent', id: 'alice' },
      typing: true,
    });

    // Six in a burst from one socket, in a fresh second: the first two at once, then only the
    // last one (the others are replaced), when the second is over.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const before = typingFrames(alice.client).length;
    for (let i = 0; i < 6; i++) visitor.client.send({ type: 'typing', typing: i % 2 === 0 });
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(
      typingFrames(alice.client)
        .slice(before)
        .map((f) => f['typing']),
    ).toEqual([true, false]);
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect(
      typingFrames(alice.client)
        .slice(before)
        .map((f) => f['typing']),
    ).toEqual([true, false, false]);

    // An agent cannot type into a session it does not hold.
    expect(await alice.client.request({ type: 'typing', sessionId: 'not-hers', typing: true })).toMatchObject({
      type: 'error',
      code: 'session_not_found',
    });
    await endAll(visitor.client);
  }, 30_000);

  it('tells read receipts both ways, up to the last message of the other side, once', async () => {
    const { alice, visitor, sessionId, visitorMessageId } = await conversation();
    await alice.client.next((f) => f.type === 'session.list' && (f['sessions'] as unknown[]).length === 1, 'her list');

    expect(await alice.client.request({ type: 'session.read', sessionId })).toMatchObject({ type: 'ack' });
    const toVisitor = await visitor.client.next((f) => f.type === 'message.read', 'message.read to the visitor');
    expect(toVisitor).toEqual({
      type: 'message.read',
      sessionId,
      upTo: visitorMessageId,
      at: expect.any(String) as string,
    });

    const reply = await alice.client.request({
      type: 'message.send',
      sessionId,
      text: 'How can I help?',
      clientMsgId: 'a-1',
    });
    const shown = await visitor.client.next((f) => f.type === 'message' && f['text'] === 'How can I help?');
    expect(shown['from']).toEqual({ role: 'agent', id: 'alice', name: 'Alice' });

    expect(await visitor.client.request({ type: 'session.read' })).toMatchObject({ type: 'ack', sessionId });
    const toAgent = await alice.client.next((f) => f.type === 'message.read', 'message.read to the agent');
    expect(toAgent).toEqual({
      type: 'message.read',
      sessionId,
      upTo: reply['messageId'],
      at: expect.any(String) as string,
    });

    // Nothing new: no second receipt.
    expect(await visitor.client.request({ type: 'session.read' })).toMatchObject({ type: 'ack' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(alice.client.frames.filter((f) => f.type === 'message.read')).toHaveLength(1);
    await endAll(visitor.client);
  }, 30_000);

  it('keeps notes among agents: private messages and history rows, never the visitor', async () => {
    const { alice, visitor, sessionId } = await conversation();
    const note = await alice.client.request({ type: 'note.send', sessionId, text: 'VIP, be nice', clientMsgId: 'n-1' });
    expect(note).toMatchObject({ type: 'ack', messageId: expect.any(String) as string });
    const again = await alice.client.request({
      type: 'note.send',
      sessionId,
      text: 'VIP, be nice',
      clientMsgId: 'n-1',
    });
    expect(again['messageId']).toBe(note['messageId']);
    const delivered = await alice.client.next((f) => f.type === 'message' && f['private'] === true, 'the note');
    expect(delivered).toMatchObject({
      sessionId,
      messageId: note['messageId'],
      from: { role: 'agent', id: 'alice' },
      text: 'VIP, be nice',
      private: true,
      clientMsgId: 'n-1',
    });

    // A message after the note: the visitor has it and never the note.
    await alice.client.request({ type: 'message.send', sessionId, text: 'after the note', clientMsgId: 'a-2' });
    await visitor.client.next((f) => f.type === 'message' && f['text'] === 'after the note');
    expect(visitor.client.frames.some((f) => f['text'] === 'VIP, be nice' || f['private'] === true)).toBe(false);

    const readHistory = async (token: string) => {
      for (let tries = 0; ; tries++) {
        const page = await api.get(`/api/sessions/${sessionId}/messages`, token);
        expect(page.status).toBe(200);
        const messages = page.body['messages'] as { text: string; private?: boolean }[];
        if (messages.some((m) => m.text === 'after the note') || tries > 50) return messages;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const agentHistory = await readHistory(alice.token);
    expect(agentHistory.filter((m) => m.private === true)).toEqual([
      expect.objectContaining({ messageId: note['messageId'], text: 'VIP, be nice', private: true }),
    ]);
    const visitorHistory = await readHistory(visitor.token);
    expect(visitorHistory.some((m) => m.text === 'VIP, be nice' || m.private !== undefined)).toBe(false);
    expect(visitorHistory.some((m) => m.text === 'after the note')).toBe(true);

    // Another agent does not write notes in a session it does not hold.
    const bob = await open('agent', { companyId: 'demo', username: 'bob', password: 'demo' });
    expect(await bob.client.request({ type: 'note.send', sessionId, text: 'hi', clientMsgId: 'b-1' })).toMatchObject({
      type: 'error',
      code: 'not_assigned_to_you',
    });
    bob.client.close();
    await endAll(visitor.client);
  }, 30_000);

  it('tags a session: the ack has the tags, the row is pushed and listed with them', async () => {
    const { alice, visitor, sessionId } = await conversation();
    const tagged = await alice.client.request({ type: 'session.tag', sessionId, add: [' vip ', 'refund'] });
    expect(tagged).toEqual({ type: 'ack', id: tagged['id'], tags: ['vip', 'refund'] });
    const update = await alice.client.next(
      (f) => f.type === 'session.update' && ((f['session'] as { tags?: string[] }).tags ?? []).includes('refund'),
      'the row with its tags',
    );
    expect(update['session']).toMatchObject({ sessionId, tags: ['vip', 'refund'] });

    const changed = await alice.client.request({ type: 'session.tag', sessionId, add: ['urgent'], remove: ['vip'] });
    expect(changed['tags']).toEqual(['refund', 'urgent']);
    const same = await alice.client.request({ type: 'session.tag', sessionId, add: ['urgent'] });
    expect(same['tags']).toEqual(['refund', 'urgent']);
    for (const tag of ['x'.repeat(33), '   '])
      expect(await alice.client.request({ type: 'session.tag', sessionId, add: [tag] })).toMatchObject({
        type: 'error',
        code: 'bad_request',
      });
    expect(await alice.client.request({ type: 'session.tag', sessionId, add: [42] })).toMatchObject({
      type: 'error',
      code: 'bad_request',
    });

    for (let tries = 0; ; tries++) {
      const list = await api.get('/api/sessions', alice.token);
      const row = (list.body['sessions'] as { sessionId: string; tags: string[] }[]).find(
        (s) => s.sessionId === sessionId,
      );
      if ((row?.tags.includes('urgent') ?? false) || tries > 50) {
        expect(row?.tags).toEqual(['refund', 'urgent']);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const agents = await api.get('/api/agents', alice.token);
    expect(agents.body['agents']).toEqual(
      expect.arrayContaining([expect.objectContaining({ agentId: 'alice', name: 'Alice' })]),
    );
    await endAll(visitor.client);
  }, 30_000);
});
