export * from './auth';
export * from './delivery';
export * from './ttl-cache';
export * from './failures';
export * from './front-door';
export * from './signals';
export { buildHttpApi, type HttpApiOptions } from './http/server';
export * from './ws';
export * from './channels';
