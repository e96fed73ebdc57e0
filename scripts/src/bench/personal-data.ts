// What sealing personal fields costs one chat message, in CPU, beside what the message costs anyway:
// a visitor's MessagePosted is sealed once (append) and opened by each reader (the command handler's
// stream read, the projector, the delivery, the webhook outbox: READERS), against the baseline of the
// same event serialised and parsed as many times (the JSON the store and the bus already do). Keys come
// from memory here (the SQL key store caches them for KEY_CACHE_MS, so a chat pays a key read at most
// once per visitor per 2 s). Prints microseconds per message for both and the difference.
//   npx tsx scripts/src/bench/personal-data.ts
import { randomUUID } from 'node:crypto';
import { InMemoryKeyStore, PersonalData, type NewEvent, type RecordedEvent } from '@cschat/infra';

const MESSAGES = 20_000;
const READERS = 4;
const ROUNDS = 5;

const keys = new InMemoryKeyStore();
const personalData = new PersonalData(keys, { firstEvent: async () => undefined });
const companyId = 'demo';
const visitorId = 'v-bench';

const eventOf = (i: number): NewEvent => ({
  eventId: randomUUID(),
  type: 'MessagePosted',
  data: {
    companyId,
    sessionId: 's-bench',
    visitorId,
    messageId: `m-${i}`,
    clientMsgId: `c-${i}`,
    from: { role: 'visitor', id: visitorId },
    text: `Hello, I would like to ask about my order number ${i}, it has not arrived yet.`,
    at: new Date(0).toISOString(),
  },
});

const recordedOf = (event: NewEvent, i: number): RecordedEvent => ({
  streamId: 'session-demo-s-bench',
  revision: BigInt(i),
  position: { commit: BigInt(i), prepare: BigInt(i) },
  eventId: event.eventId!,
  type: event.type,
  data: event.data,
  metadata: {},
  recordedAt: new Date(0),
});

/** The work every message does anyway: written as JSON once, read back READERS times. */
const plain = async (): Promise<number> => {
  const started = process.cpuUsage();
  for (let i = 0; i < MESSAGES; i++) {
    const stored = JSON.stringify(eventOf(i).data);
    for (let r = 0; r < READERS; r++) JSON.parse(stored);
  }
  const used = process.cpuUsage(started);
  return (used.user + used.system) / MESSAGES;
};

/** The same with the text sealed before it is written and opened by every reader. */
const sealed = async (): Promise<number> => {
  const started = process.cpuUsage();
  for (let i = 0; i < MESSAGES; i++) {
    const event = eventOf(i);
    const sealedEvent = await personalData.sealEvent('session-demo-s-bench', event, [event]);
    const stored = JSON.stringify(sealedEvent.data);
    for (let r = 0; r < READERS; r++)
      await personalData.openEvent(
        recordedOf({ ...sealedEvent, data: JSON.parse(stored) as Record<string, unknown> }, i),
      );
  }
  const used = process.cpuUsage(started);
  return (used.user + used.system) / MESSAGES;
};

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const main = async (): Promise<void> => {
  await plain();
  await sealed();
  const base: number[] = [];
  const withSeal: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    base.push(await plain());
    withSeal.push(await sealed());
  }
  const b = median(base);
  const s = median(withSeal);
  console.log(`messages per round: ${MESSAGES}, readers per message: ${READERS}, rounds: ${ROUNDS}`);
  console.log(`plain JSON (baseline):   ${b.toFixed(1)} µs CPU per message`);
  console.log(`sealed and opened:       ${s.toFixed(1)} µs CPU per message`);
  console.log(
    `cost of the encryption:  ${(s - b).toFixed(1)} µs CPU per message (${(s / b).toFixed(1)}× the baseline)`,
  );
};

void main();
