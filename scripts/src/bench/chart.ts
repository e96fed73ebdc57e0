// The e2e chart: latency percentiles against offered load, one colour per mode (the bare and the
// durable relay are the baselines), drawn with Vega-Lite and rendered to SVG by Vega in Node (no
// canvas, no browser).
import { writeFileSync } from 'node:fs';

interface LatencyPoint {
  readonly mode: string;
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
}

interface VegaModule {
  parse(spec: unknown): unknown;
  View: new (runtime: unknown, options: { renderer: 'none' }) => { toSVG(): Promise<string>; finalize(): void };
}
interface VegaLiteModule {
  compile(spec: unknown): { spec: unknown };
}

// Both are ES modules, loaded at run time; vega-lite's types are out of reach of this project's
// module resolution (node10), hence the name in a variable and the small interfaces above.
const VEGA_LITE: string = 'vega-lite';
const load = async (): Promise<{ vega: VegaModule; vegaLite: VegaLiteModule }> => ({
  vega: (await import('vega')) as VegaModule,
  vegaLite: (await import(VEGA_LITE)) as VegaLiteModule,
});

const LABELS: Record<string, string> = {
  relay: 'bare ws relay (baseline)',
  durable: 'durable relay: ws + PostgreSQL INSERT (baseline)',
  embedded: 'ours, embedded',
  distributed: 'ours, distributed',
};

export const latencySpec = (steps: readonly LatencyPoint[], p99LimitMs = 100): unknown => {
  const values = steps.flatMap((s) =>
    (
      [
        ['p50', s.p50],
        ['p99', s.p99],
        ['p99.9', s.p999],
      ] as const
    )
      // A lost message makes a percentile infinite: drawn at the top of the scale instead.
      .map(([percentile, ms]) => ({
        mode: LABELS[s.mode] ?? s.mode,
        rate: s.rate,
        percentile,
        ms: Number.isFinite(ms) ? Math.max(ms, 0.05) : 10_000,
      })),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'message.send → agent’s message frame: latency against offered load',
    width: 560,
    height: 340,
    layer: [
      {
        data: { values },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'rate', type: 'quantitative', scale: { type: 'log' }, title: 'offered load (messages/s, log)' },
          y: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'latency (ms, log)' },
          color: { field: 'mode', type: 'nominal', title: 'server' },
          strokeDash: { field: 'percentile', type: 'nominal', title: 'percentile', sort: ['p50', 'p99', 'p99.9'] },
          shape: { field: 'percentile', type: 'nominal', sort: ['p50', 'p99', 'p99.9'], legend: null },
        },
      },
      {
        data: { values: [{ ms: p99LimitMs }] },
        mark: { type: 'rule', color: 'gray', strokeDash: [2, 2] },
        encoding: { y: { field: 'ms', type: 'quantitative' } },
      },
    ],
  };
};

/** Renders the spec to an SVG file. */
export const renderSvg = async (spec: unknown, file: string): Promise<void> => {
  const { vega, vegaLite } = await load();
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    writeFileSync(file, await view.toSVG());
  } finally {
    view.finalize();
  }
};

export const renderLatencyChart = (steps: readonly LatencyPoint[], file: string): Promise<void> =>
  renderSvg(latencySpec(steps), file);
