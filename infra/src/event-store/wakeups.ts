// Cross-process wake-ups for subscriptions: PostgreSQL LISTEN on a dedicated connection, or
// An embedded PGlite has one process, whose own appends wake its subscribers. A lost notification only delays a subscriber until its next poll.
import { Client } from 'pg';
import type { Wakeups } from './polling-subscription';

export interface ListeningWakeups extends Wakeups {
  start(): Promise<void>;
  stop(): Promise<void>;
}

abstract class ListenerSet implements Wakeups {
  private readonly listeners = new Set<() => void>();
  onChange(wake: () => void): () => void {
    this.listeners.add(wake);
    return () => this.listeners.delete(wake);
  }
  protected fire = (): void => {
    for (const wake of this.listeners) wake();
  };
}

export class PostgresWakeups extends ListenerSet implements ListeningWakeups {
  private client: Client | undefined;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly onError: (error: Error) => void = () => undefined,
  ) {
    super();
  }

  async start(): Promise<void> {
    this.stopped = false;
    const client = new Client({ connectionString: this.url });
    client.on('notification', this.fire);
    client.on('error', (error) => this.reconnect(error));
    client.on('end', () => this.reconnect(new Error('LISTEN connection ended')));
    await client.connect();
    await client.query(`listen "${this.channel}"`);
    this.client = client;
  }

  private reconnect(error: Error): void {
    if (this.stopped || this.retry !== undefined) return;
    this.onError(error);
    this.client = undefined;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      // Whatever was appended meanwhile is found by the subscribers' polls and this wake-up.
      this.start().then(this.fire, (e: Error) => this.reconnect(e));
    }, 1000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
