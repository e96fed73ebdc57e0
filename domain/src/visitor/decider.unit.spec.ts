import { deciderSpec } from '../../../test-support/decider-spec';
import { decodeOrThrow } from '../../../test-support/fixtures';
import { VisitorCommand } from './commands';
import { visitorDecider } from './decider';
import { VisitorEvent } from './events';

const event = decodeOrThrow(VisitorEvent);
const command = decodeOrThrow(VisitorCommand);
const spec = deciderSpec(visitorDecider, undefined);
const ids = { companyId: 'acme', visitorId: 'v1', at: '2026-11-25T10:00:00.000Z' };
const opened = (sessionId: string) => event({ type: 'VisitorSessionOpened', v: 1, ...ids, sessionId });
const closed = (sessionId: string) => event({ type: 'VisitorSessionClosed', v: 1, ...ids, sessionId });

describe('visitor decider', () => {
  it('OpenVisitorSession: opens the proposed session when none is open, else keeps the open one', () => {
    spec
      .given([])
      .when(command({ type: 'OpenVisitorSession', ...ids, sessionId: 's1' }))
      .then([opened('s1')]);
    const decided = spec.given([opened('s1')]).when(command({ type: 'OpenVisitorSession', ...ids, sessionId: 's2' }));
    decided.thenNothing();
    expect(decided.state()).toEqual({ openSessionId: 's1' });
    spec
      .given([opened('s1'), closed('s1')])
      .when(command({ type: 'OpenVisitorSession', ...ids, sessionId: 's2' }))
      .then([opened('s2')]);
  });

  it('CloseVisitorSession: closes the open session, and ignores any other', () => {
    spec
      .given([opened('s1')])
      .when(command({ type: 'CloseVisitorSession', ...ids, sessionId: 's1' }))
      .then([closed('s1')]);
    spec
      .given([opened('s2')])
      .when(command({ type: 'CloseVisitorSession', ...ids, sessionId: 's1' }))
      .thenNothing();
    spec
      .given([])
      .when(command({ type: 'CloseVisitorSession', ...ids, sessionId: 's1' }))
      .thenNothing();
  });
});
