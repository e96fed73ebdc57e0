// Preparing the read models while a deployment runs: a process that starts upgrades the active
// generations (idempotent DDL) and makes the views again, taking them exclusively in projection
// order, while a running projector or an API read may hold one and want another. PostgreSQL then
// aborts one side of the deadlock; when that is the preparation, it must run again, not fail the
// start (the distributed fault suite found gateways and workers that started together exiting so).
import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { describeWithServer } from '../../test-support/servers';
import { prepareReadModels } from './generations';
import { PROJECTIONS } from './index';

describeWithServer('postgres', 'read models prepared by a process joining a running deployment', (databaseUrl) => {
  const db = knexFactory({ client: 'pg', connection: databaseUrl, pool: { min: 0, max: 4 } });
  const schema = `gen_${randomBytes(4).toString('hex')}`;

  afterAll(async () => {
    await db.raw(`drop schema if exists "${schema}" cascade`);
    await db.destroy();
  });

  it('runs again when PostgreSQL aborts it in a deadlock with a running transaction', async () => {
    await prepareReadModels(db, schema, PROJECTIONS);
    // A projector's batch holds the last read model's table, as writing it does.
    const running = await db.transaction();
    await running.raw(`lock table "${schema}"."session_history__g1" in row exclusive mode`);
    const joining = prepareReadModels(db, schema, PROJECTIONS);
    // The preparation took the first read models and now waits for that table.
    for (;;) {
      const { rows } = await db.raw<{ rows: { waiting: string }[] }>(
        `select count(*)::text as waiting from pg_stat_activity
         where wait_event_type = 'Lock' and query like ?`,
        [`%${schema}%session_history__g1%`],
      );
      if (rows[0]!.waiting === '1') break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // Now the batch reads the first read model: a deadlock. The preparation waited first, so
    // PostgreSQL aborts it, and the batch goes on.
    const { rows } = await running.raw<{ rows: { n: string }[] }>(
      `select count(*)::text as n from "${schema}".session_list`,
    );
    expect(rows).toEqual([{ n: '0' }]);
    await running.commit();
    await expect(joining).resolves.toBeUndefined();
    const { rows: views } = await db.raw<{ rows: { name: string }[] }>(
      `select table_name as name from information_schema.views where table_schema = ? order by 1`,
      [schema],
    );
    expect(views.map((v) => v.name)).toEqual(PROJECTIONS.flatMap((p) => p.tables).sort());
  }, 30_000);
});
