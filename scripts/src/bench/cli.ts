// `npm run bench -- <name> [options]`: runs one benchmark, prints its markdown table, writes
// bench/results/<name>-<date>.json. `npm run bench:all` runs every one with its defaults and puts
// the tables into bench/README.md. `npm run bench -- <name> --help` tells a benchmark's options.
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CONNECTIONS_HELP, parseConnections, runConnections } from './connections';
import { E2E_HELP, parseE2e, runE2e } from './e2e';
import { EVENTSTORE_HELP, parseEventStore, runEventStore } from './eventstore';
import { stopAllServices } from './processes';
import { PROFILE_HELP, summarizeProfile } from './profile';
import { REBUILD_HELP, parseRebuild, runRebuild } from './rebuild';
import { ROOT, writeResult, type BenchResult, type WrittenResult } from './results';
import { SEARCH_HELP, parseSearch, runSearch } from './search';
import { TIMEOUTS_HELP, parseTimeouts, runTimeouts } from './timeouts';

type Log = (line: string) => void;

interface Benchmark {
  readonly name: string;
  readonly summary: string;
  readonly help: string;
  /** What `npm run bench:all` passes: small enough that all of them take about 10 minutes here. */
  readonly allArgs: readonly string[];
  /** Parses the options (throws on a bad one) and returns the run, or 'help'. */
  readonly prepare: (argv: readonly string[]) => ((log: Log, startedAt: Date) => Promise<BenchResult>) | 'help';
}

const benchmark = <O>(
  name: string,
  summary: string,
  help: string,
  allArgs: readonly string[],
  parse: (argv: readonly string[]) => O | 'help',
  run: (options: O, log: Log, startedAt: Date) => Promise<BenchResult>,
): Benchmark => ({
  name,
  summary,
  help,
  allArgs,
  prepare: (argv) => {
    const options = parse(argv);
    return options === 'help' ? 'help' : (log, startedAt) => run(options, log, startedAt);
  },
});

export const BENCHMARKS: readonly Benchmark[] = [
  benchmark(
    'e2e',
    'chat latency, max sustained rate and overload over real sockets (bare and durable relays)',
    E2E_HELP,
    ['--step-seconds', '3'],
    parseE2e,
    runE2e,
  ),
  benchmark(
    'connections',
    'memory per idle socket and heartbeat CPU',
    CONNECTIONS_HELP,
    ['--sizes', '10000'],
    parseConnections,
    runConnections,
  ),
  benchmark(
    'eventstore',
    'appends and $all reads, against Emmett’s PostgreSQL store',
    EVENTSTORE_HELP,
    [],
    parseEventStore,
    runEventStore,
  ),
  benchmark(
    'rebuild',
    'rebuilding every read model from a seeded history',
    REBUILD_HELP,
    ['--events', '20000'],
    parseRebuild,
    runRebuild,
  ),
  benchmark(
    'timeouts',
    'lateness of inactivity checks and Redis commands per message',
    TIMEOUTS_HELP,
    ['--seconds', '10'],
    parseTimeouts,
    runTimeouts,
  ),
  benchmark(
    'search',
    'message search (Chinese and English) over 1M messages, with and without its indexes',
    SEARCH_HELP,
    ['--messages', '200000', '--sessions', '10000'],
    parseSearch,
    runSearch,
  ),
];

const HELP = `Usage: npm run bench -- <name> [options]     one benchmark (--help after the name: its options)
       npm run bench:all                       every benchmark with small settings (about 10 minutes)
       npm run bench -- profile <file.cpuprofile> [--top 25]

Benchmarks (each figure is a ratio to a baseline measured in the same run; absolute numbers are
context for this machine only); bench:all passes the options in brackets:
${BENCHMARKS.map((b) => `  ${b.name.padEnd(12)} ${b.summary}${b.allArgs.length > 0 ? ` [${b.allArgs.join(' ')}]` : ''}`).join('\n')}

Each run prints a markdown table and writes bench/results/<name>-<date>.json (e2e also an SVG
chart). The servers measured run as processes of their own; the socket benchmarks' load comes
from this process. Distributed parts need DATABASE_URL, KAFKA_BROKERS and REDIS_URL
(eval "$(scripts/infra/up.sh)"); without them they are skipped with a note.

Exit codes: 0 done, 1 failed, 2 wrong arguments.
`;

const README = path.join(ROOT, 'bench', 'README.md');
const START = '<!-- results:start -->';
const END = '<!-- results:end -->';

/** Puts the tables of a full run between the README's result markers. */
const updateReadme = (written: readonly WrittenResult[], startedAt: Date): void => {
  const readme = readFileSync(README, 'utf8');
  const from = readme.indexOf(START);
  const to = readme.indexOf(END);
  if (from < 0 || to < from) return;
  const body = [
    START,
    '',
    `Last \`npm run bench:all\`: ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${String(written[0]?.machine['cpus'])} cores (${String(written[0]?.machine['cpuModel'])}), Node ${process.version}; ${written.reduce((s, w) => s + w.seconds, 0).toFixed(0)} s in all.`,
    '',
    ...written.flatMap((w) => [
      w.markdown.replace(/^### /, '### '),
      '',
      `Raw: [${path.basename(w.file)}](results/${path.basename(w.file)})`,
      '',
    ]),
    END,
  ].join('\n');
  writeFileSync(README, readme.slice(0, from) + body + readme.slice(to + END.length));
};

const main = async (argv: readonly string[]): Promise<number> => {
  const [name, ...rest] = argv;
  const log: Log = (line) => void process.stderr.write(`${line}\n`);
  if (name === undefined || name === '--help' || name === '-h') {
    process.stdout.write(HELP);
    return name === undefined ? 2 : 0;
  }
  if (name === 'profile') {
    if (rest.includes('--help') || rest.length === 0) {
      process.stdout.write(PROFILE_HELP);
      return rest.length === 0 ? 2 : 0;
    }
    process.stdout.write(summarizeProfile(rest));
    return 0;
  }
  const chosen = name === 'all' ? BENCHMARKS : BENCHMARKS.filter((b) => b.name === name);
  if (chosen.length === 0) {
    process.stderr.write(`bench: unknown benchmark "${name}"\n${HELP}`);
    return 2;
  }
  if (name === 'all' && rest.length > 0) {
    process.stderr.write('bench: "all" takes no options; run a benchmark by name to set its options\n');
    return 2;
  }
  let runs: { benchmark: Benchmark; run: (log: Log, startedAt: Date) => Promise<BenchResult> }[];
  try {
    const prepared = chosen.map((b) => ({ benchmark: b, run: b.prepare(name === 'all' ? b.allArgs : rest) }));
    const help = prepared.find((p) => p.run === 'help');
    if (help !== undefined) {
      process.stdout.write(help.benchmark.help);
      return 0;
    }
    runs = prepared as typeof runs;
  } catch (error) {
    process.stderr.write(`bench ${name}: ${(error as Error).message}\n${chosen[0]!.help}`);
    return 2;
  }
  const allStarted = new Date();
  const written: WrittenResult[] = [];
  for (const { benchmark: b, run } of runs) {
    const startedAt = new Date();
    log(`bench ${b.name}: started ${startedAt.toISOString()}`);
    const result = writeResult(await run(log, startedAt), startedAt);
    written.push(result);
    process.stdout.write(`\n${result.markdown}\n\n(${result.seconds} s; ${result.file})\n`);
  }
  if (name === 'all') updateReadme(written, allStarted);
  return 0;
};

// Ctrl-C: the servers this run started go too.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`bench: ${signal}: stopping the servers\n`);
    void stopAllServices().finally(() => process.exit(130));
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
