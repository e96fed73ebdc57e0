// The events of an audit's scope, in order, each decoded with its aggregate and told as who did
// what. Reading is paged, so a company's whole log never sits in memory at once.
import { agent, decodeStreamEvent, queue, session, type EventDecodeFailure } from '@cschat/domain';
import { matchesFilter, type EventStore, type Position, type RecordedEvent } from '@cschat/infra';
import { isLeft, left, type Either } from 'fp-ts/Either';
import type { AggregateKind, AggregateScope, AuditScope, TimeWindow } from './request';
import { metadataActorOf, whoDidWhat, type Actor, type AuditedEvent, type WhoDidWhat } from './who-did-what';

export const PAGE_SIZE = 500;

export const streamOf = (scope: AggregateScope): string => {
  switch (scope.kind) {
    case 'session':
      return session.sessionStream(scope.companyId, scope.id);
    case 'agent':
      return agent.agentStream(scope.companyId, scope.id);
    case 'queue':
      return queue.queueStream(scope.companyId, scope.id);
  }
};

const KINDS: readonly AggregateKind[] = ['session', 'agent', 'queue'];

/** Company ids have no `-`, so `session-acme-` is a prefix of acme's sessions and of no other company's. */
export const companyStreamPrefixes = (companyId: string): readonly string[] =>
  KINDS.map((kind) => `${kind}-${companyId}-`);

const kindOfStream = (streamId: string): AggregateKind | undefined =>
  KINDS.find((kind) => streamId.startsWith(`${kind}-`));

export const decodeRecorded = (recorded: RecordedEvent): Either<EventDecodeFailure, AuditedEvent> => {
  const { type, data } = recorded;
  try {
    const decoded =
      kindOfStream(recorded.streamId) === undefined ? undefined : decodeStreamEvent(recorded.streamId, type, data);
    return decoded ?? left({ type, message: `${recorded.streamId} is not a session, agent or queue stream` });
  } catch (error) {
    // An upcaster that throws on an odd old event must not end the audit either.
    return left({ type, message: `cannot decode ${type}: ${(error as Error).message}` });
  }
};

/** One stream, forwards, a page at a time. */
export async function* readStreamPaged(store: EventStore, streamId: string): AsyncGenerator<RecordedEvent> {
  let fromRevision = 0n;
  for (;;) {
    const page = await store.readStream(streamId, { fromRevision, maxCount: PAGE_SIZE });
    yield* page;
    const last = page[page.length - 1];
    if (last === undefined || page.length < PAGE_SIZE) return;
    fromRevision = last.revision + 1n;
  }
}

/**
 * A company's events from the global log. The port has no server-side filter on readAll, so this
 * reads the whole log and keeps the company's streams.
 */
export async function* readCompanyLog(store: EventStore, companyId: string): AsyncGenerator<RecordedEvent> {
  const filter = { streamPrefixes: companyStreamPrefixes(companyId) };
  let after: Position | undefined;
  for (;;) {
    const page = await store.readAll(after === undefined ? { maxCount: PAGE_SIZE } : { after, maxCount: PAGE_SIZE });
    for (const event of page) if (matchesFilter(event, filter)) yield event;
    const last = page[page.length - 1];
    if (last === undefined || page.length < PAGE_SIZE) return;
    after = last.position;
  }
}

export const readScope = (store: EventStore, scope: AuditScope): AsyncGenerator<RecordedEvent> =>
  scope.kind === 'company' ? readCompanyLog(store, scope.companyId) : readStreamPaged(store, streamOf(scope));

export interface AuditEntry extends WhoDidWhat {
  readonly recorded: RecordedEvent;
  readonly decoded: Either<EventDecodeFailure, AuditedEvent>;
}

const UNKNOWN: Actor = { role: 'unknown' };

/**
 * Every event of the scope, told. Events before the window are read too: a session's visitor is
 * named only by its SessionStarted, and a later HumanRequested inside the window needs it.
 */
export async function* auditEntries(store: EventStore, scope: AuditScope): AsyncGenerator<AuditEntry> {
  // Per open session stream; forgotten when the session ends, so it holds only open sessions.
  const visitors = new Map<string, string>();
  for await (const recorded of readScope(store, scope)) {
    const decoded = decodeRecorded(recorded);
    const metadataActor = metadataActorOf(recorded.metadata);
    if (isLeft(decoded)) {
      yield { recorded, decoded, actor: metadataActor ?? UNKNOWN, summary: decoded.left.message };
      continue;
    }
    const event = decoded.right;
    const told = whoDidWhat(event, { visitorId: visitors.get(recorded.streamId), metadataActor });
    if (event.type === 'SessionStarted') visitors.set(recorded.streamId, event.visitorId);
    if (event.type === 'SessionEnded') visitors.delete(recorded.streamId);
    yield { recorded, decoded, ...told };
  }
}

export const inWindow = (recordedAt: Date, window: TimeWindow): boolean =>
  (window.from === undefined || recordedAt.getTime() >= window.from.getTime()) &&
  (window.to === undefined || recordedAt.getTime() < window.to.getTime());
