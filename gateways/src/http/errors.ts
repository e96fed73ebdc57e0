// PROTOCOL errors over HTTP: `{"error": {"code", "message"}}` with a fitting status.
import type { FastifyReply } from 'fastify';
import { isLeft, type Either } from 'fp-ts/Either';
import type * as t from 'io-ts';
import { invalidPaths, type DomainError } from '@cschat/domain';
import { statusOf } from '../failures';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export { statusOf };

export const sendError = (reply: FastifyReply, status: number, code: string, message: string): FastifyReply =>
  reply.status(status).send({ error: { code, message } });

/** The body decoded with the codec, or a 400 naming the invalid fields. */
export const decodeBody = <A>(codec: t.Decoder<unknown, A>, body: unknown): A => {
  const decoded: Either<t.Errors, A> = codec.decode(body);
  if (isLeft(decoded)) throw new HttpError(400, 'bad_request', `invalid ${invalidPaths(decoded.left) || 'body'}`);
  return decoded.right;
};

/** The value of a result, or its DomainError as the HttpError of its status. */
export const unwrap = <T>(result: Either<DomainError, T>): T => {
  if (isLeft(result)) throw new HttpError(statusOf(result.left.code), result.left.code, result.left.message);
  return result.right;
};
