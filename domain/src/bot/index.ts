export * from './tokenize';
export * from './bm25';
export * from './recognizer';
