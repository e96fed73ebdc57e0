// Text to matching features, for visitors who write Chinese without spaces, English, or both:
// Chinese runs give their words (ICU's word segmenter, `Intl.Segmenter`) and their character
// bigrams (which catch the words the segmenter splits: 发票, 客服); Latin words are case-folded
// and lightly stemmed, and give character trigrams too, so a typo still shares most of them.
// Filler words that say nothing about the question are dropped.

import { CONCEPTS } from './lexicon';

export interface Feature {
  readonly term: string;
  /** How much a shared feature counts (a whole word more than a piece of one). */
  readonly weight: number;
}

const FILLERS = new Set([
  // Chinese fillers, particles and politeness
  '的',
  '了',
  '吗',
  '呢',
  '吧',
  '啊',
  '呀',
  '哦',
  '嗯',
  '额',
  '呃',
  '哈',
  '啦',
  '嘛',
  '哎',
  '诶',
  '亲',
  '那个',
  '这个',
  '就是',
  '请问',
  '一下',
  '你好',
  '您好',
  '麻烦',
  '谢谢',
  '我',
  '我的',
  '你',
  '你们',
  '您',
  '是',
  '在',
  '有',
  '吧',
  '想',
  '要',
  '能',
  '可以',
  '怎么',
  '怎样',
  '如何',
  '什么',
  '为什么',
  '还',
  '又',
  '也',
  '都',
  '就',
  '和',
  '跟',
  '给',
  '帮',
  '下',
  '个',
  '请',
  '问',
  // English fillers and function words
  'a',
  'an',
  'the',
  'to',
  'of',
  'in',
  'on',
  'at',
  'for',
  'is',
  'are',
  'was',
  'be',
  'do',
  'does',
  'did',
  'i',
  'me',
  'my',
  'you',
  'your',
  'we',
  'our',
  'it',
  'this',
  'that',
  'and',
  'or',
  'so',
  'um',
  'uh',
  'hmm',
  'hi',
  'hello',
  'hey',
  'please',
  'pls',
  'plz',
  'can',
  'could',
  'would',
  'will',
  'how',
  'what',
  'when',
  'where',
  'why',
  'which',
  'there',
  'any',
  'some',
  'just',
  'like',
  'want',
  'need',
  'get',
  'have',
  'has',
  'with',
  'about',
  'from',
  'ok',
  'okay',
  'well',
  'thanks',
  'thank',
]);

const HAN = /\p{Script=Han}/u;
/** Particles that make a bigram meaningless when they are one of its two characters (的订 in 的订单). */
const PARTICLES = /[的了吗呢吧啊呀哦嗯额呃哈啦嘛哎诶亲]/u;
const segmenter = new Intl.Segmenter('zh', { granularity: 'word' });

/** Case, width and repeated letters folded: "Ｒｅｆｕｎｄ!!!" and "refund" read the same. */
export const normalise = (text: string): string =>
  text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/(\p{L})\1{2,}/gu, '$1$1')
    // Words that contain a customer-service word but mean something else.
    .replace(/人工智能/gu, ' ai ');

/** A light English stemmer: plurals and common endings, enough for short questions. */
export const stem = (word: string): string => {
  if (word.length <= 3) return word;
  for (const [suffix, replacement] of [
    ['ies', 'y'],
    ['ing', ''],
    ['ed', ''],
    ['es', ''],
    ['s', ''],
  ] as const) {
    if (word.endsWith(suffix) && word.length - suffix.length >= 3) return word.slice(0, -suffix.length) + replacement;
  }
  return word;
};

const trigrams = (word: string): string[] => {
  const padded = `#${word}#`;
  const grams: string[] = [];
  for (let i = 0; i + 3 <= padded.length; i += 1) grams.push(padded.slice(i, i + 3));
  return grams;
};

const HAN_KEY = /\p{Script=Han}/u;
const lexicon = Object.entries(CONCEPTS).map(([concept, keys]) => ({
  concept,
  chinese: keys.filter((k) => HAN_KEY.test(k)),
  english: keys.filter((k) => !HAN_KEY.test(k)).map((k) => ` ${k.split(' ').map(stem).join(' ')} `),
}));

/** The concepts of the thesaurus the text names. */
const conceptsOf = (normalised: string, words: readonly string[]): string[] => {
  const spaced = ` ${words.join(' ')} `;
  return lexicon
    .filter(
      ({ chinese, english }) => chinese.some((k) => normalised.includes(k)) || english.some((k) => spaced.includes(k)),
    )
    .map(({ concept }) => concept);
};

/** The features of a text, repeated as often as they occur. */
export const featuresOf = (text: string): Feature[] => {
  const features: Feature[] = [];
  const latin: string[] = [];
  for (const { segment, isWordLike } of segmenter.segment(normalise(text))) {
    if (isWordLike !== true) continue;
    if (HAN.test(segment)) {
      if (!FILLERS.has(segment)) features.push({ term: `w:${segment}`, weight: 1 });
      // Single characters too, lightly: 退 in 退货 and in 能退吗.
      for (const char of segment)
        if (!FILLERS.has(char) && !PARTICLES.test(char)) features.push({ term: `c1:${char}`, weight: 0.2 });
      continue;
    }
    if (!/\p{L}|\p{N}/u.test(segment)) continue;
    latin.push(stem(segment));
    if (FILLERS.has(segment)) continue;
    const word = stem(segment);
    features.push({ term: `w:${word}`, weight: 1 });
    if (word.length >= 4) for (const gram of trigrams(word)) features.push({ term: `t:${gram}`, weight: 0.25 });
  }
  // Character bigrams of every run of Chinese characters (fillers included: 人工 in 转人工).
  for (const run of normalise(text).match(/\p{Script=Han}+/gu) ?? []) {
    const chars = [...run];
    for (let i = 0; i + 1 < chars.length; i += 1) {
      const bigram = chars[i]! + chars[i + 1]!;
      if (!FILLERS.has(bigram) && !PARTICLES.test(bigram)) features.push({ term: `b:${bigram}`, weight: 0.5 });
    }
  }
  for (const concept of conceptsOf(normalise(text), latin)) features.push({ term: `k:${concept}`, weight: 1.5 });
  return features;
};
