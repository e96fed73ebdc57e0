import { bm25Recognizer, TRANSFER_PHRASES, type KnowledgeEntry } from './recognizer';
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

  it('splits text into words, bigrams and trigrams, without filler words', () => {
    const terms = featuresOf('那个，请问 Refunds 到账').map((f) => f.term);
    expect(terms).toContain('w:refund');
    expect(terms).toContain('b:到账');
    expect(terms).not.toContain('w:那个');
  });
});
