// `npm run erase`: arguments, the plan (--dry-run), progress, exit codes. The erasure itself is
// infra's VisitorErasure, the one the admin API and the retention job use.
import { parseOptions, UsageError } from '../cli/options';
import type { Writable } from 'node:stream';
import { SingleBar } from 'cli-progress';
import { isLeft } from 'fp-ts/Either';
import { Id } from '@cschat/domain';
import { CLI_ACTOR, type CompanyConfigStore, type DataSubject, type VisitorErasure } from '@cschat/infra';
import { visitorsInactiveSince, type InactiveVisitor } from '@cschat/projections';
import type { Storage } from '../storage';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export const HELP = `Usage: npm run erase -- --company <id> (--visitor <id> | --before <date>) [--dry-run]

Erases visitors' personal data (GDPR / PIPL erasure, crypto-shredding): deletes each visitor's
data key, so that its events read "[erased]" everywhere from then on (history, audit, rebuilds),
and wipes the copies: read models (profile, messages and search, session lists, comments of the
satisfaction reports, whose numbers stay), its files, and the outbound webhook bodies of its
sessions. The same erasure as DELETE /api/admin/visitors/:id. Each erasure writes an audit line
(actor "cli") in the company's configuration audit, with counts only.

Options:
  --company <id>    the company (required)
  --visitor <id>    erase this visitor (again, if it was: the copies are wiped again)
  --before <date>   erase every visitor of the company last active before this ISO-8601 date
                    or time (last seen and every session ended before it; none open), not
                    erased yet, oldest first
  --dry-run         list what would be erased; erase nothing
  -h, --help        this text

The storage comes from the same environment as \`npm start\` (DATABASE_URL, EVENTSTORE_URL,
DATA_DIR). In embedded mode stop the service first: PGlite is single-process, and while the
service holds DATA_DIR/pglite.lock this exits with 1 before opening anything.

After the last erasure the copies are wiped once more, a few seconds later: a process that still
held a key in its short cache may have written one back meanwhile.

Progress: a bar on a terminal, a line every few seconds otherwise; one line per visitor erased.

Exit codes: 0 erased (or listed, with --dry-run; also when no visitor matched --before);
1 failed (unknown company or visitor, storage unreachable, an erasure failed); 2 wrong arguments.

Examples:
  $ npm run erase -- --company acme --visitor 6f1c2a9e-...
  erased 6f1c2a9e-...: 14 rows, 1 file(s)
  $ npm run erase -- --company acme --before 2025-01-01 --dry-run
  would erase 2 visitor(s) of acme last active before 2025-01-01T00:00:00.000Z:
  v-17  last active 2024-03-02T10:00:00.000Z
  ...
`;

export { UsageError };

export type EraseRequest =
  | { readonly kind: 'visitor'; readonly companyId: string; readonly visitorId: string; readonly dryRun: boolean }
  | { readonly kind: 'before'; readonly companyId: string; readonly before: Date; readonly dryRun: boolean };

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

export const parseRequest = (argv: readonly string[]): EraseRequest | 'help' => {
  const values = parseOptions(argv, {
    company: { type: 'string' },
    visitor: { type: 'string' },
    before: { type: 'string' },
    'dry-run': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help === true) return 'help';
  const dryRun = values['dry-run'] === true;
  if (values.company === undefined) throw new UsageError('--company is required');
  if (!Id.is(values.company)) throw new UsageError(`--company: "${values.company}" is not a company id`);
  const companyId = values.company;
  if (values.visitor !== undefined && values.before !== undefined)
    throw new UsageError('--visitor and --before exclude each other');
  if (values.visitor !== undefined) {
    if (!Id.is(values.visitor)) throw new UsageError(`--visitor: "${values.visitor}" is not a visitor id`);
    return { kind: 'visitor', companyId, visitorId: values.visitor, dryRun };
  }
  if (values.before !== undefined) {
    const before = new Date(values.before);
    if (!ISO_DATE.test(values.before) || Number.isNaN(before.getTime()))
      throw new UsageError(`--before: "${values.before}" is not an ISO-8601 date (2025-01-31 or 2025-01-31T12:00:00Z)`);
    return { kind: 'before', companyId, before, dryRun };
  }
  throw new UsageError('one of --visitor or --before is required');
};

/** A failure the operator is told of in a sentence (exit 1). */
export class EraseError extends Error {}

export interface EraseParts {
  readonly storage: Storage;
  readonly companies: CompanyConfigStore;
  readonly erasure: VisitorErasure;
}

export interface EraseIo {
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable;
  readonly now?: () => Date;
}

export interface EraseOutcome {
  /** The visitors erased (listed, with --dry-run). */
  readonly visitors: readonly string[];
  readonly rowsErased: number;
  readonly filesDeleted: number;
}

const everyInactive = (storage: Storage, companyId: string, before: Date): Promise<InactiveVisitor[]> =>
  visitorsInactiveSince(storage.readModels, storage.readModelSchema, { companyId, before, limit: 1_000_000 });

export const runErase = async (parts: EraseParts, request: EraseRequest, io: EraseIo): Promise<EraseOutcome> => {
  const { storage, companies, erasure } = parts;
  const now = io.now ?? (() => new Date());
  if (isLeft(await companies.getSettings(request.companyId))) throw new EraseError(`no company "${request.companyId}"`);

  let subjects: DataSubject[];
  if (request.kind === 'visitor') {
    const subject = { companyId: request.companyId, visitorId: request.visitorId };
    if (!(await erasure.known(subject)))
      throw new EraseError(`company "${request.companyId}" has no visitor "${request.visitorId}"`);
    subjects = [subject];
    if (request.dryRun) {
      io.stdout.write(`would erase visitor ${request.visitorId} of ${request.companyId}\n`);
      return { visitors: [request.visitorId], rowsErased: 0, filesDeleted: 0 };
    }
  } else {
    const found = await everyInactive(storage, request.companyId, request.before);
    if (request.dryRun) {
      io.stdout.write(
        `would erase ${found.length} visitor(s) of ${request.companyId} last active before ${request.before.toISOString()}${found.length === 0 ? '' : ':'}\n`,
      );
      for (const visitor of found) io.stdout.write(`${visitor.visitorId}  last active ${visitor.lastActiveAt}\n`);
      return { visitors: found.map((v) => v.visitorId), rowsErased: 0, filesDeleted: 0 };
    }
    subjects = found.map(({ companyId, visitorId }) => ({ companyId, visitorId }));
    if (subjects.length === 0) {
      io.stdout.write(`no visitor of ${request.companyId} last active before ${request.before.toISOString()}\n`);
      return { visitors: [], rowsErased: 0, filesDeleted: 0 };
    }
  }

  const bar =
    io.stdout.isTTY === true && subjects.length > 1
      ? new SingleBar({ format: `erasing [{bar}] {value}/{total} visitors | ETA {eta}s`, stream: io.stdout })
      : undefined;
  bar?.start(subjects.length, 0);
  const erased: string[] = [];
  let rowsErased = 0;
  let filesDeleted = 0;
  let lastLine = Date.now();
  for (const subject of subjects) {
    // --before claims each visitor in the ledger: one a retention job erases meanwhile is not counted twice.
    const report =
      request.kind === 'before'
        ? await erasure.eraseVisitor(subject, now(), { actor: CLI_ACTOR, claim: true })
        : await erasure.eraseVisitor(subject, now(), { actor: CLI_ACTOR });
    if (report !== undefined) {
      erased.push(subject.visitorId);
      rowsErased += report.rowsErased;
      filesDeleted += report.filesDeleted;
      const line = `erased ${subject.visitorId}: ${report.rowsErased} rows, ${report.filesDeleted} file(s)${report.alreadyErased ? ' (erased before)' : ''}\n`;
      if (bar === undefined) io.stdout.write(line);
    }
    bar?.increment();
    if (bar === undefined && subjects.length > 1 && Date.now() - lastLine >= 2000) {
      lastLine = Date.now();
      io.stderr.write(`${erased.length}/${subjects.length} visitors erased\n`);
    }
  }
  bar?.stop();
  io.stdout.write(
    `erased ${erased.length} visitor(s) of ${request.companyId}: ${rowsErased} rows, ${filesDeleted} file(s); ` +
      `wiping again in ${Math.round(erasure.redoAfterMs / 1000)} s\n`,
  );
  // What a process still holding a key may have written back meanwhile (see infra personal-data/erasure.ts).
  await erasure.settle();
  return { visitors: erased, rowsErased, filesDeleted };
};
