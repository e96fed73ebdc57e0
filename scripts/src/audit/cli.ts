// The audit command as a function of its arguments and outputs, returning the exit code, so that
// tests run it in-process and scripts/src/audit.ts only wires the real store and streams.
import type { Writable } from 'node:stream';
import { ConfigError, type EventStore } from '@cschat/infra';
import { AUDIT_HELP } from './help';
import { parseAuditArgs, UsageError, type AuditRequest } from './request';
import { runAudit } from './run';

export const EXIT = { ok: 0, failure: 1, usage: 2, nothingFound: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export interface AuditCliIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Builds the store (not started); may throw ConfigError for a bad environment. */
  readonly openStore: () => EventStore;
}

const HELP_POINTER = 'Run "npm run audit -- --help" for the options.';

/** Node's connection errors may be AggregateErrors with an empty message (one error per address). */
const describeError = (error: unknown): string => {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return error.errors.map(describeError).join('; ');
  }
  if (error instanceof Error) return error.message === '' ? error.name : error.message;
  return String(error);
};

const nothingFoundMessage = (request: AuditRequest): string => {
  const { scope } = request;
  const what =
    scope.kind === 'company' ? `company ${scope.companyId}` : `${scope.kind} ${scope.id} of ${scope.companyId}`;
  if (request.kind === 'state-as-of') return `${what} had no events recorded by ${request.asOf.toISOString()}`;
  const { from, to } = request.window;
  const window = [
    from === undefined ? '' : ` from ${from.toISOString()}`,
    to === undefined ? '' : ` to ${to.toISOString()}`,
  ].join('');
  return `no events of ${what}${window}`;
};

export const runAuditCli = async (argv: readonly string[], io: AuditCliIo): Promise<ExitCode> => {
  const fail = (code: ExitCode, message: string): ExitCode => {
    io.stderr.write(`audit: ${message}\n`);
    return code;
  };
  let invocation;
  try {
    invocation = parseAuditArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) return fail(EXIT.usage, `${error.message}\n${HELP_POINTER}`);
    return fail(EXIT.failure, describeError(error));
  }
  if (invocation.kind === 'help') {
    io.stdout.write(AUDIT_HELP);
    return EXIT.ok;
  }

  let store: EventStore;
  try {
    store = io.openStore();
  } catch (error) {
    // A bad environment variable is a usage error, as for `npm start`.
    if (error instanceof ConfigError) return fail(EXIT.usage, `${error.message}\n${HELP_POINTER}`);
    return fail(EXIT.failure, describeError(error));
  }
  try {
    await store.start();
    const outcome = await runAudit(store, invocation, io.stdout);
    return outcome === 'found' ? EXIT.ok : fail(EXIT.nothingFound, nothingFoundMessage(invocation));
  } catch (error) {
    return fail(EXIT.failure, describeError(error));
  } finally {
    // The audit's answer (or failure) is already out; a failing close changes neither.
    await store.stop().catch(() => undefined);
  }
};
