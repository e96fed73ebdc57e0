// What a visitor's message asks for: an FAQ entry, an intent (transfer to a human, goodbye,
// greeting...), or nothing the bot knows. `IntentRecognizer` is the port, so that a model-based
// recogniser can replace this one; `bm25Recognizer` ranks every phrasing of every entry with BM25
// and says how sure it is with the share of the message's (idf-weighted) features the best
// phrasing covers, and of the phrasing's the message covers. An `end` intent (a goodbye) is held
// to more: its negated phrasings ("no more questions", 没问题了) match only a negated message
// (`negates`), and a message that says the visitor is not done ("one more question", 等一下, 不是再见)
// matches none of its phrasings (`notDone`).
import { Bm25Index } from './bm25';
import { ENDINGS, NEGATION, NEGATORS, STILL_GOING } from './lexicon';
import { featuresOf, normalise, type Feature } from './tokenize';

export type BotAction = 'answer' | 'transfer' | 'end';

export interface KnowledgeEntry {
  readonly id: string;
  readonly kind: 'faq' | 'intent';
  /** The FAQ question or the intent's name. */
  readonly title: string;
  /** The question and its alternatives, or the intent's training phrases. */
  readonly phrasings: readonly string[];
  readonly action: BotAction;
  readonly answer?: string;
}

export interface Candidate {
  readonly entry: KnowledgeEntry;
  /** 0..1 */
  readonly confidence: number;
}

export type Recognition =
  | {
      readonly kind: 'matched';
      readonly entry: KnowledgeEntry;
      readonly confidence: number;
      readonly via: 'phrase' | 'ranking';
    }
  | { readonly kind: 'not_understood'; readonly confidence: number; readonly candidates: readonly Candidate[] };

export interface IntentRecognizer {
  recognise(text: string): Recognition;
}

/** Always there, whatever a company configured: asking for a person must never fail. */
export const TRANSFER_PHRASES: readonly string[] = [
  '转人工',
  '人工客服',
  '人工服务',
  '找客服',
  '接人工',
  '转接客服',
  '转客服',
  '要人工',
  '找人工',
  '真人客服',
  '找真人',
  '客服在吗',
  '人工人工',
  '人工坐席',
  '联系客服',
  'talk to a human',
  'speak to a human',
  'human please',
  'human agent',
  'agent please',
  'real person',
  'live agent',
  'live person',
  'speak to someone',
  'talk to someone',
  'speak with someone',
  'talk with someone',
  'customer service representative',
  'customer service agent',
  'speak to an agent',
  'talk to an agent',
  'an operator',
  'representative please',
  'speak to a person',
  'talk to a person',
  'real human',
  'customer service please',
  'talk to customer service',
  'speak to customer service',
  'contact customer service',
];
/** One word that asks for a person when the message is hardly more than that word. */
const TRANSFER_WORDS = new Set(['human', 'agent', 'operator', 'representative', 'person', '人工', '客服', '真人']);

const HAN = /\p{Script=Han}/u;
const compact = (text: string): string =>
  normalise(text)
    .replace(/[\s\p{P}\p{S}]+/gu, ' ')
    .trim();

/** Whether two words differ by at most one letter (one typo) when they are long enough to tell. */
const nearly = (a: string, b: string): boolean => {
  if (a === b) return true;
  if (Math.min(a.length, b.length) < 5 || Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i += 1;
  return a.slice(i + 1) === b.slice(i + 1) || a.slice(i) === b.slice(i + 1) || a.slice(i + 1) === b.slice(i);
};

/** The phrase's words appear one after the other in the message, a typo allowed in each long word. */
const containsWords = (words: readonly string[], phrase: readonly string[]): boolean => {
  for (let start = 0; start + phrase.length <= words.length; start += 1)
    if (phrase.every((p, i) => nearly(words[start + i]!, p))) return true;
  return false;
};

/** Asking someone to be changed or fetched, next to a word for a person or the bot (换个人, talk to ... agent). */
const FETCH_VERBS = /换|找|接|转|叫|talk|speak|connect|transfer/u;

/** An explicit request for a person: a known phrase, or a very short message that is one word of it. */
const asksForPerson = (text: string, phrases: readonly string[]): boolean => {
  const plain = compact(text);
  const joined = plain.replace(/ /g, '');
  const words = plain.split(' ');
  for (const phrase of phrases) {
    const p = compact(phrase);
    if (p.length === 0) continue;
    if (HAN.test(p)) {
      if ([...p.replace(/ /g, '')].length >= 3 && joined.includes(p.replace(/ /g, ''))) return true;
    } else if (p.includes(' ') && containsWords(words, p.split(' '))) return true;
  }
  if (/机器人|真人|活人|人工客服|换个人|换人/u.test(joined) && FETCH_VERBS.test(plain)) return true;
  const short = words.filter((w) => !['please', 'pls', 'plz', 'a', 'an', 'the', 'i', 'want', '要', '我要'].includes(w));
  return (
    short.length >= 1 &&
    short.length <= 2 &&
    short.some((w) => TRANSFER_WORDS.has(w) || TRANSFER_WORDS.has(w.replace(/s$/, '')))
  );
};

/** "don't" as "do not", so that the negator is a word of its own. */
const NOT = /n['\u2019]t\b/gu;

/** Whether the text negates something (lexicon.ts `NEGATION`): "no more questions", "don't", 没问题了. */
export const negates = (text: string): boolean => {
  const plain = compact(text.replace(NOT, ' not'));
  const words = plain.split(' ');
  return NEGATION.some((n) => (HAN.test(n) ? plain.includes(n) : words.includes(n)));
};

/**
 * A negator and then, at most `gap` words later in the same clause, an ending: "not bye", "do not
 * want to end"; not "I'm not sure, bye".
 */
const refusesWithin = (text: string, gap: number): boolean =>
  normalise(text)
    .split(/[\p{P}\p{S}]+/u)
    .map((clause) => compact(clause).split(' '))
    .some((words) =>
      words.some(
        (word, i) =>
          NEGATORS.includes(word) &&
          words.slice(i + 1, i + 2 + gap).some((next) => ENDINGS.some((e) => nearly(next, e))),
      ),
    );

/**
 * The visitor is not done: more to ask, something unsolved, a pause, or a refusal of the end
 * (lexicon.ts `STILL_GOING`, `NEGATORS`, `ENDINGS`). Such a message is never a goodbye.
 */
export const notDone = (text: string): boolean => {
  const spelled = text.replace(NOT, ' not');
  const plain = compact(spelled);
  const joined = plain.replace(/ /g, '');
  const words = plain.split(' ');
  const has = (phrase: string): boolean =>
    HAN.test(phrase) ? joined.includes(phrase) : containsWords(words, phrase.split(' '));
  if (STILL_GOING.some(has)) return true;
  const chineseNegators = NEGATORS.filter((n) => HAN.test(n));
  return refusesWithin(spelled, 2) || chineseNegators.some((n) => ENDINGS.some((e) => joined.includes(n + e)));
};

/**
 * The default threshold: on the evaluation set unrelated messages stay below 0.1 and most right
 * answers are above 0.15 (infra/src/bot/evaluation.unit.spec.ts prints both).
 */
export const DEFAULT_CONFIDENCE = 0.15;

export interface RecognizerOptions {
  /** Below this confidence the bot did not understand (0..1, default 0.15). */
  readonly threshold?: number;
  /** How many candidates a not-understood answer carries (default 3). */
  readonly candidates?: number;
}

const weightOf = (features: readonly Feature[]): Map<string, number> => {
  const weights = new Map<string, number>();
  for (const { term, weight } of features) weights.set(term, (weights.get(term) ?? 0) + weight);
  return weights;
};

export const bm25Recognizer = (
  entries: readonly KnowledgeEntry[],
  options: RecognizerOptions = {},
): IntentRecognizer => {
  const threshold = options.threshold ?? DEFAULT_CONFIDENCE;
  const owners: KnowledgeEntry[] = [];
  const docs: Feature[][] = [];
  /** Per document: a goodbye phrasing that negates, which means the opposite without its negation. */
  const negatedGoodbye: boolean[] = [];
  for (const entry of entries) {
    for (const phrasing of entry.phrasings) {
      owners.push(entry);
      docs.push(featuresOf(phrasing));
      negatedGoodbye.push(entry.action === 'end' && negates(phrasing));
    }
  }
  const groupIds = new Map(entries.map((entry, i) => [entry, i]));
  const index = new Bm25Index(docs, { groupOf: (doc) => groupIds.get(owners[doc]!)! });
  const transferPhrases = [
    ...TRANSFER_PHRASES,
    ...entries.filter((e) => e.action === 'transfer').flatMap((e) => e.phrasings),
  ];
  const transferEntry: KnowledgeEntry = entries.find((e) => e.action === 'transfer') ?? {
    id: 'builtin:human',
    kind: 'intent',
    title: 'human',
    phrasings: TRANSFER_PHRASES,
    action: 'transfer',
  };

  /** How much of the message the phrasing covers, and of the phrasing the message covers. */
  const confidence = (query: Map<string, number>, doc: number): number => {
    const phrasing = index.featuresOf(doc);
    let queryTotal = 0;
    let queryShared = 0;
    for (const [term, weight] of query) {
      const w = index.idf(term) * weight;
      queryTotal += w;
      if (phrasing.has(term)) queryShared += w;
    }
    let docTotal = 0;
    let docShared = 0;
    for (const [term, weight] of phrasing) {
      const w = index.idf(term) * weight;
      docTotal += w;
      if (query.has(term)) docShared += w;
    }
    if (queryTotal === 0 || docTotal === 0) return 0;
    return 0.65 * (queryShared / queryTotal) + 0.35 * (docShared / docTotal);
  };

  return {
    recognise: (text) => {
      if (asksForPerson(text, transferPhrases)) {
        return { kind: 'matched', entry: transferEntry, confidence: 1, via: 'phrase' };
      }
      const features = featuresOf(text);
      const query = weightOf(features);
      // Read only when an end intent is among the candidates: most messages never need them.
      let stillGoing: boolean | undefined;
      let negated: boolean | undefined;
      const best = new Map<KnowledgeEntry, number>();
      for (const { doc } of index.search(features).slice(0, 50)) {
        const entry = owners[doc]!;
        if (entry.action === 'end') {
          if (negatedGoodbye[doc] === true && !(negated ??= negates(text))) continue;
          if ((stillGoing ??= notDone(text))) continue;
        }
        const c = confidence(query, doc);
        if (c > (best.get(entry) ?? -1)) best.set(entry, c);
      }
      const ranked = [...best.entries()]
        .map(([entry, c]) => ({ entry, confidence: Math.round(c * 1000) / 1000 }))
        .sort((a, b) => b.confidence - a.confidence);
      const top = ranked[0];
      if (top !== undefined && top.confidence >= threshold) {
        return { kind: 'matched', entry: top.entry, confidence: top.confidence, via: 'ranking' };
      }
      return {
        kind: 'not_understood',
        confidence: top?.confidence ?? 0,
        candidates: ranked.filter((c) => c.entry.kind === 'faq').slice(0, options.candidates ?? 3),
      };
    },
  };
};
