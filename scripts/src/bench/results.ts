// What every benchmark hands back: rows for a markdown table (each figure next to its baseline and
// the ratio), written as bench/results/<name>-<date>.json with the machine and the parameters.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '../../..');
export const RESULTS_DIR = path.join(ROOT, 'bench', 'results');

export type Cell = string | number | undefined;
export type Row = Record<string, Cell>;

export interface Column {
  readonly key: string;
  readonly title: string;
}

/** A further table of a benchmark, printed under the first one's notes with its own. */
export interface Section {
  readonly title: string;
  readonly columns: readonly Column[];
  readonly rows: readonly Row[];
  readonly notes: readonly string[];
}

export interface BenchResult {
  readonly name: string;
  readonly title: string;
  readonly params: Record<string, unknown>;
  readonly columns: readonly Column[];
  readonly rows: readonly Row[];
  /** What the rows mean and what limited them: printed under the table. */
  readonly notes: readonly string[];
  readonly sections?: readonly Section[];
  /** Raw series for charts and later comparison. */
  readonly series?: unknown;
}

export interface WrittenResult extends BenchResult {
  readonly startedAt: string;
  readonly seconds: number;
  readonly machine: Record<string, unknown>;
  readonly file: string;
  readonly markdown: string;
}

export const machine = (): Record<string, unknown> => ({
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model ?? 'unknown',
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  platform: `${os.platform()} ${os.release()}`,
  loadAverageAtEnd: os.loadavg().map((l) => Number(l.toFixed(2))),
});

/** A figure with sensible precision for a table. */
export const fmt = (value: number | undefined, digits?: number): string => {
  if (value === undefined || Number.isNaN(value)) return '-';
  if (!Number.isFinite(value)) return '∞';
  const d = digits ?? (Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2);
  return value.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
};

/** ours / baseline, as "0.42×". */
export const ratio = (ours: number | undefined, baseline: number | undefined): string =>
  ours === undefined || baseline === undefined || !Number.isFinite(ours) || !(baseline > 0) || Number.isNaN(ours)
    ? '-'
    : ours / baseline < 0.1
      ? `${(ours / baseline).toPrecision(2)}×`
      : `${fmt(ours / baseline, ours / baseline >= 10 ? 1 : 2)}×`;

export const markdownTable = (columns: readonly Column[], rows: readonly Row[]): string => {
  const cell = (value: Cell): string => (value === undefined ? '' : String(value).replace(/\|/g, '\\|'));
  return [
    `| ${columns.map((c) => c.title).join(' | ')} |`,
    `| ${columns.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${columns.map((c) => cell(row[c.key])).join(' | ')} |`),
  ].join('\n');
};

export const markdownOf = (result: BenchResult): string =>
  [
    `### ${result.title}`,
    '',
    markdownTable(result.columns, result.rows),
    '',
    ...result.notes.map((n) => `- ${n}`),
    ...(result.sections ?? []).flatMap((section) => [
      '',
      `#### ${section.title}`,
      '',
      markdownTable(section.columns, section.rows),
      '',
      ...section.notes.map((n) => `- ${n}`),
    ]),
  ]
    .join('\n')
    .trimEnd();

/** 2026-11-25T18-29: the minute the run started (UTC), usable in a file name. */
const stamp = (at: Date): string => at.toISOString().slice(0, 16).replace(':', '-');

/** Writes bench/results/<name>-<date>.json. */
export const writeResult = (result: BenchResult, startedAt: Date): WrittenResult => {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${result.name}-${stamp(startedAt)}.json`);
  const markdown = markdownOf(result);
  const written: WrittenResult = {
    ...result,
    startedAt: startedAt.toISOString(),
    seconds: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
    machine: machine(),
    file: path.relative(ROOT, file),
    markdown,
  };
  writeFileSync(
    file,
    `${JSON.stringify(written, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value), 2)}\n`,
  );
  return written;
};

export const resultFile = (name: string, extension: string, at: Date): string =>
  path.join(RESULTS_DIR, `${name}-${stamp(at)}.${extension}`);
