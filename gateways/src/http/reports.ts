// The reports (PROTOCOL "Reports") for admins and supervisors: the summary as JSON or CSV, and its
// charts as SVG drawn on the server (charts.ts). `from` and `to` are ISO dates or instants; a date
// (or an instant without an offset) is read in the company's time zone, so `from=2026-12-01&
// to=2026-12-08` is that week of the company's calendar. Sessions count by when they started, in
// [from, to).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isLeft } from 'fp-ts/Either';
import * as t from 'io-ts';
import type { Knex } from 'knex';
import { DateTime } from 'luxon';
import { stringify } from 'csv-stringify/sync';
import type { CompanyConfigStore } from '@cschat/infra';
import { reportSummary, type ReportQuery, type ReportSummary } from '@cschat/projections';
import type { TokenClaims } from '../auth';
import { isStorableText } from '../text';
import { CHARTS, renderChart, type ChartName } from './charts';
import { badField, decodeBody, HttpError } from './errors';

export interface ReportRoutesOptions {
  readonly readModels: Knex;
  readonly schema: string;
  readonly config: CompanyConfigStore;
  /** The admin-or-supervisor token check. */
  readonly reporters: (request: FastifyRequest) => Promise<void>;
  readonly claimsOf: (request: FastifyRequest) => TokenClaims;
  /** The current time (default: the system's), for the default range. */
  readonly now?: () => number;
}

/** The longest range a summary covers. */
export const MAX_REPORT_DAYS = 366;
/** The range when none is given: the last 7 days. */
const DEFAULT_DAYS = 7;

const ISO_DATE_OR_INSTANT = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$/;
const when = t.refinement(
  t.string,
  (s) => ISO_DATE_OR_INSTANT.test(s) && DateTime.fromISO(s.replace(' ', 'T'), { zone: 'UTC' }).isValid,
  'must be an ISO-8601 date (YYYY-MM-DD) or instant',
);
const id = t.refinement(
  t.string,
  (s) => s.length >= 1 && s.length <= 100 && isStorableText(s),
  'must be 1 to 100 characters',
);

const SummaryParameters = t.partial({
  from: when,
  to: when,
  groupId: id,
  agentId: id,
  format: t.keyof({ json: null, csv: null }, 'must be json or csv'),
});
const ChartParameters = t.partial({ from: when, to: when, groupId: id, agentId: id, lang: t.string });

const bad = badField;

/** The query's range as instants, read in the company's zone, checked (from < to, at most MAX_REPORT_DAYS). */
export const reportRange = (
  parameters: { from?: string; to?: string },
  timeZone: string,
  now: number,
): { from: string; to: string } => {
  const read = (s: string) => DateTime.fromISO(s.replace(' ', 'T'), { zone: timeZone, setZone: false });
  const today = DateTime.fromMillis(now, { zone: timeZone }).startOf('day');
  const to = parameters.to === undefined ? today.plus({ days: 1 }) : read(parameters.to);
  const from = parameters.from === undefined ? to.minus({ days: DEFAULT_DAYS }) : read(parameters.from);
  if (from >= to) throw bad('from', 'must be before to');
  if (to.diff(from, 'days').days > MAX_REPORT_DAYS)
    throw bad('to', `must be at most ${MAX_REPORT_DAYS} days after from`);
  return { from: from.toUTC().toISO()!, to: to.toUTC().toISO()! };
};

const cell = (value: number | string | null): string | number => (value === null ? '' : value);

/**
 * The summary as CSV, three blocks with a header each, separated by an empty line: `metric,value`
 * (sessions, handled, abandoned, the percentiles as `firstResponseSeconds.median` ..., csat.count,
 * csat.average, slaBreached.*), then one row per agent, then one row per day. No value: an empty cell.
 */
export const summaryCsv = (summary: ReportSummary): string => {
  const metrics: [string, number | null][] = [
    ['sessions', summary.sessions],
    ['handled', summary.handled],
    ['abandoned', summary.abandoned],
    ['firstResponseSeconds.median', summary.firstResponseSeconds.median],
    ['firstResponseSeconds.p90', summary.firstResponseSeconds.p90],
    ['waitSeconds.median', summary.waitSeconds.median],
    ['waitSeconds.p90', summary.waitSeconds.p90],
    ['handlingSeconds.median', summary.handlingSeconds.median],
    ['handlingSeconds.p90', summary.handlingSeconds.p90],
    ['csat.count', summary.csat.count],
    ['csat.average', summary.csat.average],
    ['slaBreached.firstResponse', summary.slaBreached.firstResponse],
    ['slaBreached.wait', summary.slaBreached.wait],
  ];
  const block = (rows: (string | number)[][]) => stringify(rows, { record_delimiter: '\r\n' });
  return [
    block([['metric', 'value'], ...metrics.map(([name, value]) => [name, cell(value)])]),
    block([
      ['agentId', 'sessions', 'firstResponseSeconds.median', 'csat.count', 'csat.average'],
      ...summary.byAgent.map((a) => [
        a.agentId,
        a.sessions,
        cell(a.firstResponseSeconds.median),
        a.csat.count,
        cell(a.csat.average),
      ]),
    ]),
    block([['date', 'sessions', 'handled'], ...summary.byDay.map((d) => [d.date, d.sessions, d.handled])]),
  ].join('\r\n');
};

export const reportRoutes = async (app: FastifyInstance, options: ReportRoutesOptions): Promise<void> => {
  const { readModels, schema, config, reporters, claimsOf } = options;
  const now = options.now ?? Date.now;

  const summaryOf = async (
    request: FastifyRequest,
    parameters: { from?: string; to?: string; groupId?: string; agentId?: string },
  ): Promise<{ summary: ReportSummary; query: ReportQuery; days: { from: string; to: string } }> => {
    const claims = claimsOf(request);
    const company = await config.getCompany(claims.company);
    if (isLeft(company)) throw new HttpError(404, 'not_found', 'no such company');
    const { timeZone } = company.right;
    const range = reportRange(parameters, timeZone, now());
    const query: ReportQuery = {
      companyId: claims.company,
      ...range,
      timeZone,
      ...(parameters.groupId === undefined ? {} : { groupId: parameters.groupId }),
      ...(parameters.agentId === undefined ? {} : { agentId: parameters.agentId }),
    };
    // The range's bounds as the company's dates, for a file name.
    const day = (instant: string) => DateTime.fromISO(instant, { zone: timeZone }).toISODate() ?? instant;
    return {
      summary: await reportSummary(readModels, schema, query),
      query,
      days: { from: day(range.from), to: day(range.to) },
    };
  };

  app.get('/api/admin/reports/summary', { preHandler: reporters }, async (request, reply: FastifyReply) => {
    const parameters = decodeBody(SummaryParameters, request.query, 'query');
    const { summary, query, days } = await summaryOf(request, parameters);
    // The zone of `byDay`'s dates (an addition to PROTOCOL's shape): the page's default range is the company's week.
    if (parameters.format !== 'csv') return { ...summary, timeZone: query.timeZone };
    const name = `report-${days.from}-${days.to}.csv`;
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${name}"`)
      .send(summaryCsv(summary));
  });

  app.get<{ Params: { name: string } }>(
    '/api/admin/reports/charts/:name',
    { preHandler: reporters },
    async (request, reply: FastifyReply) => {
      const name = request.params.name.replace(/\.svg$/, '');
      if (!(CHARTS as readonly string[]).includes(name)) throw new HttpError(404, 'not_found', 'no such chart');
      const parameters = decodeBody(ChartParameters, request.query, 'query');
      const { summary } = await summaryOf(request, parameters);
      // People by their names (the agents' accounts), as the page's tables show them.
      const agents = await config.listAgents(claimsOf(request).company);
      const names = new Map(agents.map((a) => [a.id, a.name ?? a.username]));
      const svg = await renderChart(name as ChartName, summary, parameters.lang === 'zh-CN' ? 'zh-CN' : 'en', names);
      return reply.type('image/svg+xml; charset=utf-8').header('cache-control', 'no-store').send(svg);
    },
  );
};
