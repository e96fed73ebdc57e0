// What the chat needs to know of a company's configuration: declared in infra, beside the cache that serves it
// from the configuration store (`companyDirectory`). Tests use a map.
export type { AgentProfile, ChatSettings, Directory } from '@cschat/infra';
