import type { IsoInstant } from '@cschat/domain';
import { describeActor, metadataActorOf, quoteText, whoDidWhat, type AuditedEvent, type Known } from './who-did-what';

const at = '2026-11-25T10:00:00.000Z' as IsoInstant;
const base = { v: 1, companyId: 'acme', sessionId: 's1', at } as const;
const nothingKnown: Known = { visitorId: undefined, metadataActor: undefined };
const told = (event: Record<string, unknown>, known = nothingKnown) => {
  const { actor, summary } = whoDidWhat(event as unknown as AuditedEvent, known);
  return `${describeActor(actor)}: ${summary}`;
};

describe('who did what', () => {
  it('names the visitor of a request for a human when the session told it, else just "visitor"', () => {
    const request = { ...base, type: 'HumanUnavailable', groupId: 'sales', reason: 'closed_hours', nextOpeningAt: at };
    expect(told(request, { visitorId: 'v1', metadataActor: undefined })).toBe(
      `visitor v1: asked for a human: group sales is closed, opens ${at}`,
    );
    expect(told({ ...base, type: 'HumanRequested', groupId: 'sales' })).toBe(
      'visitor: asked for a human: waits in group sales',
    );
  });

  it('says who ended a session from its reason', () => {
    const ended = { ...base, type: 'SessionEnded', groupId: 'sales', agentId: 'alice' };
    expect(told({ ...ended, reason: 'agent' })).toBe('agent alice: ended the session');
    expect(told({ ...ended, reason: 'timeout' })).toBe(
      'system: ended the session: inactivity timeout, held by agent alice',
    );
    const sweeper = { visitorId: 'v1', metadataActor: { role: 'system', id: 'sweeper' } };
    expect(told({ ...ended, reason: 'system' }, sweeper)).toBe(
      'system sweeper: ended the session, held by agent alice',
    );
  });

  it('tells a bot message and a transfer to a group', () => {
    const message = { ...base, type: 'MessagePosted', messageId: 'm1', from: { role: 'bot' }, text: 'Hi!' };
    expect(told({ ...message, attachments: [{ kind: 'image', mediaId: 'x' }] })).toBe(
      'bot: wrote "Hi!" (+1 attachment(s))',
    );
    const answered = {
      ...message,
      text: '30 days',
      bot: {
        inReplyTo: 'm0',
        question: '退货多久',
        outcome: 'answered',
        confidence: 0.4321,
        title: 'Returns?',
        entryKind: 'faq',
      },
    };
    expect(told(answered)).toBe('bot: wrote "30 days" — answered "退货多久" as faq "Returns?" (confidence 0.43)');
    const lost = {
      ...message,
      bot: { inReplyTo: 'm0', question: 'qwzx', outcome: 'not_understood', confidence: 0.02 },
    };
    expect(told(lost)).toBe('bot: wrote "Hi!" — not understood "qwzx" (confidence 0.02)');
    const offer = {
      ...message,
      text: 'Anything else?',
      bot: {
        inReplyTo: 'm0',
        question: 'bye',
        outcome: 'end',
        confidence: 1,
        title: 'goodbye',
        entryKind: 'intent',
        actions: [{ type: 'session.end', label: 'End chat' }],
      },
    };
    expect(told(offer)).toBe(
      'bot: wrote "Anything else?" — offered to end on "bye" as intent "goodbye" (confidence 1.00)',
    );
    const transfer = { ...base, type: 'SessionTransferred', fromAgentId: 'alice', to: { groupId: 'billing' } };
    expect(told(transfer)).toBe('agent alice: transferred the session -> group billing');
  });

  it('keeps a message on one plain line of at most 80 characters', () => {
    expect(quoteText('line one\r\n\tline two \u001b[31mred\u001b[0m \u202eevil')).toBe(
      '"line one line two [31mred [0m evil"',
    );
    const long = '😀'.repeat(100);
    expect(quoteText(long)).toBe(`"${'😀'.repeat(79)}…"`);
    expect(quoteText('x'.repeat(80))).toBe(`"${'x'.repeat(80)}"`);
  });

  it('takes metadata.actor only when it is a role and an optional id', () => {
    expect(metadataActorOf({ actor: { role: 'system', id: 'router' } })).toEqual({ role: 'system', id: 'router' });
    expect(metadataActorOf({ actor: { role: 'admin' } })).toEqual({ role: 'admin' });
    expect(metadataActorOf({ actor: 'alice' })).toBeUndefined();
    expect(metadataActorOf({ actor: { role: '' } })).toBeUndefined();
    expect(metadataActorOf({ actor: { role: 'agent', id: 7 } })).toBeUndefined();
    expect(metadataActorOf({})).toBeUndefined();
    expect(describeActor({ role: 'agent', id: 'a\nb' })).toBe('agent a b');
  });
});
