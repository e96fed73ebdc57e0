// A visitor's erasure over real read models, attachment and webhook stores, on PGlite and on
// PostgreSQL: every copy of its personal data reads `[erased]` (or is gone), the numbers of the
// reports stay, another visitor and another company keep theirs, a second run changes nothing,
// and the wipe done again after the key cache's bound takes what a late writer put back.
// The key store here is the in-memory one (the port's semantics); events are not encrypted in
// this suite (that is the event store decorator's, tested with it): what is checked is the copies.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import {
  byteaContent,
  createAttachmentStore,
  createPgliteEventStore,
  createPgliteKnex,
  createPostgresEventStore,
  createWebhookStore,
  diskContent,
  ERASED,
  InMemoryKeyStore,
  silentLogger,
  VisitorErasure,
  type AttachmentStore,
  type ErasureReport,
  type EventStore,
  type WebhookStore,
} from '@cschat/infra';
import { describeWithServer } from '../../test-support/servers';
import { dumpSchemas } from '../../test-support/dump';
import { applyBatch, decodeBatch } from './batch';
import { prepareErasureLedger, readModelErasure, visitorsInactiveSince } from './erasure';
import { prepareReadModels } from './generations';
import { PROJECTIONS } from './index';
import { memo } from './projector';

const MARK = 'ZZMARKER7731';
const KEEP = 'KEEPME4242';

interface Fixture {
  readonly db: Knex;
  readonly store: EventStore;
  readonly schemas: { readonly readModels: string; readonly attachments: string; readonly webhooks: string };
  readonly attachments: AttachmentStore;
  readonly webhooks: WebhookStore;
  dispose(): Promise<void>;
}

const T = (minute: number): string => new Date(Date.UTC(2026, 10, 25, 10, minute)).toISOString();

const erasureSuite = (setup: () => Promise<Fixture>) => {
  let f: Fixture;
  let keyStore: InMemoryKeyStore;
  let erasure: VisitorErasure;
  let audit: { visitorId: string; actor: string; report: ErasureReport }[];
  const once = memo();
  let messageNo = 0;
  /** Each visitor's file, by `company/visitor`. */
  const files = new Map<string, string>();

  const append = async (streamId: string, companyId: string, data: Record<string, unknown>[]) => {
    await f.store.append(
      streamId,
      data.map((d) => ({ type: d['type'] as string, data: { v: 1, companyId, ...d } })),
      'any',
    );
  };
  const project = async () => {
    const recorded = await f.store.readAll({ maxCount: 100_000 });
    await f.db.transaction((trx) =>
      applyBatch(
        trx,
        PROJECTIONS.map((projection) => ({ projection, generation: 1 })),
        decodeBatch(recorded),
        { schema: f.schemas.readModels, once, redelivered: true },
      ),
    );
  };

  /** A visitor with a profile, one ended session with a file, a bot question, an answer and a rating. */
  const visitorWithData = async (companyId: string, visitorId: string, sessionId: string, marker: string) => {
    await append(`visitor-${companyId}-${visitorId}`, companyId, [
      { type: 'VisitorSeen', visitorId, at: T(0), channel: 'web', pageUrl: `https://shop.example/${marker}` },
      {
        type: 'VisitorProfileUpdated',
        visitorId,
        at: T(0),
        changed: {
          name: `Name ${marker}`,
          email: `${marker}@example.com`,
          phone: '+86 138 0000 0000',
          attributes: { plan: `gold ${marker}` },
        },
      },
    ]);
    const bytes = Buffer.from(`file body ${marker}`);
    const attachmentId = `f-${randomBytes(4).toString('hex')}`;
    files.set(`${companyId}/${visitorId}`, attachmentId);
    await f.attachments.save(
      {
        attachmentId,
        companyId,
        owner: { role: 'visitor', id: visitorId },
        name: `scan ${marker}.pdf`,
        size: bytes.length,
        contentType: 'application/pdf',
        sha256: createHash('sha256').update(bytes).digest('hex'),
        createdAt: T(1),
        sessionId,
      },
      bytes,
    );
    const say = (minute: number, from: Record<string, unknown>, text: string, extra: Record<string, unknown> = {}) => ({
      type: 'MessagePosted',
      sessionId,
      at: T(minute),
      messageId: `m${++messageNo}`,
      from,
      text,
      ...extra,
    });
    const question = say(2, { role: 'visitor', id: visitorId }, `where is my order ${marker}`);
    await append(`session-${companyId}-${sessionId}`, companyId, [
      {
        type: 'SessionStarted',
        sessionId,
        at: T(1),
        visitorId,
        channel: 'web',
        groupId: 'support',
        visitorName: `Name ${marker}`,
      },
      question,
      say(3, { role: 'bot' }, 'Sorry, I did not understand.', {
        bot: { inReplyTo: question.messageId, question: question.text, outcome: 'not_understood', confidence: 0.1 },
      }),
      say(4, { role: 'visitor', id: visitorId }, `see the file ${marker}`, {
        attachments: [{ kind: 'file', mediaId: attachmentId, attachmentId, name: `scan ${marker}.pdf`, size: 10 }],
      }),
      { type: 'SessionAssigned', sessionId, at: T(5), agentId: 'alice', groupId: 'support' },
      say(6, { role: 'agent', id: 'alice' }, `Hello Name ${marker}, on its way`),
      { type: 'SessionEnded', sessionId, at: T(10), reason: 'agent', agentId: 'alice', visitorId },
      {
        type: 'CsatSubmitted',
        sessionId,
        at: T(11),
        visitorId,
        rating: 4,
        comment: `thanks ${marker}`,
        agentId: 'alice',
      },
    ]);
    await f.webhooks.enqueue(
      [
        {
          eventId: `e-${sessionId}`,
          companyId,
          kind: 'message.created',
          sessionId,
          createdAt: T(2),
          data: { sessionId, from: { role: 'visitor', id: visitorId }, text: `where is my order ${marker}` },
        },
      ],
      new Date(T(2)),
    );
  };

  const dump = () => dumpSchemas(f.db, Object.values(f.schemas));
  const facts = async (companyId: string, sessionId: string) => {
    const { rows } = await f.db.raw<{ rows: Record<string, unknown>[] }>(
      `select * from "${f.schemas.readModels}".session_facts where company_id = ? and session_id = ?`,
      [companyId, sessionId],
    );
    return rows[0];
  };

  beforeAll(async () => {
    f = await setup();
    await prepareReadModels(f.db, f.schemas.readModels, PROJECTIONS);
    await prepareErasureLedger(f.db, f.schemas.readModels);
    await f.attachments.start();
    await f.webhooks.start();
    for (const companyId of ['acme', 'globex'])
      await f.webhooks.create(companyId, { url: 'https://example.com/hook', events: ['message.created'] }, 'whsec_x');
    await visitorWithData('acme', 'v-erased', 's-erased', MARK);
    await visitorWithData('acme', 'v-kept', 's-kept', KEEP);
    // The same visitor id in another company is another person.
    await visitorWithData('globex', 'v-erased', 's-globex', KEEP);
    await project();
    // PGlite's start and the read models' tables take long on a loaded machine.
  }, 120_000);
  afterAll(() => f?.dispose());
  beforeEach(() => {
    keyStore = new InMemoryKeyStore();
    audit = [];
    erasure = new VisitorErasure({
      keyStore,
      readModels: readModelErasure(f.db, f.schemas.readModels),
      attachments: f.attachments,
      webhooks: f.webhooks,
      audit: async (subject, actor, report) => {
        audit.push({ visitorId: subject.visitorId, actor, report });
      },
      logger: silentLogger(),
      redoAfterMs: 60_000,
    });
  });
  afterEach(() => erasure.stop());

  it("erases every copy of the visitor's data, keeps the numbers and the others' data, then changes nothing", async () => {
    const subject = { companyId: 'acme', visitorId: 'v-erased' };
    const before = await dump();
    expect(before).toContain(MARK);
    const kept = before.split(KEEP).length;
    const factsBefore = await facts('acme', 's-erased');
    expect(factsBefore).toMatchObject({ csat_rating: 4, csat_comment: `thanks ${MARK}`, visitor_messages: 2 });
    expect(await erasure.known(subject)).toBe(true);

    const report = await erasure.eraseVisitor(subject, new Date(T(30)), { actor: 'admin-1' });
    expect(report).toMatchObject({ subject, alreadyErased: false, filesDeleted: 1 });
    expect(report.rowsErased).toBeGreaterThanOrEqual(8);
    expect(await keyStore.isErased(subject)).toBe(true);

    const after = await dump();
    expect(after).not.toContain(MARK);
    // The other visitor's and the other company's copies are all there still.
    expect(after.split(KEEP).length).toBe(kept);
    expect(after).toContain(ERASED);
    const file = files.get('acme/v-erased')!;
    expect(await f.attachments.find('acme', file)).toBeUndefined();
    expect(await f.attachments.read('acme', file, 'original')).toBeUndefined();
    expect(await f.attachments.read('acme', files.get('acme/v-kept')!, 'original')).toBeDefined();
    expect(await f.attachments.read('globex', files.get('globex/v-erased')!, 'original')).toBeDefined();
    // The reports' numbers stay; only the comment went.
    expect(await facts('acme', 's-erased')).toEqual({ ...factsBefore, csat_comment: ERASED });
    // The profile keeps its shape: what was there reads [erased], the attribute names stay.
    const { rows: profile } = await f.db.raw<{ rows: Record<string, unknown>[] }>(
      `select name, email, phone, page_url, attributes, channel from "${f.schemas.readModels}".visitors
       where company_id = 'acme' and visitor_id = 'v-erased'`,
    );
    expect(profile).toEqual([
      { name: ERASED, email: null, phone: null, page_url: ERASED, attributes: {}, channel: 'web' },
    ]);
    expect(audit).toEqual([{ visitorId: 'v-erased', actor: 'admin-1', report }]);
    expect(JSON.stringify(audit)).not.toContain(MARK);

    const again = await erasure.eraseVisitor(subject, new Date(T(31)), { actor: 'admin-1' });
    expect(again).toEqual({ subject, alreadyErased: true, rowsErased: 0, filesDeleted: 0 });
    // Only the ledger changed (the redo is due again).
    const copies = (text: string) => text.split('\n').filter((line) => !/^\S+\.visitor_erasures /.test(line));
    expect(copies(await dump())).toEqual(copies(after));
    expect(audit).toHaveLength(2);
  });

  it('wipes again, once past the key cache bound, what a late writer put back', async () => {
    const subject = { companyId: 'acme', visitorId: 'v-erased' };
    const at = new Date(T(40));
    await erasure.eraseVisitor(subject, at, { actor: 'admin-1' });
    // A projector that read the event while the key was still cached writes after the wipe.
    await f.db.raw(
      `update "${f.schemas.readModels}".visitors set name = ? where company_id = 'acme' and visitor_id = 'v-erased'`,
      [`Name ${MARK}`],
    );
    expect(await erasure.redoDue(new Date(at.getTime() + 59_000))).toBe(0);
    expect(await dump()).toContain(MARK);
    expect(await erasure.redoDue(new Date(at.getTime() + 60_000))).toBe(1);
    expect(await dump()).not.toContain(MARK);
    expect(await erasure.redoDue(new Date(at.getTime() + 120_000))).toBe(0);
  });

  it('claims a visitor once: a second claimer (another worker) erases and audits nothing', async () => {
    const subject = { companyId: 'acme', visitorId: 'v-claimed' };
    await append('visitor-acme-v-claimed', 'acme', [
      { type: 'VisitorSeen', visitorId: 'v-claimed', at: T(0), channel: 'web' },
    ]);
    await project();
    const [first, second] = await Promise.all([
      erasure.eraseVisitor(subject, new Date(T(50)), { actor: 'retention', claim: true }),
      erasure.eraseVisitor(subject, new Date(T(50)), { actor: 'retention', claim: true }),
    ]);
    expect([first, second].filter((r) => r !== undefined)).toHaveLength(1);
    expect(audit).toHaveLength(1);
    // An erased visitor is no longer a candidate of retention.
    const inactive = await visitorsInactiveSince(f.db, f.schemas.readModels, {
      companyId: 'acme',
      before: new Date(T(59)),
      limit: 10,
    });
    expect(inactive.map((v) => v.visitorId)).not.toContain('v-claimed');
  });

  it('knows a visitor of its company only', async () => {
    expect(await erasure.known({ companyId: 'acme', visitorId: 'v-kept' })).toBe(true);
    expect(await erasure.known({ companyId: 'acme', visitorId: 'nobody' })).toBe(false);
    expect(await erasure.known({ companyId: 'initech', visitorId: 'v-kept' })).toBe(false);
  });
};

describe('visitor erasure on PGlite', () => {
  erasureSuite(async () => {
    const db = createPgliteKnex();
    const store = createPgliteEventStore({ knex: db, schema: 'erasure_es' });
    await store.start();
    const folder = mkdtempSync(path.join(tmpdir(), 'erasure-files-'));
    return {
      db,
      store,
      schemas: { readModels: 'erasure_rm', attachments: 'erasure_files', webhooks: 'erasure_hooks' },
      attachments: createAttachmentStore({ knex: db, schema: 'erasure_files', content: diskContent(folder) }),
      webhooks: createWebhookStore({ knex: db, schema: 'erasure_hooks' }),
      dispose: async () => {
        await store.stop();
        await db.destroy();
        rmSync(folder, { recursive: true, force: true });
      },
    };
  });
});

describeWithServer('postgres', 'visitor erasure on PostgreSQL', (url) => {
  erasureSuite(async () => {
    const db = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 4 } });
    const suffix = randomBytes(4).toString('hex');
    const schemas = {
      readModels: `erasure_rm_${suffix}`,
      attachments: `erasure_files_${suffix}`,
      webhooks: `erasure_hooks_${suffix}`,
    };
    const store = createPostgresEventStore({ url, schema: `erasure_es_${suffix}`, poolSize: 2 });
    await store.start();
    return {
      db,
      store,
      schemas,
      attachments: createAttachmentStore({
        knex: db,
        schema: schemas.attachments,
        content: byteaContent(db, schemas.attachments),
      }),
      webhooks: createWebhookStore({ knex: db, schema: schemas.webhooks }),
      dispose: async () => {
        await store.stop();
        for (const schema of [...Object.values(schemas), `erasure_es_${suffix}`])
          await db.raw(`drop schema if exists "${schema}" cascade`);
        await db.destroy();
      },
    };
  });
});
