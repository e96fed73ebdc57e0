// TEST DOUBLE — NOT EventStoreDB, and never used by `npm start` or any production code.
//
// An in-memory gRPC server speaking the part of EventStoreDB's streams protocol that the
// EventStoreDB adapter (infra/src/event-store/eventstoredb.ts) uses, so that the real
// `@eventstore/db-client` talks to it over HTTP/2 on loopback (`esdb://127.0.0.1:<port>?tls=false`)
// and the adapter is verified over the wire. It is built with @grpc/grpc-js on the service
// definitions and messages that the client itself ships (`@eventstore/db-client/generated`), so the
// bytes on the wire are the client's own protocol, not a re-typed copy.
//
// What it implements, with EventStoreDB's semantics as documented:
// - ServerFeatures.GetSupportedMethods, which the client asks before its first append. It advertises
//   Streams.Read and Streams.Append, plus Streams.BatchAppend unless `batchAppend: false`: a real
//   EventStoreDB (21.10 and later) advertises BatchAppend, and the client then appends through it;
//   without it the client falls back to Append (as against EventStoreDB 20.x).
// - Streams.Append (client streaming: options, then proposed messages) and Streams.BatchAppend
//   (bidirectional, one answer per correlation id once `is_final` arrives): expected revision any /
//   no_stream / stream_exists / exact revision; success with the stream's current revision and the
//   position of the last event written; the wrong-expected-version answer with the current revision
//   (or none when the stream does not exist) and what was expected. A conflicting append writes
//   nothing. Appends are atomic (one JavaScript turn), so concurrent appends serialize as on a real
//   server.
// - Streams.Read of one stream, forwards or backwards, from start / end / a revision, with a count;
//   a missing stream answers `stream_not_found`.
// - Streams.Read of `$all`, forwards from a position (inclusive) or backwards from one (exclusive),
//   or from start / end, with a count, optionally filtered like a subscription.
// - Subscriptions to `$all` from start / end / a position (exclusive), with or without a filter on
//   the stream name or the event type (prefixes or a regular expression): the confirmation, then the
//   catch-up events, then `caught_up`, then live events as they are appended, and a checkpoint every
//   `max search window (32 when not given) x checkpoint interval multiplier` events read, matching or not.
// - Global positions: commit = prepare = the byte offset at which the event's record would start in
//   an imagined log (non-contiguous, growing), also on events read from one stream. Recorded events
//   carry `type`, `content-type` and `created` (.NET ticks since the Unix epoch) metadata.
//
// Where it knowingly differs from EventStoreDB:
// - Everything is in memory and lost on stop; there is one node, no cluster, no gossip (the client
//   does not ask for gossip with a single-host `esdb://` URL), no TLS, no authentication or ACLs
//   (credentials are ignored), no `requires-leader` handling, no deadlines.
// - No system streams or events: the log holds only what clients append (a real server also writes
//   `$`-prefixed events, e.g. statistics, settings, users, projections). Clients may append to
//   `$`-streams; they get no special treatment.
// - No deletes, tombstones, stream metadata ($maxAge, $maxCount...), truncation or scavenging:
//   Streams.Delete and Streams.Tombstone answer UNIMPLEMENTED, as do subscriptions to one stream,
//   persistent subscriptions, projections, users, operations and gossip services.
// - No idempotent appends: appending the same event ids again with a matching expected revision
//   writes them again (EventStoreDB would acknowledge without writing), and a conflicting one is a
//   conflict (EventStoreDB may acknowledge it as idempotent).
// - No maximum append size (EventStoreDB refuses more than 1 MiB per append by default), no check
//   that a position given to a read is the position of a record (EventStoreDB answers "invalid
//   position"), no link events (`resolve_links` is ignored), string UUIDs only (the client asks for
//   them; a request for structured UUIDs is refused).
// - Subscriptions never fall behind: catch-up and live events are written to the call at once,
//   without backpressure, and `fell_behind` is never sent. Stream reads do not send the
//   `first_stream_position` / `last_stream_position` messages of recent servers (the client ignores them).
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { Any } from 'google-protobuf/google/protobuf/any_pb';
import { Empty as ProtobufEmpty } from 'google-protobuf/google/protobuf/empty_pb';
import { Code } from '@eventstore/db-client/generated/code_pb';
import { ServerFeaturesService } from '@eventstore/db-client/generated/serverfeatures_grpc_pb';
import { SupportedMethod, SupportedMethods } from '@eventstore/db-client/generated/serverfeatures_pb';
import {
  AllStreamPosition,
  Empty,
  StreamIdentifier,
  UUID,
  WrongExpectedVersion,
} from '@eventstore/db-client/generated/shared_pb';
import { Status } from '@eventstore/db-client/generated/status_pb';
import { StreamsService, type IStreamsServer } from '@eventstore/db-client/generated/streams_grpc_pb';
import {
  AppendReq,
  AppendResp,
  BatchAppendReq,
  BatchAppendResp,
  ReadReq,
  ReadResp,
} from '@eventstore/db-client/generated/streams_pb';

export interface TestEventStoreServerOptions {
  /** Advertise and serve Streams.BatchAppend, as EventStoreDB 21.10+ does (default true). */
  readonly batchAppend?: boolean;
}

// ---------------------------------------------------------------------------------------------
// The log, in memory.

interface Proposed {
  readonly id: string;
  readonly type: string;
  readonly contentType: string;
  readonly data: Uint8Array;
  readonly metadata: Uint8Array;
}

interface Stored extends Proposed {
  readonly streamName: string;
  readonly revision: bigint;
  /** commit = prepare */
  readonly position: bigint;
  /** .NET ticks (100 ns) since the Unix epoch */
  readonly created: bigint;
}

type Expected =
  | { readonly kind: 'any' }
  | { readonly kind: 'no_stream' }
  | { readonly kind: 'stream_exists' }
  | { readonly kind: 'revision'; readonly revision: bigint };

type AppendOutcome =
  | { readonly ok: true; readonly current: bigint | undefined; readonly position: bigint | undefined }
  | { readonly ok: false; readonly current: bigint | undefined };

type From = 'start' | 'end' | bigint;

const RECORD_OVERHEAD = 80; // bytes of header per imagined log record: positions are not contiguous

class InMemoryLog {
  readonly all: Stored[] = [];
  private readonly streams = new Map<string, Stored[]>();
  private readonly listeners = new Set<(written: readonly Stored[]) => void>();
  private nextPosition = 0n;

  append(streamName: string, expected: Expected, proposed: readonly Proposed[]): AppendOutcome {
    const stream = this.streams.get(streamName) ?? [];
    const current = stream.length === 0 ? undefined : BigInt(stream.length - 1);
    const matches =
      expected.kind === 'any' ||
      (expected.kind === 'no_stream' && current === undefined) ||
      (expected.kind === 'stream_exists' && current !== undefined) ||
      (expected.kind === 'revision' && current === expected.revision);
    if (!matches) return { ok: false, current };
    if (proposed.length === 0) return { ok: true, current, position: undefined };

    const created = BigInt(Date.now()) * 10_000n;
    const written = proposed.map((event): Stored => {
      const stored = { ...event, streamName, revision: BigInt(stream.length), position: this.nextPosition, created };
      this.nextPosition += BigInt(RECORD_OVERHEAD + streamName.length + event.data.length + event.metadata.length);
      stream.push(stored);
      this.all.push(stored);
      return stored;
    });
    this.streams.set(streamName, stream);
    for (const listener of this.listeners) listener(written);
    return { ok: true, current: BigInt(stream.length - 1), position: written[written.length - 1]!.position };
  }

  /** undefined: no such stream */
  readStream(streamName: string, from: From, backwards: boolean, count: number): Stored[] | undefined {
    const stream = this.streams.get(streamName);
    if (stream === undefined) return undefined;
    if (!backwards) {
      const start = from === 'start' ? 0 : from === 'end' ? stream.length : Number(from);
      return stream.slice(start, start + count);
    }
    const last = from === 'start' ? 0 : from === 'end' ? stream.length - 1 : Math.min(Number(from), stream.length - 1);
    return stream.slice(Math.max(0, last + 1 - count), last + 1).reverse();
  }

  readAll(from: From, backwards: boolean, count: number, matches: (event: Stored) => boolean): Stored[] {
    const events = backwards
      ? this.all.filter((e) => from === 'end' || (from !== 'start' && e.position < from)).reverse()
      : this.all.filter((e) => from === 'start' || (from !== 'end' && e.position >= from));
    return events.filter(matches).slice(0, count);
  }

  listen(listener: (written: readonly Stored[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

// ---------------------------------------------------------------------------------------------
// Messages.

const fail = (code: grpc.status, details: string): Partial<grpc.StatusObject> => ({ code, details });

const streamNameOf = (identifier: StreamIdentifier | undefined): string =>
  Buffer.from(identifier?.getStreamName_asU8() ?? new Uint8Array()).toString('utf8');

const streamIdentifier = (name: string): StreamIdentifier =>
  new StreamIdentifier().setStreamName(Uint8Array.from(Buffer.from(name, 'utf8')));

/** A proposed message of Append or BatchAppend, or why it is refused. */
const proposedOf = (message: AppendReq.ProposedMessage | BatchAppendReq.ProposedMessage): Proposed | string => {
  const id = message.getId();
  if (id === undefined || !id.hasString()) return 'event ids must be string UUIDs (test double)';
  const type = message.getMetadataMap().get('type');
  const contentType = message.getMetadataMap().get('content-type');
  if (type === undefined || contentType === undefined) return 'required metadata properties: type, content-type';
  return {
    id: id.getString(),
    type,
    contentType,
    data: message.getData_asU8(),
    metadata: message.getCustomMetadata_asU8(),
  };
};

const expectedOfAppend = (options: AppendReq.Options): Expected | undefined => {
  switch (options.getExpectedStreamRevisionCase()) {
    case AppendReq.Options.ExpectedStreamRevisionCase.ANY:
      return { kind: 'any' };
    case AppendReq.Options.ExpectedStreamRevisionCase.NO_STREAM:
      return { kind: 'no_stream' };
    case AppendReq.Options.ExpectedStreamRevisionCase.STREAM_EXISTS:
      return { kind: 'stream_exists' };
    case AppendReq.Options.ExpectedStreamRevisionCase.REVISION:
      return { kind: 'revision', revision: BigInt(options.getRevision()) };
    default:
      return undefined;
  }
};

const expectedOfBatch = (options: BatchAppendReq.Options): Expected | undefined => {
  switch (options.getExpectedStreamPositionCase()) {
    case BatchAppendReq.Options.ExpectedStreamPositionCase.ANY:
      return { kind: 'any' };
    case BatchAppendReq.Options.ExpectedStreamPositionCase.NO_STREAM:
      return { kind: 'no_stream' };
    case BatchAppendReq.Options.ExpectedStreamPositionCase.STREAM_EXISTS:
      return { kind: 'stream_exists' };
    case BatchAppendReq.Options.ExpectedStreamPositionCase.STREAM_POSITION:
      return { kind: 'revision', revision: BigInt(options.getStreamPosition()) };
    default:
      return undefined;
  }
};

const appendResp = (outcome: AppendOutcome, expected: Expected): AppendResp => {
  const response = new AppendResp();
  if (outcome.ok) {
    const success = new AppendResp.Success();
    if (outcome.current === undefined) success.setNoStream(new Empty());
    else success.setCurrentRevision(outcome.current.toString());
    if (outcome.position === undefined) success.setNoPosition(new Empty());
    else {
      const position = outcome.position.toString();
      success.setPosition(new AppendResp.Position().setCommitPosition(position).setPreparePosition(position));
    }
    return response.setSuccess(success);
  }
  const wrong = new AppendResp.WrongExpectedVersion();
  if (outcome.current === undefined) wrong.setCurrentNoStream(new Empty());
  else wrong.setCurrentRevision(outcome.current.toString());
  if (expected.kind === 'revision') wrong.setExpectedRevision(expected.revision.toString());
  else if (expected.kind === 'no_stream') wrong.setExpectedNoStream(new Empty());
  else if (expected.kind === 'stream_exists') wrong.setExpectedStreamExists(new Empty());
  else wrong.setExpectedAny(new Empty());
  return response.setWrongExpectedVersion(wrong);
};

const batchAppendResp = (
  correlationId: UUID,
  streamName: string,
  outcome: AppendOutcome,
  expected: Expected,
): BatchAppendResp => {
  const response = new BatchAppendResp()
    .setCorrelationId(correlationId)
    .setStreamIdentifier(streamIdentifier(streamName));
  if (expected.kind === 'revision') response.setStreamPosition(expected.revision.toString());
  else if (expected.kind === 'no_stream') response.setNoStream(new ProtobufEmpty());
  else if (expected.kind === 'stream_exists') response.setStreamExists(new ProtobufEmpty());
  else response.setAny(new ProtobufEmpty());
  if (outcome.ok) {
    const success = new BatchAppendResp.Success();
    if (outcome.current === undefined) success.setNoStream(new ProtobufEmpty());
    else success.setCurrentRevision(outcome.current.toString());
    if (outcome.position === undefined) success.setNoPosition(new ProtobufEmpty());
    else {
      const position = outcome.position.toString();
      success.setPosition(new AllStreamPosition().setCommitPosition(position).setPreparePosition(position));
    }
    return response.setSuccess(success);
  }
  const wrong = new WrongExpectedVersion();
  if (outcome.current === undefined) wrong.setCurrentNoStream(new ProtobufEmpty());
  else wrong.setCurrentStreamRevision(outcome.current.toString());
  if (expected.kind === 'revision') wrong.setExpectedStreamPosition(expected.revision.toString());
  else if (expected.kind === 'no_stream') wrong.setExpectedNoStream(new ProtobufEmpty());
  else if (expected.kind === 'stream_exists') wrong.setExpectedStreamExists(new ProtobufEmpty());
  else wrong.setExpectedAny(new ProtobufEmpty());
  const details = new Any();
  details.pack(wrong.serializeBinary(), 'event_store.client.WrongExpectedVersion');
  const status = new Status().setCode(Code.FAILED_PRECONDITION).setMessage('WrongExpectedVersion').setDetails(details);
  return response.setError(status);
};

const batchAppendFailure = (correlationId: UUID, streamName: string, message: string): BatchAppendResp =>
  new BatchAppendResp()
    .setCorrelationId(correlationId)
    .setStreamIdentifier(streamIdentifier(streamName))
    .setError(new Status().setCode(Code.INVALID_ARGUMENT).setMessage(message));

/** `withPosition`: reads of `$all` carry the event's position in the ReadEvent too; stream reads do not. */
const eventResp = (event: Stored, withPosition: boolean): ReadResp => {
  const position = event.position.toString();
  const recorded = new ReadResp.ReadEvent.RecordedEvent()
    .setId(new UUID().setString(event.id))
    .setStreamIdentifier(streamIdentifier(event.streamName))
    .setStreamRevision(event.revision.toString())
    .setCommitPosition(position)
    .setPreparePosition(position)
    .setData(event.data)
    .setCustomMetadata(event.metadata);
  recorded
    .getMetadataMap()
    .set('type', event.type)
    .set('content-type', event.contentType)
    .set('created', event.created.toString());
  const read = new ReadResp.ReadEvent().setEvent(recorded);
  if (withPosition) read.setCommitPosition(position);
  else read.setNoPosition(new Empty());
  return new ReadResp().setEvent(read);
};

const checkpointResp = (position: bigint): ReadResp =>
  new ReadResp().setCheckpoint(
    new ReadResp.Checkpoint().setCommitPosition(position.toString()).setPreparePosition(position.toString()),
  );

const filterOf = (options: ReadReq.Options): ((event: Stored) => boolean) => {
  const filter = options.getFilter();
  if (options.getFilterOptionCase() !== ReadReq.Options.FilterOptionCase.FILTER || filter === undefined) {
    return () => true;
  }
  const onStream = filter.getFilterCase() === ReadReq.Options.FilterOptions.FilterCase.STREAM_IDENTIFIER;
  const expression = onStream ? filter.getStreamIdentifier() : filter.getEventType();
  const prefixes = expression?.getPrefixList() ?? [];
  const regex = new RegExp(expression?.getRegex() ?? '');
  const test = (value: string): boolean =>
    prefixes.length > 0 ? prefixes.some((prefix) => value.startsWith(prefix)) : regex.test(value);
  return (event) => test(onStream ? event.streamName : event.type);
};

/** Events read (matching or not) between two checkpoints of a filtered subscription. */
const checkpointIntervalOf = (options: ReadReq.Options): number | undefined => {
  const filter = options.getFilter();
  if (options.getFilterOptionCase() !== ReadReq.Options.FilterOptionCase.FILTER || filter === undefined) {
    return undefined;
  }
  const window = filter.getWindowCase() === ReadReq.Options.FilterOptions.WindowCase.MAX ? filter.getMax() : 32;
  return Math.max(1, window) * Math.max(1, filter.getCheckpointintervalmultiplier());
};

const countOf = (options: ReadReq.Options): number => Math.min(Number(options.getCount()), Number.MAX_SAFE_INTEGER);

// ---------------------------------------------------------------------------------------------
// The services.

const streamsService = (log: InMemoryLog): Pick<IStreamsServer, 'read' | 'append' | 'batchAppend'> => {
  const subscribeToAll = (
    call: grpc.ServerWritableStream<ReadReq, ReadResp>,
    options: ReadReq.Options,
    all: ReadReq.Options.AllOptions,
  ): void => {
    const matches = filterOf(options);
    const interval = checkpointIntervalOf(options);
    // Subscriptions start after the given position (exclusive), unlike reads.
    const after =
      all.getAllOptionCase() === ReadReq.Options.AllOptions.AllOptionCase.POSITION
        ? BigInt(all.getPosition()!.getCommitPosition())
        : all.getAllOptionCase() === ReadReq.Options.AllOptions.AllOptionCase.END
          ? (log.all[log.all.length - 1]?.position ?? -1n)
          : -1n;
    let read = 0;
    const deliver = (event: Stored): void => {
      if (call.cancelled || event.position <= after) return;
      if (matches(event)) call.write(eventResp(event, true));
      read += 1;
      if (interval !== undefined && read % interval === 0) call.write(checkpointResp(event.position));
    };
    call.write(new ReadResp().setConfirmation(new ReadResp.SubscriptionConfirmation().setSubscriptionId(randomUUID())));
    // Catch-up and the switch to live happen in one JavaScript turn: no event can slip between them.
    for (const event of log.all) deliver(event);
    call.write(new ReadResp().setCaughtUp(new ReadResp.CaughtUp()));
    const stop = log.listen((written) => written.forEach(deliver));
    call.on('cancelled', stop);
    call.on('close', stop);
  };

  return {
    read: (call) => {
      // grpc-js sends an error status for a server-streaming call when the call emits 'error'.
      const refuse = (code: grpc.status, details: string): void => void call.emit('error', fail(code, details));
      const options = call.request.getOptions();
      if (options === undefined) return refuse(grpc.status.INVALID_ARGUMENT, 'options are required');
      if (options.getUuidOption()?.getContentCase() !== ReadReq.Options.UUIDOption.ContentCase.STRING) {
        return refuse(grpc.status.INVALID_ARGUMENT, 'the test double answers with string UUIDs only');
      }
      const subscription = options.getCountOptionCase() === ReadReq.Options.CountOptionCase.SUBSCRIPTION;
      const backwards = options.getReadDirection() === ReadReq.Options.ReadDirection.BACKWARDS;

      if (options.getStreamOptionCase() === ReadReq.Options.StreamOptionCase.STREAM) {
        const stream = options.getStream();
        if (stream === undefined) return refuse(grpc.status.INVALID_ARGUMENT, 'stream options are required');
        if (subscription) return refuse(grpc.status.UNIMPLEMENTED, 'subscriptions to one stream (test double)');
        const name = streamNameOf(stream.getStreamIdentifier());
        const from: From =
          stream.getRevisionOptionCase() === ReadReq.Options.StreamOptions.RevisionOptionCase.REVISION
            ? BigInt(stream.getRevision())
            : stream.getRevisionOptionCase() === ReadReq.Options.StreamOptions.RevisionOptionCase.END
              ? 'end'
              : 'start';
        const events = log.readStream(name, from, backwards, countOf(options));
        if (events === undefined) {
          call.write(
            new ReadResp().setStreamNotFound(new ReadResp.StreamNotFound().setStreamIdentifier(streamIdentifier(name))),
          );
        } else {
          for (const event of events) call.write(eventResp(event, false));
        }
        return call.end();
      }

      const all = options.getAll();
      if (all === undefined) return refuse(grpc.status.INVALID_ARGUMENT, 'read a stream or $all');
      if (subscription) return subscribeToAll(call, options, all);
      const from: From =
        all.getAllOptionCase() === ReadReq.Options.AllOptions.AllOptionCase.POSITION
          ? BigInt(all.getPosition()!.getCommitPosition())
          : all.getAllOptionCase() === ReadReq.Options.AllOptions.AllOptionCase.END
            ? 'end'
            : 'start';
      for (const event of log.readAll(from, backwards, countOf(options), filterOf(options))) {
        call.write(eventResp(event, true));
      }
      return call.end();
    },

    append: (call, callback) => {
      let options: AppendReq.Options | undefined;
      const proposed: Proposed[] = [];
      let refused: string | undefined;
      call.on('data', (request: AppendReq) => {
        if (request.hasOptions()) options = request.getOptions();
        const message = request.getProposedMessage();
        if (message === undefined || refused !== undefined) return;
        const event = proposedOf(message);
        if (typeof event === 'string') refused = event;
        else proposed.push(event);
      });
      call.on('end', () => {
        const expected = options && expectedOfAppend(options);
        if (refused !== undefined) return callback(fail(grpc.status.INVALID_ARGUMENT, refused));
        if (options === undefined || expected === undefined) {
          return callback(fail(grpc.status.INVALID_ARGUMENT, 'the first message must carry the options'));
        }
        const streamName = streamNameOf(options.getStreamIdentifier());
        if (streamName === '') return callback(fail(grpc.status.INVALID_ARGUMENT, 'a stream name is required'));
        callback(null, appendResp(log.append(streamName, expected, proposed), expected));
      });
    },

    batchAppend: (call) => {
      // One pending append per correlation id: its options come with its first request.
      const pending = new Map<string, { options: BatchAppendReq.Options; proposed: Proposed[] }>();
      call.on('data', (request: BatchAppendReq) => {
        const correlationId = request.getCorrelationId() ?? new UUID();
        const key = Buffer.from(correlationId.serializeBinary()).toString('hex');
        const options = request.getOptions() ?? pending.get(key)?.options;
        const streamName = streamNameOf(options?.getStreamIdentifier());
        const expected = options && expectedOfBatch(options);
        if (options === undefined || expected === undefined || streamName === '') {
          pending.delete(key);
          return call.write(
            batchAppendFailure(correlationId, streamName, 'options with a stream and a revision first'),
          );
        }
        const entry = pending.get(key) ?? { options, proposed: [] };
        pending.set(key, entry);
        for (const message of request.getProposedMessagesList()) {
          const event = proposedOf(message);
          if (typeof event === 'string') {
            pending.delete(key);
            return call.write(batchAppendFailure(correlationId, streamName, event));
          }
          entry.proposed.push(event);
        }
        if (!request.getIsFinal()) return;
        pending.delete(key);
        call.write(
          batchAppendResp(correlationId, streamName, log.append(streamName, expected, entry.proposed), expected),
        );
      });
      call.on('end', () => call.end());
    },
  };
};

const serverFeaturesService = (batchAppend: boolean) => ({
  getSupportedMethods: (
    _call: grpc.ServerUnaryCall<Empty, SupportedMethods>,
    callback: grpc.sendUnaryData<SupportedMethods>,
  ): void => {
    const served = [StreamsService.read, StreamsService.append, ...(batchAppend ? [StreamsService.batchAppend] : [])];
    const methods = new SupportedMethods().setEventStoreServerVersion('0.0.0-test-double');
    for (const { path } of served) {
      const [, service = '', method = ''] = path.split('/');
      methods.addMethods(
        new SupportedMethod().setServiceName(service.toLowerCase()).setMethodName(method.toLowerCase()),
      );
    }
    callback(null, methods);
  },
});

/** A gRPC server with the test double's services; bind it (see start.ts) to use it. */
export const createTestEventStoreServer = (options: TestEventStoreServerOptions = {}): grpc.Server => {
  const batchAppend = options.batchAppend ?? true;
  const log = new InMemoryLog();
  const streams = streamsService(log);
  const server = new grpc.Server();
  // Methods left out (Delete, Tombstone, and BatchAppend when disabled) answer UNIMPLEMENTED.
  server.addService(StreamsService, batchAppend ? streams : { read: streams.read, append: streams.append });
  server.addService(ServerFeaturesService, serverFeaturesService(batchAppend));
  return server;
};
