// The command-line edge of the project's CLIs (erase, backup, restore, audit): node:util's parseArgs,
// strict and without positionals, whose complaints become a UsageError that each CLI prints with
// its usage and exit code 2.
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** A wrong command line: printed with the usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The options' values, or a UsageError naming the unknown option or the missing value. */
export const parseOptions = <const O extends Options>(argv: readonly string[], options: O) => {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
};
