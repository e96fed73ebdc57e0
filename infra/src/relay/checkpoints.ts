// Where a follower of the global log (the relay, a rebuild) remembers how far it got. The
// position only moves forwards: a stale process cannot move it back.
import type { Knex } from 'knex';
import type { Position } from '../event-store/port';

export interface CheckpointStore {
  load(name: string): Promise<Position | undefined>;
  save(name: string, position: Position): Promise<void>;
}

export class SqlCheckpointStore implements CheckpointStore {
  private ready: Promise<void> | undefined;

  constructor(
    private readonly knex: Knex,
    private readonly schema: string,
  ) {}

  private get table(): string {
    return `"${this.schema}".checkpoints`;
  }

  private prepare(): Promise<void> {
    this.ready ??= (async () => {
      await this.knex.raw(`create schema if not exists "${this.schema}"`).catch((error: { code?: string }) => {
        if (error.code !== '23505') throw error;
      });
      await this.knex.raw(`create table if not exists ${this.table} (
        name text primary key,
        commit_position numeric(20) not null,
        prepare_position numeric(20) not null,
        updated_at timestamptz not null default now()
      )`);
    })();
    return this.ready;
  }

  async load(name: string): Promise<Position | undefined> {
    await this.prepare();
    const { rows } = await this.knex.raw<{ rows: { c: string; p: string }[] }>(
      `select commit_position::text as c, prepare_position::text as p from ${this.table} where name = ?`,
      [name],
    );
    const row = rows[0];
    return row === undefined ? undefined : { commit: BigInt(row.c), prepare: BigInt(row.p) };
  }

  async save(name: string, position: Position): Promise<void> {
    await this.prepare();
    await this.knex.raw(
      `insert into ${this.table} as c (name, commit_position, prepare_position) values (?, ?, ?)
       on conflict (name) do update set commit_position = excluded.commit_position,
         prepare_position = excluded.prepare_position, updated_at = now()
       where (excluded.commit_position, excluded.prepare_position) > (c.commit_position, c.prepare_position)`,
      [name, position.commit.toString(), position.prepare.toString()],
    );
  }
}
