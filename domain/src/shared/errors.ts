// Domain errors are values with a stable code that gateways show to clients as they are.
import * as t from 'io-ts';

/**
 * Every code a use case or the company configuration answers with. The configuration's: `not_found` (also for
 * another company's ids), `conflict` (an id, username or intent name taken, the last admin, a group still in use),
 * `forbidden` (canned responses of someone else's scope), `working_hours_exists` (a second schedule of one type for a
 * group), `unknown_group` (a body names no group of the company), `bad_request` (fields that are valid one by one but
 * not together, such as an intent's action and answer).
 */
export const DomainErrorCode = t.keyof({
  session_not_found: null,
  session_ended: null,
  not_assigned_to_you: null,
  capacity_reached: null,
  duplicate_message: null,
  invalid_transition: null,
  agent_offline: null,
  agent_not_found: null,
  not_in_group: null,
  group_closed: null,
  working_hours_exists: null,
  unknown_channel: null,
  no_group: null,
  forbidden: null,
  not_found: null,
  conflict: null,
  unknown_group: null,
  bad_request: null,
  invalid_tag: null,
  too_many_tags: null,
  // attachments: an id that names no file of the sender's, a file another session carries, a refused type
  attachment_not_found: null,
  attachment_in_use: null,
  unsupported_media_type: null,
  payload_too_large: null,
  // satisfaction: a second rating of the same session
  already_rated: null,
});
export type DomainErrorCode = t.TypeOf<typeof DomainErrorCode>;

export interface DomainError {
  readonly code: DomainErrorCode;
  readonly message: string;
  /** Facts a client may use, e.g. the existing message id of a duplicate. */
  readonly details?: Readonly<Record<string, string>>;
  /** The input field the error is about (`name` of a taken group name), shown as the error body's `field`. */
  readonly field?: string;
}

export const domainError = (
  code: DomainErrorCode,
  message: string,
  details?: Readonly<Record<string, string>>,
  field?: string,
): DomainError => ({
  code,
  message,
  ...(details === undefined ? {} : { details }),
  ...(field === undefined ? {} : { field }),
});
