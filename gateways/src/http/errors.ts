// PROTOCOL errors over HTTP: `{"error": {"code", "message", "field"?}}` with a fitting status; `field`
// names the input that broke a rule (PROTOCOL "Security").
import type { FastifyReply } from 'fastify';
import { isLeft, type Either } from 'fp-ts/Either';
import type * as t from 'io-ts';
import { violationOf, type DomainError } from '@cschat/domain';
import { statusOf } from '../failures';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The field (`capacity`, `weekly.1.from`) whose rule `message` states, when one is to blame. */
    readonly field?: string,
  ) {
    super(message);
  }
}

export { statusOf };

export const sendError = (
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
  field?: string,
): FastifyReply => reply.status(status).send({ error: { code, message, ...(field === undefined ? {} : { field }) } });

/** A 400 `bad_request` naming the field and the rule it breaks (`capacity: must be ...`). */
export const badField = (field: string, rule: string): HttpError =>
  new HttpError(400, 'bad_request', `${field}: ${rule}`, field);

/**
 * The value decoded with the codec, or a 400 whose message names the first invalid field and the
 * rule it breaks, with that field in `field` (violationOf). `subject` names the value itself when it
 * has no field to blame: `body`, `query`, `params`.
 */
export const decodeBody = <A>(codec: t.Decoder<unknown, A>, value: unknown, subject = 'body'): A => {
  const decoded: Either<t.Errors, A> = codec.decode(value);
  if (!isLeft(decoded)) return decoded.right;
  const { field, message } = violationOf(decoded.left, subject);
  throw new HttpError(400, 'bad_request', message, field);
};

/** The value of a result, or its DomainError as the HttpError of its status. */
export const unwrap = <T>(result: Either<DomainError, T>): T => {
  if (isLeft(result)) {
    const { code, message, field } = result.left;
    throw new HttpError(statusOf(code), code, message, field);
  }
  return result.right;
};

/** The code of a status that Fastify answers itself (a body it cannot parse or take, a method it lacks). */
const CODE_OF_STATUS: Readonly<Record<number, string>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'request_timeout',
  409: 'conflict',
  411: 'length_required',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  431: 'headers_too_large',
};

/** `bad_request` for a 4xx without a code of its own. */
export const codeOfStatus = (status: number): string => CODE_OF_STATUS[status] ?? 'bad_request';
