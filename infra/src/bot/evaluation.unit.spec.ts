// The recogniser on a fixed evaluation set written by hand, independent of the matcher, against
// the demo knowledge base: top-1 accuracy, transfer recall, no transfer on unrelated messages,
// goodbyes heard and no goodbye read into a visitor who is not done. Prints the figures (and the misses) so that a change to the matcher shows its effect.
import { bm25Recognizer, type KnowledgeEntry } from '@cschat/domain';
import { DEMO_FAQ, DEMO_INTENTS } from '../../../scripts/src/demo-knowledge';
import { EVALUATION } from './evaluation.data';
import { HOLDOUT } from './holdout.data';

const knowledge: KnowledgeEntry[] = [
  ...DEMO_FAQ.map((f) => ({
    id: f.key,
    kind: 'faq' as const,
    title: f.question,
    phrasings: [f.question, ...f.alternatives],
    action: 'answer' as const,
    answer: f.answer,
  })),
  ...DEMO_INTENTS.map((i) => ({
    id: `intent:${i.name}`,
    kind: 'intent' as const,
    title: i.name,
    phrasings: i.phrases,
    action: i.action,
    ...(i.answer === undefined ? {} : { answer: i.answer }),
  })),
];

const verdictOf = (recognition: ReturnType<ReturnType<typeof bm25Recognizer>['recognise']>): string => {
  if (recognition.kind === 'not_understood') return 'none';
  if (recognition.entry.action === 'transfer') return 'transfer';
  return recognition.entry.kind === 'faq' ? recognition.entry.id : `intent:${recognition.entry.title}`;
};

/** The message would make the bot offer to end (an `end` intent). */
const endsBy = (recognition: ReturnType<ReturnType<typeof bm25Recognizer>['recognise']>): boolean =>
  recognition.kind === 'matched' && recognition.entry.action === 'end';

const NOT_FAQ = new Set(['transfer', 'none', 'goodbye', 'not goodbye']);

describe('the recogniser on the evaluation set', () => {
  const recognizer = bm25Recognizer(knowledge);
  const results = EVALUATION.map((c) => {
    const recognition = recognizer.recognise(c.text);
    return { ...c, got: verdictOf(recognition), ends: endsBy(recognition) };
  });
  const faqCases = results.filter((r) => !NOT_FAQ.has(r.expect));
  const transferCases = results.filter((r) => r.expect === 'transfer');
  const noneCases = results.filter((r) => r.expect === 'none');
  const goodbyeCases = results.filter((r) => r.expect === 'goodbye');
  const notGoodbyeCases = results.filter((r) => r.expect === 'not goodbye');
  const share = (part: number, all: number) => `${((100 * part) / all).toFixed(1)}% (${part}/${all})`;

  it('prints its figures', () => {
    const missed = (r: (typeof results)[number]): boolean => {
      if (r.expect === 'goodbye') return !r.ends;
      if (r.expect === 'not goodbye') return r.ends;
      return r.got !== r.expect && !(r.expect === 'none' && r.got.startsWith('intent:'));
    };
    const misses = results.filter(missed);
    process.stdout.write(
      [
        `evaluation: ${EVALUATION.length} messages against ${DEMO_FAQ.length} FAQ entries and ${DEMO_INTENTS.length} intents`,
        `  FAQ top-1 accuracy: ${share(faqCases.filter((r) => r.got === r.expect).length, faqCases.length)}`,
        `  transfer recall:    ${share(transferCases.filter((r) => r.got === 'transfer').length, transferCases.length)}`,
        `  unrelated messages: ${share(noneCases.filter((r) => r.got === 'none').length, noneCases.length)} not matched, ` +
          `${noneCases.filter((r) => r.got === 'transfer').length} transferred`,
        `  goodbyes:           ${share(goodbyeCases.filter((r) => r.ends).length, goodbyeCases.length)} taken for goodbye`,
        `  not goodbye:        ${share(notGoodbyeCases.filter((r) => !r.ends).length, notGoodbyeCases.length)} not taken for goodbye`,
        ...misses.map((r) => `  miss: ${JSON.stringify(r.text)} expected ${r.expect}, got ${r.got}`),
        '',
      ].join('\n'),
    );
  });

  it('answers at least 85% of the FAQ questions with the right entry', () => {
    expect(faqCases.filter((r) => r.got === r.expect).length / faqCases.length).toBeGreaterThanOrEqual(0.85);
  });

  it('hears every request for a person', () => {
    expect(transferCases.filter((r) => r.got !== 'transfer')).toEqual([]);
  });

  it('transfers no unrelated message and answers none with an FAQ entry', () => {
    expect(noneCases.filter((r) => r.got === 'transfer')).toEqual([]);
    expect(noneCases.filter((r) => r.got !== 'none' && !r.got.startsWith('intent:'))).toEqual([]);
  });

  it('hears every goodbye, and reads none into a visitor who is not done', () => {
    expect(goodbyeCases.filter((r) => !r.ends).map((r) => r.text)).toEqual([]);
    expect(notGoodbyeCases.filter((r) => r.ends).map((r) => r.text)).toEqual([]);
  });
});

describe('the recogniser on the held-out set (written by hand without seeing the matcher or the set above)', () => {
  const recognizer = bm25Recognizer(knowledge);
  const results = HOLDOUT.map((c) => ({ ...c, got: verdictOf(recognizer.recognise(c.text)) }));
  const faqCases = results.filter((r) => r.expect !== 'transfer' && r.expect !== 'none');
  const transferCases = results.filter((r) => r.expect === 'transfer');
  const noneCases = results.filter((r) => r.expect === 'none');

  it('prints its figures: what the matcher does on messages it was not tuned on', () => {
    const right = faqCases.filter((r) => r.got === r.expect).length;
    process.stdout.write(
      [
        `held-out: ${HOLDOUT.length} messages`,
        `  FAQ top-1 accuracy: ${((100 * right) / faqCases.length).toFixed(1)}% (${right}/${faqCases.length})`,
        `  transfer recall:    ${transferCases.filter((r) => r.got === 'transfer').length}/${transferCases.length}`,
        `  unrelated messages: ${noneCases.filter((r) => r.got === 'none' || r.got.startsWith('intent:')).length}/${noneCases.length} not answered from the FAQ, ` +
          `${noneCases.filter((r) => r.got === 'transfer').length} transferred`,
        ...results
          .filter((r) => r.got !== r.expect && !(r.expect === 'none' && r.got.startsWith('intent:')))
          .map((r) => `  miss: ${JSON.stringify(r.text)} expected ${r.expect}, got ${r.got}`),
        '',
      ].join('\n'),
    );
    expect(results).toHaveLength(HOLDOUT.length);
  });
});
