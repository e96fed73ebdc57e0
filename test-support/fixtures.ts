import { isLeft, type Either } from 'fp-ts/Either';
import type * as t from 'io-ts';
import { invalidPaths } from '../domain/src/shared/codecs';
import type { DomainError } from '../domain/src/shared/errors';

/** Decodes a test fixture with the production codec (so fixtures are valid by construction). */
export const decodeOrThrow =
  <A>(codec: t.Decoder<unknown, A>) =>
  (value: unknown): A => {
    const result = codec.decode(value);
    if (isLeft(result)) {
      throw new Error(`invalid fixture ${JSON.stringify(value)} at ${invalidPaths(result.left)}`);
    }
    return result.right;
  };

/** The value of a result the test expects to succeed; a failure throws with its code and message. */
export const valueOrThrow = <T>(result: Either<DomainError, T>): T => {
  if (isLeft(result)) throw new Error(`expected success, got ${result.left.code}: ${result.left.message}`);
  return result.right;
};
