export * from './auth';
export * from './chat/service';
export * from './chat/directory';
export * from './delivery';
export * from './directory-adapter';
export * from './front-door';
export { buildHttpApi, type HttpApiOptions } from './http/server';
export * from './ws';
