import { ratingOf } from './inbound';

describe("a platform visitor's rating", () => {
  it('is a message of one digit from 1 to 5, spaces around it allowed, full-width digits too', () => {
    expect(['1', '2', '3', '4', '5'].map(ratingOf)).toEqual([1, 2, 3, 4, 5]);
    expect(['１', '２', '３', '４', '５'].map(ratingOf)).toEqual([1, 2, 3, 4, 5]);
    expect(ratingOf('  4 ')).toBe(4);
    expect(ratingOf('\n５\u3000')).toBe(5);
  });

  it('is not any other message', () => {
    for (const text of ['0', '6', '０', '６', '45', '4.', '4 stars', 'four', '', ' ', '-3', '4\n5', '٤']) {
      expect([text, ratingOf(text)]).toEqual([text, undefined]);
    }
  });
});
