// `npm run bench -- search`: the message search (projections' message-search.ts) on PostgreSQL
// over --messages messages (Chinese and English, chat-like lengths, in many sessions held by many
// agents): p50/p99 of common and rare words, 2-character Chinese words and English ones, as an
// admin (the whole company) and as an agent (the sessions it held). Baseline: the same query in
// the same run without the search indexes (GIN indexes are read by bitmap scans only: those off).
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import knexFactory, { type Knex } from 'knex';
import {
  createSearchIndexes,
  ensureMonthPartition,
  messages,
  prepareReadModels,
  searchIndexOf,
  searchMessages,
  sessionHistory,
} from '@cschat/projections';
import { fmt, ratio, type BenchResult, type Row } from './results';
import { wholeNumber } from './options';
import { summarize } from './stats';

export const SEARCH_HELP = `Usage: npm run bench -- search [--messages 1000000] [--sessions 50000] [--agents 50]
                            [--samples 40] [--baseline-samples 5] [--keep]

Loads --messages messages (about 60% Chinese, 40% English, 4 to 60 characters) into --sessions
sessions of one company, each held by one or two of --agents agents, spread over 90 days, into a
scratch schema of the PostgreSQL at DATABASE_URL (multi-row inserts of 10,000 rows; the search
indexes built after the load, their build time reported). Then, for each query (a common and a
rare 2-character Chinese word, a 4-character Chinese phrase, a common and a rare English word)
as an admin and as an agent: --samples timed searches (limit 20, newest first) with the indexes,
and --baseline-samples without them. The schema is dropped afterwards unless --keep.
`;

export interface SearchOptions {
  readonly messages: number;
  readonly sessions: number;
  readonly agents: number;
  readonly samples: number;
  readonly baselineSamples: number;
  readonly keep: boolean;
}

export const parseSearch = (argv: readonly string[]): SearchOptions | 'help' => {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      messages: { type: 'string' },
      sessions: { type: 'string' },
      agents: { type: 'string' },
      samples: { type: 'string' },
      'baseline-samples': { type: 'string' },
      keep: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help === true) return 'help';
  return {
    messages: wholeNumber('messages', values.messages, 1_000_000),
    sessions: wholeNumber('sessions', values.sessions, 50_000),
    agents: wholeNumber('agents', values.agents, 50),
    samples: wholeNumber('samples', values.samples, 40),
    baselineSamples: wholeNumber('baseline-samples', values['baseline-samples'], 5),
    keep: values.keep === true,
  };
};

/** A small deterministic generator (mulberry32): the same data on every run. */
const generator = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const ZH = [
  '你好',
  '请问',
  '订单',
  '快递',
  '发货',
  '什么时候',
  '可以',
  '我们',
  '谢谢',
  '客服',
  '地址',
  '修改',
  '价格',
  '优惠',
  '会员',
  '账号',
  '密码',
  '登录',
  '支付',
  '失败',
  '成功',
  '已经',
  '还没',
  '收到',
  '商品',
  '质量',
  '问题',
  '帮我',
  '查一下',
  '这个',
  '那个',
  '今天',
  '明天',
  '尺码',
  '颜色',
  '换货',
  '发票',
  '运费',
  '包装',
  '破损',
  '客户',
  '满意',
  '等待',
  '处理',
  '马上',
  '好的',
  '没有',
  '需要',
  '一下',
  '时间',
];
const EN = [
  'hello',
  'please',
  'order',
  'delivery',
  'when',
  'can',
  'you',
  'help',
  'me',
  'with',
  'my',
  'account',
  'password',
  'payment',
  'failed',
  'thanks',
  'the',
  'parcel',
  'has',
  'not',
  'arrived',
  'yet',
  'size',
  'colour',
  'exchange',
  'invoice',
  'shipping',
  'cost',
  'damaged',
  'box',
  'waiting',
  'today',
  'tomorrow',
  'address',
  'change',
  'price',
  'discount',
  'member',
  'login',
  'issue',
];
/** Words whose frequency the queries rely on: common ones in ~5%, rare ones in 1 of ~20,000 messages. */
const COMMON_ZH = '退款';
const RARE_ZH = '鳄鱼';
const COMMON_EN = 'refund';
const RARE_EN = 'xylophone';

const chineseText = (random: () => number): string => {
  const words: string[] = [];
  const target = 4 + Math.floor(random() * 40);
  while (words.join('').length < target) words.push(ZH[Math.floor(random() * ZH.length)]!);
  const r = random();
  if (r < 0.05) words.splice(Math.floor(random() * words.length), 0, r < 0.025 ? '我要退款' : COMMON_ZH);
  else if (r < 0.05005) words.push(RARE_ZH);
  return words.join(random() < 0.3 ? '，' : '');
};

const englishText = (random: () => number): string => {
  const words: string[] = [];
  const target = 6 + Math.floor(random() * 55);
  while (words.join(' ').length < target) words.push(EN[Math.floor(random() * EN.length)]!);
  const r = random();
  if (r < 0.05) words.splice(Math.floor(random() * words.length), 0, COMMON_EN);
  else if (r < 0.05005) words.push(RARE_EN);
  const text = words.join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1) + (random() < 0.3 ? '?' : '.');
};

const COMPANY = 'bench';
const DAY = 86_400_000;
const BATCH = 10_000;

interface Loaded {
  readonly loadSeconds: number;
  readonly indexSeconds: number;
  readonly agentSessions: number;
}

const load = async (db: Knex, schema: string, options: SearchOptions, log: (line: string) => void): Promise<Loaded> => {
  const random = generator(20);
  const end = Date.now();
  const start = end - 90 * DAY;
  const table = `"${schema}"."messages__g1"`;
  const started = performance.now();
  // The indexes are built once the rows are in: faster than keeping them up to date row by row.
  for (const index of ['text_trgm', 'text_bigrams', 'company_at'])
    await db.raw(`drop index if exists "${schema}"."messages__g1_${index}"`);
  for (let at = start; at <= end + 31 * DAY; at += 28 * DAY) await ensureMonthPartition(db, table, new Date(at));

  // Sessions: each starts at a random time, its messages a minute apart; held by one agent, a fifth by two.
  const perSession = Math.max(1, Math.round(options.messages / options.sessions));
  const sessionRows: { id: string; startedAt: number; agents: string[] }[] = [];
  for (let s = 0; s < options.sessions; s++) {
    const first = `agent-${Math.floor(random() * options.agents)}`;
    const agents = random() < 0.2 ? [first, `agent-${Math.floor(random() * options.agents)}`] : [first];
    sessionRows.push({
      id: `s${s}`,
      startedAt: start + Math.floor(random() * (end - start - perSession * 60_000)),
      agents,
    });
  }
  for (let i = 0; i < sessionRows.length; i += BATCH) {
    const batch = sessionRows.slice(i, i + BATCH);
    await db.raw(
      `insert into "${schema}"."session_history__g1" (company_id, session_id, visitor_id, channel, group_id, agent_id,
         state, started_at, updated_at, ended_at, agent_ids)
       select ?, s.id, 'v-' || s.id, 'web', 'support', s.agents ->> -1, 'ended', s.at, s.last, s.last, s.agents
       from jsonb_to_recordset(?::jsonb) as s(id text, at timestamptz, last timestamptz, agents jsonb)`,
      [
        COMPANY,
        JSON.stringify(
          batch.map((s) => ({
            id: s.id,
            at: new Date(s.startedAt).toISOString(),
            // The session's last message: its messages are a minute apart from its start.
            last: new Date(Math.min(end, s.startedAt + (perSession - 1) * 60_000)).toISOString(),
            agents: s.agents,
          })),
        ),
      ],
    );
  }
  let written = 0;
  while (written < options.messages) {
    const rows = {
      session: [] as string[],
      id: [] as string[],
      role: [] as string[],
      text: [] as string[],
      at: [] as string[],
    };
    for (let i = 0; i < BATCH && written < options.messages; i++, written++) {
      const session = sessionRows[Math.floor(written / perSession) % sessionRows.length]!;
      const k = written % perSession;
      const visitor = random() < 0.55;
      rows.session.push(session.id);
      rows.id.push(`m${written}`);
      rows.role.push(visitor ? 'visitor' : 'agent');
      rows.text.push(random() < 0.6 ? chineseText(random) : englishText(random));
      rows.at.push(new Date(Math.min(end, session.startedAt + k * 60_000)).toISOString());
    }
    await db.raw(
      `insert into ${table} (company_id, session_id, message_id, from_role, text, at)
       select ?, * from unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::timestamptz[])`,
      [COMPANY, rows.session, rows.id, rows.role, rows.text, rows.at],
    );
    if (written % 100_000 === 0) log(`search: ${written} messages loaded`);
  }
  const loaded = performance.now();
  log('search: building the search indexes');
  await createSearchIndexes(db, table);
  await db.raw(`analyze ${table}`);
  await db.raw(`analyze "${schema}"."session_history__g1"`);
  const indexed = performance.now();
  const { rows } = await db.raw<{ rows: { n: string }[] }>(
    `select count(*)::text as n from "${schema}".session_history where agent_ids @> '["agent-7"]'`,
  );
  return {
    loadSeconds: (loaded - started) / 1000,
    indexSeconds: (indexed - loaded) / 1000,
    agentSessions: Number(rows[0]?.n ?? 0),
  };
};

const QUERIES: readonly { readonly q: string; readonly kind: string }[] = [
  { q: COMMON_ZH, kind: 'common, Chinese 2 characters' },
  { q: RARE_ZH, kind: 'rare, Chinese 2 characters' },
  { q: '我要退款', kind: 'Chinese 4 characters' },
  { q: COMMON_EN, kind: 'common, English word' },
  { q: RARE_EN, kind: 'rare, English word' },
];

export const runSearch = async (
  options: SearchOptions,
  log: (line: string) => void,
  _startedAt: Date,
): Promise<BenchResult> => {
  const url = process.env['DATABASE_URL'];
  if (url === undefined || url === '') throw new Error('bench search needs DATABASE_URL (a PostgreSQL server)');
  const db = knexFactory({ client: 'pg', connection: url, pool: { min: 1, max: 2 } });
  const schema = `bench_search_${randomBytes(4).toString('hex')}`;
  try {
    await prepareReadModels(db, schema, [messages, sessionHistory]);
    const loaded = await load(db, schema, options, log);
    log(`search: loaded in ${fmt(loaded.loadSeconds)} s, indexed in ${fmt(loaded.indexSeconds)} s`);
    const rows: Row[] = [];
    const series: Record<string, unknown> = {};
    for (const { q, kind } of QUERIES) {
      for (const viewer of ['admin', 'agent'] as const) {
        const search = { companyId: COMPANY, q, limit: 20, ...(viewer === 'agent' ? { agentId: 'agent-7' } : {}) };
        const time = async (plan: 'indexed' | 'scan', n: number) => {
          const ms: number[] = [];
          let hits = 0;
          for (let i = 0; i < n; i++) {
            const t0 = performance.now();
            hits = (await searchMessages(db, schema, { ...search, plan })).length;
            ms.push(performance.now() - t0);
          }
          return { ms, hits };
        };
        await time('indexed', 2); // warm the cache: the first runs read the index from disk
        const indexed = await time('indexed', options.samples);
        const baseline = await time('scan', options.baselineSamples);
        const ours = summarize(indexed.ms);
        const base = summarize(baseline.ms);
        log(
          `search: ${q} (${viewer}): p50 ${fmt(ours.p50)} ms, p99 ${fmt(ours.p99)} ms; baseline p50 ${fmt(base.p50)} ms`,
        );
        series[`${q}/${viewer}`] = { indexed: indexed.ms, baseline: baseline.ms };
        rows.push({
          query: `\`${q}\``,
          kind,
          viewer,
          index: searchIndexOf(q),
          hits: indexed.hits,
          p50: fmt(ours.p50),
          p99: fmt(ours.p99),
          baselineP50: fmt(base.p50),
          baselineP99: fmt(base.p99),
          speedup: ratio(base.p50, ours.p50),
        });
      }
    }
    return {
      name: 'search',
      title: `Message search over ${options.messages.toLocaleString('en')} messages (PostgreSQL)`,
      params: {
        ...options,
        agentSessions: loaded.agentSessions,
        loadSeconds: loaded.loadSeconds,
        indexSeconds: loaded.indexSeconds,
      },
      columns: [
        { key: 'query', title: 'query' },
        { key: 'kind', title: 'kind' },
        { key: 'viewer', title: 'viewer' },
        { key: 'index', title: 'index' },
        { key: 'hits', title: 'hits (limit 20)' },
        { key: 'p50', title: 'p50 ms' },
        { key: 'p99', title: 'p99 ms' },
        { key: 'baselineP50', title: 'no index p50 ms' },
        { key: 'baselineP99', title: 'no index p99 ms' },
        { key: 'speedup', title: 'baseline / ours (p50)' },
      ],
      rows,
      notes: [
        `${options.messages.toLocaleString('en')} messages in ${options.sessions.toLocaleString('en')} sessions, loaded in ${fmt(loaded.loadSeconds)} s; the trigram, bigram and (company, at) indexes built in ${fmt(loaded.indexSeconds)} s.`,
        `The agent held ${loaded.agentSessions.toLocaleString('en')} sessions (of ${options.agents} agents). ${options.samples} samples per query, ${options.baselineSamples} for the baseline (the same query with bitmap scans off: no GIN index).`,
        'Goal: p99 under 100 ms. The machine is shared with other work: figures are for comparison within the run.',
      ],
      series,
    };
  } finally {
    if (!options.keep) await db.raw(`drop schema if exists "${schema}" cascade`);
    await db.destroy();
  }
};
