// The spans of a socket: a frame received (the root of the trace of what it sets off) and a frame
// written to a socket inside a trace (a message delivered to an agent). Frame types and ids only.
import { ATTR, inSpan, markSpan, SpanKind, tracingOn } from '@cschat/infra';
import type { ClientFrame, ServerFrame } from './frames';
import type { Principal } from './ports';

const attributesOf = (principal: Principal, frame: ClientFrame | ServerFrame) => () => ({
  [ATTR.frameType]: frame.type,
  [ATTR.principalKind]: principal.kind,
  [ATTR.companyId]: principal.companyId,
});

/** Handles a frame in a span of its own (tracing off: just handles it). */
export const frameReceived = (principal: Principal, frame: ClientFrame, handle: () => Promise<void>): Promise<void> =>
  tracingOn()
    ? inSpan(`ws receive ${frame.type}`, { kind: SpanKind.SERVER, attributes: attributesOf(principal, frame) }, handle)
    : handle();

/** Marks a frame written to a socket, when that happens inside a trace. */
export const frameSent = (principal: Principal, frame: ServerFrame): void => {
  if (tracingOn()) markSpan(`ws send ${frame.type}`, SpanKind.PRODUCER, attributesOf(principal, frame));
};
