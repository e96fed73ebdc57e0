// `npx tsx scripts/src/bench/tracing-cost.ts`: what tracing costs a chat message in this process's
// CPU, off and on, measured in the same run. The work is the tracing a visitor's message gets on
// its way (frame, command and append spans, the trace context in the event's metadata, the relay's
// send span, the consumer span, the socket frame's span) around an in-process bus, without the
// store's or the socket's I/O, so that the difference is the tracing alone.
import { parseArgs } from 'node:util';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import {
  InProcessBus,
  inSpan,
  markSpan,
  SpanKind,
  startTracing,
  toBusMessage,
  tracedBus,
  traceMetadata,
  type EventMetadata,
} from '@cschat/infra';

const HELP = `Usage: npx tsx scripts/src/bench/tracing-cost.ts [--messages 20000] [--rounds 3]

Sends --messages chat messages' worth of tracing work (the spans and trace context a visitor's
message gets from the gateway's frame to the agent's socket, around an in-process bus, without the
store's and socket's I/O) with tracing off, then on (every span exported to an exporter that drops
it), --rounds times each, alternating, and prints the CPU microseconds per message of each round
and the medians. Timings on a shared machine vary: compare the two in one run.

  --messages  messages per round (default 20000)
  --rounds    rounds of each (default 3)
  -h, --help  this text
`;

/** Takes every span and keeps none: the cost of making and ending spans, not of sending them. */
const dropping: SpanExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: async () => undefined,
};

const ATTRIBUTES = () => ({ 'cschat.frame.type': 'message.send', 'cschat.company.id': 'demo' });

/** One round: the messages' tracing work, awaited message by message; CPU µs per message. */
const round = async (messages: number): Promise<number> => {
  const bus = tracedBus(new InProcessBus(), 'cschat.in_process');
  let consumed = 0;
  let done: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (done = resolve));
  const consumer = await bus.consume({
    topic: 'events',
    groupId: 'bench',
    handle: async () => {
      markSpan('ws send message', SpanKind.PRODUCER, ATTRIBUTES);
      if (++consumed === messages) done();
    },
  });
  const started = process.cpuUsage();
  for (let i = 0; i < messages; i++) {
    let metadata: EventMetadata = {};
    await inSpan('ws receive message.send', { kind: SpanKind.SERVER, attributes: ATTRIBUTES }, () =>
      inSpan('command PostMessage', { kind: SpanKind.INTERNAL, attributes: ATTRIBUTES }, () =>
        inSpan('append', { kind: SpanKind.CLIENT, attributes: ATTRIBUTES }, async () => {
          metadata = { ...traceMetadata() };
        }),
      ),
    );
    // The relay's part: the stored event, published with its trace context in the headers.
    await bus.publish('events', [
      toBusMessage({
        streamId: 'session-demo-1',
        revision: BigInt(i),
        position: { commit: BigInt(i), prepare: BigInt(i) },
        eventId: '6f1c1c9e-8a57-4a8e-9d38-0d8d7f0f6d11',
        type: 'MessagePosted',
        data: { sessionId: '1' },
        metadata,
        recordedAt: new Date(0),
      }),
    ]);
  }
  await all;
  const used = process.cpuUsage(started);
  await consumer.stop();
  return (used.user + used.system) / messages;
};

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const main = async (): Promise<void> => {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: '20000' },
      rounds: { type: 'string', default: '3' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(HELP);
    return;
  }
  const messages = Number(values.messages);
  const rounds = Number(values.rounds);
  if (!Number.isInteger(messages) || messages < 1 || !Number.isInteger(rounds) || rounds < 1) {
    process.stderr.write('tracing-cost: --messages and --rounds must be whole numbers from 1\n');
    process.exit(2);
  }
  await round(Math.min(messages, 2000)); // warm-up
  const off: number[] = [];
  const on: number[] = [];
  for (let r = 0; r < rounds; r++) {
    off.push(await round(messages));
    const tracing = await startTracing({ serviceName: 'cschat-bench', to: { exporter: dropping } });
    on.push(await round(messages));
    await tracing.stop();
  }
  const line = (name: string, values: readonly number[]) =>
    `| ${name} | ${values.map((v) => v.toFixed(1)).join(' / ')} | ${median(values).toFixed(1)} |`;
  process.stdout.write(
    [
      `${messages} messages a round, CPU µs per message (user + system)`,
      '',
      '| tracing | rounds | median |',
      '| --- | --- | --- |',
      line('off', off),
      line('on (6 spans, dropped)', on),
      '',
    ].join('\n'),
  );
};

main().catch((error: unknown) => {
  process.stderr.write(`tracing-cost: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
