// A visitor's visit and profile, recorded on its stream: a web login (what the widget says about
// the visitor) and a platform's message (the display name the platform gives).
import type { Either } from 'fp-ts/Either';
import { session, visitor, type DomainError, type IsoInstant } from '@cschat/domain';
import { handleCommand, type EventStore } from '@cschat/infra';

export interface Visit {
  readonly channel: session.Channel;
  readonly profile: visitor.VisitorProfile;
  readonly pageUrl?: string;
}

export type RecordVisit = (companyId: string, visitorId: string, visit: Visit) => Promise<Either<DomainError, unknown>>;

export const visitRecorder =
  (store: EventStore, now: () => Date = () => new Date()): RecordVisit =>
  (companyId, visitorId, visit) =>
    handleCommand(
      store,
      visitor.visitorAggregate,
      visitor.visitorStream(companyId, visitorId),
      {
        type: 'RecordVisitorVisit',
        companyId,
        visitorId,
        at: now().toISOString() as IsoInstant,
        ...visit,
      } as visitor.VisitorCommand,
      () => undefined,
    );

/** Whether a visitor is known to the server, by anything it did (a login, a session, a message). */
export type VisitorKnown = (companyId: string, visitorId: string) => Promise<boolean>;

/**
 * A visitor's own stream has an event from its first web login on (`VisitorSeen`) and from its first session on
 * (`VisitorSessionOpened`), so it tells, without a read model's lag, whether an id already belongs to somebody:
 * visitors from before resume tokens existed have no credential but do have this stream.
 */
export const visitorStreamKnown =
  (store: EventStore): VisitorKnown =>
  async (companyId, visitorId) =>
    (await store.readStream(visitor.visitorStream(companyId, visitorId), { maxCount: 1 })).length > 0;
