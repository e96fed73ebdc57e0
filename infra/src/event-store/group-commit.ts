// Group commit: appends that arrive while earlier ones are being written wait, and go together in
// the next batch: one statement and one commit for all of them, each with its own outcome.

export interface QueuedAppend {
  readonly streamId: string;
  /** Size of its events (any unit, the same as maxSize's), to bound a batch. */
  readonly size: number;
}

export type Outcome<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown };

export interface GroupCommitOptions<A extends QueuedAppend, R> {
  /** Writes one batch (never two appends to one stream) and tells each append's outcome, in order. */
  readonly write: (batch: readonly A[]) => Promise<Outcome<R>[]>;
  /** Called once after each batch that wrote something, before its appends resolve. */
  readonly written: () => void;
  /** Batches being written at once. */
  readonly flushes: number;
  readonly maxAppends?: number;
  readonly maxSize?: number;
}

interface Waiting<A, R> {
  readonly append: A;
  readonly resolve: (value: R) => void;
  readonly reject: (error: unknown) => void;
}

export class GroupCommit<A extends QueuedAppend, R> {
  private queue: Waiting<A, R>[] = [];
  private flushing = 0;
  private scheduled = false;
  private drained: (() => void)[] = [];
  private readonly maxAppends: number;
  private readonly maxSize: number;

  constructor(private readonly options: GroupCommitOptions<A, R>) {
    this.maxAppends = options.maxAppends ?? 1000;
    this.maxSize = options.maxSize ?? 4 * 1024 * 1024;
  }

  submit(append: A): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ append, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once every append submitted so far has its outcome. */
  drain(): Promise<void> {
    if (this.queue.length === 0 && this.flushing === 0) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled || this.flushing >= this.options.flushes || this.queue.length === 0) return;
    this.scheduled = true;
    // After the I/O callbacks of this turn: the appends their callers make in reply join the batch.
    setImmediate(() => {
      this.scheduled = false;
      while (this.flushing < this.options.flushes) {
        const batch = this.take();
        if (batch.length === 0) break;
        void this.flush(batch);
      }
    });
  }

  /** The oldest appends that fit in one batch, at most one per stream, in the order they came. */
  private take(): Waiting<A, R>[] {
    const batch: Waiting<A, R>[] = [];
    const rest: Waiting<A, R>[] = [];
    // A stream passed over stays passed over, so that its appends keep their order. (An append to
    // a stream being written in another batch may go: PostgreSQL's row lock orders the two, and
    // waiting for that batch instead made 32 writers on one stream 2.5x slower.)
    const passed = new Set<string>();
    let size = 0;
    for (const waiting of this.queue) {
      const { streamId } = waiting.append;
      const fits = batch.length === 0 || (batch.length < this.maxAppends && size + waiting.append.size <= this.maxSize);
      if (fits && !passed.has(streamId)) {
        batch.push(waiting);
        size += waiting.append.size;
      } else {
        rest.push(waiting);
      }
      passed.add(streamId);
    }
    this.queue = rest;
    return batch;
  }

  private async flush(batch: Waiting<A, R>[]): Promise<void> {
    this.flushing += 1;
    let outcomes: Outcome<R>[];
    try {
      outcomes = await this.options.write(batch.map((w) => w.append));
    } catch (error) {
      outcomes = batch.map(() => ({ ok: false, error }));
    }
    this.flushing -= 1;
    if (outcomes.some((o) => o.ok)) this.options.written();
    batch.forEach((waiting, i) => {
      const outcome = outcomes[i] ?? { ok: false, error: new Error('group commit: no outcome for this append') };
      if (outcome.ok) waiting.resolve(outcome.value);
      else waiting.reject(outcome.error);
    });
    this.schedule();
    if (this.queue.length === 0 && this.flushing === 0) {
      for (const resolve of this.drained.splice(0)) resolve();
    }
  }
}
