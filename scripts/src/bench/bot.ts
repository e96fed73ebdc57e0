// `npm run bench:bot`: the recogniser's cost at a knowledge base of --entries FAQ entries (default
// 1,000: the demo's 20 entries, each repeated with its words recombined), per visitor message of
// the evaluation set; and the cost of building the index. Prints a table; numbers are context for
// this machine, not assertions.
import { parseArgs } from 'node:util';
import { bm25Recognizer, type KnowledgeEntry } from '@cschat/domain';
import { EVALUATION } from '../../../infra/src/bot/evaluation.data';
import { DEMO_FAQ, DEMO_INTENTS } from '../demo-knowledge';
import { percentile } from './stats';

const HELP = `Usage: npm run bench:bot -- [--entries 1000] [--rounds 20]

Builds the BM25 recogniser over --entries FAQ entries and runs every message of the bot's
evaluation set through it --rounds times; prints build time and time per message (median, p99).
`;

const knowledgeOf = (entries: number): KnowledgeEntry[] => {
  const faq: KnowledgeEntry[] = [];
  for (let i = 0; faq.length < entries; i += 1) {
    const base = DEMO_FAQ[i % DEMO_FAQ.length]!;
    const round = Math.floor(i / DEMO_FAQ.length);
    // Other entries of the same shape: the phrasings with a distinct product word, so the index
    // holds as many distinct terms as a real large FAQ would.
    const product = `item${round}`;
    faq.push({
      id: `${base.key}-${round}`,
      kind: 'faq',
      title: round === 0 ? base.question : `${base.question} ${product}`,
      phrasings: [base.question, ...base.alternatives].map((p) => (round === 0 ? p : `${p} ${product}`)),
      action: 'answer',
      answer: base.answer,
    });
  }
  return [
    ...faq,
    ...DEMO_INTENTS.map((i) => ({
      id: i.name,
      kind: 'intent' as const,
      title: i.name,
      phrasings: i.phrases,
      action: i.action,
    })),
  ];
};

const main = (): number => {
  const { values } = parseArgs({
    options: { entries: { type: 'string' }, rounds: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(HELP);
    return 0;
  }
  const entries = Number(values.entries ?? '1000');
  const rounds = Number(values.rounds ?? '20');
  if (!Number.isInteger(entries) || entries < 1 || !Number.isInteger(rounds) || rounds < 1) {
    process.stderr.write(`bench:bot: --entries and --rounds must be positive whole numbers\n${HELP}`);
    return 2;
  }
  const knowledge = knowledgeOf(entries);
  const phrasings = knowledge.reduce((n, e) => n + e.phrasings.length, 0);
  const built = performance.now();
  const recognizer = bm25Recognizer(knowledge);
  const buildMs = performance.now() - built;
  const times: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    for (const { text } of EVALUATION) {
      const started = performance.now();
      recognizer.recognise(text);
      times.push(performance.now() - started);
    }
  }
  times.sort((a, b) => a - b);
  process.stdout.write(
    [
      `knowledge: ${entries} FAQ entries + ${DEMO_INTENTS.length} intents, ${phrasings} phrasings`,
      `build:     ${buildMs.toFixed(1)} ms`,
      `recognise: ${times.length} messages, median ${percentile(times, 50).toFixed(3)} ms, p99 ${percentile(times, 99).toFixed(3)} ms`,
      '',
    ].join('\n'),
  );
  return 0;
};

process.exitCode = main();
