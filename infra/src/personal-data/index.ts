export * from './port';
export * from './erasure';
export * from './retention';
export { InMemoryKeyStore } from './memory';
export * from './key-store';
export * from './fields';
export { isEnvelope, type Envelope } from './cipher';
export * from './encryption';
