// The one place where a use case's failure (a DomainError: a stable code and a message) becomes
// what a client sees: an HTTP status with `{"error": {"code", "message"}}`, or an `error` frame.
import type { DomainError, DomainErrorCode } from '@cschat/domain';
import { FrameError } from './ws/ports';

/** Every domain code has its status here (the type says so), and so has the HTTP-only `unauthorized`. */
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
  duplicate_message: 409,
  group_closed: 409,
  not_in_group: 409,
  unknown_channel: 404,
  invalid_tag: 400,
  too_many_tags: 400,
  attachment_not_found: 404,
  attachment_in_use: 409,
  unsupported_media_type: 415,
  payload_too_large: 413,
  already_rated: 409,
} satisfies Record<DomainErrorCode | 'unauthorized', number>;

export const statusOf = (code: string): number => STATUS_OF_CODE[code] ?? 500;

export const frameErrorOf = (failure: DomainError): FrameError =>
  new FrameError(failure.code, failure.message, failure.details);
