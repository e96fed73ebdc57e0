// What an audit asks for, read from the command line. Every mistake is a UsageError (exit 2),
// found before anything connects to the event store.
import { parseArgs } from 'node:util';
import { CompanyId, Id } from '@cschat/domain';
import { DateTime } from 'luxon';

export type AggregateKind = 'session' | 'agent' | 'queue';

/** One aggregate of one company: a session, an agent, or the queue of a group (`id` is the group). */
export interface AggregateScope {
  readonly kind: AggregateKind;
  readonly companyId: string;
  readonly id: string;
}

export type AuditScope = { readonly kind: 'company'; readonly companyId: string } | AggregateScope;

/** Bounds on the time the store recorded an event: `from` inclusive, `to` exclusive. */
export interface TimeWindow {
  readonly from?: Date;
  readonly to?: Date;
}

export type OutputFormat = 'text' | 'jsonl';

export type AuditRequest =
  | { readonly kind: 'history'; readonly scope: AuditScope; readonly window: TimeWindow; readonly format: OutputFormat }
  | {
      readonly kind: 'state-as-of';
      readonly scope: AggregateScope;
      readonly asOf: Date;
      readonly format: OutputFormat;
    };

export type Invocation = { readonly kind: 'help' } | AuditRequest;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const OPTIONS = {
  company: { type: 'string' },
  session: { type: 'string' },
  agent: { type: 'string' },
  queue: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  'as-of': { type: 'string' },
  format: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

// A time without a zone would be read in the zone of whoever runs the audit, so that two
// auditors could get different answers to the same question: the zone must be written.
const ZONE = /(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

const parseTime = (option: string, value: string): Date => {
  const parsed = DateTime.fromISO(value, { setZone: true, zone: 'utc' });
  if (!parsed.isValid) {
    throw new UsageError(`--${option} must be an ISO 8601 time such as 2026-11-25T09:30:00Z, got "${value}"`);
  }
  if (!DATE_ONLY.test(value) && !ZONE.test(value)) {
    throw new UsageError(`--${option} needs a time zone (Z or +01:00): "${value}"`);
  }
  return parsed.toJSDate();
};

const parseFormat = (value: string | undefined): OutputFormat => {
  if (value === undefined || value === 'text' || value === 'jsonl') return value ?? 'text';
  throw new UsageError(`--format must be text or jsonl, got "${value}"`);
};

const aggregateScope = (
  companyId: string,
  values: { session?: string | undefined; agent?: string | undefined; queue?: string | undefined },
): AggregateScope | undefined => {
  const given = (['session', 'agent', 'queue'] as const).filter((kind) => values[kind] !== undefined);
  if (given.length > 1)
    throw new UsageError(`give at most one of --session, --agent, --queue (got ${given.join(', ')})`);
  const kind = given[0];
  if (kind === undefined) return undefined;
  const id = values[kind] ?? '';
  if (!Id.is(id)) {
    throw new UsageError(`--${kind} must be an id (letters, digits and _.:@-, at most 100), got "${id}"`);
  }
  return { kind, companyId, id };
};

const parseOptions = (argv: readonly string[]) => {
  try {
    return parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    // parseArgs explains itself well ("Unknown option '--sesion'"); its codes say it is ours.
    if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) throw new UsageError((error as Error).message);
    throw error;
  }
};

/** Reads the command line (without `node` and the script); throws UsageError. */
export const parseAuditArgs = (argv: readonly string[]): Invocation => {
  // --help wins over any other mistake on the line: whoever asks for help gets it.
  if (argv.includes('--help') || argv.includes('-h')) return { kind: 'help' };
  const values = parseOptions(argv);
  const companyId = values.company;
  if (companyId === undefined) throw new UsageError('--company is required: every audit is of one company');
  if (!CompanyId.is(companyId)) {
    throw new UsageError(`--company must be a company id (letters, digits and _, no -), got "${companyId}"`);
  }
  const aggregate = aggregateScope(companyId, values);
  const format = parseFormat(values.format);
  const from = values.from === undefined ? undefined : parseTime('from', values.from);
  const to = values.to === undefined ? undefined : parseTime('to', values.to);

  const asOfValue = values['as-of'];
  if (asOfValue !== undefined) {
    if (aggregate === undefined) {
      throw new UsageError('--as-of needs --session, --agent or --queue: a company has no state of its own');
    }
    if (from !== undefined || to !== undefined) {
      throw new UsageError('--as-of folds every event up to its time, so it takes no --from or --to');
    }
    return { kind: 'state-as-of', scope: aggregate, asOf: parseTime('as-of', asOfValue), format };
  }

  if (from !== undefined && to !== undefined && from.getTime() >= to.getTime()) {
    throw new UsageError(`--from (${values.from}) must be before --to (${values.to})`);
  }
  return {
    kind: 'history',
    scope: aggregate ?? { kind: 'company', companyId },
    window: { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) },
    format,
  };
};
