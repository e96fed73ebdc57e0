// PROTOCOL "Security": after 10 failed agent logins for one company + username within 15 minutes, or
// 50 failed logins from one address, further attempts get 429 with retry-after (the right password
// included) until the window passes. Visitor logins have the same per-address limit, on their own
// count. These are the rules; the counting is the LoginThrottle port's (memory or Redis).
import type { ThrottleRule, ThrottleVerdict } from '@cschat/infra';

export const LOGIN_WINDOW_MS = 15 * 60_000;
export const USERNAME_FAILURE_LIMIT = 10;
export const ADDRESS_FAILURE_LIMIT = 50;

/** Parts of a key are encoded, so that a company or username holding `:` cannot stand for another's key. */
const part = (value: string): string => encodeURIComponent(value);

/** The counters of an agent login: its company's username, and the address it came from. */
export const agentLoginRules = (
  companyId: string,
  username: string,
  address: string,
): { readonly username: ThrottleRule; readonly all: readonly ThrottleRule[] } => {
  const forUsername = {
    key: `agent:${part(companyId)}:${part(username)}`,
    limit: USERNAME_FAILURE_LIMIT,
    windowMs: LOGIN_WINDOW_MS,
  };
  const forAddress = { key: `agent-address:${part(address)}`, limit: ADDRESS_FAILURE_LIMIT, windowMs: LOGIN_WINDOW_MS };
  return { username: forUsername, all: [forUsername, forAddress] };
};

/**
 * The counter of visitor logins from an address. A visitor login has no password: what fails is a login the
 * API refuses (an unknown company, a visitor id that is not one, and a wrong resume token where those exist),
 * which is what someone guessing ids does; it gets the agents' address limit.
 */
export const visitorLoginRules = (address: string): readonly ThrottleRule[] => [
  { key: `visitor-address:${part(address)}`, limit: ADDRESS_FAILURE_LIMIT, windowMs: LOGIN_WINDOW_MS },
];

/** Whole seconds for `retry-after`, never 0 (a client told 0 would retry at once and be refused again). */
export const retryAfterSeconds = (verdict: Extract<ThrottleVerdict, { allowed: false }>): number =>
  Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
