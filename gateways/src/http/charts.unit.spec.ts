// The reports' charts: Vega-Lite specs of a summary, rendered to SVG by Vega in Node.
import type { ReportSummary } from '@cschat/projections';
import { CHARTS, chartSpec, renderChart } from './charts';

const SUMMARY: ReportSummary = {
  sessions: 3,
  handled: 2,
  abandoned: 1,
  firstResponseSeconds: { median: 3, p90: 3.8 },
  waitSeconds: { median: 2, p90: 2.8 },
  handlingSeconds: { median: 90.5, p90: 114.1 },
  csat: { count: 2, average: 4 },
  slaBreached: { firstResponse: 0, wait: 1 },
  byAgent: [
    { agentId: 'alice', sessions: 1, firstResponseSeconds: { median: 2 }, csat: { count: 1, average: 5 } },
    { agentId: 'bob', sessions: 1, firstResponseSeconds: { median: 4 }, csat: { count: 0, average: null } },
  ],
  byDay: [
    { date: '2026-12-01', sessions: 1, handled: 1 },
    { date: '2026-12-02', sessions: 2, handled: 1 },
  ],
};

const valuesOf = (spec: unknown) => (spec as { data: { values: Record<string, unknown>[] } }).data.values;

describe('report charts', () => {
  it('splits each day into handled and not handled sessions', () => {
    expect(valuesOf(chartSpec('sessions', SUMMARY, 'en'))).toEqual([
      { date: '2026-12-01', kind: 'handled', n: 1 },
      { date: '2026-12-01', kind: 'not handled', n: 0 },
      { date: '2026-12-02', kind: 'handled', n: 1 },
      { date: '2026-12-02', kind: 'not handled', n: 1 },
    ]);
  });

  it('rates all sessions and the agents with ratings only', () => {
    expect(valuesOf(chartSpec('csat', SUMMARY, 'zh-CN'))).toEqual([
      { who: '全部', rating: 4, count: 2 },
      { who: 'alice', rating: 5, count: 1 },
    ]);
    // By name where the account has one.
    expect(valuesOf(chartSpec('agents', SUMMARY, 'en', new Map([['alice', 'Alice A.']])))).toEqual([
      { agent: 'Alice A.', n: 1 },
      { agent: 'bob', n: 1 },
    ]);
  });

  it('shows the medians and 90th percentiles of the three times', () => {
    expect(valuesOf(chartSpec('times', SUMMARY, 'en')).map((v) => v['s'])).toEqual([3, 3.8, 2, 2.8, 90.5, 114.1]);
  });

  it('renders every chart to SVG in both languages', async () => {
    for (const name of CHARTS) {
      const en = await renderChart(name, SUMMARY, 'en');
      expect(en).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    }
    expect(await renderChart('sessions', SUMMARY, 'en')).toContain('Sessions per day');
    expect(await renderChart('sessions', SUMMARY, 'zh-CN')).toContain('每日会话数');
    expect(await renderChart('agents', SUMMARY, 'en')).toContain('alice');
  });
});
