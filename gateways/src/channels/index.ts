// The platform channels: webhooks in (inbound.ts) and messages out (sender.ts), one adapter per
// platform. Importable on its own (`@cschat/gateways/src/channels`): the worker role sends with it
// without loading the HTTP server or the websocket gateway.
export * from './port';
export * from './adapters';
export * from './inbound';
export * from './sender';
