import { isLeft } from 'fp-ts/Either';
import type * as t from 'io-ts';

/** Decodes a test fixture with the production codec (so fixtures are valid by construction). */
export const decodeOrThrow =
  <A>(codec: t.Decoder<unknown, A>) =>
  (value: unknown): A => {
    const result = codec.decode(value);
    if (isLeft(result)) {
      const paths = result.left.map((e) => e.context.map((c) => c.key).join('.'));
      throw new Error(`invalid fixture ${JSON.stringify(value)} at ${paths.join(', ')}`);
    }
    return result.right;
  };
