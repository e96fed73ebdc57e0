// The signature of an outbound webhook delivery, as Stripe signs its own: the header
// `x-cschat-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with the endpoint's
// secret. The timestamp is inside what is signed, so a receiver that refuses old timestamps (five
// minutes by default here) refuses a captured delivery replayed later; the delivery id
// (`x-cschat-delivery`) lets it drop the redeliveries that at-least-once sending makes.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-cschat-signature';
export const DELIVERY_HEADER = 'x-cschat-delivery';
export const EVENT_HEADER = 'x-cschat-event';

/** How old a signed timestamp a receiver accepts by default, in seconds. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** A new endpoint secret: 32 random bytes, `whsec_` and base64url (shown to the admin once). */
export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64url')}`;

const hmac = (secret: string, timestamp: number, body: string): string =>
  createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');

/** The header value for a body sent at `timestamp` (unix seconds). */
export const signatureHeader = (secret: string, timestamp: number, body: string): string =>
  `t=${timestamp},v1=${hmac(secret, timestamp, body)}`;

export type Verification =
  { readonly ok: true } | { readonly ok: false; readonly reason: 'malformed' | 'mismatch' | 'expired' };

/**
 * What a receiver does (and the README shows): parse `t` and every `v1` (several during a secret's
 * rotation on the receiver's side do no harm), refuse a timestamp further than `toleranceSeconds`
 * from `nowSeconds`, and compare in constant time.
 */
export const verifySignature = (
  secret: string,
  header: string | undefined,
  body: string,
  nowSeconds: number,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): Verification => {
  if (header === undefined) return { ok: false, reason: 'malformed' };
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't' && value !== undefined && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && value !== undefined && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (timestamp === undefined || signatures.length === 0) return { ok: false, reason: 'malformed' };
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return { ok: false, reason: 'expired' };
  const expected = Buffer.from(hmac(secret, timestamp, body), 'hex');
  const matches = signatures.some((signature) => timingSafeEqual(Buffer.from(signature, 'hex'), expected));
  return matches ? { ok: true } : { ok: false, reason: 'mismatch' };
};
