import { isLeft } from 'fp-ts/Either';
import * as t from 'io-ts';
import { Id } from './codecs';
import { violationOf, violationsOf, withRule, type Violation } from './report';
import { Schedule } from '../working-hours/schedule';

const capacity = new t.Type<number, number, unknown>(
  'Capacity',
  (u): u is number => typeof u === 'number' && Number.isInteger(u) && u >= 0 && u <= 100,
  (u, c) =>
    typeof u === 'number' && Number.isInteger(u) && u >= 0 && u <= 100
      ? t.success(u)
      : t.failure(u, c, 'must be an integer from 0 to 100'),
  t.identity,
);
const NewAgent = t.exact(
  t.intersection([
    t.type({ username: t.string, role: t.keyof({ agent: null, supervisor: null, admin: null }, 'AgentRole') }),
    t.partial({ capacity, groupIds: t.readonlyArray(Id) }),
  ]),
  'NewAgent',
);

const violation = (codec: t.Decoder<unknown, unknown>, value: unknown, subject?: string): Violation => {
  const decoded = codec.decode(value);
  if (!isLeft(decoded)) throw new Error('decoded');
  return violationOf(decoded.left, subject);
};

describe('violationOf', () => {
  it('names a refined field without the intersection member index, with the rule in words', () => {
    expect(violation(NewAgent, { username: 'a', role: 'agent', capacity: 101 })).toEqual({
      field: 'capacity',
      rule: 'must be an integer from 0 to 100',
      message: 'capacity: must be an integer from 0 to 100',
    });
  });

  it('says an absent required field is required', () => {
    expect(violation(NewAgent, { role: 'agent' }).message).toBe('username: is required');
  });

  it('lists the values of an enum', () => {
    expect(violation(NewAgent, { username: 'a', role: 'boss' }).message).toBe(
      'role: must be one of agent, supervisor, admin',
    );
  });

  it('names the index of an array item, and a brand by its registered rule', () => {
    expect(violation(NewAgent, { username: 'a', role: 'agent', groupIds: ['ok', '-bad'] })).toMatchObject({
      field: 'groupIds.1',
      rule: expect.stringMatching(/^must be an id of 1 to 100/) as unknown,
    });
  });

  it('says the type of a wrong primitive or container', () => {
    expect(violation(NewAgent, { username: 3, role: 'agent' }).message).toBe('username: must be a string');
    expect(violation(NewAgent, { username: 'a', role: 'agent', groupIds: 'x' }).message).toBe(
      'groupIds: must be an array',
    );
    expect(violation(NewAgent, 'text')).toEqual({
      field: undefined,
      rule: 'must be an object',
      message: 'body: must be an object',
    });
    expect(violation(t.type({ n: t.Int }), { n: 1.5 }, 'frame').message).toBe('n: must be an integer');
  });

  describe('a union of working hours', () => {
    it('follows the branch whose discriminant matches, into nested arrays', () => {
      expect(
        violation(Schedule, {
          type: 'regular',
          timeZone: 'Asia/Shanghai',
          weekly: [
            { day: 'mon', from: '09:00', to: '18:00' },
            { day: 'tue', from: '9 am', to: '18:00' },
          ],
        }),
      ).toEqual({
        field: 'weekly.1.from',
        rule: 'must be a time HH:MM from 00:00 to 23:59',
        message: 'weekly.1.from: must be a time HH:MM from 00:00 to 23:59',
      });
      expect(
        violation(Schedule, {
          type: 'irregular',
          timeZone: 'Asia/Shanghai',
          dates: [{ date: '2026-10-01', from: '10:00', to: '25:00' }],
        }).message,
      ).toBe('dates.0.to: must be a time HH:MM from 00:00 to 24:00');
      expect(violation(Schedule, { type: 'regular', timeZone: 'Mars/Olympus', weekly: [] }).message).toBe(
        'timeZone: must be an IANA time zone such as Asia/Shanghai',
      );
    });

    it('lists the discriminant values when none matches, and says a missing one is required', () => {
      expect(violation(Schedule, { type: 'weekly', timeZone: 'Asia/Shanghai' }).message).toBe(
        'type: must be one of regular, irregular',
      );
      expect(violation(Schedule, { timeZone: 'Asia/Shanghai' }).message).toBe('type: is required');
    });

    it('picks the branch with the fewest errors when no discriminant tells (a dated closing)', () => {
      expect(
        violation(Schedule, { type: 'irregular', timeZone: 'UTC', dates: [{ date: '2026-02-30', closed: true }] })
          .message,
      ).toBe('dates.0.date: must be a calendar date YYYY-MM-DD');
    });
  });

  it('reports a nullable value by its non-null rule, and a literal union as one field', () => {
    expect(violation(t.type({ id: t.union([Id, t.null]) }), { id: '' }).message).toMatch(/^id: must be an id of/);
    expect(
      violation(t.type({ scope: t.union([t.literal('personal'), t.literal('company')]) }), { scope: 'x' }).message,
    ).toBe('scope: must be one of personal, company');
  });

  it('uses a rule registered on a codec and a name that is a sentence', () => {
    const even = withRule(
      t.refinement(t.number, (n) => n % 2 === 0, 'Even'),
      'must be an even number',
    );
    expect(violation(t.type({ n: even }), { n: 3 }).message).toBe('n: must be an even number');
    const short = t.refinement(t.string, (s) => s.length <= 3, 'must be at most 3 characters');
    expect(violation(t.type({ s: short }), { s: 'long' }).message).toBe('s: must be at most 3 characters');
  });
});

describe('violationsOf', () => {
  it('lists each failing field once', () => {
    const env = t.type({ PORT: t.keyof({ '80': null }), HOST: t.string });
    const decoded = env.decode({});
    if (!isLeft(decoded)) throw new Error('decoded');
    expect(violationsOf(decoded.left)).toEqual(['PORT: is required', 'HOST: is required']);
  });
});

describe('violationOf in nested unions', () => {
  it('does not take a literal inside a branch for the branch’s discriminant', () => {
    const Body = t.intersection([t.type({ groupId: t.string }), Schedule]);
    expect(
      violation(Body, {
        groupId: 'g',
        type: 'irregular',
        timeZone: 'UTC',
        dates: [
          { date: '2026-10-01', closed: true },
          { date: '2026-10-02', from: '10:00' },
        ],
      }),
    ).toEqual({ field: 'dates.1.to', rule: 'is required', message: 'dates.1.to: is required' });
  });
});
