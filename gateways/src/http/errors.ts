// PROTOCOL errors over HTTP: `{"error": {"code", "message"}}` with a fitting status.
import type { FastifyReply } from 'fastify';
import { isLeft, type Either } from 'fp-ts/Either';
import type * as t from 'io-ts';
import { invalidPaths } from '@cschat/domain';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const STATUS_OF_CODE: Readonly<Record<string, number>> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  session_not_found: 404,
  agent_not_found: 404,
  conflict: 409,
  working_hours_exists: 409,
  unknown_group: 400,
  no_group: 409,
  not_assigned_to_you: 403,
  session_ended: 409,
  capacity_reached: 409,
  invalid_transition: 409,
  agent_offline: 409,
};

export const statusOf = (code: string): number => STATUS_OF_CODE[code] ?? 500;

export const sendError = (reply: FastifyReply, status: number, code: string, message: string): FastifyReply =>
  reply.status(status).send({ error: { code, message } });

/** The body decoded with the codec, or a 400 naming the invalid fields. */
export const decodeBody = <A>(codec: t.Decoder<unknown, A>, body: unknown): A => {
  const decoded: Either<t.Errors, A> = codec.decode(body);
  if (isLeft(decoded)) throw new HttpError(400, 'bad_request', `invalid ${invalidPaths(decoded.left) || 'body'}`);
  return decoded.right;
};
