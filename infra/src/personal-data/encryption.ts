// Personal fields encrypted at the event store's boundary: the domain stays pure and its codecs
// synchronous, and only what the store (and the bus, which carries what the store holds) keeps is
// ciphertext. `encryptingEventStore` seals on append and opens on every read; `decryptingBus`
// opens the events its consumers take from the bus.
//
// The subject (whose key) of an event: its `visitorId` when it has one; otherwise, on a session's
// stream, the visitor of the session's first event (SessionStarted), remembered per stream.
//
// Events written before this change hold their personal fields as plain values (no envelope): they
// read as they are, unless their subject was erased, then as ERASED like the sealed ones (the
// stored plain rows remain in the store's tables: the erasure is logical for them).
import type { Bus, DeliveredMessage } from '../bus/port';
import type { EventStore, NewEvent, RecordedEvent, Subscription } from '../event-store/port';
import { EVENTS_TOPIC, fromBusMessage, toBusMessage } from '../relay/envelope';
import { isEnvelope, open, PersonalDataError, seal } from './cipher';
import {
  pathSteps,
  PERSONAL_COMMAND_FIELDS,
  PERSONAL_EVENT_FIELDS,
  type ErasedAs,
  type PersonalFields,
} from './fields';
import { ERASED, type DataKey, type DataSubject, type KeyStore } from './port';

export { PersonalDataError } from './cipher';

const OMIT = Symbol('omit');
type Leaf = (value: unknown, path: string, erasedAs: ErasedAs) => Promise<unknown>;

const erasedValue = (as: ErasedAs): unknown => (as === 'text' ? ERASED : as === 'empty' ? {} : OMIT);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The value with the leaf at `steps` replaced (OMIT: removed); unchanged where the path is absent. */
const mapAt = async (
  value: unknown,
  steps: readonly string[],
  leaf: (value: unknown) => Promise<unknown>,
): Promise<unknown> => {
  if (steps.length === 0) return leaf(value);
  const [step, ...rest] = steps as [string, ...string[]];
  if (step === '[]') {
    return Array.isArray(value) ? Promise.all(value.map((element) => mapAt(element, rest, leaf))) : value;
  }
  if (!isRecord(value) || value[step] === undefined) return value;
  const next = await mapAt(value[step], rest, leaf);
  const copy = { ...value };
  if (next === OMIT) delete copy[step];
  else copy[step] = next;
  return copy;
};

const mapFields = async (
  data: Record<string, unknown>,
  fields: PersonalFields,
  leaf: Leaf,
): Promise<Record<string, unknown>> => {
  let result: unknown = data;
  for (const [path, erasedAs] of Object.entries(fields)) {
    result = await mapAt(result, pathSteps(path), (value) => leaf(value, path, erasedAs));
  }
  return result as Record<string, unknown>;
};

const hasPersonal = (data: Record<string, unknown>, fields: PersonalFields): boolean =>
  Object.keys(fields).some((path) => data[pathSteps(path)[0]!] !== undefined);

/** Streams whose visitor is remembered; the least recently learnt are forgotten first. */
const STREAMS_KEPT = 50_000;

export interface PersonalDataOptions {
  /** Reads a stream's first event, where a session's visitor is named (the store without this layer). */
  readonly firstEvent: (streamId: string) => Promise<RecordedEvent | undefined>;
}

/** Seals and opens the personal fields of events with the keys of a KeyStore. */
export class PersonalData {
  private readonly visitors = new Map<string, string>();

  constructor(
    readonly keys: KeyStore,
    private readonly options: PersonalDataOptions,
  ) {}

  private learn(streamId: string, visitorId: string): void {
    if (this.visitors.has(streamId)) return;
    this.visitors.set(streamId, visitorId);
    if (this.visitors.size > STREAMS_KEPT) this.visitors.delete(this.visitors.keys().next().value!);
  }

  /** The subject of an event of `streamId` with `data`; `batch`: events appended with it. */
  private async subjectOf(
    streamId: string,
    data: Record<string, unknown>,
    batch: readonly { readonly type: string; readonly data: Record<string, unknown> }[] = [],
  ): Promise<DataSubject | undefined> {
    const companyId = data['companyId'];
    if (typeof companyId !== 'string') return undefined;
    const own = data['visitorId'];
    if (typeof own === 'string') return { companyId, visitorId: own };
    if (!streamId.startsWith('session-')) return undefined;
    const known = this.visitors.get(streamId);
    if (known !== undefined) return { companyId, visitorId: known };
    const started =
      batch.find((e) => e.type === 'SessionStarted')?.data ?? (await this.options.firstEvent(streamId))?.data;
    const visitorId = started?.['visitorId'];
    if (typeof visitorId !== 'string') return undefined;
    this.learn(streamId, visitorId);
    return { companyId, visitorId };
  }

  private async sealFields(
    what: string,
    streamId: string,
    data: Record<string, unknown>,
    fields: PersonalFields | undefined,
    batch?: readonly { readonly type: string; readonly data: Record<string, unknown> }[],
  ): Promise<Record<string, unknown>> {
    if (fields === undefined || !hasPersonal(data, fields)) return data;
    const subject = await this.subjectOf(streamId, data, batch);
    // Fail closed: personal data whose visitor is unknown is not written in the clear.
    if (subject === undefined) throw new PersonalDataError(`${what} on ${streamId}: no visitor to encrypt it for`);
    const key = await this.keys.keyFor(subject);
    return mapFields(data, fields, async (value, path, erasedAs) =>
      isEnvelope(value) ? value : key === 'erased' ? erasedValue(erasedAs) : seal(key, path, value),
    );
  }

  private async openFields(
    what: string,
    streamId: string,
    data: Record<string, unknown>,
    fields: PersonalFields | undefined,
  ): Promise<Record<string, unknown>> {
    if (fields === undefined || !hasPersonal(data, fields)) return data;
    let erased: Promise<boolean> | undefined;
    const subjectErased = (): Promise<boolean> =>
      (erased ??= this.subjectOf(streamId, data).then((subject) =>
        subject === undefined ? false : this.keys.isErased(subject),
      ));
    return mapFields(data, fields, async (value, path, erasedAs) => {
      if (!isEnvelope(value)) return (await subjectErased()) ? erasedValue(erasedAs) : value;
      const key: DataKey | undefined = await this.keys.keyById(value.k);
      if (key === undefined) return erasedValue(erasedAs);
      try {
        return open(key, path, value);
      } catch (error) {
        throw new PersonalDataError(`${what}: ${(error as Error).message}`);
      }
    });
  }

  /** A workflow's step records its input event and refused commands: their personal fields too. */
  private async workflowStep(
    data: Record<string, unknown>,
    one: (
      streamId: string,
      data: Record<string, unknown>,
      fields: PersonalFields | undefined,
    ) => Promise<Record<string, unknown>>,
  ): Promise<Record<string, unknown>> {
    let result = data;
    const input = data['input'];
    if (isRecord(input) && typeof input['streamId'] === 'string' && typeof input['type'] === 'string') {
      const inner = input['data'];
      if (isRecord(inner)) {
        result = {
          ...result,
          input: { ...input, data: await one(input['streamId'], inner, PERSONAL_EVENT_FIELDS[input['type']]) },
        };
      }
    }
    const refusals = data['refusals'];
    if (Array.isArray(refusals)) {
      result = {
        ...result,
        refusals: await Promise.all(
          refusals.map(async (refusal: unknown) => {
            if (!isRecord(refusal) || !isRecord(refusal['command'])) return refusal;
            const command = refusal['command'];
            const origin = command['origin'];
            // A command's subject: its visitor, its origin's, or its session's.
            const subjectData = {
              ...command,
              ...(command['visitorId'] === undefined && isRecord(origin) ? { visitorId: origin['visitorId'] } : {}),
            };
            const streamId = `session-${String(command['companyId'])}-${String(command['sessionId'])}`;
            const fields = typeof command['type'] === 'string' ? PERSONAL_COMMAND_FIELDS[command['type']] : undefined;
            const done = await one(streamId, subjectData, fields);
            const { visitorId: _added, ...rest } = done;
            return { ...refusal, command: command['visitorId'] === undefined ? rest : done };
          }),
        ),
      };
    }
    return result;
  }

  /** The event as it is stored: its personal fields sealed (ERASED when its subject was erased). */
  async sealEvent(streamId: string, event: NewEvent, batch: readonly NewEvent[]): Promise<NewEvent> {
    const what = `${event.type} on ${streamId}`;
    const data =
      event.type === 'WorkflowStepRecorded'
        ? await this.workflowStep(event.data, (s, d, f) => this.sealFields(what, s, d, f))
        : await this.sealFields(what, streamId, event.data, PERSONAL_EVENT_FIELDS[event.type], batch);
    return data === event.data ? event : { ...event, data };
  }

  /** The event as it reads: its personal fields opened, or ERASED when its subject's key is gone. */
  async openEvent(recorded: RecordedEvent): Promise<RecordedEvent> {
    const what = `${recorded.streamId}@${recorded.revision}`;
    if (recorded.type === 'SessionStarted' && typeof recorded.data['visitorId'] === 'string') {
      this.learn(recorded.streamId, recorded.data['visitorId']);
    }
    const data =
      recorded.type === 'WorkflowStepRecorded'
        ? await this.workflowStep(recorded.data, (s, d, f) => this.openFields(what, s, d, f))
        : await this.openFields(what, recorded.streamId, recorded.data, PERSONAL_EVENT_FIELDS[recorded.type]);
    return data === recorded.data ? recorded : { ...recorded, data };
  }

  async openEvents(events: readonly RecordedEvent[]): Promise<RecordedEvent[]> {
    const opened: RecordedEvent[] = [];
    for (const event of events) opened.push(await this.openEvent(event));
    return opened;
  }
}

/** The store with the personal fields of its events sealed on append and opened on every read. */
export const encryptingEventStore = (
  inner: EventStore,
  keys: KeyStore,
): EventStore & { personalData: PersonalData } => {
  const personalData = new PersonalData(keys, {
    firstEvent: async (streamId) => (await inner.readStream(streamId, { maxCount: 1 }))[0],
  });
  return {
    personalData,
    start: async () => {
      await keys.start();
      await inner.start();
    },
    stop: () => inner.stop(),
    append: async (streamId, events, expectedRevision) =>
      inner.append(
        streamId,
        await Promise.all(events.map((event) => personalData.sealEvent(streamId, event, events))),
        expectedRevision,
      ),
    readStream: async (streamId, options) => personalData.openEvents(await inner.readStream(streamId, options)),
    readAll: async (options) => personalData.openEvents(await inner.readAll(options)),
    lastPosition: () => inner.lastPosition(),
    subscribe: (options): Subscription => {
      const subscription = inner.subscribe(options);
      return {
        stop: () => subscription.stop(),
        [Symbol.asyncIterator]: async function* () {
          for await (const event of subscription) yield await personalData.openEvent(event);
        },
      };
    },
  };
};

/** Event types with personal fields: the bus messages of other types pass through untouched. */
const SEALED_TYPES = new Set([
  ...Object.entries(PERSONAL_EVENT_FIELDS)
    .filter(([, fields]) => Object.keys(fields).length > 0)
    .map(([type]) => type),
  'WorkflowStepRecorded',
]);

/**
 * The bus with the events its consumers take opened (the relay publishes what the store holds:
 * ciphertext, so the topics keep no plaintext and an erasure reaches them too). Other topics, and
 * messages that are not events, pass through as they are.
 */
export const decryptingBus = (inner: Bus, personalData: PersonalData): Bus => {
  const openMessage = async (message: DeliveredMessage): Promise<DeliveredMessage> => {
    const type = message.headers?.['event-type'];
    if (message.topic !== EVENTS_TOPIC || (type !== undefined && !SEALED_TYPES.has(type))) return message;
    const recorded = fromBusMessage(message.value);
    if (recorded._tag === 'Left') return message;
    const opened = await personalData.openEvent(recorded.right);
    return opened === recorded.right ? message : { ...message, value: toBusMessage(opened).value };
  };
  return {
    start: () => inner.start(),
    stop: () => inner.stop(),
    publish: (topic, messages) => inner.publish(topic, messages),
    consume: (options) =>
      options.topic !== EVENTS_TOPIC
        ? inner.consume(options)
        : options.handleBatch !== undefined
          ? inner.consume({
              ...options,
              handleBatch: async (messages) => options.handleBatch(await Promise.all(messages.map(openMessage))),
            })
          : inner.consume({ ...options, handle: async (message) => options.handle(await openMessage(message)) }),
    ...(inner.drained === undefined ? {} : { drained: (topic: string) => inner.drained!(topic) }),
  };
};
