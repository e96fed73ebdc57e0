export const AUDIT_HELP = `Usage: npm run audit -- --company <id> [--session <id> | --agent <id> | --queue <groupId>]
                        [--from <time>] [--to <time>] [--format text|jsonl]
       npm run audit -- --company <id> (--session <id> | --agent <id> | --queue <groupId>) --as-of <time>

Prints the recorded history of a company's sessions, agents and queues: every event, when the
event store recorded it, in which stream, and who did what. With --as-of it prints instead the
state of one session, agent or queue as it was at that time.

Scope (always one company; at most one of --session, --agent, --queue):
  --company <id>      the company audited (required)
  --session <id>      one session: stream session-<company>-<id>
  --agent <id>        one agent: stream agent-<company>-<id>
  --queue <groupId>   the queue of one group: stream queue-<company>-<groupId>
                      none of the three: every session, agent and queue of the company, in the
                      order of the global log (a read of the whole log)

Time (the time the event store recorded each event, not the time inside the event):
  --from <time>       from this time, inclusive
  --to <time>         until this time, exclusive
  --as-of <time>      the state after folding the events recorded up to and including this time
                      (only with --session, --agent or --queue; not with --from or --to)
  A time is ISO 8601 with its zone (2026-11-25T09:30:00Z, 2026-11-25T10:30+01:00) or a date
  alone (2026-11-25: midnight UTC).

Output:
  --format text       one line per event (default): recorded time, stream@revision, event type,
                      who (visitor v1, agent alice, bot, system), what
  --format jsonl      one JSON object per line and event: streamId, revision, position {commit,
                      prepare}, eventId, type, recordedAt, actor {role, id}, summary, data,
                      metadata, and undecodable (the reason) for an event its aggregate cannot read
                      With --as-of: the state as JSON (indented with text, one line with jsonl).
  -h, --help          this text

An event that does not decode is printed, marked undecodable, and the audit goes on.

The event store is the one \`npm start\` uses, from the same environment: EVENTSTORE_URL,
DATABASE_URL, or else the embedded PGlite files under DATA_DIR/pglite (DATA_DIR defaults to
./data). In embedded mode stop the service first: PGlite is single-process, and while the service
holds DATA_DIR/pglite.lock the audit exits with 1 before opening anything.

Exit codes: 0 done, 1 failure (the store is unreachable, ...), 2 usage error, 3 no events match.

Examples:
  npm run audit -- --company acme --session s-42
  npm run audit -- --company acme --agent alice --from 2026-11-25 --to 2026-11-26
  npm run audit -- --company acme --queue support --from 2026-11-25T08:00:00+01:00
  npm run audit -- --company acme --session s-42 --as-of 2026-11-25T10:15:00Z
  npm run --silent audit -- --company acme --format jsonl > acme.jsonl
      (--silent keeps npm's own "> cschat audit" lines out of the file)
  DATABASE_URL=postgres://audit@db:5432/cschat npm run audit -- --company acme
`;
