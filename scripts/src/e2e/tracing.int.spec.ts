// One visitor message is one trace, end to end in embedded mode (in-process bus, PGlite): from the
// frame the gateway received, through the command, the append, the relay's send and the consumers,
// to the frame written to the agent's socket, each span a child of the one before.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { loadConfig, silentLogger, startTracing, type Tracing } from '@cschat/infra';
import { Client, http } from '../../../test-support/clients';
import { waitFor } from '../../../test-support/wait';
import { createApp, type App } from '../app';

describe('tracing: one visitor message, one trace (embedded mode)', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;
  let dataDir: string;
  let app: App;
  const clients: Client[] = [];

  beforeAll(async () => {
    tracing = await startTracing({ serviceName: 'cschat-test', to: { exporter } });
    dataDir = mkdtempSync(path.join(tmpdir(), 'cschat-tracing-'));
    app = createApp(loadConfig({ DATA_DIR: dataDir, PORT: '0' }), silentLogger());
    await app.start();
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await app.stop();
    await tracing.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('links the gateway frame, command, append, relay, consumers and the agent socket frame in one trace', async () => {
    const port = app.frontDoor!.port;
    const api = http(`http://127.0.0.1:${port}`);
    const login = await api.post('/api/agents/login', { companyId: 'demo', username: 'alice', password: 'demo' });
    const alice = await Client.open(`ws://127.0.0.1:${port}/ws/agent?token=${String(login.body['token'])}`);
    clients.push(alice);
    await alice.next((f) => f.type === 'session.list', 'the initial session.list');
    expect(await alice.request({ type: 'agent.status', status: 'idle' })).toMatchObject({ type: 'ack' });
    const visitorLogin = await api.post('/api/visitors/login', { companyId: 'demo' });
    const visitor = await Client.open(`ws://127.0.0.1:${port}/ws/visitor?token=${String(visitorLogin.body['token'])}`);
    clients.push(visitor);
    await visitor.request({ type: 'message.send', text: 'hello', clientMsgId: 'v-1' });
    expect(await visitor.request({ type: 'human.request' })).toMatchObject({ state: 'assigned', agentId: 'alice' });

    // A consumer batch that carries several traces runs its work in a root span of its own (linked
    // to each), so the assignment's events must be processed before the message is sent, or they can
    // share a batch with it: wait until no span has ended for half a second.
    await waitFor('the assignment to settle', async () => {
      const before = exporter.getFinishedSpans().length;
      await new Promise((resolve) => setTimeout(resolve, 500));
      return exporter.getFinishedSpans().length === before ? true : undefined;
    });
    exporter.reset();
    const text = 'my order number is 12345';
    expect(await visitor.request({ type: 'message.send', text, clientMsgId: 'v-2' })).toMatchObject({ type: 'ack' });
    await alice.next((f) => f.type === 'message' && f['text'] === text, 'the message at the agent');

    // The frame to the agent's socket is marked as it is written; the projector's span may end later.
    const spans = await waitFor('the spans of the message', async () => {
      const finished = exporter.getFinishedSpans();
      const received = finished.find((s) => s.name === 'ws receive message.send');
      if (received === undefined) return undefined;
      const trace = finished.filter((s) => s.spanContext().traceId === received.spanContext().traceId);
      const toAgent = trace.find(
        (s) => s.name === 'ws send message' && s.attributes['cschat.principal.kind'] === 'agent',
      );
      const projected = trace.find(
        (s) => s.name === 'process events' && s.attributes['messaging.consumer.group.name'] === 'projector',
      );
      const row = trace.find((s) => s.name === 'ws send session.update');
      return toAgent === undefined || projected === undefined || row === undefined
        ? undefined
        : { received, trace, toAgent, projected, row };
    });
    const { received, trace, toAgent, projected, row } = spans;
    const byId = new Map(trace.map((s) => [s.spanContext().spanId, s]));
    const ancestry = (span: ReadableSpan): string[] => {
      const names: string[] = [];
      for (let s: ReadableSpan | undefined = span; s !== undefined;) {
        names.push(s.name);
        const parent: string | undefined = s.parentSpanContext?.spanId;
        s = parent === undefined ? undefined : byId.get(parent);
        if (parent !== undefined && s === undefined) names.push(`(missing parent ${parent})`);
      }
      return names.reverse();
    };
    // The root: the frame the gateway received.
    expect(received.parentSpanContext).toBeUndefined();
    expect(ancestry(toAgent)).toEqual([
      'ws receive message.send',
      'command PostMessage',
      'append',
      'send events',
      'process events',
      'ws send message',
    ]);
    expect(ancestry(projected)).toEqual([
      'ws receive message.send',
      'command PostMessage',
      'append',
      'send events',
      'process events',
    ]);
    // The projector's news that the agent's list changed goes on in the same trace, to the row pushed.
    expect(ancestry(row)).toEqual([
      'ws receive message.send',
      'command PostMessage',
      'append',
      'send events',
      'process events',
      'send session-list-changes',
      'process session-list-changes',
      'ws send session.update',
    ]);
    const sent = byId.get(projected.parentSpanContext!.spanId)!;
    expect(sent.attributes).toMatchObject({
      'messaging.system': 'cschat.in_process',
      'messaging.destination.name': 'events',
      'messaging.operation.type': 'send',
    });
    expect(projected.attributes).toMatchObject({ 'messaging.operation.type': 'process' });
    // The gateway's delivery consumed the same send.
    const delivered = byId.get(toAgent.parentSpanContext!.spanId)!;
    expect(delivered.parentSpanContext?.spanId).toBe(sent.spanContext().spanId);
    expect(String(delivered.attributes['messaging.consumer.group.name'])).toMatch(/^gateway-/);

    // No span of the trace holds the message's text (personal data): ids, types and counts only.
    const everything = JSON.stringify(
      trace.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status })),
    );
    expect(everything).not.toContain(text);
    expect(everything).not.toContain('12345');
  }, 90_000);
});
