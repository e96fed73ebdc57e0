export * from './address';
export * from './codecs';
export * from './outbox';
export * from './signature';
export * from './store';
export * from './worker';
