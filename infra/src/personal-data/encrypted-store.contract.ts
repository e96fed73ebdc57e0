// What the encrypting decorator promises over a real event store (PGlite, PostgreSQL): the store's
// own tables hold personal data only as ciphertext, every read opens it, and an erasure makes every
// read say ERASED while the events still decode.
import { randomUUID } from 'node:crypto';
import { isRight } from 'fp-ts/Either';
import { decodeDomainEvent } from '../events';
import type { EventStore, NewEvent, RecordedEvent } from '../event-store/port';
import { encryptingEventStore } from './encryption';
import { ERASED, type KeyStore } from './port';

export interface EncryptedStoreFixture {
  /** The store without the decorator (an empty schema of its own). */
  readonly inner: EventStore;
  readonly keys: KeyStore;
  /** Every event's data as the store's table holds it, as text. */
  readonly rawData: () => Promise<string[]>;
  readonly dispose: () => Promise<void>;
}

const at = '2026-12-05T10:00:00.000Z';
export const sessionStarted = (sessionId: string, visitorId: string, visitorName: string): NewEvent => ({
  type: 'SessionStarted',
  data: { v: 1, companyId: 'acme', sessionId, at, visitorId, channel: 'web', groupId: 'g1', visitorName },
});
export const messagePosted = (sessionId: string, text: string, fileName = 'file.pdf'): NewEvent => ({
  type: 'MessagePosted',
  data: {
    v: 1,
    companyId: 'acme',
    sessionId,
    at,
    messageId: randomUUID(),
    from: { role: 'visitor' },
    text,
    attachments: [{ kind: 'file', mediaId: 'm1', name: fileName }],
  },
});

const texts = (events: readonly RecordedEvent[]): unknown[] =>
  events.filter((e) => e.type === 'MessagePosted').map((e) => e.data['text']);

const decodes = (events: readonly RecordedEvent[]): boolean =>
  events.every((e) => {
    const decoded = decodeDomainEvent(e);
    return decoded !== undefined && isRight(decoded);
  });

export const encryptedStoreContract = (open: () => Promise<EncryptedStoreFixture>): void => {
  let f: EncryptedStoreFixture;
  let store: ReturnType<typeof encryptingEventStore>;
  beforeEach(async () => {
    f = await open();
    store = encryptingEventStore(f.inner, f.keys);
    await store.start();
  });
  afterEach(() => f.dispose());

  it('keeps the marker out of the store’s table and gives it back on every read', async () => {
    const marker = `MARKER-${randomUUID()}`;
    const stream = 'session-acme-s1';
    await store.append(stream, [sessionStarted('s1', 'v1', `Ann ${marker}`)], 'no_stream');
    await store.append(stream, [messagePosted('s1', `hello ${marker}`, `${marker}.pdf`)], 0n);
    const raw = await f.rawData();
    expect(raw).toHaveLength(2);
    expect(raw.join('\n')).not.toContain(marker);
    expect(raw.join('\n')).toContain('"$pd"');

    const read = await store.readStream(stream);
    expect(texts(read)).toEqual([`hello ${marker}`]);
    expect(read[0]!.data['visitorName']).toBe(`Ann ${marker}`);
    expect(decodes(read)).toBe(true);
    expect(texts(await store.readAll({ maxCount: 10 }))).toEqual([`hello ${marker}`]);
    const subscription = store.subscribe();
    const seen: RecordedEvent[] = [];
    for await (const event of subscription) {
      seen.push(event);
      if (seen.length === 2) break;
    }
    await subscription.stop();
    expect(texts(seen)).toEqual([`hello ${marker}`]);
  });

  it('after an erasure reads ERASED everywhere, and the events still decode', async () => {
    const stream = 'session-acme-s2';
    await store.append(stream, [sessionStarted('s2', 'v2', 'Bob'), messagePosted('s2', 'MARKER')], 'no_stream');
    await f.keys.erase({ companyId: 'acme', visitorId: 'v2' }, new Date());
    const read = await store.readStream(stream);
    expect(texts(read)).toEqual([ERASED]);
    expect(read[0]!.data['visitorName']).toBe(ERASED);
    expect(decodes(read)).toBe(true);
    expect(texts(await store.readAll({ maxCount: 10 }))).toEqual([ERASED]);
    // Written after the erasure: nothing readable is written either.
    await store.append(stream, [messagePosted('s2', 'MARKER-late')], 1n);
    expect((await f.rawData()).join('\n')).not.toContain('MARKER-late');
    expect(texts(await store.readStream(stream))).toEqual([ERASED, ERASED]);
  });

  it('reads events written before encryption as they are, and ERASED once their visitor is erased', async () => {
    const stream = 'session-acme-s3';
    // Written by the store itself, as before this change: plain values.
    await f.inner.append(
      stream,
      [sessionStarted('s3', 'v3', 'Old Name'), messagePosted('s3', 'old MARKER')],
      'no_stream',
    );
    expect(texts(await store.readStream(stream))).toEqual(['old MARKER']);
    // A new message of the same session is sealed (the visitor found in the stream's first event).
    await store.append(stream, [messagePosted('s3', 'new MARKER')], 1n);
    expect((await f.rawData()).join('\n')).not.toContain('new MARKER');
    await f.keys.erase({ companyId: 'acme', visitorId: 'v3' }, new Date());
    const read = await store.readStream(stream);
    expect(texts(read)).toEqual([ERASED, ERASED]);
    expect(read[0]!.data['visitorName']).toBe(ERASED);
    expect(decodes(read)).toBe(true);
    // The old rows themselves still hold the plain text: the erasure is logical for them.
    expect((await f.rawData()).join('\n')).toContain('old MARKER');
  });

  it('erases one visitor without touching another’s', async () => {
    await store.append('session-acme-a', [sessionStarted('a', 'va', 'A'), messagePosted('a', 'kept')], 'no_stream');
    await store.append('session-acme-b', [sessionStarted('b', 'vb', 'B'), messagePosted('b', 'gone')], 'no_stream');
    await f.keys.erase({ companyId: 'acme', visitorId: 'vb' }, new Date());
    expect(texts(await store.readAll({ maxCount: 10 }))).toEqual(['kept', ERASED]);
  });
};
