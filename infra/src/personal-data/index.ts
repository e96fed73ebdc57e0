export * from './port';
export * from './erasure';
export * from './retention';
export { InMemoryKeyStore } from './memory';
