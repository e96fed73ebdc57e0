import { isLeft, isRight } from 'fp-ts/Either';
import * as t from 'io-ts';
import { decodeEvent, upcast, type Upcasters } from './upcast';

// A made-up history: v0 had `name`, v1 split it, v2 added `locale` with a default.
const Greeted = t.type({
  type: t.literal('Greeted'),
  v: t.literal(2),
  first: t.string,
  last: t.string,
  locale: t.string,
});
const upcasters: Upcasters = {
  Greeted: {
    0: ({ name, ...rest }) => {
      const [first = '', last = ''] = String(name).split(' ');
      return { ...rest, first, last };
    },
    1: (data) => ({ ...data, locale: 'en' }),
  },
};

describe('upcasting', () => {
  it('lifts an old event step by step to the current shape', () => {
    expect(upcast('Greeted', { name: 'Ada Lovelace' }, upcasters)).toEqual({
      type: 'Greeted',
      v: 2,
      first: 'Ada',
      last: 'Lovelace',
      locale: 'en',
    });
  });

  it('decodes an upcast event, and names the invalid paths of one it cannot read', () => {
    const decode = decodeEvent(Greeted, upcasters);
    expect(isRight(decode('Greeted', { v: 1, first: 'Ada', last: 'L' }))).toBe(true);
    const bad = decode('Greeted', { v: 2, first: 'Ada' });
    expect(isLeft(bad) && bad.left.message).toMatch(/invalid .*last/);
  });
});
