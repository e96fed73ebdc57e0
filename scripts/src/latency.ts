// `npm run latency`: the time from a visitor's `message.send` to the agent's `message` frame,
// measured against a running service (a separate process, as a client would see it).
import { parseArgs } from 'node:util';
import { Client, http } from '../../test-support/clients';

const HELP = `Usage: npm run latency -- [--url http://localhost:8080] [--visitor-url URL] [--messages 1000]
                          [--company demo] [--agent alice] [--password demo] [--rate 10]

Logs in the agent and a new visitor of the company, makes the agent idle, asks for a human,
then sends the messages one after another, at most --rate a second (the gateway refuses a
socket's frames beyond 20 a second), and prints the median, p99 and maximum of the time
from each message.send to the agent's message frame. With --visitor-url the visitor connects
to another gateway than the agent (--url), so every message crosses the bus. Exit codes: 0 done, 1 failed, 2 bad
arguments.
`;

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

const main = async (): Promise<number> => {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        url: { type: 'string' },
        'visitor-url': { type: 'string' },
        messages: { type: 'string' },
        company: { type: 'string' },
        agent: { type: 'string' },
        password: { type: 'string' },
        rate: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`latency: ${(error as Error).message}\n${HELP}`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(HELP);
    return 0;
  }
  const base = values.url ?? 'http://localhost:8080';
  const count = Number(values.messages ?? '1000');
  if (!Number.isInteger(count) || count < 1) {
    process.stderr.write('latency: --messages must be a positive whole number\n');
    return 2;
  }
  const rate = Number(values.rate ?? '10');
  if (!(rate > 0 && rate <= 20)) {
    process.stderr.write('latency: --rate must be above 0 and at most 20 (the gateway limit per socket)\n');
    return 2;
  }
  const companyId = values.company ?? 'demo';
  const api = http(base);
  const ws = base.replace(/^http/, 'ws');
  const agentLogin = await api.post('/api/agents/login', {
    companyId,
    username: values.agent ?? 'alice',
    password: values.password ?? 'demo',
  });
  if (agentLogin.status !== 200) throw new Error(`agent login: ${agentLogin.status}`);
  const agent = await Client.open(`${ws}/ws/agent?token=${String(agentLogin.body['token'])}`);
  await agent.request({ type: 'agent.status', status: 'idle' });
  const visitorBase = values['visitor-url'] ?? base;
  const visitorLogin = await http(visitorBase).post('/api/visitors/login', { companyId });
  if (visitorLogin.status !== 200) throw new Error(`visitor login: ${visitorLogin.status}`);
  const visitor = await Client.open(
    `${visitorBase.replace(/^http/, 'ws')}/ws/visitor?token=${String(visitorLogin.body['token'])}`,
  );
  const human = await visitor.request({ type: 'human.request' });
  // A gateway without the worker role answers queued; the routing reactor assigns a moment later.
  if (human['state'] === 'queued') {
    await visitor.next((f) => f.type === 'session.state' && f['state'] === 'assigned', 'the assignment');
  } else if (human['state'] !== 'assigned') {
    throw new Error(`the visitor was not assigned: ${JSON.stringify(human)}`);
  }

  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const text = `latency probe ${i}`;
    const started = performance.now();
    visitor.send({ type: 'message.send', text, clientMsgId: `probe-${i}-${Date.now()}` });
    await agent.next((f) => f.type === 'message' && f['text'] === text, 'the message at the agent');
    latencies.push(performance.now() - started);
    if (process.env['LATENCY_TRACE'] === '1')
      process.stderr.write(`${i}: ${(performance.now() - started).toFixed(1)} ms\n`);
    agent.frames.length = 0;
    visitor.frames.length = 0;
    const wait = 1000 / rate - (performance.now() - started);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  await visitor.request({ type: 'session.end' });
  agent.close();
  visitor.close();
  const sorted = [...latencies].sort((a, b) => a - b);
  process.stdout.write(
    `${count} messages: median ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, ` +
      `max ${sorted[sorted.length - 1]!.toFixed(1)} ms\n`,
  );
  return 0;
};

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`latency: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
