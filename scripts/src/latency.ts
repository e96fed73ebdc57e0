// `npm run latency`: the time from a visitor's `message.send` to the agent's `message` frame,
// measured against a running service (a separate process, as a client would see it).
import { parseArgs } from 'node:util';
import { connectIdleAgent, probeFrame, probeOf, startAssignedSession, type ChatSocket } from './bench/chat';
import { summarize } from './bench/stats';

const HELP = `Usage: npm run latency -- [--url http://localhost:8080] [--visitor-url URL] [--messages 1000]
                          [--company demo] [--agent alice] [--password demo] [--rate 10]

Logs in the agent and a new visitor of the company, makes the agent idle, asks for a human,
then sends the messages one after another, at most --rate a second (the gateway refuses a
socket's frames beyond 20 a second), and prints the median, p99 and maximum of the time
from each message.send to the agent's message frame. With --visitor-url the visitor connects
to another gateway than the agent (--url), so every message crosses the bus. Exit codes: 0 done, 1 failed, 2 bad
arguments.
`;

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
  const agent = await connectIdleAgent(base, {
    companyId,
    username: values.agent ?? 'alice',
    password: values.password ?? 'demo',
  });
  const { visitor } = await startAssignedSession(values['visitor-url'] ?? base, companyId);
  agent.keepFrames = false;
  visitor.keepFrames = false;

  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await deliver(visitor, agent, i);
    latencies.push(performance.now() - started);
    if (process.env['LATENCY_TRACE'] === '1')
      process.stderr.write(`${i}: ${(performance.now() - started).toFixed(1)} ms\n`);
    const wait = 1000 / rate - (performance.now() - started);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  agent.onRaw(undefined);
  await visitor.request({ type: 'session.end' });
  agent.close();
  visitor.close();
  const s = summarize(latencies);
  process.stdout.write(
    `${count} messages: median ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, max ${s.max.toFixed(1)} ms\n`,
  );
  return 0;
};

/** Sends probe `seq` from the visitor; resolves when the agent's socket delivers it. */
const deliver = (visitor: ChatSocket, agent: ChatSocket, seq: number): Promise<void> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`message ${seq} did not reach the agent within 10 s`)), 10_000);
    agent.onRaw((raw) => {
      if (probeOf(raw) !== seq) return;
      clearTimeout(timer);
      resolve();
    });
    visitor.send(probeFrame(seq));
  });

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`latency: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
