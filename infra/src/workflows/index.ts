export * from './runner';
export * from './reactor';
