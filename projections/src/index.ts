import { agentBoard } from './read-models/agent-board';
import { messages } from './read-models/messages';
import { queueView } from './read-models/queue-view';
import { sessionFacts } from './read-models/session-facts';
import { sessionList } from './read-models/session-list';
import type { Projection } from './projection';
import { botAnswers } from './read-models/bot-answers';
import { sessionHistory } from './read-models/session-history';
import { visitors } from './read-models/visitors';

export * from './events';
export * from './generations';
export * from './projection';
export * from './projector';
export * from './queries';
export * from './reports';
export * from './rebuild';
export * from './batch';
export * from './rows';

/** Every read model, by name. */
export const PROJECTIONS: readonly Projection[] = [
  sessionList,
  messages,
  queueView,
  agentBoard,
  sessionFacts,
  botAnswers,
  sessionHistory,
  visitors,
];
export { agentBoard, botAnswers, messages, queueView, sessionFacts, sessionHistory, sessionList, visitors };
export * from './read-models/message-search';
export { ensureMonthPartition } from './read-models/messages';
export {
  pageTimeOf,
  pastSessions,
  visitorProfileOf,
  type PastSessionRow,
  type PastSessionsQuery,
  type VisitorProfileView,
} from './read-models/session-history';
export { runScenario, type ScenarioOptions } from './scenario';
export {
  slaBreachesOf,
  slaCandidates,
  slaCandidatesSql,
  type SlaCandidate,
  type SlaCandidatesQuery,
  type SlaTargetName,
} from './sla';
export {
  liveBoardOf,
  LiveBoard,
  LiveAgent,
  LiveQueue,
  LiveSession,
  type LiveRosterEntry,
} from './read-models/live-board';
export * from './erasure';
