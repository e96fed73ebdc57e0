import { isLeft, isRight } from 'fp-ts/Either';
import type * as t from 'io-ts';
import { Id, violationOf, violationsOf } from '@cschat/domain';
import {
  AgentFrame,
  CLIENT_FRAMES,
  MAX_CLIENT_MSG_ID_LENGTH,
  MAX_FRAME_ID_LENGTH,
  MAX_ATTACHMENTS,
  MAX_ID_LENGTH,
  MAX_TEXT_LENGTH,
  ServerFrame,
  SessionTransferFrame,
  VisitorFrame,
} from './frames';

/** The fields the reporter names, each once. */
const fieldsOf = (codec: t.Decoder<unknown, unknown>, value: unknown): string[] => {
  const result = codec.decode(value);
  return isLeft(result) ? violationsOf(result.left, 'frame').map((message) => message.split(':')[0]!) : [];
};

describe('client frames', () => {
  const send = (text: string, clientMsgId = 'c1') => ({ type: 'message.send', text, clientMsgId });

  it('takes a text of 1..MAX_TEXT_LENGTH characters that is not blank, as sent', () => {
    expect(VisitorFrame.decode(send('x'.repeat(MAX_TEXT_LENGTH)))).toEqual(expect.objectContaining({ _tag: 'Right' }));
    const padded = VisitorFrame.decode(send('  hi  '));
    expect(isRight(padded) && padded.right).toEqual(send('  hi  '));
    expect(fieldsOf(VisitorFrame, send('x'.repeat(MAX_TEXT_LENGTH + 1)))).toEqual(['text']);
    expect(fieldsOf(VisitorFrame, send(' \n\t '))).toEqual(['text']);
    expect(fieldsOf(VisitorFrame, send(''))).toEqual(['text']);
  });

  it('takes a clientMsgId of 1..MAX_CLIENT_MSG_ID_LENGTH characters', () => {
    expect(isRight(VisitorFrame.decode(send('hi', 'c'.repeat(MAX_CLIENT_MSG_ID_LENGTH))))).toBe(true);
    expect(fieldsOf(VisitorFrame, send('hi', 'c'.repeat(MAX_CLIENT_MSG_ID_LENGTH + 1)))).toEqual(['clientMsgId']);
    expect(fieldsOf(VisitorFrame, send('hi', ''))).toEqual(['clientMsgId']);
  });

  it('refuses text and client ids the event store cannot keep: NUL characters and unpaired surrogates', () => {
    for (const bad of ['a\u0000b', '\ud800', 'x\udc00', '\udbffx']) {
      expect(fieldsOf(VisitorFrame, send(bad))).toEqual(['text']);
      expect(fieldsOf(VisitorFrame, send('hi', bad))).toEqual(['clientMsgId']);
    }
    // A whole surrogate pair is a character like any other; so is a backslash before `u0000`.
    expect(isRight(VisitorFrame.decode(send('🙂 \\u0000', '🙂')))).toBe(true);
  });

  it('takes ids of 1..MAX_ID_LENGTH characters (the domain Id)', () => {
    expect(Id.is('s'.repeat(MAX_ID_LENGTH))).toBe(true);
    expect(Id.is('s'.repeat(MAX_ID_LENGTH + 1))).toBe(false);
    expect(fieldsOf(CLIENT_FRAMES.agent.get('session.read')!, { type: 'session.read', sessionId: '' })).toEqual([
      'sessionId',
    ]);
  });

  it('takes a frame id that is a short string or a finite number, and no other', () => {
    for (const id of ['a', 'a'.repeat(MAX_FRAME_ID_LENGTH), 0, 7, -1.5]) {
      expect(isRight(VisitorFrame.decode({ type: 'human.request', id }))).toBe(true);
    }
    for (const id of ['', 'a'.repeat(MAX_FRAME_ID_LENGTH + 1), Infinity, null, {}, [1]]) {
      expect(isRight(VisitorFrame.decode({ type: 'human.request', id }))).toBe(false);
    }
  });

  it('drops fields the protocol does not name', () => {
    const decoded = VisitorFrame.decode({ ...send('hi'), id: 1, admin: true, companyId: 'other' });
    expect(isRight(decoded) && decoded.right).toEqual({ ...send('hi'), id: 1 });
  });

  it('takes files (attachments) with a blank text, and refuses a message with neither, naming text', () => {
    const files = { type: 'message.send', text: '', clientMsgId: 'c1', attachments: ['f-1', 'f-2'] };
    const visitor = VisitorFrame.decode(files);
    expect(isRight(visitor) && visitor.right).toEqual(files);
    const agent = AgentFrame.decode({ ...files, sessionId: 's1', text: ' ' });
    expect(isRight(agent) && agent.right).toEqual({ ...files, sessionId: 's1', text: ' ' });
    expect(isRight(VisitorFrame.decode({ ...files, text: 'with a caption' }))).toBe(true);
    expect(fieldsOf(VisitorFrame, { ...files, attachments: [] })).toEqual(['attachments']);
    expect(
      fieldsOf(CLIENT_FRAMES.agent.get('message.send')!, {
        type: 'message.send',
        sessionId: 's1',
        text: '',
        clientMsgId: 'c1',
      }),
    ).toEqual(['text']);
    const ids = (n: number) => Array.from({ length: n }, (_, i) => `f-${i}`);
    expect(isRight(VisitorFrame.decode({ ...files, attachments: ids(MAX_ATTACHMENTS) }))).toBe(true);
    expect(fieldsOf(VisitorFrame, { ...files, attachments: ids(MAX_ATTACHMENTS + 1) })).toEqual(['attachments']);
    expect(fieldsOf(VisitorFrame, { ...files, attachments: ['../x'] })).toEqual(['attachments.0']);
    expect(fieldsOf(VisitorFrame, { ...files, text: 'x'.repeat(MAX_TEXT_LENGTH + 1) })).toEqual(['text']);
  });

  it('takes a transfer to exactly one of an agent and a group', () => {
    const transfer = { type: 'session.transfer', sessionId: 's1' };
    const toAgent = AgentFrame.decode({ ...transfer, toAgentId: 'bob' });
    expect(isRight(toAgent) && toAgent.right).toEqual({ ...transfer, toAgentId: 'bob' });
    expect(isRight(AgentFrame.decode({ ...transfer, toGroupId: 'sales' }))).toBe(true);
    expect(isRight(AgentFrame.decode({ ...transfer, toAgentId: 'bob', toGroupId: 'sales' }))).toBe(false);
    expect(isRight(AgentFrame.decode(transfer))).toBe(false);
    expect(fieldsOf(SessionTransferFrame, { ...transfer, toAgentId: 'bob', toGroupId: 'sales' }).sort()).toEqual([
      'toAgentId',
      'toGroupId',
    ]);
  });

  it('has a codec for every frame type of each kind, and the kinds differ where the protocol says', () => {
    expect([...CLIENT_FRAMES.visitor.keys()].sort()).toEqual([
      'csat.submit',
      'human.request',
      'message.send',
      'session.end',
      'session.read',
      'typing',
    ]);
    expect([...CLIENT_FRAMES.agent.keys()].sort()).toEqual([
      'agent.status',
      'live.subscribe',
      'live.unsubscribe',
      'message.send',
      'note.send',
      'session.end',
      'session.read',
      'session.tag',
      'session.takeover',
      'session.transfer',
      'session.unwatch',
      'session.watch',
      'typing',
    ]);
    // The supervisors' frames name the session (watch, unwatch, takeover) or nothing (the live board).
    for (const type of ['session.watch', 'session.unwatch', 'session.takeover'])
      expect(fieldsOf(CLIENT_FRAMES.agent.get(type)!, { type })).toEqual(['sessionId']);
    expect(isRight(CLIENT_FRAMES.agent.get('live.subscribe')!.decode({ type: 'live.subscribe' }))).toBe(true);
    // A visitor's read and typing name no session (its open one); an agent's do.
    expect(isRight(CLIENT_FRAMES.visitor.get('session.read')!.decode({ type: 'session.read' }))).toBe(true);
    expect(isRight(CLIENT_FRAMES.agent.get('session.read')!.decode({ type: 'session.read' }))).toBe(false);
    expect(isRight(CLIENT_FRAMES.visitor.get('typing')!.decode({ type: 'typing', typing: true }))).toBe(true);
    expect(fieldsOf(CLIENT_FRAMES.agent.get('typing')!, { type: 'typing', typing: 'yes' })).toEqual([
      'sessionId',
      'typing',
    ]);
    expect(
      fieldsOf(CLIENT_FRAMES.agent.get('session.tag')!, {
        type: 'session.tag',
        sessionId: 's1',
        add: Array.from({ length: 21 }, (_, i) => `t${i}`),
      }),
    ).toEqual(['add']);
    expect(
      fieldsOf(CLIENT_FRAMES.agent.get('note.send')!, {
        type: 'note.send',
        sessionId: 's1',
        text: ' ',
        clientMsgId: 'n',
      }),
    ).toEqual(['text']);
    expect(isRight(CLIENT_FRAMES.visitor.get('session.end')!.decode({ type: 'session.end' }))).toBe(true);
    expect(isRight(CLIENT_FRAMES.agent.get('session.end')!.decode({ type: 'session.end' }))).toBe(false);
    expect(isRight(CLIENT_FRAMES.agent.get('agent.status')!.decode({ type: 'agent.status', status: 'away' }))).toBe(
      true,
    );
    expect(fieldsOf(CLIENT_FRAMES.agent.get('agent.status')!, { type: 'agent.status', status: 'asleep' })).toEqual([
      'status',
    ]);
    expect(CLIENT_FRAMES.agent.get('__proto__')).toBeUndefined();
  });
});

describe('csat.submit', () => {
  const csat = CLIENT_FRAMES.visitor.get('csat.submit')!;
  const submit = (fields: object) => ({ type: 'csat.submit', id: 1, sessionId: 's1', rating: 4, ...fields });
  const ruleOf = (value: unknown): string | undefined => {
    const result = csat.decode(value);
    return isLeft(result) ? violationOf(result.left, 'frame').message : undefined;
  };

  it('takes a session, a rating from 1 to 5 and an optional comment, dropping fields it does not name', () => {
    for (const rating of [1, 2, 3, 4, 5]) expect(isRight(csat.decode(submit({ rating })))).toBe(true);
    const decoded = csat.decode(submit({ comment: ' fast ', agentId: 'alice' }));
    expect(isRight(decoded) && decoded.right).toEqual(submit({ comment: ' fast ' }));
    expect(isRight(VisitorFrame.decode(submit({})))).toBe(true);
    // Agents rate nothing.
    expect(CLIENT_FRAMES.agent.get('csat.submit')).toBeUndefined();
  });

  it('refuses a rating that is not an integer from 1 to 5, saying the field and the rule (an absent one is required)', () => {
    for (const rating of [0, 6, 2.5, -1, '4', null, Number.NaN]) {
      expect(ruleOf(submit({ rating }))).toBe('rating: must be an integer from 1 to 5');
    }
    const { rating: _none, ...withoutRating } = submit({});
    expect(ruleOf(withoutRating)).toBe('rating: is required');
  });

  it('refuses a comment over 1000 characters once trimmed, or that the store cannot keep', () => {
    expect(isRight(csat.decode(submit({ comment: `  ${'a'.repeat(1000)}  ` })))).toBe(true);
    expect(isRight(csat.decode(submit({ comment: '' })))).toBe(true);
    for (const comment of ['a'.repeat(1001), 'a\u0000b', 7]) {
      expect(ruleOf(submit({ comment }))).toBe('comment: must be text of at most 1000 characters');
    }
  });

  it('refuses a session id that is not an id, naming it', () => {
    expect(ruleOf(submit({ sessionId: '' }))).toMatch(/^sessionId: must be an id of 1 to 100 /);
    expect(fieldsOf(csat, submit({ sessionId: 'a b', rating: 9 }))).toEqual(['sessionId', 'rating']);
  });
});

describe('server frames', () => {
  it('describe the frames of PROTOCOL.md', () => {
    const frames: ServerFrame[] = [
      { type: 'ack', id: 1 as never, messageId: 'm1', sessionId: 's1' },
      { type: 'error', id: 'a' as never, code: 'bad_request', message: 'invalid message.send: text' },
      { type: 'suggestions', questions: ['Where is my order?'] },
      {
        type: 'message',
        sessionId: 's1',
        messageId: 'm1',
        from: { role: 'agent', id: 'alice' },
        text: 'hello',
        at: '2026-11-25T09:30:00.000Z',
        clientMsgId: 'c1',
      },
      { type: 'session.state', sessionId: 's1', state: 'queued', queuePosition: 1 },
      { type: 'session.state', sessionId: 's1', state: 'ended', reason: 'timeout' },
      { type: 'agent.state', status: 'idle', load: 1, capacity: 3, name: 'Alice' },
      { type: 'csat.request', sessionId: 's1' },
      {
        type: 'session.list',
        sessions: [
          {
            sessionId: 's1',
            visitorId: 'v1',
            channel: 'web',
            state: 'assigned',
            unread: true,
            firstUnreadAt: '2026-11-25T09:30:00.000Z',
            lastMessage: { text: 'hi', at: '2026-11-25T09:30:00.000Z', from: { role: 'visitor', id: 'v1' } },
            updatedAt: '2026-11-25T09:30:00.000Z',
            tags: [],
            slaBreached: ['firstResponse'],
          },
        ],
      },
    ];
    for (const frame of frames) expect(ServerFrame.is(frame)).toBe(true);
    expect(ServerFrame.is({ type: 'session.state', sessionId: 's1', state: 'lost' })).toBe(false);
    expect(ServerFrame.is({ type: 'csat.request' })).toBe(false);
  });
});
