// The service's front door on one port: the HTTP API, the websocket gateway with its frame
// handlers (each frame becomes a chat use case), and delivery of what happens to the sockets.
import type { Knex } from 'knex';
import { answeredCounts } from '@cschat/projections';
import type { Bus, CompanyConfigStore, Deadlines, EventStore, Logger, Metrics } from '@cschat/infra';
import { verifyToken } from './auth';
import { knowledgeOf } from './bot/knowledge';
import { ADAPTERS } from './channels/adapters';
import { ChannelInbound } from './channels/inbound';
import { registerWebUi } from './web/static';
import { BotStage } from './bot/stage';
import type { Router } from './chat/router';
import { ChatError, ChatService } from './chat/service';
import { Delivery } from './delivery';
import { directoryOf, ttlCache } from './directory-adapter';
import { buildHttpApi } from './http/server';
import { FrameError, onFrameByKind, SocketGateway, type Connection, type GatewayLimits } from './ws';

export const LOGINS_TOPIC = 'logins';
/** Suggested questions are ordered by how often the bot answered them in this window. */
export const SUGGESTION_WINDOW_MS = 7 * 86_400_000;
/**
 * How long a company's ranking of suggested questions is reused: it only orders them, and counting
 * a week of bot answers on every visitor connection was half the cost of opening a socket in
 * `bench connections`.
 */
export const RANKING_TTL_MS = 10_000;
/** How long a stop lets HTTP requests in flight finish before it closes their connections. */
export const HTTP_CLOSE_GRACE_MS = 3_000;

export interface FrontDoorOptions {
  readonly store: EventStore;
  readonly bus: Bus;
  readonly config: CompanyConfigStore;
  readonly readModels: Knex;
  readonly readModelSchema: string;
  readonly tokenSecret: string;
  readonly platformAdminToken?: string;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly instanceId: string;
  readonly listChangesTopic: string;
  /** This process's router, when it runs the worker role too (human requests are answered assigned). */
  readonly router?: Router;
  /** Websocket limits other than the defaults (limits.ts). */
  readonly socketLimits?: Partial<GatewayLimits>;
  /** Where chat messages move their sessions' deadlines. */
  readonly deadlines?: Deadlines;
}

const asFrameError = (error: unknown): FrameError => {
  if (error instanceof ChatError) return new FrameError(error.code, error.message, error.details);
  throw error;
};

export class FrontDoor {
  readonly chat: ChatService;
  private readonly http;
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

  constructor(private readonly options: FrontDoorOptions) {
    const { store, bus, config, logger } = options;
    const directory = directoryOf(config);
    this.chat = new ChatService({
      store,
      directory,
      logger,
      ...(options.router === undefined ? {} : { router: options.router }),
      ...(options.deadlines === undefined ? {} : { deadlines: options.deadlines }),
      bot: new BotStage(knowledgeOf(config)),
    });
    this.inbound = new ChannelInbound({ config, chat: this.chat, adapters: ADAPTERS, logger });
    this.http = buildHttpApi({
      config,
      readModels: options.readModels,
      readModelSchema: options.readModelSchema,
      tokenSecret: options.tokenSecret,
      ...(options.platformAdminToken === undefined ? {} : { platformAdminToken: options.platformAdminToken }),
      metrics: options.metrics,
      logger,
      ready: async () => this.ready,
      webhooks: (platform, accountId, request) => this.inbound.handle(platform, accountId, request),
    });
    // The visitor widget and the agent console, static pages on the same port.
    registerWebUi(this.http);
    this.gateway = new SocketGateway({
      server: this.http.server,
      logger,
      metrics: options.metrics.registry,
      ...(options.socketLimits === undefined ? {} : { limits: options.socketLimits }),
      authenticate: async (token, kind) => {
        const verified = await verifyToken(token, { secret: options.tokenSecret });
        if (!verified.ok) return undefined;
        const { company, role, sub } = verified.claims;
        if ((kind === 'visitor') !== (role === 'visitor')) return undefined;
        return { kind, companyId: company, id: sub, role };
      },
      handlers: {
        onConnected: (connection) => this.welcome(connection),
        onFrame: onFrameByKind({
          visitor: async (connection, frame) => {
            const v = { companyId: connection.principal.companyId, visitorId: connection.principal.id };
            try {
              switch (frame.type) {
                case 'message.send':
                  return await this.chat.visitorMessage(v, { text: frame.text, clientMsgId: frame.clientMsgId });
                case 'human.request': {
                  const result = await this.chat.requestHuman(v);
                  return { ...result };
                }
                case 'session.end':
                  return await this.chat.visitorEnds(v);
              }
            } catch (error) {
              return asFrameError(error);
            }
          },
          agent: async (connection, frame) => {
            const a = { companyId: connection.principal.companyId, agentId: connection.principal.id };
            try {
              switch (frame.type) {
                case 'agent.status':
                  return await this.chat.agentStatus(a, frame.status);
                case 'message.send':
                  return await this.chat.agentMessage(a, {
                    sessionId: frame.sessionId,
                    text: frame.text,
                    clientMsgId: frame.clientMsgId,
                  });
                case 'session.read': {
                  const result = await this.chat.markRead(a, frame.sessionId);
                  // PROTOCOL: the list is pushed after session.read; the projector's notice
                  // pushes it again once the read model has caught up.
                  await this.delivery.pushList({
                    companyId: a.companyId,
                    agentId: a.agentId,
                    sessionId: frame.sessionId,
                    reason: 'read',
                  });
                  return result;
                }
                case 'session.transfer':
                  return await this.chat.transfer(
                    a,
                    frame.sessionId,
                    frame.toAgentId !== undefined ? { agentId: frame.toAgentId } : { groupId: frame.toGroupId },
                  );
                case 'session.end':
                  return await this.chat.agentEnds(a, frame.sessionId);
              }
            } catch (error) {
              return asFrameError(error);
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
      push: {
        toAgent: (companyId, agentId, frame) => void this.gateway.sendToAgent(companyId, agentId, frame),
        toVisitor: (companyId, visitorId, frame) => void this.gateway.sendToVisitor(companyId, visitorId, frame),
      },
    });
  }

  /** R2: a login event for every authenticated socket; suggestions for a visitor, state and list for an agent. */
  private async welcome(connection: Connection): Promise<void> {
    const { principal } = connection;
    await this.options.bus.publish(LOGINS_TOPIC, [
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
    ]);
    if (principal.kind === 'visitor') {
      const { config } = this.options;
      const [questions, settings, asked] = await Promise.all([
        config.getSuggestedQuestions(principal.companyId),
        config.getSettings(principal.companyId),
        this.askedLastWeek(principal.companyId),
      ]);
      const count = settings.ok ? settings.value.suggestionCount : 5;
      const greeting = settings.ok ? settings.value.greeting : undefined;
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
      return;
    }
    const a = { companyId: principal.companyId, agentId: principal.id };
    const state = await this.chat.agentState(a).catch(() => ({ status: 'offline' as const, load: 0, capacity: 0 }));
    connection.send({ type: 'agent.state', ...state });
    connection.send({ type: 'session.list', sessions: await this.delivery.sessionList(a.companyId, a.agentId) });
  }

  async listen(port: number, host = '0.0.0.0'): Promise<string> {
    await this.delivery.start();
    this.gateway.start();
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
    await this.gateway.stop();
    // close() waits for every HTTP connection to end. Requests in flight get a grace; a connection
    // that is neither idle nor answering (a browser's speculative socket that never sent its
    // headers) would otherwise hold the stop until Node's headers timeout, a minute later.
    const closing = this.http.close();
    const cut = setTimeout(() => this.http.server.closeAllConnections(), HTTP_CLOSE_GRACE_MS);
    await closing.finally(() => clearTimeout(cut));
    await this.delivery.stop();
  }
}
