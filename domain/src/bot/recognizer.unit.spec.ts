import { bm25Recognizer, negates, notDone, TRANSFER_PHRASES, type KnowledgeEntry } from './recognizer';
import { featuresOf } from './tokenize';

const faq = (id: string, ...phrasings: string[]): KnowledgeEntry => ({
  id,
  kind: 'faq',
  title: phrasings[0]!,
  phrasings,
  action: 'answer',
  answer: `answer ${id}`,
});

const entries = [
  faq('refund', '退款多久到账', 'how long does a refund take', 'refund time'),
  faq('invoice', '怎么开发票', 'can I get an invoice', 'fapiao'),
  faq('shipping', '运费多少', 'shipping cost', 'is shipping free'),
];

describe('the BM25 recogniser', () => {
  const recognizer = bm25Recognizer(entries);

  it('reads Chinese without spaces, English with typos, and both mixed', () => {
    expect(recognizer.recognise('我想问下退款要多久才到账')).toMatchObject({
      kind: 'matched',
      entry: { id: 'refund' },
    });
    expect(recognizer.recognise('how lond does the refnd take??')).toMatchObject({
      kind: 'matched',
      entry: { id: 'refund' },
    });
    expect(recognizer.recognise('能开invoice吗')).toMatchObject({ kind: 'matched', entry: { id: 'invoice' } });
    expect(recognizer.recognise('发票')).toMatchObject({ kind: 'matched', entry: { id: 'invoice' } });
  });

  it('does not understand what it does not know, and offers the nearest FAQ entries', () => {
    const answer = recognizer.recognise('what is the meaning of life');
    expect(answer.kind).toBe('not_understood');
  });

  it('hears every built-in way of asking for a person, and not the words inside other words', () => {
    for (const phrase of TRANSFER_PHRASES)
      expect(recognizer.recognise(phrase)).toMatchObject({ kind: 'matched', entry: { action: 'transfer' } });
    expect(recognizer.recognise('agent!!')).toMatchObject({ entry: { action: 'transfer' } });
    expect(recognizer.recognise('人工智能会统治世界吗').kind).toBe('not_understood');
    expect(recognizer.recognise('the shipping agent lost my parcel, how much does shipping cost')).toMatchObject({
      entry: { id: 'shipping' },
    });
  });

  it('never takes a visitor who is not done for a goodbye, however many words the message shares with one', () => {
    const goodbye: KnowledgeEntry = {
      id: 'bye',
      kind: 'intent',
      title: 'goodbye',
      phrasings: ['再见', '没问题了谢谢', 'bye', 'no more questions'],
      action: 'end',
    };
    const withGoodbye = bm25Recognizer([...entries, goodbye]);
    // "one more question" shares "more" and "question" (and their trigrams) with "no more questions":
    // 0.785 before the continuation cues, as sure as a goodbye; "I have a question" 0.817.
    for (const text of [
      'I have a question',
      '有个问题',
      'one more question',
      'another question',
      'wait, not yet',
      '还有一个问题',
      '我还有问题',
      '不是再见',
    ])
      expect(withGoodbye.recognise(text)).not.toMatchObject({ kind: 'matched', entry: { action: 'end' } });
    for (const text of ['bye', 'no more questions, thanks', '没问题了，谢谢', '再见'])
      expect(withGoodbye.recognise(text)).toMatchObject({ kind: 'matched', entry: { id: 'bye' } });
    // Only the end is vetoed: the rest of the message still finds its answer.
    expect(withGoodbye.recognise('wait, one more question: how long does a refund take')).toMatchObject({
      entry: { id: 'refund' },
    });
  });

  it('hears a visitor who is not done: more to ask, something unsolved, a pause, a refusal of the end', () => {
    for (const text of [
      'I have one more question',
      'thanks, but I still have a problem',
      "don't close the chat",
      'please do not end this yet',
      'hold on',
      '谢谢，但是我的问题还没解决',
      '等一下',
      '先别走',
      '别结束',
      '不是bye啦',
    ])
      expect([text, notDone(text)]).toEqual([text, true]);
    for (const text of [
      'bye',
      "thanks, that's all",
      'no more questions',
      '没有了，谢谢',
      '再见',
      '没有别的问题了',
      'nothing else',
      "I'm not sure, bye",
    ])
      expect([text, notDone(text)]).toEqual([text, false]);
  });

  it('tells a negated phrasing from one without negation', () => {
    for (const text of ['no more questions', "that's not all", "don't", 'nothing else', '没问题了谢谢', '不是再见'])
      expect([text, negates(text)]).toEqual([text, true]);
    for (const text of ['one more question', 'bye', 'knowledge', '再见', '还有问题', 'another one'])
      expect([text, negates(text)]).toEqual([text, false]);
  });

  it('splits text into words, bigrams and trigrams, without filler words', () => {
    const terms = featuresOf('那个，请问 Refunds 到账').map((f) => f.term);
    expect(terms).toContain('w:refund');
    expect(terms).toContain('b:到账');
    expect(terms).not.toContain('w:那个');
  });
});
