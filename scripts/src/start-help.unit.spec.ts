// Every variable the configuration reads is named where an operator looks: `npm start -- --help`
// and the README's table (KAFKA_PARTITIONS and the *_API_URL ones were missing from one or both).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ENVIRONMENT_VARIABLES } from '@cschat/infra';
import { HELP } from './start-help';

const README = readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');

/** The first column of the table under "## Modes and configuration". */
const readmeTable = (): string[] => {
  const section = README.split(/^## /m).find((part) => part.startsWith('Modes and configuration'));
  if (section === undefined) throw new Error('README has no "## Modes and configuration" section');
  return [...section.matchAll(/^\| `([A-Z][A-Z0-9_]*)`/gm)].map((match) => match[1]!);
};

/** The names that open the lines of the help's Environment part (one, or a list with commas). */
const helpNames = (): string[] => {
  const environment = HELP.split(/^Environment/m)[1] ?? '';
  return [...environment.matchAll(/^ {2}([A-Z][A-Z0-9_]*(?:, [A-Z][A-Z0-9_]*)*)/gm)].flatMap((match) =>
    match[1]!.split(', '),
  );
};

describe('the variables of the configuration', () => {
  it('reads a known set (a sanity check that the list comes from the codec)', () => {
    expect(ENVIRONMENT_VARIABLES).toEqual(expect.arrayContaining(['PORT', 'KAFKA_PARTITIONS', 'WECHAT_API_URL']));
  });

  it('are all named by npm start -- --help, which names no other', () => {
    expect(helpNames().sort()).toEqual([...ENVIRONMENT_VARIABLES].sort());
  });

  it("are all rows of the README's table, which has no other", () => {
    expect(readmeTable().sort()).toEqual([...ENVIRONMENT_VARIABLES].sort());
  });
});
