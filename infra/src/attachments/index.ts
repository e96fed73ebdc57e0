export * from './port';
export * from './store';
export { diskContent } from './disk';
export { byteaContent } from './bytea';
export * from './intake';
export * from './service';
export * from './view';
