// The SLA monitor's query on PGlite and on PostgreSQL: the read models written from events the way
// the projector writes them, beside the company configuration's groups and their targets, in one
// database. Only open sessions of groups with a target, past it and not flagged yet, of every
// company at once; `slaBreachesOf` shows what was flagged.
import { randomBytes } from 'node:crypto';
import knexFactory, { type Knex } from 'knex';
import {
  CompanyConfigStore,
  createPgliteEventStore,
  createPgliteKnex,
  createPostgresEventStore,
  NewCompany,
  NewGroup,
  type EventStore,
} from '@cschat/infra';
import { CompanyId, type Id } from '@cschat/domain';
import { decodeOrThrow, valueOrThrow } from '../../test-support/fixtures';
import { describeWithServer } from '../../test-support/servers';
import { waitFor } from '../../test-support/wait';
import { applyBatch, decodeBatch } from './batch';
import { prepareReadModels } from './generations';
import { PROJECTIONS } from './index';
import { memo } from './projector';
import { slaBreachesOf, slaCandidates } from './sla';

interface Fixture {
  readonly db: Knex;
  readonly store: EventStore;
  readonly schema: string;
  readonly configSchema: string;
  dispose(): Promise<void>;
}

/** Seconds after the visitors asked for a human. */
const T = (second: number): string => new Date(Date.UTC(2026, 10, 25, 10, 0, second)).toISOString();

const slaSuite = (setup: () => Promise<Fixture>) => {
  let fixture: Fixture | undefined;
  let config: CompanyConfigStore;
  const once = memo();

  let appended = 0;
  const append = async (companyId: string, sessionId: string, data: Record<string, unknown>[]) => {
    appended += data.length;
    await fixture!.store.append(
      `session-${companyId}-${sessionId}`,
      data.map((d) => ({ type: d['type'] as string, data: { v: 1, companyId, sessionId, ...d } })),
      'any',
    );
  };
  const project = async () => {
    const { db, store, schema } = fixture!;
    // PostgreSQL's reads stop below the oldest transaction still open on the server (another suite's, even):
    // wait until every event appended is there.
    const recorded = await waitFor('the events appended', async () => {
      const all = await store.readAll({ maxCount: 100_000 });
      return all.length === appended ? all : undefined;
    });
    await db.transaction((trx) =>
      applyBatch(
        trx,
        PROJECTIONS.map((projection) => ({ projection, generation: 1 })),
        decodeBatch(recorded),
        { schema, once, redelivered: true },
      ),
    );
  };
  /** A session of `groupId` whose visitor asked for a human at T(0), then `more`. */
  const session = (companyId: string, sessionId: string, groupId: string, more: Record<string, unknown>[] = []) =>
    append(companyId, sessionId, [
      { type: 'SessionStarted', at: T(-5), visitorId: `v-${sessionId}`, channel: 'web', groupId },
      { type: 'HumanRequested', at: T(0), groupId },
      ...more,
    ]);
  const candidatesAt = async (second: number) =>
    (
      await slaCandidates(fixture!.db, {
        schema: fixture!.schema,
        configSchema: fixture!.configSchema,
        now: new Date(T(second)),
        limit: 100,
      })
    )
      .map((c) => `${c.companyId}/${c.sessionId}/${c.target}/${c.targetSeconds}`)
      .sort();

  beforeAll(async () => {
    fixture = await setup();
    const { db, schema, configSchema } = fixture;
    await prepareReadModels(db, schema, PROJECTIONS);
    config = new CompanyConfigStore({
      knex: db,
      ownsKnex: false,
      schema: configSchema,
      hashPassword: async (plain) => `plain$${plain}`,
    });
    await config.start();
    for (const companyId of ['acme', 'globex']) {
      valueOrThrow(
        await config.createCompany(
          decodeOrThrow(NewCompany)({
            companyId: decodeOrThrow(CompanyId)(companyId),
            name: companyId,
            timeZone: 'UTC',
            adminUsername: 'admin',
            adminPassword: 'pw',
          }),
        ),
      );
    }
    const group = (companyId: string, id: string, body: Record<string, unknown>) =>
      config.createGroup(companyId, 'admin', decodeOrThrow(NewGroup)(body), { id: id as Id });
    valueOrThrow(
      await group('acme', 'support', { name: 'Support', firstResponseTargetSeconds: 60, waitTargetSeconds: 120 }),
    );
    valueOrThrow(await group('acme', 'sales', { name: 'Sales' }));
    valueOrThrow(await group('globex', 'support', { name: 'Support', waitTargetSeconds: 30 }));

    const assigned = { type: 'SessionAssigned', at: T(10), agentId: 'alice', groupId: 'support' };
    await session('acme', 'queued', 'support');
    await session('acme', 'assigned', 'support', [assigned]);
    await session('acme', 'answered', 'support', [
      assigned,
      { type: 'MessagePosted', at: T(20), messageId: 'm1', from: { role: 'agent', id: 'alice' }, text: 'Hi' },
    ]);
    await session('acme', 'ended', 'support', [{ type: 'SessionEnded', at: T(20), reason: 'visitor' }]);
    await session('acme', 'no-targets', 'sales');
    await append('acme', 'with-bot', [
      { type: 'SessionStarted', at: T(-5), visitorId: 'v-bot', channel: 'web', groupId: 'support' },
    ]);
    await session('globex', 'queued', 'support');
    await project();
  }, 60_000);

  afterAll(async () => {
    await config?.stop();
    await fixture?.dispose();
  });

  it('finds nothing before a target is reached', async () => {
    expect(await candidatesAt(29)).toEqual([]);
  });

  it('finds the open sessions of every company past a target of their group, and no others', async () => {
    expect(await candidatesAt(30)).toEqual(['globex/queued/wait/30']);
    expect(await candidatesAt(60)).toEqual([
      'acme/assigned/firstResponse/60',
      'acme/queued/firstResponse/60',
      'globex/queued/wait/30',
    ]);
    expect(await candidatesAt(600)).toEqual([
      'acme/assigned/firstResponse/60',
      'acme/queued/firstResponse/60',
      'acme/queued/wait/120',
      'globex/queued/wait/30',
    ]);
  });

  it('leaves out what the session list shows flagged, and shows it', async () => {
    await append('acme', 'queued', [
      { type: 'SlaBreached', at: T(121), groupId: 'support', target: 'wait', targetSeconds: 120 },
    ]);
    await append('globex', 'queued', [
      { type: 'SlaBreached', at: T(31), groupId: 'support', target: 'wait', targetSeconds: 30 },
    ]);
    await project();
    expect(await candidatesAt(600)).toEqual(['acme/assigned/firstResponse/60', 'acme/queued/firstResponse/60']);
    expect(await slaBreachesOf(fixture!.db, fixture!.schema, 'acme')).toEqual(new Map([['queued', ['wait']]]));
  });

  it('follows a change of the targets at once', async () => {
    valueOrThrow(
      await config.updateGroup('acme', 'admin', 'support', { firstResponseTargetSeconds: null, name: 'Support' }),
    );
    expect(await candidatesAt(600)).toEqual([]);
    valueOrThrow(await config.updateGroup('acme', 'admin', 'sales', { firstResponseTargetSeconds: 5 }));
    expect(await candidatesAt(600)).toEqual(['acme/no-targets/firstResponse/5']);
  });
};

describe('the SLA monitor query on PGlite', () => {
  slaSuite(async () => {
    const db = createPgliteKnex();
    const store = createPgliteEventStore({ knex: db, schema: 'sla_es' });
    await store.start();
    return {
      db,
      store,
      schema: 'sla_rm',
      configSchema: 'sla_config',
      dispose: async () => {
        await store.stop();
        await db.destroy();
      },
    };
  });
});

describeWithServer('postgres', 'the SLA monitor query on PostgreSQL', (url) => {
  slaSuite(async () => {
    const db = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 4 } });
    const suffix = randomBytes(4).toString('hex');
    const store = createPostgresEventStore({ url, schema: `sla_es_${suffix}`, poolSize: 2 });
    await store.start();
    const schema = `sla_rm_${suffix}`;
    const configSchema = `sla_config_${suffix}`;
    return {
      db,
      store,
      schema,
      configSchema,
      dispose: async () => {
        await store.stop();
        for (const name of [schema, configSchema, `sla_es_${suffix}`])
          await db.raw(`drop schema if exists "${name}" cascade`);
        await db.destroy();
      },
    };
  });
});
