// Domain events read back from the bus or the store (decoded in infra, by the stream's aggregate).
export { decodeDomainEvent } from '@cschat/infra';
export type { DomainEvent } from '@cschat/domain';
