// A benchmark's markdown: its table and notes, then each further section with its own.
import { markdownOf } from './results';

describe('markdownOf', () => {
  it('prints the sections under the first table’s notes, each with its title, table and notes', () => {
    const markdown = markdownOf({
      name: 'e2e',
      title: 'Main',
      params: {},
      columns: [{ key: 'a', title: 'A' }],
      rows: [{ a: 1 }],
      notes: ['first'],
      sections: [{ title: 'Overload', columns: [{ key: 'b', title: 'B' }], rows: [{ b: 'x|y' }], notes: ['second'] }],
    });
    expect(markdown).toBe(
      [
        '### Main',
        '',
        '| A |',
        '| --- |',
        '| 1 |',
        '',
        '- first',
        '',
        '#### Overload',
        '',
        '| B |',
        '| --- |',
        '| x\\|y |',
        '',
        '- second',
      ].join('\n'),
    );
  });
});
