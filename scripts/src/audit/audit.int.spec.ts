// The audit on a real (in-memory PGlite) event store, over a history written by the real command
// handler: one session of acme from the visitor's first message to its end, the agents and the
// queue around it, and a session of acme2 (a company whose id starts with acme's) that must never show.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { agent, queue, session, type Aggregate, type IsoInstant } from '@cschat/domain';
import { ConfigError, createPgliteEventStore, type EventMetadata, type EventStore } from '@cschat/infra';
import { handleCommand } from '@cschat/infra';
import { isLeft } from 'fp-ts/Either';
import { EXIT, runAuditCli } from './cli';
import { parseAuditArgs, type AuditRequest } from './request';
import { runAudit } from './run';

const REPO = path.resolve(__dirname, '../../..');
const always = { hours: {}, timeoutSeconds: 600 };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A time strictly between the events before it and those after it (the store keeps milliseconds). */
const mark = async (): Promise<Date> => {
  await sleep(5);
  const now = new Date();
  await sleep(5);
  return now;
};

const collector = (): { out: Writable; text: () => string; lines: () => string[] } => {
  const chunks: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const text = (): string => chunks.join('');
  return { out, text, lines: () => text().split('\n').filter(Boolean) };
};

const request = (...argv: string[]): AuditRequest => {
  const invocation = parseAuditArgs(argv);
  if (invocation.kind === 'help') throw new Error('asked for help');
  return invocation;
};

describe('audit replay', () => {
  let store: EventStore;
  const marks: Record<'start' | 'beforeAssign' | 'beforeTransfer' | 'afterTransfer' | 'end', Date> = {
    start: new Date(0),
    beforeAssign: new Date(0),
    beforeTransfer: new Date(0),
    afterTransfer: new Date(0),
    end: new Date(0),
  };

  const run = async <Command, Event extends { readonly type: string }, State, Context>(
    aggregate: Aggregate<Command, Event, State, Context>,
    streamId: string,
    command: Command,
    context: Context,
    metadata?: EventMetadata,
  ): Promise<void> => {
    const result = await handleCommand(
      store,
      aggregate,
      streamId,
      command,
      () => context,
      metadata ? { metadata } : {},
    );
    if (isLeft(result)) throw new Error(`${streamId}: ${result.left.message}`);
    if (result.right.events.length === 0) throw new Error(`${streamId}: the command changed nothing`);
  };

  const at = (): IsoInstant => new Date().toISOString() as IsoInstant;
  const onSession = (companyId: string, sessionId: string, command: Record<string, unknown>) =>
    run(
      session.sessionAggregate,
      session.sessionStream(companyId, sessionId),
      { companyId, sessionId, at: at(), ...command } as session.SessionCommand,
      always,
    );
  const onAgent = (companyId: string, agentId: string, command: Record<string, unknown>) =>
    run(
      agent.agentAggregate,
      agent.agentStream(companyId, agentId),
      { companyId, agentId, at: at(), ...command } as agent.AgentCommand,
      undefined,
    );
  const onQueue = (companyId: string, groupId: string, command: Record<string, unknown>, metadata?: EventMetadata) =>
    run(
      queue.queueAggregate,
      queue.queueStream(companyId, groupId),
      { companyId, groupId, at: at(), ...command } as queue.QueueCommand,
      undefined,
      metadata,
    );

  const longReply =
    'Hi, this is Alice from support. I can see order #1234 left our warehouse yesterday and should arrive soon.';

  beforeAll(async () => {
    store = createPgliteEventStore();
    await store.start();
    marks.start = await mark();
    await onAgent('acme', 'alice', { type: 'ChangeAgentStatus', status: 'idle' });
    await onAgent('acme', 'bob', { type: 'ChangeAgentStatus', status: 'idle' });
    await onSession('acme', 's1', {
      type: 'PostMessage',
      messageId: 'm1',
      from: { role: 'visitor', id: 'v1' },
      text: 'Hello,\nwhere is my order #1234?',
      origin: { visitorId: 'v1', channel: 'web', groupId: 'support' },
    });
    await onSession('acme', 's1', { type: 'RequestHuman' });
    await onQueue(
      'acme',
      'support',
      { type: 'JoinQueue', sessionId: 's1' },
      { actor: { role: 'system', id: 'router' } },
    );
    marks.beforeAssign = await mark();
    await onSession('acme', 's1', { type: 'AssignSession', agentId: 'alice' });
    await onQueue('acme', 'support', { type: 'LeaveQueue', sessionId: 's1', reason: 'assigned' });
    await onAgent('acme', 'alice', { type: 'AttachSession', sessionId: 's1', capacity: 3 });
    await onSession('acme', 's1', {
      type: 'PostMessage',
      messageId: 'm2',
      from: { role: 'agent', id: 'alice' },
      text: longReply,
    });
    await onSession('acme', 's1', { type: 'MarkSessionRead', agentId: 'alice' });
    marks.beforeTransfer = await mark();
    await onSession('acme', 's1', { type: 'TransferSession', byAgentId: 'alice', to: { agentId: 'bob' } });
    await onAgent('acme', 'alice', { type: 'DetachSession', sessionId: 's1', reason: 'transferred' });
    await onAgent('acme', 'bob', { type: 'AttachSession', sessionId: 's1', capacity: 3 });
    marks.afterTransfer = await mark();
    await onSession('acme', 's1', { type: 'EndSession', by: { role: 'visitor', id: 'v1' } });
    await onAgent('acme', 'bob', { type: 'DetachSession', sessionId: 's1', reason: 'ended' });
    await onAgent('acme', 'alice', { type: 'ChangeAgentStatus', status: 'away' });
    // Another company, with the same session and agent ids, and an id that starts with "acme".
    await onSession('acme2', 's1', {
      type: 'PostMessage',
      messageId: 'm1',
      from: { role: 'visitor', id: 'v9' },
      text: 'acme2 secret',
      origin: { visitorId: 'v9', channel: 'telegram', groupId: 'support' },
    });
    await onAgent('acme2', 'alice', { type: 'ChangeAgentStatus', status: 'idle' });
    marks.end = await mark();
  });
  afterAll(() => store.stop());

  const audit = async (...argv: string[]): Promise<{ outcome: string; lines: string[] }> => {
    const { out, lines } = collector();
    const outcome = await runAudit(store, request(...argv), out);
    return { outcome, lines: lines() };
  };

  it("prints a session's history, one line per event, saying who did what in order", async () => {
    const { outcome, lines } = await audit('--company', 'acme', '--session', 's1');
    expect(outcome).toBe('found');
    const expected: [string, string, string][] = [
      ['SessionStarted', 'visitor v1', 'opened the session on web, group support'],
      ['MessagePosted', 'visitor v1', 'wrote "Hello, where is my order #1234?"'],
      ['HumanRequested', 'visitor v1', 'asked for a human: waits in group support'],
      ['TimeoutCheckScheduled', 'system', 'next inactivity check at '],
      ['SessionAssigned', 'agent alice', 'took the session (group support)'],
      ['MessagePosted', 'agent alice', `wrote "${longReply.slice(0, 79)}…"`],
      ['SessionRead', 'agent alice', 'read the session'],
      ['SessionTransferred', 'agent alice', 'transferred the session -> agent bob'],
      ['SessionEnded', 'visitor v1', 'ended the session, held by agent bob'],
      ['CsatRequested', 'system', 'asked the visitor how it went (satisfaction)'],
    ];
    // Columns are separated by two spaces or more; a quoted message has its whitespace collapsed.
    expect(lines.map((line) => line.split(/ {2,}/))).toEqual(
      expected.map(([type, actor, what], revision): unknown[] => [
        expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/) as unknown,
        `session-acme-s1@${revision}`,
        type,
        actor,
        what.endsWith(' at ') ? (expect.stringMatching(/^next inactivity check at \S+Z$/) as unknown) : what,
      ]),
    );
  });

  it('exports JSON lines with strings for revisions and positions, and the actor', async () => {
    const { lines } = await audit('--company', 'acme', '--session', 's1', '--format', 'jsonl');
    const stored = await store.readStream(session.sessionStream('acme', 's1'));
    expect(lines).toHaveLength(stored.length);
    const objects = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    objects.forEach((object, index) => {
      const recorded = stored[index];
      expect(object).toEqual({
        streamId: 'session-acme-s1',
        revision: String(index),
        position: { commit: String(recorded?.position.commit), prepare: String(recorded?.position.prepare) },
        eventId: recorded?.eventId,
        type: recorded?.type,
        recordedAt: recorded?.recordedAt.toISOString(),
        actor: expect.objectContaining({ role: expect.any(String) as unknown }) as unknown,
        summary: expect.any(String) as unknown,
        data: recorded?.data,
        metadata: recorded?.metadata,
      });
    });
    expect(objects[7]?.['actor']).toEqual({ role: 'agent', id: 'alice' });
  });

  it('takes the actor from metadata.actor when the event names none, else says system', async () => {
    const { lines } = await audit('--company', 'acme', '--queue', 'support');
    expect(lines).toEqual([
      expect.stringMatching(/queue-acme-support@0 +SessionQueued +system router +session s1 joined the queue$/),
      expect.stringMatching(/queue-acme-support@1 +SessionLeftQueue +system +session s1 left the queue: assigned$/),
    ]);
  });

  it("audits a company: every stream of the company in global order, never another company's", async () => {
    const { lines } = await audit('--company', 'acme', '--format', 'jsonl');
    const objects = lines.map(
      (line) => JSON.parse(line) as { streamId: string; position: { commit: string; prepare: string } },
    );
    const streams = ['session-acme-s1', 'agent-acme-alice', 'agent-acme-bob', 'queue-acme-support'];
    const counts = await Promise.all(streams.map(async (id) => (await store.readStream(id)).length));
    expect(objects).toHaveLength(counts.reduce((a, b) => a + b, 0));
    expect(new Set(objects.map((o) => o.streamId))).toEqual(new Set(streams));
    expect(lines.join('\n')).not.toContain('acme2');
    expect(lines.join('\n')).not.toContain('secret');
    const positions = objects.map((o) => [BigInt(o.position.commit), BigInt(o.position.prepare)] as const);
    const sorted = [...positions].sort(([c1, p1], [c2, p2]) => (c1 === c2 ? Number(p1 - p2) : Number(c1 - c2)));
    expect(positions).toEqual(sorted);

    const other = await audit('--company', 'acme2');
    expect(other.lines).toEqual([
      expect.stringMatching(/session-acme2-s1@0 +SessionStarted +visitor v9 +opened the session on telegram/),
      expect.stringMatching(/session-acme2-s1@1 +MessagePosted +visitor v9 +wrote "acme2 secret"/),
      expect.stringMatching(/agent-acme2-alice@0 +AgentStatusChanged +agent alice +offline -> idle/),
    ]);
  });

  it('keeps the events recorded from --from (inclusive) until --to (exclusive)', async () => {
    const transfer = await audit(
      '--company',
      'acme',
      '--from',
      marks.beforeTransfer.toISOString(),
      '--to',
      marks.afterTransfer.toISOString(),
    );
    expect(transfer.lines).toEqual([
      expect.stringMatching(/session-acme-s1@7 +SessionTransferred +agent alice +transferred the session -> agent bob/),
      expect.stringMatching(/agent-acme-alice@2 +SessionDetached +system +session s1 detached: transferred \(load 0\)/),
      expect.stringMatching(/agent-acme-bob@1 +SessionAttached +system +session s1 attached \(load 1\)/),
    ]);

    const withAlice = await audit(
      '--company',
      'acme',
      '--session',
      's1',
      '--from',
      marks.beforeAssign.toISOString(),
      '--to',
      marks.beforeTransfer.toISOString(),
    );
    expect(withAlice.lines.map((line) => line.split(/ {2}/)[1])).toEqual([
      'session-acme-s1@4',
      'session-acme-s1@5',
      'session-acme-s1@6',
    ]);

    // The visitor is named by SessionStarted, which is before the window: it is still known.
    const afterStart = await audit('--company', 'acme', '--session', 's1', '--from', marks.afterTransfer.toISOString());
    expect(afterStart.lines).toEqual([
      expect.stringMatching(/SessionEnded +visitor v1 +ended the session/),
      expect.stringMatching(/CsatRequested +system +asked the visitor how it went/),
    ]);

    const onlyTo = await audit('--company', 'acme', '--agent', 'alice', '--to', marks.beforeAssign.toISOString());
    expect(onlyTo.lines).toEqual([
      expect.stringMatching(/agent-acme-alice@0 +AgentStatusChanged +agent alice +offline -> idle/),
    ]);

    expect((await audit('--company', 'acme', '--from', marks.end.toISOString())).outcome).toBe('nothing-found');
  });

  it('--as-of folds the events recorded up to then: assigned to alice before the transfer, to bob after', async () => {
    const stateAt = async (time: Date, ...scope: string[]): Promise<Record<string, unknown>> => {
      const { lines } = await audit('--company', 'acme', ...scope, '--as-of', time.toISOString(), '--format', 'jsonl');
      expect(lines).toHaveLength(1);
      return JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    };
    const before = await stateAt(marks.beforeTransfer, '--session', 's1');
    expect(before).toMatchObject({
      streamId: 'session-acme-s1',
      asOf: marks.beforeTransfer.toISOString(),
      revision: '6',
      state: { status: 'assigned', agentId: 'alice', visitorId: 'v1', unread: false },
    });
    const after = await stateAt(marks.afterTransfer, '--session', 's1');
    expect(after).toMatchObject({ revision: '7', state: { status: 'assigned', agentId: 'bob' } });
    expect((await stateAt(marks.end, '--session', 's1'))['state']).toMatchObject({
      status: 'ended',
      endReason: 'visitor',
    });
    expect((await stateAt(marks.beforeTransfer, '--agent', 'alice'))['state']).toEqual({
      status: 'idle',
      sessions: ['s1'],
      handovers: {},
      chosenStatus: 'idle',
      statusReason: 'chosen',
      idleSince: expect.any(String) as unknown,
    });
    expect((await stateAt(marks.beforeAssign, '--queue', 'support'))['state']).toEqual({
      waiting: [{ sessionId: 's1', since: expect.any(String) as unknown }],
    });

    const { lines } = await audit(
      '--company',
      'acme',
      '--session',
      's1',
      '--as-of',
      marks.beforeTransfer.toISOString(),
    );
    expect(JSON.parse(lines.join('\n'))).toEqual(before);
    expect(lines.length).toBeGreaterThan(1); // indented for a person

    expect((await audit('--company', 'acme', '--session', 's1', '--as-of', marks.start.toISOString())).outcome).toBe(
      'nothing-found',
    );
  });

  describe('an event its aggregate cannot decode', () => {
    beforeAll(async () => {
      const stream = agent.agentStream('initech', 'zed');
      await store.append(stream, [{ type: 'AgentStatusChanged', data: { status: 'dancing' } }], 'no_stream');
      await store.append(
        stream,
        [
          {
            type: 'AgentStatusChanged',
            data: { v: 1, companyId: 'initech', agentId: 'zed', at: at(), status: 'away', previous: 'busy' },
          },
        ],
        'stream_exists',
      );
    });

    it('is printed, marked undecodable, and the audit goes on', async () => {
      const { lines } = await audit('--company', 'initech', '--agent', 'zed');
      expect(lines).toEqual([
        expect.stringMatching(
          /agent-initech-zed@0 +AgentStatusChanged +unknown +\[undecodable\] cannot decode AgentStatusChanged/,
        ),
        expect.stringMatching(/agent-initech-zed@1 +AgentStatusChanged +agent zed +busy -> away$/),
      ]);
      const json = (await audit('--company', 'initech', '--format', 'jsonl')).lines.map(
        (line) => JSON.parse(line) as Record<string, unknown>,
      );
      expect(json.map((o) => o['undecodable'])).toEqual([expect.stringContaining('cannot decode'), undefined]);
    });

    it('is left out of an --as-of fold, which says so', async () => {
      const { lines } = await audit(
        '--company',
        'initech',
        '--agent',
        'zed',
        '--as-of',
        new Date().toISOString(),
        '--format',
        'jsonl',
      );
      expect(JSON.parse(lines[0] ?? '')).toMatchObject({
        revision: '1',
        state: { status: 'away' },
        undecodable: [
          { revision: '0', type: 'AgentStatusChanged', reason: expect.stringContaining('status') as unknown },
        ],
      });
    });
  });

  it('reads streams and the global log page by page, to the end', async () => {
    const stream = queue.queueStream('paging', 'g');
    const joins = (from: number) =>
      Array.from({ length: 600 }, (_, i) => ({
        type: 'SessionQueued',
        data: { v: 1, companyId: 'paging', groupId: 'g', sessionId: `s${from + i}`, at: at() },
      }));
    await store.append(stream, joins(0), 'no_stream');
    await store.append(stream, joins(600), 'stream_exists');
    expect((await audit('--company', 'paging', '--queue', 'g')).lines).toHaveLength(1200);
    expect((await audit('--company', 'paging')).lines).toHaveLength(1200);
    const { lines } = await audit(
      '--company',
      'paging',
      '--queue',
      'g',
      '--as-of',
      new Date().toISOString(),
      '--format',
      'jsonl',
    );
    const folded = JSON.parse(lines[0] ?? '') as { revision: string; state: queue.QueueState };
    expect(folded.revision).toBe('1199');
    expect(folded.state.waiting.map((w) => w.sessionId)).toEqual(Array.from({ length: 1200 }, (_, i) => `s${i}`));
  });

  describe('exit codes', () => {
    /** The shared store, which the command must not stop. */
    const borrowed = (): EventStore =>
      Object.assign(Object.create(store) as EventStore, { stop: async () => undefined });

    const cli = async (argv: string[], openStore: () => EventStore = borrowed) => {
      const stdout = collector();
      const stderr = collector();
      const code = await runAuditCli(argv, { stdout: stdout.out, stderr: stderr.out, openStore });
      return { code, stdout: stdout.text(), stderr: stderr.text() };
    };

    it('0 with events, 3 with none', async () => {
      expect(await cli(['--company', 'acme', '--session', 's1'])).toMatchObject({ code: EXIT.ok, stderr: '' });
      expect(await cli(['--company', 'acme', '--session', 'nobody'])).toEqual({
        code: EXIT.nothingFound,
        stdout: '',
        stderr: 'audit: no events of session nobody of acme\n',
      });
      expect((await cli(['--company', 'nobody'])).code).toBe(EXIT.nothingFound);
    });

    it.each([
      [[], '--company is required'],
      [['--session', 's1'], '--company is required'],
      [['--company', 'ac-me'], '--company must be a company id'],
      [['--company', 'acme', '--session', 's1', '--agent', 'alice'], 'at most one of --session, --agent, --queue'],
      [['--company', 'acme', '--sesion', 's1'], "Unknown option '--sesion'"],
      [['--company', 'acme', 'extra'], 'extra'],
      [['--company', 'acme', '--format', 'csv'], '--format must be text or jsonl'],
      [['--company', 'acme', '--from', 'yesterday'], '--from must be an ISO 8601 time'],
      [['--company', 'acme', '--from', '2026-11-25T10:00'], '--from needs a time zone'],
      [['--company', 'acme', '--from', '2026-11-26', '--to', '2026-11-25'], 'must be before --to'],
      [['--company', 'acme', '--as-of', '2026-11-25T10:00Z'], '--as-of needs --session, --agent or --queue'],
      [
        ['--company', 'acme', '--queue', 'support', '--as-of', '2026-11-25', '--from', '2026-11-24'],
        'no --from or --to',
      ],
    ])('2 for a usage error: %j', async (argv, message) => {
      const opened = jest.fn(borrowed);
      const { code, stdout, stderr } = await cli(argv, opened);
      expect(code).toBe(EXIT.usage);
      expect(stdout).toBe('');
      const [first, pointer, ...rest] = stderr.split('\n');
      expect(first).toMatch(/^audit: /);
      expect(first).toContain(message);
      expect(pointer).toBe('Run "npm run audit -- --help" for the options.');
      expect(rest).toEqual(['']);
      expect(opened).not.toHaveBeenCalled();
    });

    it('2 for a bad environment, 1 when the store cannot be reached', async () => {
      const badEnvironment = await cli(['--company', 'acme'], () => {
        throw new ConfigError('DATABASE_URL is not a URL: "nope"');
      });
      expect(badEnvironment.code).toBe(EXIT.usage);
      expect(badEnvironment.stderr).toContain('DATABASE_URL is not a URL');

      const unreachable = Object.assign(Object.create(store) as EventStore, {
        start: () => Promise.reject(new AggregateError([new Error('connect ECONNREFUSED 127.0.0.1:5432')], '')),
        stop: async () => undefined,
      });
      expect(await cli(['--company', 'acme'], () => unreachable)).toEqual({
        code: EXIT.failure,
        stdout: '',
        stderr: 'audit: connect ECONNREFUSED 127.0.0.1:5432\n',
      });
    });

    it('0 for --help, whatever else is on the line', async () => {
      const { code, stdout } = await cli(['--company', 'ac-me', '--help']);
      expect(code).toBe(EXIT.ok);
      expect(stdout).toContain('Usage: npm run audit');
    });
  });

  describe('the command itself (spawned: slow, so only two)', () => {
    const spawn = (...argv: string[]) =>
      spawnSync('npx', ['tsx', 'scripts/src/audit.ts', ...argv], { cwd: REPO, encoding: 'utf8', timeout: 60000 });

    it('--help prints the help and exits 0', () => {
      const { status, stdout } = spawn('--help');
      expect(status).toBe(0);
      expect(stdout).toContain('Usage: npm run audit -- --company <id>');
      expect(stdout).toContain('Examples:');
      expect(stdout).toContain('PGlite is single-process');
    });

    it('a usage error prints one line and a pointer to --help, and exits 2', () => {
      const { status, stdout, stderr } = spawn('--session', 's1');
      expect(status).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toBe(
        'audit: --company is required: every audit is of one company\nRun "npm run audit -- --help" for the options.\n',
      );
    });
  });
});
