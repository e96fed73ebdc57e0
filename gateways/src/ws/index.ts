// The websocket gateway: frames of the client protocol, the transport, and its ports.
export * from './frames';
export * from './gateway';
export * from './limits';
export * from './metrics';
export * from './ports';
export * from './registry';
