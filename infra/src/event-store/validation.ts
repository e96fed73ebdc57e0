// Checks shared by every adapter, so that all of them refuse the same appends the same way.
import { randomUUID } from 'node:crypto';
import { InvalidAppendError } from './errors';
import type { NewEvent } from './port';

export const MAX_EVENT_BYTES = 1024 * 1024;
const STREAM_ID = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,254}$/;
const EVENT_TYPE = /^[A-Za-z][A-Za-z0-9_.:-]{0,199}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface PreparedEvent {
  readonly eventId: string;
  readonly type: string;
  readonly data: string;
  readonly metadata: string;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  Object.getPrototypeOf(value) === Object.prototype;

const ESCAPED_NUL = /(?:^|[^\\])(?:\\\\)*\\u0000/;

const serialise = (streamId: string, what: string, value: unknown): string => {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw new InvalidAppendError(streamId, `${what} is not JSON: ${(error as Error).message}`);
  }
  // PostgreSQL's jsonb refuses NUL characters; refuse them everywhere so adapters agree. A NUL is `\u0000`
  // after an even number of backslashes (a backslash typed before `u0000` is escaped as `\\`).
  if (json === undefined || ESCAPED_NUL.test(json)) {
    throw new InvalidAppendError(streamId, `${what} contains a NUL character or is not JSON`);
  }
  return json;
};

/** Validates an append and serialises each event once; throws InvalidAppendError. */
export const prepareAppend = (
  streamId: string,
  events: readonly NewEvent[],
  maxEventBytes = MAX_EVENT_BYTES,
): PreparedEvent[] => {
  if (!STREAM_ID.test(streamId)) {
    throw new InvalidAppendError(
      streamId.slice(0, 100),
      'stream id must be 1-255 characters of letters, digits and _.:@- starting with a letter or digit',
    );
  }
  if (events.length === 0) throw new InvalidAppendError(streamId, 'an append needs at least one event');
  return events.map((event, index) => {
    const at = `event ${index}`;
    if (!isPlainObject(event)) throw new InvalidAppendError(streamId, `${at} is not an object`);
    if (typeof event.type !== 'string' || !EVENT_TYPE.test(event.type)) {
      throw new InvalidAppendError(streamId, `${at} has an invalid type (letters, digits, _.:- up to 200)`);
    }
    if (!isPlainObject(event.data)) throw new InvalidAppendError(streamId, `${at} data must be a JSON object`);
    if (event.metadata !== undefined && !isPlainObject(event.metadata)) {
      throw new InvalidAppendError(streamId, `${at} metadata must be a JSON object`);
    }
    if (event.eventId !== undefined && !UUID.test(event.eventId)) {
      throw new InvalidAppendError(streamId, `${at} event id must be a UUID`);
    }
    const data = serialise(streamId, `${at} data`, event.data);
    const metadata = serialise(streamId, `${at} metadata`, event.metadata ?? {});
    const size = Buffer.byteLength(data) + Buffer.byteLength(metadata);
    if (size > maxEventBytes) {
      throw new InvalidAppendError(streamId, `${at} is ${size} bytes, above the limit of ${maxEventBytes}`);
    }
    return { eventId: event.eventId ?? randomUUID(), type: event.type, data, metadata };
  });
};
