// The one contract of the outbound webhooks' store, run on PGlite and on PostgreSQL.
import type { WebhookStore, OutboxEvent } from './store';
import { deliveryIdOf } from './store';

export interface WebhookStoreFixture {
  readonly store: WebhookStore;
  /** A second store on the same tables, with its own connections (another worker process). */
  readonly other?: WebhookStore;
  dispose(): Promise<void>;
}

const event = (n: number, companyId = 'acme', kind: OutboxEvent['kind'] = 'session.ended'): OutboxEvent => ({
  eventId: `event-${n}`,
  companyId,
  kind,
  sessionId: `s-${n}`,
  createdAt: '2026-12-05T10:00:00.000Z',
  data: { sessionId: `s-${n}`, reason: 'agent' },
});

const T0 = new Date('2026-12-05T10:00:00.000Z');
const later = (ms: number): Date => new Date(T0.getTime() + ms);

export const webhookStoreContract = (
  open: () => Promise<WebhookStoreFixture>,
  { concurrentConnections }: { readonly concurrentConnections: boolean },
): void => {
  let fixture: WebhookStoreFixture;
  let store: WebhookStore;
  beforeEach(async () => {
    fixture = await open();
    store = fixture.store;
  });
  afterEach(() => fixture.dispose());

  const endpoint = (companyId = 'acme', events: OutboxEvent['kind'][] = ['session.ended'], enabled = true) =>
    store.create(companyId, { url: 'https://example.com/hook', events, enabled }, `whsec_${companyId}`);

  it('creates, lists, changes and deletes endpoints of a company, never showing the secret', async () => {
    const created = await endpoint('acme', ['session.ended', 'csat.submitted']);
    expect(created).toEqual({
      id: expect.stringMatching(/^wh-/) as unknown,
      url: 'https://example.com/hook',
      events: ['session.ended', 'csat.submitted'],
      enabled: true,
      createdAt: expect.any(String) as unknown,
      updatedAt: expect.any(String) as unknown,
    });
    expect(JSON.stringify(await store.list('acme'))).not.toContain('whsec_');
    expect(await store.list('acme')).toEqual([created]);
    expect(await store.list('other')).toEqual([]);
    const changed = await store.update('acme', created.id, { enabled: false, events: ['sla.breached'] });
    expect(changed).toMatchObject({ id: created.id, url: created.url, events: ['sla.breached'], enabled: false });
    expect(await store.update('other', created.id, { enabled: true })).toBeUndefined();
    expect(await store.rotateSecret('other', created.id, 'whsec_x')).toBe(false);
    expect(await store.rotateSecret('acme', created.id, 'whsec_new')).toBe(true);
    expect(await store.remove('other', created.id)).toBe(false);
    expect(await store.remove('acme', created.id)).toBe(true);
    expect(await store.list('acme')).toEqual([]);
    expect(await store.remove('acme', created.id)).toBe(false);
  });

  it('enqueues one row per event and enabled endpoint subscribed to its kind, once however often it comes', async () => {
    const ended = await endpoint('acme', ['session.ended']);
    const both = await endpoint('acme', ['session.ended', 'message.created']);
    await endpoint('acme', ['session.ended'], false);
    await endpoint('other', ['session.ended']);
    expect(await store.enqueue([event(1), event(2, 'acme', 'message.created')], T0)).toBe(3);
    // The same events again (the bus redelivered the batch): nothing new.
    expect(await store.enqueue([event(1), event(2, 'acme', 'message.created')], T0)).toBe(0);
    const log = await store.deliveries('acme', both.id, { limit: 10 });
    expect(log?.deliveries.map((d) => [d.id, d.event, d.eventId, d.status, d.attempts])).toEqual([
      [deliveryIdOf('event-2', both.id), 'message.created', 'event-2', 'pending', 0],
      [deliveryIdOf('event-1', both.id), 'session.ended', 'event-1', 'pending', 0],
    ]);
    expect((await store.deliveries('acme', ended.id, { limit: 10 }))?.deliveries).toHaveLength(1);
    expect(await store.deliveries('other', ended.id, { limit: 10 })).toBeUndefined();
  });

  it('gives due rows to one claim, with their body, URL and secret, counting the attempt', async () => {
    const created = await endpoint();
    await store.enqueue([event(1)], T0);
    const [claimed, ...rest] = await store.claim(10, T0, 30_000);
    expect(rest).toEqual([]);
    expect(claimed).toEqual({
      id: deliveryIdOf('event-1', created.id),
      companyId: 'acme',
      endpointId: created.id,
      kind: 'session.ended',
      url: 'https://example.com/hook',
      secret: 'whsec_acme',
      body: expect.any(String) as unknown,
      attempt: 1,
    });
    expect(JSON.parse(claimed!.body)).toEqual({
      id: claimed!.id,
      type: 'session.ended',
      createdAt: '2026-12-05T10:00:00.000Z',
      companyId: 'acme',
      data: { sessionId: 's-1', reason: 'agent' },
    });
    // Leased: nobody else takes it until the lease has passed.
    expect(await store.claim(10, later(29_000), 30_000)).toEqual([]);
    const again = await store.claim(10, later(30_000), 30_000);
    expect(again.map((d) => [d.id, d.attempt])).toEqual([[claimed!.id, 2]]);
    // The first holder's late answer is no longer this row's: it writes nothing.
    expect(
      await store.record(
        claimed!,
        { at: later(31_000).toISOString(), durationMs: 5, statusCode: 200 },
        { kind: 'delivered' },
      ),
    ).toBe(false);
  });

  it('records each attempt: a retry waits until its time, a 2xx is delivered once, the schedule spent is failed', async () => {
    const created = await endpoint();
    await store.enqueue([event(1), event(2)], T0);
    const first = await store.claim(1, T0, 30_000);
    expect(first).toHaveLength(1);
    const one = first[0]!;
    expect(
      await store.record(
        one,
        { at: T0.toISOString(), durationMs: 12, statusCode: 500, error: 'HTTP 500' },
        { kind: 'retry', at: later(10_000) },
      ),
    ).toBe(true);
    // The other row is due; this one is not before its time.
    const second = await store.claim(10, later(1_000), 30_000);
    expect(second.map((d) => d.id)).not.toContain(one.id);
    expect(await store.nextDue()).toEqual(later(10_000));
    await store.record(
      second[0]!,
      { at: later(1_000).toISOString(), durationMs: 3, error: 'connect ECONNREFUSED' },
      { kind: 'failed' },
    );
    const retried = await store.claim(10, later(10_000), 30_000);
    expect(retried.map((d) => [d.id, d.attempt])).toEqual([[one.id, 2]]);
    await store.record(
      retried[0]!,
      { at: later(10_000).toISOString(), durationMs: 7, statusCode: 204 },
      { kind: 'delivered' },
    );
    expect(await store.claim(10, later(1_000_000), 30_000)).toEqual([]);
    expect(await store.nextDue()).toBeUndefined();
    const log = await store.deliveries('acme', created.id, { limit: 10 });
    const byId = new Map(log!.deliveries.map((d) => [d.id, d]));
    expect(byId.get(one.id)).toEqual({
      id: one.id,
      endpointId: created.id,
      event: 'session.ended',
      eventId: 'event-1',
      sessionId: 's-1',
      status: 'delivered',
      attempts: 2,
      lastStatusCode: 204,
      deliveredAt: later(10_000).toISOString(),
      createdAt: T0.toISOString(),
      history: [
        { attempt: 1, at: T0.toISOString(), durationMs: 12, statusCode: 500, error: 'HTTP 500' },
        { attempt: 2, at: later(10_000).toISOString(), durationMs: 7, statusCode: 204 },
      ],
    });
    expect(byId.get(second[0]!.id)).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastError: 'connect ECONNREFUSED',
      history: [{ attempt: 1, error: 'connect ECONNREFUSED' }],
    });
  });

  it('pages the delivery log newest first with a cursor', async () => {
    const created = await endpoint();
    for (let n = 1; n <= 5; n++) await store.enqueue([event(n)], T0);
    const page1 = await store.deliveries('acme', created.id, { limit: 2 });
    expect(page1!.deliveries.map((d) => d.eventId)).toEqual(['event-5', 'event-4']);
    const page2 = await store.deliveries('acme', created.id, { limit: 2, cursor: page1!.nextCursor! });
    expect(page2!.deliveries.map((d) => d.eventId)).toEqual(['event-3', 'event-2']);
    const page3 = await store.deliveries('acme', created.id, { limit: 2, cursor: page2!.nextCursor! });
    expect(page3!.deliveries.map((d) => d.eventId)).toEqual(['event-1']);
    expect(page3!.nextCursor).toBeUndefined();
  });

  it("erases the personal texts in the bodies of a visitor's sessions, pending or sent, once", async () => {
    await endpoint('acme', ['message.created', 'csat.submitted', 'session.ended']);
    await endpoint('other', ['message.created']);
    const message = (n: number, sessionId: string, companyId = 'acme'): OutboxEvent => ({
      eventId: `message-${n}`,
      companyId,
      kind: 'message.created',
      sessionId,
      createdAt: '2026-12-05T10:00:00.000Z',
      data: {
        sessionId,
        messageId: `m-${n}`,
        from: { role: 'visitor', id: 'v-1' },
        text: 'my card is 4111',
        attachments: [{ kind: 'file', name: 'passport.pdf', size: 10 }],
      },
    });
    const csat: OutboxEvent = {
      eventId: 'csat-1',
      companyId: 'acme',
      kind: 'csat.submitted',
      sessionId: 's-erased',
      createdAt: '2026-12-05T10:00:00.000Z',
      data: { sessionId: 's-erased', visitorId: 'v-1', rating: 2, comment: 'call me at 555' },
    };
    await store.enqueue(
      [message(1, 's-erased'), message(2, 's-kept'), csat, event(3), message(4, 's-erased', 'other')],
      T0,
    );
    expect(await store.eraseSessions('acme', ['s-erased', 's-3'])).toBe(2);
    const bodies = (await store.claim(10, T0, 30_000)).map(
      (d) => JSON.parse(d.body) as { data: Record<string, unknown> },
    );
    const of = (predicate: (data: Record<string, unknown>) => boolean) => bodies.filter((b) => predicate(b.data));
    const erasedMessage = of((d) => d.messageId === 'm-1' && d.sessionId === 's-erased' && d.from !== undefined);
    expect(erasedMessage.map((b) => b.data)).toContainEqual({
      sessionId: 's-erased',
      messageId: 'm-1',
      from: { role: 'visitor', id: 'v-1' },
      text: '[erased]',
      attachments: [{ kind: 'file', name: '[erased]', size: 10 }],
    });
    expect(of((d) => d.rating === 2).map((b) => b.data)).toEqual([
      { sessionId: 's-erased', visitorId: 'v-1', rating: 2, comment: '[erased]' },
    ]);
    // Another session, another company, and a body without personal texts: as they were.
    expect(of((d) => d.messageId === 'm-2').map((b) => b.data.text)).toEqual(['my card is 4111']);
    expect(of((d) => d.messageId === 'm-4').map((b) => b.data.text)).toEqual(['my card is 4111']);
    expect(of((d) => d.sessionId === 's-3').map((b) => b.data)).toEqual([{ sessionId: 's-3', reason: 'agent' }]);
    expect(await store.eraseSessions('acme', ['s-erased', 's-3'])).toBe(0);
    expect(await store.eraseSessions('acme', [])).toBe(0);
  });

  it('deletes an endpoint with its log', async () => {
    const created = await endpoint();
    await store.enqueue([event(1)], T0);
    await store.remove('acme', created.id);
    expect(await store.claim(10, later(1), 30_000)).toEqual([]);
  });

  if (concurrentConnections)
    it('never gives one row to two workers claiming at once', async () => {
      const other = fixture.other!;
      await endpoint();
      const events = Array.from({ length: 60 }, (_, n) => event(n));
      await store.enqueue(events, T0);
      const seen: string[] = [];
      for (let round = 0; round < 20; round++) {
        const [a, b] = await Promise.all([store.claim(4, T0, 60_000), other.claim(4, T0, 60_000)]);
        seen.push(...a.map((d) => d.id), ...b.map((d) => d.id));
      }
      expect(seen).toHaveLength(60);
      expect(new Set(seen).size).toBe(60);
    });
};
