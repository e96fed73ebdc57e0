// An audit entry as one line of text for a person, or one JSON object for a program.
import { isLeft } from 'fp-ts/Either';
import type { AuditEntry } from './history';
import { describeActor, printable } from './who-did-what';

/** The longest event type (TimeoutCheckScheduled), so that actors line up in a column. */
const TYPE_WIDTH = 21;
const ACTOR_WIDTH = 16;

export const textLine = (entry: AuditEntry): string => {
  const { recorded } = entry;
  const what = isLeft(entry.decoded) ? `[undecodable] ${printable(entry.summary)}` : entry.summary;
  return [
    recorded.recordedAt.toISOString(),
    `${recorded.streamId}@${recorded.revision}`,
    recorded.type.padEnd(TYPE_WIDTH),
    describeActor(entry.actor).padEnd(ACTOR_WIDTH),
    what,
  ].join('  ');
};

export const jsonLine = (entry: AuditEntry): string => {
  const { recorded } = entry;
  return JSON.stringify({
    streamId: recorded.streamId,
    // Strings: revisions and positions are 64-bit, beyond what a JSON number holds exactly.
    revision: recorded.revision.toString(),
    position: { commit: recorded.position.commit.toString(), prepare: recorded.position.prepare.toString() },
    eventId: recorded.eventId,
    type: recorded.type,
    recordedAt: recorded.recordedAt.toISOString(),
    actor: entry.actor,
    summary: entry.summary,
    data: recorded.data,
    metadata: recorded.metadata,
    ...(isLeft(entry.decoded) ? { undecodable: entry.decoded.left.message } : {}),
  });
};
