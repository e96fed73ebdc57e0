// One socket's tasks (onConnected, its frames, onDisconnected), one at a time in order.

/**
 * Runs tasks one after another, each once the previous one finished. A socket makes one when a
 * task comes while none is queued, and drops it once drained: an idle socket holds no queue (a
 * promise chain kept its last promise, and each task three more, whether or not any waited).
 */
export class TaskQueue {
  /** The task running, then those waiting for their turn. */
  private readonly tasks: (() => Promise<void>)[] = [];

  constructor(
    /** Told of a task that failed; the tasks after it still run. */
    private readonly failed: (error: unknown) => void,
    /** Called when the last task queued finished. */
    private readonly drained: () => void,
  ) {}

  /** The task running and those waiting. */
  get length(): number {
    return this.tasks.length;
  }

  push(task: () => Promise<void>): void {
    this.tasks.push(task);
    if (this.tasks.length === 1) void this.run();
  }

  private async run(): Promise<void> {
    for (let task = this.tasks[0]; task !== undefined; task = this.tasks[0]) {
      try {
        await task();
      } catch (error) {
        this.failed(error);
      }
      this.tasks.shift();
    }
    this.drained();
  }
}
