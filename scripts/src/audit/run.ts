// One audit, start to end, on any event store and any output (a terminal, a file, a test's buffer).
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { EventStore } from '@cschat/infra';
import { jsonLine, textLine } from './format';
import { auditEntries, inWindow } from './history';
import type { AuditRequest } from './request';
import { stateAsOf } from './state-as-of';

export type AuditOutcome = 'found' | 'nothing-found';

/** Waits when the reader is slower than the store (a pager, a pipe), rather than buffering a whole log. */
export const writeLine = async (out: Writable, line: string): Promise<void> => {
  if (!out.write(`${line}\n`)) await once(out, 'drain');
};

export const runAudit = async (store: EventStore, request: AuditRequest, out: Writable): Promise<AuditOutcome> => {
  if (request.kind === 'state-as-of') {
    const found = await stateAsOf(store, request.scope, request.asOf);
    if (found === undefined) return 'nothing-found';
    await writeLine(out, request.format === 'jsonl' ? JSON.stringify(found) : JSON.stringify(found, null, 2));
    return 'found';
  }
  const format = request.format === 'jsonl' ? jsonLine : textLine;
  let count = 0;
  for await (const entry of auditEntries(store, request.scope)) {
    if (!inWindow(entry.recorded.recordedAt, request.window)) continue;
    await writeLine(out, format(entry));
    count++;
  }
  return count === 0 ? 'nothing-found' : 'found';
};
