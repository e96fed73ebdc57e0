// `npm run latency`: the time from a visitor's `message.send` to the agent's `message` frame,
// measured against a running service (a separate process, as a client would see it).
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '@cschat/infra';
import {
  connectIdleAgent,
  describeFailure,
  probeFrame,
  probeOf,
  startAssignedSession,
  type ChatSocket,
} from './bench/chat';
import { summarize } from './bench/stats';

const HELP = `Usage: npm run latency -- [--url http://localhost:$PORT] [--visitor-url URL] [--messages 1000]
                          [--company demo] [--agent alice] [--password demo] [--rate 10]

Against a running service (npm start): logs in the agent and a new visitor of the company,
makes the agent idle, asks for a human, then sends the messages one after another, at most
--rate a second (the gateway refuses a socket's frames beyond 20 a second), and prints the
median, p99 and maximum of the time from each message.send to the agent's message frame.

  --url          the service (default http://localhost:$PORT, PORT as for npm start: 8080)
  --visitor-url  the visitor connects to this gateway instead, so every message crosses the bus
  --messages     how many messages (default 1000)
  --company, --agent, --password   whose agent answers (default demo, alice, demo)
  --rate         messages a second, at most 20 (default 10)
  -h, --help     this text

Exit codes: 0 done, 1 failed (the service unreachable, a login refused, a message lost),
2 bad arguments.
`;

/** The service's base URL from a flag, or undefined with the reason on stderr. */
const baseUrl = (flag: string, value: string): string | undefined => {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    process.stderr.write(`latency: ${flag} is not a URL: "${value}"\n`);
    return undefined;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    process.stderr.write(`latency: ${flag} must start with http:// or https://, got "${value}"\n`);
    return undefined;
  }
  return value.replace(/\/+$/, '');
};

/** Undefined when GET /healthz answers 200; otherwise what to tell the user. */
const unreachable = async (base: string): Promise<string | undefined> => {
  try {
    const response = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5_000) });
    await response.body?.cancel();
    return response.status === 200
      ? undefined
      : `${base}/healthz answered HTTP ${response.status}: is this the service?`;
  } catch (error) {
    return `cannot reach the service at ${base}: is it running? (npm start) [${describeFailure(error)}]`;
  }
};

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
  let port: number;
  try {
    port = loadConfig().port;
  } catch (error) {
    process.stderr.write(`latency: ${(error as Error).message}\n`);
    return error instanceof ConfigError ? 2 : 1;
  }
  const base = baseUrl('--url', values.url ?? `http://localhost:${port}`);
  const visitorBase = values['visitor-url'] === undefined ? base : baseUrl('--visitor-url', values['visitor-url']);
  if (base === undefined || visitorBase === undefined) return 2;
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
  for (const url of new Set([base, visitorBase])) {
    const problem = await unreachable(url);
    if (problem !== undefined) {
      process.stderr.write(`latency: ${problem}\n`);
      return 1;
    }
  }
  const companyId = values.company ?? 'demo';
  const sockets: ChatSocket[] = [];
  const latencies: number[] = [];
  try {
    const agent = await connectIdleAgent(base, {
      companyId,
      username: values.agent ?? 'alice',
      password: values.password ?? 'demo',
    });
    sockets.push(agent);
    const { visitor } = await startAssignedSession(visitorBase, companyId);
    sockets.push(visitor);
    agent.keepFrames = false;
    visitor.keepFrames = false;

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
  } finally {
    // Open sockets would keep the process alive after a failure.
    for (const socket of sockets) socket.close();
  }
  const s = summarize(latencies);
  process.stdout.write(
    `${count} messages: median ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, max ${s.max.toFixed(1)} ms\n`,
  );
  return 0;
};

/** Sends probe `seq` from the visitor; resolves when the agent's socket delivers it. */
const deliver = (visitor: ChatSocket, agent: ChatSocket, seq: number): Promise<void> =>
  new Promise((resolve, reject) => {
    if (!visitor.open || !agent.open) {
      reject(
        new Error(
          `the ${visitor.open ? 'agent' : 'visitor'}'s socket closed before message ${seq}: did the service stop?`,
        ),
      );
      return;
    }
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
