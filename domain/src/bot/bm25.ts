// Okapi BM25 over short texts (each phrasing of an FAQ entry or intent is one document), with
// weighted features. k1 and b as usual; idf with the +1 that keeps it positive.

import type { Feature } from './tokenize';

export interface Bm25Options {
  readonly k1?: number;
  readonly b?: number;
  /**
   * Documents of one group (the phrasings of one FAQ entry) count once for a term's document
   * frequency: an intent with thirty phrasings must not make its own words look common.
   */
  readonly groupOf?: (doc: number) => number;
}

export interface Scored {
  readonly doc: number;
  readonly score: number;
}

export class Bm25Index {
  private readonly postings = new Map<string, { doc: number; tf: number }[]>();
  private readonly lengths: number[] = [];
  private readonly docFeatures: Map<string, number>[] = [];
  private averageLength = 0;
  private readonly groupFrequency = new Map<string, number>();
  private readonly groups: number;
  private readonly k1: number;
  private readonly b: number;

  constructor(docs: readonly (readonly Feature[])[], options: Bm25Options = {}) {
    this.k1 = options.k1 ?? 1.2;
    this.b = options.b ?? 0.75;
    docs.forEach((features, doc) => {
      const counts = new Map<string, number>();
      let length = 0;
      for (const { term, weight } of features) {
        counts.set(term, (counts.get(term) ?? 0) + weight);
        length += weight;
      }
      this.lengths.push(length);
      this.docFeatures.push(counts);
      for (const [term, tf] of counts) {
        const list = this.postings.get(term) ?? [];
        list.push({ doc, tf });
        this.postings.set(term, list);
      }
    });
    this.averageLength = this.lengths.reduce((a, b) => a + b, 0) / Math.max(1, this.lengths.length);
    const groupOf = options.groupOf ?? ((doc: number) => doc);
    this.groups = new Set(this.lengths.map((_, doc) => groupOf(doc))).size;
    for (const [term, list] of this.postings)
      this.groupFrequency.set(term, new Set(list.map((p) => groupOf(p.doc))).size);
  }

  get size(): number {
    return this.lengths.length;
  }

  /** Inverse document (group) frequency; a term no document has gets the highest. */
  idf(term: string): number {
    const n = this.groupFrequency.get(term) ?? 0;
    return Math.log(1 + (this.groups - n + 0.5) / (n + 0.5));
  }

  /** The features of document `doc` with their weighted counts. */
  featuresOf(doc: number): ReadonlyMap<string, number> {
    return this.docFeatures[doc] ?? new Map();
  }

  /** Every document sharing a feature with the query, best first. */
  search(query: readonly Feature[]): Scored[] {
    const weights = new Map<string, number>();
    for (const { term, weight } of query) weights.set(term, (weights.get(term) ?? 0) + weight);
    const scores = new Map<number, number>();
    for (const [term, queryWeight] of weights) {
      const list = this.postings.get(term);
      if (list === undefined) continue;
      const idf = this.idf(term);
      for (const { doc, tf } of list) {
        const norm = this.k1 * (1 - this.b + (this.b * this.lengths[doc]!) / this.averageLength);
        const part = (idf * queryWeight * (tf * (this.k1 + 1))) / (tf + norm);
        scores.set(doc, (scores.get(doc) ?? 0) + part);
      }
    }
    return [...scores.entries()]
      .map(([doc, score]) => ({ doc, score }))
      .sort((x, y) => y.score - x.score || x.doc - y.doc);
  }
}
