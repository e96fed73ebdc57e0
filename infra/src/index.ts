export * from './event-store';
export * from './bus/port';
export { InProcessBus } from './bus/in-process';
export { KafkaBus, type KafkaBusOptions } from './bus/kafka';
export * from './config/config';
export * from './logging';
