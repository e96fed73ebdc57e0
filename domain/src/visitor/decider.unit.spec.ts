import { deciderSpec } from '../../../test-support/decider-spec';
import { decodeOrThrow } from '../../../test-support/fixtures';
import { VisitorCommand } from './commands';
import { visitorDecider } from './decider';
import { VisitorEvent } from './events';
import { VisitorAttributes, VisitorProfile } from './profile';
import { isLeft, isRight } from 'fp-ts/Either';

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

  describe('RecordVisitorVisit', () => {
    const at = (t: string) => `2026-11-25T${t}.000Z`;
    const visit = (time: string, profile: object, pageUrl?: string, channel = 'web') =>
      command({
        type: 'RecordVisitorVisit',
        ...ids,
        at: at(time),
        channel,
        profile,
        ...(pageUrl === undefined ? {} : { pageUrl }),
      });
    const seen = (time: string, pageUrl?: string, channel = 'web') =>
      event({
        type: 'VisitorSeen',
        v: 1,
        ...ids,
        at: at(time),
        channel,
        ...(pageUrl === undefined ? {} : { pageUrl }),
      });
    const updated = (time: string, changed: object) =>
      event({ type: 'VisitorProfileUpdated', v: 1, ...ids, at: at(time), changed });

    it('a first visit records the profile given and the first sight', () => {
      spec
        .given([])
        .when(visit('10:00:00', { name: 'Ann', email: 'ann@example.com' }, 'https://shop.example/cart'))
        .then([
          updated('10:00:00', { name: 'Ann', email: 'ann@example.com' }),
          seen('10:00:00', 'https://shop.example/cart'),
        ]);
      spec
        .given([])
        .when(visit('10:00:00', {}))
        .then([seen('10:00:00')]);
    });

    it('a returning visitor: only the fields whose values changed, attributes replaced as a whole', () => {
      const before = [
        updated('09:00:00', { name: 'Ann', attributes: { plan: 'gold', city: 'Paris' } }),
        seen('09:00:00'),
      ];
      const decided = spec
        .given(before)
        .when(visit('10:00:00', { name: 'Ann', phone: '+33 1 23', attributes: { plan: 'silver' } }));
      decided.then([updated('10:00:00', { phone: '+33 1 23', attributes: { plan: 'silver' } }), seen('10:00:00')]);
      expect(decided.state().profile).toEqual({ name: 'Ann', phone: '+33 1 23', attributes: { plan: 'silver' } });
      // Same values again (the attributes in another order): nothing about the profile.
      spec
        .given(before)
        .when(visit('10:00:00', { name: 'Ann', attributes: { city: 'Paris', plan: 'gold' } }))
        .then([seen('10:00:00')]);
    });

    it('a visit within a minute from the same page is not recorded again; another page or later is', () => {
      const before = [seen('10:00:00', 'https://a.example/')];
      spec
        .given(before)
        .when(visit('10:00:30', {}, 'https://a.example/'))
        .thenNothing();
      spec.given(before).when(visit('10:00:30', {})).thenNothing();
      spec
        .given(before)
        .when(visit('10:00:30', {}, 'https://b.example/'))
        .then([seen('10:00:30', 'https://b.example/')]);
      spec
        .given(before)
        .when(visit('10:01:00', {}))
        .then([seen('10:01:00')]);
    });

    it('keeps the profile when a session closes', () => {
      const state = spec
        .given([opened('s1'), updated('10:00:00', { name: 'Ann' })])
        .when(command({ type: 'CloseVisitorSession', ...ids, sessionId: 's1' }))
        .state();
      expect(state).toEqual({ lastSessionId: 's1', profile: { name: 'Ann' } });
    });
  });

  it('profile codecs: the limits of PROTOCOL "Names and profiles"', () => {
    const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']));
    expect(isRight(VisitorAttributes.decode(fifty))).toBe(true);
    expect(isLeft(VisitorAttributes.decode({ ...fifty, k50: 'v' }))).toBe(true);
    expect(isRight(VisitorAttributes.decode({ ['k'.repeat(64)]: 'x'.repeat(1000) }))).toBe(true);
    expect(isLeft(VisitorAttributes.decode({ ['k'.repeat(65)]: 'x' }))).toBe(true);
    expect(isLeft(VisitorAttributes.decode({ k: 'x'.repeat(1001) }))).toBe(true);
    expect(isLeft(VisitorAttributes.decode({ k: 1 }))).toBe(true);
    expect(isLeft(VisitorProfile.decode({ email: 'not an address' }))).toBe(true);
    expect(isLeft(VisitorProfile.decode({ phone: 'call me' }))).toBe(true);
    expect(isRight(VisitorProfile.decode({ email: 'a@b.example', phone: '+86 138-0000-0000' }))).toBe(true);
  });
});
