// The reports' charts, drawn on the server: a Vega-Lite spec per chart from the summary, compiled
// and rendered to SVG by Vega in Node (no canvas, no browser, nothing for the admin page to load),
// in a worker thread: a chart's layout is CPU work that would otherwise hold the event loop.
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ReportSummary } from '@cschat/projections';

export const CHARTS = ['sessions', 'times', 'csat', 'agents'] as const;
export type ChartName = (typeof CHARTS)[number];
export type ChartLanguage = 'en' | 'zh-CN';

/**
 * The worker's code. vega and vega-lite are ES modules with top-level await: the worker imports them
 * natively (a compiler to CommonJS around this file, as jest's, would make the import a require).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const loaded = Promise.all([import(workerData.vega), import(workerData.vegaLite)]);
parentPort.on('message', async ({ id, spec }) => {
  try {
    const [vega, vegaLite] = await loaded;
    const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
    try {
      parentPort.postMessage({ id, svg: await view.toSVG() });
    } finally {
      view.finalize();
    }
  } catch (error) {
    parentPort.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
`;

/** The rendering worker, started on the first chart; idle, it does not keep the process alive. */
let worker: Worker | undefined;
let nextId = 0;
const waiting = new Map<number, { resolve: (svg: string) => void; reject: (error: Error) => void }>();

const rendering = (): Worker => {
  if (worker !== undefined) return worker;
  const started = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      vega: pathToFileURL(require.resolve('vega')).href,
      vegaLite: pathToFileURL(require.resolve('vega-lite')).href,
    },
  });
  started.unref();
  started.on('message', (answer: { id: number; svg?: string; error?: string }) => {
    const pending = waiting.get(answer.id);
    waiting.delete(answer.id);
    if (answer.svg !== undefined) pending?.resolve(answer.svg);
    else pending?.reject(new Error(`chart not rendered: ${answer.error ?? 'unknown error'}`));
  });
  // A dead worker fails what it had; the next chart starts another.
  const failed = (error: Error) => {
    if (worker === started) worker = undefined;
    for (const pending of waiting.values()) pending.reject(error);
    waiting.clear();
  };
  started.on('error', failed);
  started.on('exit', (code) => failed(new Error(`the chart worker exited with ${code}`)));
  worker = started;
  return started;
};

/** A Vega-Lite spec rendered to an SVG document by Vega (in the worker). */
export const renderSpec = (spec: unknown): Promise<string> =>
  new Promise((resolve, reject) => {
    const id = ++nextId;
    const target = rendering();
    // Waiting for an answer keeps the process alive; the idle worker does not.
    target.ref();
    const done = () => {
      if (waiting.size === 0) target.unref();
    };
    waiting.set(id, {
      resolve: (svg) => {
        resolve(svg);
        done();
      },
      reject: (error) => {
        reject(error);
        done();
      },
    });
    target.postMessage({ id, spec });
  });

const TEXTS: Record<ChartLanguage, Record<string, string>> = {
  en: {
    sessions: 'Sessions per day',
    handled: 'handled',
    unhandled: 'not handled',
    day: 'day',
    count: 'sessions',
    times: 'Response times (seconds)',
    firstResponse: 'first response',
    wait: 'wait',
    handling: 'handling',
    median: 'median',
    p90: '90th percentile',
    seconds: 'seconds',
    csat: 'Satisfaction (average rating, 1-5)',
    all: 'all',
    rating: 'average rating',
    agents: 'Sessions per agent',
    agent: 'agent',
    what: 'measure',
    empty: 'no data',
  },
  'zh-CN': {
    sessions: '每日会话数',
    handled: '已接待',
    unhandled: '未接待',
    day: '日期',
    count: '会话数',
    times: '响应时间（秒）',
    firstResponse: '首次响应',
    wait: '排队等待',
    handling: '处理时长',
    median: '中位数',
    p90: '第 90 百分位',
    seconds: '秒',
    csat: '满意度（平均评分，1-5）',
    all: '全部',
    rating: '平均评分',
    agents: '各客服会话数',
    agent: '客服',
    what: '指标',
    empty: '无数据',
  },
};

const base = (title: string) => ({
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  title,
  width: 460,
  height: 220,
  background: 'white',
  config: { font: 'sans-serif' },
});

/** The Vega-Lite spec of a chart of the summary. */
export const chartSpec = (
  name: ChartName,
  summary: ReportSummary,
  language: ChartLanguage,
  agentNames: ReadonlyMap<string, string> = new Map(),
): unknown => {
  const x = TEXTS[language];
  const tx = (key: string) => x[key] ?? key;
  const agentName = (id: string) => agentNames.get(id) ?? id;
  switch (name) {
    case 'sessions':
      return {
        ...base(tx('sessions')),
        data: {
          values: summary.byDay.flatMap((d) => [
            { date: d.date, kind: tx('handled'), n: d.handled },
            { date: d.date, kind: tx('unhandled'), n: d.sessions - d.handled },
          ]),
        },
        mark: 'bar',
        encoding: {
          x: { field: 'date', type: 'ordinal', title: tx('day'), axis: { labelAngle: -45 } },
          y: { field: 'n', type: 'quantitative', title: tx('count'), axis: { tickMinStep: 1 } },
          color: { field: 'kind', type: 'nominal', title: null, sort: [tx('handled'), tx('unhandled')] },
        },
      };
    case 'times': {
      const measures = [
        ['firstResponse', summary.firstResponseSeconds],
        ['wait', summary.waitSeconds],
        ['handling', summary.handlingSeconds],
      ] as const;
      return {
        ...base(tx('times')),
        data: {
          values: measures.flatMap(([key, p]) => [
            { what: tx(key), which: tx('median'), s: p.median ?? 0 },
            { what: tx(key), which: tx('p90'), s: p.p90 ?? 0 },
          ]),
        },
        mark: 'bar',
        encoding: {
          x: { field: 'what', type: 'nominal', title: tx('what'), sort: null, axis: { labelAngle: 0 } },
          xOffset: { field: 'which', type: 'nominal', sort: null },
          y: { field: 's', type: 'quantitative', title: tx('seconds') },
          color: { field: 'which', type: 'nominal', title: null, sort: null },
        },
      };
    }
    case 'csat':
      return {
        ...base(tx('csat')),
        data: {
          values: [
            { who: tx('all'), rating: summary.csat.average ?? 0, count: summary.csat.count },
            ...summary.byAgent
              .filter((a) => a.csat.count > 0)
              .map((a) => ({ who: agentName(a.agentId), rating: a.csat.average ?? 0, count: a.csat.count })),
          ],
        },
        layer: [
          { mark: 'bar' },
          { mark: { type: 'text', dy: -6 }, encoding: { text: { field: 'count', type: 'quantitative' } } },
        ],
        encoding: {
          x: { field: 'who', type: 'nominal', title: tx('agent'), sort: null, axis: { labelAngle: 0 } },
          y: { field: 'rating', type: 'quantitative', title: tx('rating'), scale: { domain: [0, 5] } },
        },
      };
    case 'agents':
      return {
        ...base(tx('agents')),
        data: { values: summary.byAgent.map((a) => ({ agent: agentName(a.agentId), n: a.sessions })) },
        mark: 'bar',
        encoding: {
          y: { field: 'agent', type: 'nominal', title: tx('agent'), sort: '-x' },
          x: { field: 'n', type: 'quantitative', title: tx('count'), axis: { tickMinStep: 1 } },
        },
      };
  }
};

/** A chart of the summary as an SVG document; agents named by `agentNames` (their ids otherwise). */
export const renderChart = (
  name: ChartName,
  summary: ReportSummary,
  language: ChartLanguage,
  agentNames?: ReadonlyMap<string, string>,
): Promise<string> => renderSpec(chartSpec(name, summary, language, agentNames));
