// What the admin API takes for an outbound webhook endpoint, and the event kinds it may subscribe to.
import * as t from 'io-ts';

export const WEBHOOK_EVENT_KINDS = ['session.ended', 'csat.submitted', 'sla.breached', 'message.created'] as const;
export const WebhookEventKind = t.keyof(
  { 'session.ended': null, 'csat.submitted': null, 'sla.breached': null, 'message.created': null },
  'must be one of session.ended, csat.submitted, sla.breached, message.created',
);
export type WebhookEventKind = t.TypeOf<typeof WebhookEventKind>;

const isHttpUrl = (s: string): boolean => {
  if (s.length > 2048) return false;
  try {
    const url = new URL(s);
    return (
      (url.protocol === 'http:' || url.protocol === 'https:') &&
      url.hostname !== '' &&
      url.username === '' &&
      url.password === ''
    );
  } catch {
    return false;
  }
};

/** An absolute http(s) URL of at most 2048 characters, without credentials in it. */
export const WebhookUrl = t.refinement(t.string, isHttpUrl, 'must be an http or https URL of at most 2048 characters');

/** A non-empty list of distinct kinds. */
export const WebhookEvents = t.refinement(
  t.array(WebhookEventKind),
  (kinds) => kinds.length > 0 && new Set(kinds).size === kinds.length,
  'must be a non-empty list of distinct event kinds',
);

export const NewWebhook = t.exact(
  t.intersection([t.type({ url: WebhookUrl, events: WebhookEvents }), t.partial({ enabled: t.boolean })]),
);
export type NewWebhook = t.TypeOf<typeof NewWebhook>;

export const WebhookPatch = t.exact(t.partial({ url: WebhookUrl, events: WebhookEvents, enabled: t.boolean }));
export type WebhookPatch = t.TypeOf<typeof WebhookPatch>;

/** An endpoint as the admin API answers it: never its secret. */
export const WebhookEndpoint = t.type({
  id: t.string,
  url: t.string,
  events: t.array(WebhookEventKind),
  enabled: t.boolean,
  createdAt: t.string,
  updatedAt: t.string,
});
export type WebhookEndpoint = t.TypeOf<typeof WebhookEndpoint>;

export const DeliveryStatus = t.keyof({ pending: null, delivered: null, failed: null });
export type DeliveryStatus = t.TypeOf<typeof DeliveryStatus>;

/** One attempt of a delivery: the receiver's status code, or what went wrong before there was one. */
export const DeliveryAttempt = t.intersection([
  t.type({ attempt: t.number, at: t.string, durationMs: t.number }),
  t.partial({ statusCode: t.number, error: t.string }),
]);
export type DeliveryAttempt = t.TypeOf<typeof DeliveryAttempt>;

/** A row of the delivery log. */
export const WebhookDelivery = t.intersection([
  t.type({
    id: t.string,
    endpointId: t.string,
    event: WebhookEventKind,
    eventId: t.string,
    status: DeliveryStatus,
    attempts: t.number,
    createdAt: t.string,
    history: t.array(DeliveryAttempt),
  }),
  t.partial({
    sessionId: t.string,
    lastStatusCode: t.number,
    lastError: t.string,
    nextAttemptAt: t.string,
    deliveredAt: t.string,
  }),
]);
export type WebhookDelivery = t.TypeOf<typeof WebhookDelivery>;
