export * from './port';
export * from './key-store';
export * from './fields';
export { isEnvelope, type Envelope } from './cipher';
export * from './encryption';
