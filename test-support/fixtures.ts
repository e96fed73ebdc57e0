import { isLeft } from 'fp-ts/Either';
import type * as t from 'io-ts';
import { invalidPaths } from '../domain/src/shared/codecs';

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
