// The SLA monitor's query at scale, on the PostgreSQL of DATABASE_URL (scratch schemas, dropped at
// the end): 1,000 companies with two groups each, one with targets; 200,000 sessions in the session
// list of which 20,000 are open (half of them in groups with targets, a tenth of those already
// flagged). Prints the median and p99 of the query, and its plan.
//   DATABASE_URL=postgres://... npx tsx scripts/src/bench/sla-query.ts
import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { CompanyConfigStore } from '@cschat/infra';
import { PROJECTIONS, prepareReadModels, slaCandidates, slaCandidatesSql } from '@cschat/projections';

const url = process.env['DATABASE_URL'];
if (url === undefined) {
  console.error('DATABASE_URL is not set');
  process.exit(2);
}
const db = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 2 } });
const suffix = randomBytes(4).toString('hex');
const schema = `sla_bench_rm_${suffix}`;
const configSchema = `sla_bench_config_${suffix}`;
const COMPANIES = 1_000;
const SESSIONS = 200_000;
const OPEN = 20_000;

const main = async (): Promise<void> => {
  await prepareReadModels(db, schema, PROJECTIONS);
  const config = new CompanyConfigStore({
    knex: db,
    ownsKnex: false,
    schema: configSchema,
    hashPassword: async (p) => p,
  });
  await config.start();
  await db.raw(
    `insert into "${configSchema}".companies (id, name, time_zone) select 'c' || i, 'c' || i, 'UTC' from generate_series(1, ?) i`,
    [COMPANIES],
  );
  await db.raw(
    `insert into "${configSchema}".groups (company_id, id, name, first_response_target_seconds, wait_target_seconds)
     select 'c' || i, g, g, case when g = 'support' then 60 end, case when g = 'support' then 300 end
     from generate_series(1, ?) i, unnest(array['support', 'sales']) g`,
    [COMPANIES],
  );
  // Session i: company i % COMPANIES, group support for even i; open for i <= OPEN (queued when i % 3 = 0),
  // asked for a human 0-20 minutes ago, answered when i % 4 = 0, flagged for both targets when i % 10 = 0.
  await db.raw(
    `insert into "${schema}".session_list__g1 (company_id, session_id, visitor_id, channel, group_id, agent_id, state,
       started_at, updated_at, sla_breached)
     select 'c' || (i % ?), 's' || i, 'v' || i, 'web', case when i % 2 = 0 then 'support' else 'sales' end,
       case when i <= ? and i % 3 <> 0 then 'a' || (i % 50) end,
       case when i > ? then 'ended' when i % 3 = 0 then 'queued' else 'assigned' end,
       now() - interval '1 hour', now(),
       case when i % 10 = 0 then '["wait", "firstResponse"]'::jsonb else '[]'::jsonb end
     from generate_series(1, ?) i`,
    [COMPANIES, OPEN, OPEN, SESSIONS],
  );
  await db.raw(
    `insert into "${schema}".session_facts__g1 (company_id, session_id, visitor_id, channel, group_id, started_at,
       human_requested_at, first_agent_reply_at, ended_at)
     select 'c' || (i % ?), 's' || i, 'v' || i, 'web', case when i % 2 = 0 then 'support' else 'sales' end,
       now() - interval '1 hour', now() - (i % 1200) * interval '1 second',
       case when i % 4 = 0 then now() end, case when i > ? then now() end
     from generate_series(1, ?) i`,
    [COMPANIES, OPEN, SESSIONS],
  );
  await db.raw(`analyze "${schema}".session_list__g1`);
  await db.raw(`analyze "${schema}".session_facts__g1`);
  await db.raw(`analyze "${configSchema}".groups`);

  const query = { schema, configSchema, now: new Date(), limit: 1000 };
  const found = await slaCandidates(db, query);
  const times: number[] = [];
  for (let i = 0; i < 50; i++) {
    const started = process.hrtime.bigint();
    await slaCandidates(db, { ...query, now: new Date() });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(1);
  console.log(`${COMPANIES} companies, ${SESSIONS} sessions, ${OPEN} open: ${found.length} candidates (limit 1000)`);
  console.log(`query: median ${at(0.5)} ms, p99 ${at(0.99)} ms (50 runs)`);
  if (process.argv.includes('--plan')) {
    const sql = slaCandidatesSql(query);
    const { rows } = await db.raw<{ rows: { 'QUERY PLAN': string }[] }>(`explain analyze ${sql.sql}`, sql.bindings);
    for (const row of rows) console.log(row['QUERY PLAN']);
  }
  await config.stop();
};

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(async () => {
    await db.raw(`drop schema if exists "${schema}" cascade`);
    await db.raw(`drop schema if exists "${configSchema}" cascade`);
    await db.destroy();
  });
