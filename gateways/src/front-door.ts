// The service's front door on one port: the HTTP API, the websocket gateway with its frame
// handlers (each frame becomes one use case of the chat service), presence (the agents' sockets
// held under leases), and delivery of what happens to the sockets. It translates; the use cases
// and what follows them are built once by the composition root (scripts/src/app.ts).
import { isLeft, isRight, type Either } from 'fp-ts/Either';
import type { Knex } from 'knex';
import type { DomainError, session } from '@cschat/domain';
import { answeredCounts } from '@cschat/projections';
import { DEFAULT_UPLOAD_MAX_BYTES } from '@cschat/infra';
import type {
  Attachments,
  Bus,
  ChatService,
  CompanyConfigStore,
  Directory,
  EventStore,
  FeedPeers,
  Logger,
  LoginThrottle,
  Metrics,
  Presence,
  SocketLease,
  TokenVersions,
  WebhookStore,
  VisitorErasure,
} from '@cschat/infra';
import { checkToken, holdsVersion, tokenVersionOf } from './auth';
import { ADAPTERS } from './channels/adapters';
import { ChannelInbound } from './channels/inbound';
import type { Platform, TokenCache } from './channels/port';
import { registerWebUi } from './web/static';
import { Delivery } from './delivery';
import { FEED_LOST_REASON, FeedWatchdog, feedGauge } from './feed-watchdog';
import { LiveFeed, liveBoard } from './live';
import { SessionWatchers } from './watchers';
import { busSignals, TypingThrottle, type Signals, type TypingSignal } from './signals';
import { ttlCache } from './ttl-cache';
import { frameErrorOf } from './failures';
import { buildHttpApi, type TrustProxy } from './http/server';
import { visitorStreamKnown, visitRecorder } from './visitors';
import { LoadShedder } from './load-shedding';
import {
  CloseCode,
  DEFAULT_LIMITS,
  onFrameByKind,
  SocketGateway,
  type AckResult,
  type Connection,
  type GatewayLimits,
  type Principal,
} from './ws';
import { FrameError } from './ws';

export const LOGINS_TOPIC = 'logins';
/** Suggested questions are ordered by how often the bot answered them in this window. */
export const SUGGESTION_WINDOW_MS = 7 * 86_400_000;
/**
 * How long a company's ranking of suggested questions is reused: it only orders them, and counting
 * a week of bot answers on every visitor connection was half the cost of opening a socket in
 * `bench connections`.
 */
export const RANKING_TTL_MS = 10_000;
/**
 * How often a gateway checks the token versions of its open staff sockets: a revoked agent's sockets close within
 * this and one directory call (PROTOCOL: within 2 s on every process).
 */
export const TOKEN_CHECK_MS = 1_000;
/** How long a stop lets HTTP requests in flight finish before it closes their connections. */
export const HTTP_CLOSE_GRACE_MS = 3_000;

export interface FrontDoorOptions {
  readonly store: EventStore;
  readonly bus: Bus;
  readonly config: CompanyConfigStore;
  readonly directory: Directory;
  /**
   * The agents' token versions, through the same cache as `directory` (the company directory is both): a revoked
   * staff token is refused over HTTP and its sockets closed with 4401.
   */
  readonly tokenVersions: TokenVersions;
  /** The chat's use cases. */
  readonly chat: ChatService;
  /** Uploaded files (`POST /api/uploads`, `GET /api/attachments/:id`, `message.send`'s `attachments`). */
  readonly attachments: Attachments;
  /** The largest upload, in bytes (UPLOAD_MAX_BYTES); also the largest platform file fetched. */
  readonly uploadMaxBytes?: number;
  /** Outbound webhooks' endpoints and delivery log for the admin API; absent: `/api/admin/webhooks` answers 404. */
  readonly outboundWebhooks?: { readonly store: WebhookStore; readonly allowPrivate: boolean };
  /** Visitors' erasure for the admin API; absent: `DELETE /api/admin/visitors/:id` answers 404. */
  readonly erasure?: VisitorErasure;
  /** Where platform media is fetched from (visitors' photos and files); absent: not fetched. */
  readonly channelMedia?: { readonly baseUrls: Partial<Record<Platform, string>>; readonly tokens: TokenCache };
  /** Where this gateway's agent sockets are held under leases (shared by all gateways in distributed mode). */
  readonly presence: Presence;
  readonly readModels: Knex;
  readonly readModelSchema: string;
  readonly tokenSecret: string;
  readonly platformAdminToken?: string;
  /** Failed logins per username and address, shared by every gateway in distributed mode; absent: in memory. */
  readonly loginThrottle?: LoginThrottle;
  /** Proxies whose `X-Forwarded-For` names the client (TRUST_PROXY); absent: the connection's address. */
  readonly trustProxy?: TrustProxy;
  /** `GET /metrics` needs it as a bearer token when set (METRICS_TOKEN). */
  readonly metricsToken?: string;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** This process (its sockets' leases and consumer groups are named after it). */
  readonly instanceId: string;
  readonly listChangesTopic: string;
  /** Websocket limits other than the defaults (limits.ts); `maxInFlight` and `maxEventLoopLagMs` bound the API too. */
  readonly socketLimits?: Partial<GatewayLimits>;
  /**
   * How long the delivery consumers may hear nothing from the bus before the event feed counts as lost
   * (KAFKA_LINK_TIMEOUT_MS): then `/readyz` answers 503 and every socket is closed with 1013 until they hear from it
   * again (feed-watchdog.ts). Absent: no watchdog (embedded: the bus is in this process).
   */
  readonly eventFeedTimeoutMs?: number;
  /**
   * Every gateway's last hearing from Kafka (Redis in distributed mode): with it, a gateway without its
   * feed stops serving only while another gateway's works; when every gateway is silent it keeps its
   * sockets and stays ready. Absent: a lost feed always stops serving.
   */
  readonly feedPeers?: FeedPeers;
  /**
   * How `typing` crosses to the other side's gateway: default the bus's signals topic (distributed
   * mode); one process alone (embedded mode) passes LocalSignals.
   */
  readonly signals?: Signals;
}

/** A use case's answer as the frame's: the ack's fields, or an `error` frame. */
const answer = async <T extends AckResult>(
  result: Promise<Either<DomainError, T>>,
): Promise<AckResult | FrameError> => {
  const outcome = await result;
  return isLeft(outcome) ? frameErrorOf(outcome.left) : outcome.right;
};

/** The staff role of an agent socket, for what supervisors and admins may do on sessions they do not hold. */
const staffRole = (connection: Connection): session.StaffRole => {
  const role: string = connection.principal.role;
  return role === 'admin' || role === 'supervisor' ? role : 'agent';
};

/** What an agent (not a supervisor or an admin) is told when it asks for what overseers do. */
const overseersOnly = (what: string): FrameError =>
  new FrameError('forbidden', `${what}: only supervisors and admins may`);

export class FrontDoor {
  readonly chat: ChatService;
  private readonly http;
  /** This gateway's agent sockets, whose leases its heartbeat renews. */
  private readonly agentSockets = new Map<string, SocketLease>();
  private heartbeat: NodeJS.Timeout | undefined;
  /** This gateway's staff sockets by id, whose token versions are checked every `TOKEN_CHECK_MS`. */
  private readonly staffSockets = new Map<string, Connection>();
  private tokenCheck: NodeJS.Timeout | undefined;
  /** The check in progress: a slow one is not overlapped by the next. */
  private checkingTokens = false;
  private readonly gateway: SocketGateway;
  private readonly delivery: Delivery;
  private readonly askedLastWeek = ttlCache(RANKING_TTL_MS, (companyId) =>
    answeredCounts(
      this.options.readModels,
      this.options.readModelSchema,
      companyId,
      new Date(Date.now() - SUGGESTION_WINDOW_MS),
    ),
  );
  private ready = false;
  private readonly inbound: ChannelInbound;
  /** Each socket's `typing` limit (PROTOCOL: at most 2 a second passed on). */
  private readonly typingLimits = new Map<string, TypingThrottle>();
  private readonly signals: Signals;
  /** Supervisors' sockets watching sessions, on this gateway. */
  private readonly watchers = new SessionWatchers();
  /** Sockets following the live board, on this gateway. */
  private readonly live: LiveFeed;
  /** Whether the delivery consumers still hear from the bus (distributed mode). */
  private readonly feed: FeedWatchdog | undefined;

  constructor(private readonly options: FrontDoorOptions) {
    const { store, bus, config, logger, directory } = options;
    this.chat = options.chat;
    this.signals = options.signals ?? busSignals(bus, logger);
    this.live = new LiveFeed(
      (companyId) => liveBoard(config, options.readModels, options.readModelSchema, companyId),
      logger,
    );
    this.inbound = new ChannelInbound({
      config,
      store,
      chat: this.chat,
      adapters: ADAPTERS,
      logger,
      ...(options.channelMedia === undefined
        ? {}
        : {
            media: {
              ...options.channelMedia,
              attachments: options.attachments,
              maxBytes: options.uploadMaxBytes ?? DEFAULT_UPLOAD_MAX_BYTES,
            },
          }),
    });
    // One bound for the frames of every socket and the API's requests: they share the process.
    const load = new LoadShedder({ ...DEFAULT_LIMITS, ...options.socketLimits });
    this.http = buildHttpApi({
      config,
      readModels: options.readModels,
      readModelSchema: options.readModelSchema,
      tokenSecret: options.tokenSecret,
      tokenVersions: options.tokenVersions,
      ...(options.platformAdminToken === undefined ? {} : { platformAdminToken: options.platformAdminToken }),
      ...(options.loginThrottle === undefined ? {} : { loginThrottle: options.loginThrottle }),
      ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }),
      ...(options.metricsToken === undefined ? {} : { metricsToken: options.metricsToken }),
      metrics: options.metrics,
      logger,
      // Not ready without its event feed: the load balancer sends visitors and agents to a gateway that has one.
      ready: async () => (this.ready ? (this.feed?.reason ?? true) : false),
      webhooks: (platform, accountId, request) => this.inbound.handle(platform, accountId, request),
      load,
      recordVisit: visitRecorder(store),
      visitorKnown: visitorStreamKnown(store),
      attachments: options.attachments,
      ...(options.uploadMaxBytes === undefined ? {} : { uploadMaxBytes: options.uploadMaxBytes }),
      ...(options.outboundWebhooks === undefined ? {} : { outboundWebhooks: options.outboundWebhooks }),
      ...(options.erasure === undefined ? {} : { erasure: options.erasure }),
    });
    // The visitor widget and the agent console, static pages on the same port.
    registerWebUi(this.http);
    this.gateway = new SocketGateway({
      server: this.http.server,
      logger,
      metrics: options.metrics.registry,
      ...(options.socketLimits === undefined ? {} : { limits: options.socketLimits }),
      load,
      // No new socket while the event feed is lost: it would get no pushes either.
      refusal: () =>
        this.feed === undefined || this.feed.isUp
          ? undefined
          : { code: CloseCode.tryAgainLater, reason: FEED_LOST_REASON },
      authenticate: async (token, kind) => {
        const verified = await checkToken(token, { secret: options.tokenSecret, versions: options.tokenVersions });
        if (!verified.ok) return undefined;
        const { company, role, sub } = verified.claims;
        if ((kind === 'visitor') !== (role === 'visitor')) return undefined;
        return role === 'visitor'
          ? { kind, companyId: company, id: sub, role }
          : { kind, companyId: company, id: sub, role, tokenVersion: tokenVersionOf(verified.claims) };
      },
      handlers: {
        onConnected: (connection) => this.welcome(connection),
        onDisconnected: (connection) => this.farewell(connection),
        onFrame: onFrameByKind({
          visitor: async (connection, frame) => {
            const v = { companyId: connection.principal.companyId, visitorId: connection.principal.id };
            switch (frame.type) {
              case 'message.send':
                return answer(
                  this.withAttachments(connection.principal, frame.attachments, undefined, (attachments) =>
                    this.chat.visitorMessage(v, { text: frame.text, clientMsgId: frame.clientMsgId, attachments }),
                  ),
                );
              case 'human.request':
                return answer(this.chat.requestHuman(v));
              case 'session.end':
                return answer(this.chat.visitorEnds(v));
              case 'session.read':
                return answer(this.chat.visitorRead(v));
              case 'typing':
                return this.typing(connection, frame.typing);
              case 'csat.submit':
                return answer(
                  this.chat.csatSubmit(v, {
                    sessionId: frame.sessionId,
                    rating: frame.rating,
                    ...(frame.comment === undefined ? {} : { comment: frame.comment }),
                  }),
                );
            }
          },
          agent: async (connection, frame) => {
            const a = { companyId: connection.principal.companyId, agentId: connection.principal.id };
            switch (frame.type) {
              case 'agent.status':
                return answer(this.chat.agentStatus(a, frame.status));
              case 'message.send':
                return answer(
                  this.withAttachments(connection.principal, frame.attachments, frame.sessionId, (attachments) =>
                    this.chat.agentMessage(a, {
                      sessionId: frame.sessionId,
                      text: frame.text,
                      clientMsgId: frame.clientMsgId,
                      attachments,
                    }),
                  ),
                );
              // The session's row comes as `session.update` once the read model has the read.
              case 'session.read':
                return answer(this.chat.markRead(a, frame.sessionId));
              case 'session.transfer':
                return answer(
                  this.chat.transfer(
                    a,
                    frame.sessionId,
                    frame.toAgentId !== undefined ? { agentId: frame.toAgentId } : { groupId: frame.toGroupId },
                  ),
                );
              case 'session.end':
                return answer(this.chat.agentEnds(a, frame.sessionId));
              case 'typing':
                return this.typing(connection, frame.typing, frame.sessionId);
              case 'note.send':
                return answer(
                  this.chat.postNote(
                    a,
                    { sessionId: frame.sessionId, text: frame.text, clientMsgId: frame.clientMsgId },
                    staffRole(connection),
                  ),
                );
              // The list's row comes as `session.update` once the read model has the tags.
              case 'session.tag': {
                const tagged = await this.chat.tagSession(
                  a,
                  { sessionId: frame.sessionId, add: frame.add ?? [], remove: frame.remove ?? [] },
                  staffRole(connection),
                );
                return isLeft(tagged) ? frameErrorOf(tagged.left) : { tags: tagged.right.tags };
              }
              case 'session.watch':
                return this.watch(connection, frame.sessionId);
              case 'session.unwatch':
                this.watchers.unwatch(connection, frame.sessionId);
                return { sessionId: frame.sessionId };
              case 'session.takeover':
                return answer(this.chat.takeover(a, frame.sessionId, staffRole(connection)));
              case 'live.subscribe': {
                if (staffRole(connection) === 'agent') return overseersOnly('the live board');
                // After the ack: the first `live.update` follows it.
                setImmediate(() => {
                  this.live
                    .subscribe(connection)
                    .catch((error: unknown) => logger.warn({ err: error, ...a }, 'live board: not sent'));
                });
                return {};
              }
              case 'live.unsubscribe':
                this.live.unsubscribe(connection);
                return {};
            }
          },
        }),
      },
    });
    this.delivery = new Delivery({
      bus,
      store,
      readModels: options.readModels,
      readModelSchema: options.readModelSchema,
      directory,
      logger,
      instanceId: options.instanceId,
      listChangesTopic: options.listChangesTopic,
      signals: this.signals,
      push: {
        toAgent: (companyId, agentId, frame) => void this.gateway.sendToAgent(companyId, agentId, frame),
        toVisitor: (companyId, visitorId, frame) => void this.gateway.sendToVisitor(companyId, visitorId, frame),
        toWatchers: (companyId, sessionId, frame, except) => this.watchers.send(companyId, sessionId, frame, except),
        endWatch: (companyId, sessionId) => this.watchers.end(companyId, sessionId),
        liveChanged: (companyId) => this.live.changed(companyId),
      },
    });
    const { eventFeedTimeoutMs } = options;
    this.feed =
      eventFeedTimeoutMs === undefined
        ? undefined
        : new FeedWatchdog({
            lastHeardAt: () => this.delivery.lastHeardAt(),
            timeoutMs: eventFeedTimeoutMs,
            // Moving the clients only when another gateway's feed works (feed-watchdog.ts).
            ...(options.feedPeers === undefined ? {} : { peers: options.feedPeers, gatewayId: options.instanceId }),
            logger: logger.child({ component: 'event-feed' }),
            gauge: feedGauge(options.metrics.registry),
            // Its visitors and agents reconnect through the load balancer to a gateway that gets pushes.
            onLost: () => {
              const closed = this.gateway.closeAll(CloseCode.tryAgainLater, FEED_LOST_REASON);
              logger.info({ sockets: closed }, 'event feed lost: sockets closed with 1013');
            },
          });
  }

  /**
   * `session.watch`: the socket gets the session's frames from now on (watchers.ts); the ack says
   * where the session stands. Supervisors and admins only.
   */
  private async watch(connection: Connection, sessionId: string): Promise<AckResult | FrameError> {
    if (staffRole(connection) === 'agent') return overseersOnly('watching a session');
    // Watching first, then the state: a change between the two comes as a frame, none is missed.
    this.watchers.watch(connection, sessionId);
    const found = await this.chat.watchable(connection.principal.companyId, sessionId);
    if (isLeft(found)) {
      this.watchers.unwatch(connection, sessionId);
      return frameErrorOf(found.left);
    }
    return found.right;
  }

  /**
   * A `typing` frame: checked against the session (a visitor's open one, a session the agent
   * holds), then passed on to the other side through the signals (signals.ts), at most twice a second
   * per socket (one that comes too soon is held and the latest sent when the second is over).
   */
  private async typing(connection: Connection, typing: boolean, sessionId?: string): Promise<AckResult | FrameError> {
    const { principal } = connection;
    const by =
      principal.kind === 'visitor'
        ? { companyId: principal.companyId, visitorId: principal.id }
        : { companyId: principal.companyId, agentId: principal.id, role: staffRole(connection) };
    const audience = await this.chat.typingAudience(by, sessionId);
    if (isLeft(audience)) return frameErrorOf(audience.left);
    const { visitorId, agentId } = audience.right;
    const to: TypingSignal['to'] | undefined =
      principal.kind === 'visitor'
        ? agentId === undefined
          ? undefined
          : { role: 'agent', id: agentId }
        : { role: 'visitor', id: visitorId };
    // Nobody on the other side yet: a visitor typing to the bot has nobody to tell; one waiting in
    // the queue only the supervisors who may watch it.
    if (to === undefined && audience.right.state !== 'queued') return {};
    const signal: Omit<TypingSignal, 'sentAt'> = {
      kind: 'typing',
      companyId: principal.companyId,
      sessionId: audience.right.sessionId,
      ...(to === undefined ? {} : { to }),
      from: principal.kind === 'visitor' ? { role: 'visitor' } : { role: 'agent', id: principal.id },
      typing,
    };
    let limit = this.typingLimits.get(connection.id);
    if (limit === undefined) {
      limit = new TypingThrottle();
      this.typingLimits.set(connection.id, limit);
    }
    limit.offer(() => {
      this.signals
        .publish({ ...signal, sentAt: Date.now() })
        .catch((error: unknown) =>
          this.options.logger.warn({ err: error, sessionId: signal.sessionId }, 'typing: not passed on'),
        );
    });
    return {};
  }

  /**
   * A message with files: each must be the sender's own and not sent in another session (a
   * visitor's goes to its open session, or a new one); once posted they are bound to its session.
   */
  private async withAttachments(
    principal: Principal,
    attachmentIds: readonly string[] | undefined,
    sessionId: string | undefined,
    post: (attachments: session.Attachment[]) => Promise<Either<DomainError, { messageId: string; sessionId: string }>>,
  ): Promise<Either<DomainError, { messageId: string; sessionId: string }>> {
    if (attachmentIds === undefined || attachmentIds.length === 0) return post([]);
    const { attachments } = this.options;
    const target =
      sessionId ?? (await this.chat.currentSession({ companyId: principal.companyId, visitorId: principal.id }));
    const files = await attachments.forMessage(principal, attachmentIds, target);
    if (isLeft(files)) return files;
    const posted = await post(files.right);
    if (isRight(posted)) await attachments.bind(principal.companyId, attachmentIds, posted.right.sessionId);
    return posted;
  }

  /** R2: a login event for every authenticated socket; suggestions for a visitor, state and list for an agent. */
  private async welcome(connection: Connection): Promise<void> {
    const { principal } = connection;
    // A notice, not awaited: while Kafka is away for every gateway, sockets are kept (feed-watchdog.ts),
    // and a new one is welcomed too rather than closed with 1011 because the notice cannot go out.
    void this.options.bus
      .publish(LOGINS_TOPIC, [
        {
          key: `${principal.companyId}:${principal.id}`,
          value: JSON.stringify({
            userType: principal.kind,
            userId: principal.id,
            companyId: principal.companyId,
            connectionId: connection.id,
            at: new Date().toISOString(),
          }),
        },
      ])
      .catch((error: unknown) =>
        this.options.logger.warn({ err: error, connectionId: connection.id }, 'login notice not published'),
      );
    if (principal.kind === 'visitor') {
      const { config } = this.options;
      const [questions, settings, asked] = await Promise.all([
        config.getSuggestedQuestions(principal.companyId),
        config.getSettings(principal.companyId),
        this.askedLastWeek(principal.companyId),
      ]);
      const count = isRight(settings) ? settings.right.suggestionCount : 5;
      const greeting = isRight(settings) ? settings.right.greeting : undefined;
      // The configured questions, those asked most in the last week first ("guess what you want to ask").
      const ranked = questions
        .map((question, order) => ({ question, order, asked: asked.get(question) ?? 0 }))
        .sort((a, b) => b.asked - a.asked || a.order - b.order)
        .map((q) => q.question);
      connection.send({
        type: 'suggestions',
        questions: ranked.slice(0, count),
        ...(greeting == null ? {} : { greeting }),
      });
      // The satisfaction question of the latest session, not answered yet: asked again (the
      // visitor may have been away when it ended; a widget that has the answer ignores it).
      const pending = await this.chat.awaitingRating({ companyId: principal.companyId, visitorId: principal.id });
      if (pending !== undefined) connection.send({ type: 'csat.request', sessionId: pending });
      return;
    }
    this.staffSockets.set(connection.id, connection);
    const a = { companyId: principal.companyId, agentId: principal.id };
    // The lease first, then the resume: a presence monitor deciding meanwhile that the agent is
    // gone sees the lease when it looks again, or its offline comes before the resume (monitor.ts).
    const lease: SocketLease = { ...a, gatewayId: this.options.instanceId, connectionId: connection.id };
    this.agentSockets.set(connection.id, lease);
    // Presence unreachable (Redis restarting): the console works; the next heartbeat leases it.
    await this.options.presence
      .open(lease, Date.now())
      .catch((error: unknown) => this.options.logger.warn({ err: error, ...a }, 'presence: socket not leased yet'));
    const state = await this.chat.agentConnected(a);
    connection.send({
      type: 'agent.state',
      ...(isLeft(state) ? { status: 'offline' as const, load: 0, capacity: 0, name: a.agentId } : state.right),
    });
    connection.send({ type: 'session.list', sessions: await this.delivery.sessionList(a.companyId, a.agentId) });
  }

  /** An agent's socket closed: its lease ends now (the presence monitor counts the grace from here). */
  private async farewell(connection: Connection): Promise<void> {
    this.watchers.forget(connection);
    this.live.unsubscribe(connection);
    this.typingLimits.get(connection.id)?.stop();
    this.typingLimits.delete(connection.id);
    this.staffSockets.delete(connection.id);
    const lease = this.agentSockets.get(connection.id);
    if (lease === undefined) return;
    this.agentSockets.delete(connection.id);
    await this.options.presence.close(lease, Date.now());
  }

  /**
   * Closes with 4401 the staff sockets whose token was revoked (agent deleted, its role or password changed, signed
   * out), on whichever process that happened. One directory call per company with open staff sockets: it reads the
   * company's configuration version (one primary-key read) and answers from its cache unless the version moved, so
   * an idle gateway pays one small read per company a second, and a revocation is seen at the next check.
   * Polling rather than a change signal: the configuration version is already the one cross-process signal every
   * cache trusts, and a lost or late message can never leave a revoked socket open.
   */
  private async checkTokens(): Promise<void> {
    if (this.checkingTokens || this.staffSockets.size === 0) return;
    this.checkingTokens = true;
    try {
      const byCompany = new Map<string, Connection[]>();
      for (const connection of this.staffSockets.values()) {
        const list = byCompany.get(connection.principal.companyId) ?? [];
        list.push(connection);
        byCompany.set(connection.principal.companyId, list);
      }
      await Promise.all(
        [...byCompany].map(async ([companyId, connections]) => {
          try {
            const versions = await this.options.tokenVersions.tokenVersions(companyId);
            for (const connection of connections) {
              const { id, tokenVersion } = connection.principal;
              if (holdsVersion(versions, id, tokenVersion ?? 0)) continue;
              this.staffSockets.delete(connection.id);
              connection.close(CloseCode.unauthorized, 'unauthorized');
            }
          } catch (error) {
            // The configuration store unreachable: the sockets stay (as the HTTP API cannot answer either) and the
            // next check tries again.
            this.options.logger.warn({ err: error, companyId }, 'token check: versions not read');
          }
        }),
      );
    } finally {
      this.checkingTokens = false;
    }
  }

  /** Renews the leases of this gateway's agent sockets, well within a lease. */
  private beat(): void {
    const leases = [...this.agentSockets.values()];
    if (leases.length === 0) return;
    this.options.presence
      .renew(leases, Date.now())
      .catch((error: unknown) => this.options.logger.warn({ err: error }, 'presence: heartbeat failed'));
  }

  async listen(port: number, host = '0.0.0.0'): Promise<string> {
    await this.delivery.start();
    this.feed?.start();
    this.gateway.start();
    this.heartbeat = setInterval(() => this.beat(), Math.max(1, Math.floor(this.options.presence.leaseMs / 3)));
    this.heartbeat.unref();
    this.tokenCheck = setInterval(() => void this.checkTokens(), TOKEN_CHECK_MS);
    this.tokenCheck.unref();
    const address = await this.http.listen({ port, host });
    this.ready = true;
    return address;
  }

  get port(): number {
    const address = this.http.server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  /** Stops accepting, closes sockets with 1001, drains. */
  async stop(): Promise<void> {
    this.ready = false;
    this.feed?.stop();
    clearInterval(this.heartbeat);
    clearInterval(this.tokenCheck);
    // Closing the sockets ends their leases (farewell): a stopped gateway's agents count as gone.
    await this.gateway.stop();
    this.live.stop();
    // close() waits for every HTTP connection to end. Requests in flight get a grace; a connection
    // that is neither idle nor answering (a browser's speculative socket that never sent its
    // headers) would otherwise hold the stop until Node's headers timeout, a minute later.
    const closing = this.http.close();
    const cut = setTimeout(() => this.http.server.closeAllConnections(), HTTP_CLOSE_GRACE_MS);
    await closing.finally(() => clearTimeout(cut));
    await this.delivery.stop();
  }
}
