import type { ExpectedRevision } from './port';

/** The stream was not at the expected revision: reload, decide again, retry. */
export class VersionConflictError extends Error {
  override readonly name = 'VersionConflictError';
  readonly code = 'version_conflict';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    /** The stream's revision when known; undefined when the stream does not exist. */
    readonly actual: bigint | undefined,
  ) {
    super(
      `stream ${streamId}: expected revision ${String(expected)}, found ${
        actual === undefined ? 'no stream' : String(actual)
      }`,
    );
  }
}

/** The append was refused before anything was written: bad stream id, event type or data. */
export class InvalidAppendError extends Error {
  override readonly name = 'InvalidAppendError';
  readonly code = 'invalid_event';
  constructor(
    readonly streamId: string,
    readonly reason: string,
  ) {
    super(`stream ${streamId}: ${reason}`);
  }
}
