// graphql-yoga for HTTP (queries, SSE subscriptions, GraphiQL) and graphql-ws on the same path
// and port: a `ws` server in noServer mode that the upgrade router reaches as an UpgradeTarget.
// Socket operations run through yoga's envelop (getEnveloped), so every plugin — query limits,
// masking, counting, shared execution — applies to graphql-ws and HTTP alike.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import { createYoga, type YogaInitialContext, type YogaServerInstance } from 'graphql-yoga';
import type { Context as WsContext, SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from 'pino';
import { bearer, type Authenticator, type Principal } from '../auth/tokens.js';
import { NO_TRANSPORT, socketTransport } from '../live/backpressure.js';
import { CloseCode } from '../sockets/close-codes.js';
import { closeAll, closeSocket } from '../sockets/close.js';
import type { SocketGuard } from '../sockets/limits.js';
import type { Admission, UpgradeTarget } from '../sockets/upgrade.js';
import type { ConnectionInfo, ConnectionRegistry } from '../stats.js';
import { armorPlugins, type QueryLimits } from './armor.js';
import type { GraphQLContext } from './context.js';
import { EXAMPLE_OPERATIONS } from './examples.js';
import { SubscriptionGroups, useSubscriptionGroups } from './groups.js';
import { useCountSubscriptions } from './plugins/count-subscriptions.js';
import { useLiveResults } from './plugins/live-results.js';
import { useSseResume } from './plugins/sse-resume.js';
import { SocketSession, checkToken, renewOnSocket, useSocketSessions } from './session.js';
import { operationSink } from './splice.js';
import { schema } from './schema/index.js';

/** The per-process parts of the context; the caller's scope is added per request/socket. */
export type BaseContext = Omit<GraphQLContext, 'scope' | 'expiresAt' | 'transport' | 'session' | 'renewToken' | 'lastEventId'>;

/** yoga's server context: Node's request, and for graphql-ws operations who connected on which socket. */
interface ServerContext {
  req?: IncomingMessage;
  /** The socket's token in force (moved by renewToken). */
  wsSession?: SocketSession;
  wsSocket?: WebSocket;
  /** The graphql-ws subscription id of the operation. */
  wsOperationId?: string;
}

type Enveloped = ReturnType<YogaServerInstance<ServerContext, GraphQLContext>['getEnveloped']>;

type SocketExtra = { session?: SocketSession; unregister?: () => void };
type SocketContext = WsContext<Record<string, unknown>, SocketExtra & { socket: WebSocket; request: IncomingMessage }>;

export interface GraphQLServerOptions {
  base: BaseContext;
  registry: ConnectionRegistry;
  auth: Authenticator;
  logger: Logger;
  allowedOrigins?: readonly string[];
  guard: SocketGuard;
  maxSubscriptionsPerConnection: number;
  queryLimits: QueryLimits;
  /** graphql-ws keep-alive ping interval. */
  keepAliveMs: number;
  maxPayload: number;
}

// graphql-ws's default connectionInitWaitTimeout. A client sends connection_init right after the
// upgrade; a socket that has not by then is closed (4408), and cut a second later if it does not
// answer the close either. It held its per-address connection slot for ws's 30 s close timeout
// before, so 200 silent sockets locked every client of their address out (issue 12).
const HANDSHAKE_WINDOW_MS = 3_000;

export class GraphQLServer implements UpgradeTarget {
  readonly yoga: YogaServerInstance<ServerContext, GraphQLContext>;
  private readonly wss: WebSocketServer;
  private readonly disposable: { dispose(): void | Promise<void> };
  /** The envelop each graphql-ws operation was prepared with, for graphql-ws's execute/subscribe. */
  private readonly envelopes = new WeakMap<ExecutionArgs, Enveloped>();
  /** Sockets that sent connection_init; the others are closed when their handshake window ends. */
  private readonly initialised = new WeakSet<WebSocket>();

  constructor(private readonly o: GraphQLServerOptions) {
    this.yoga = createYoga<ServerContext, GraphQLContext>({
      schema,
      graphqlEndpoint: '/graphql',
      // Masked errors reach clients as INTERNAL_SERVER_ERROR; the cause goes to our log.
      logging: {
        debug: () => {},
        info: () => {},
        warn: (...args: unknown[]) => o.logger.warn({ args }, 'graphql'),
        error: (...args: unknown[]) => o.logger.error({ err: args.find((a) => a instanceof Error), args }, 'graphql'),
      },
      maskedErrors: true,
      landingPage: false,
      graphiql: { title: 'SEANO telemetry', defaultQuery: EXAMPLE_OPERATIONS },
      // GraphiQL's scripts, styles and workers inlined in the page: it opens without internet (SPEC §11).
      renderGraphiQL: async (options) => (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(options), // at first use: 30 MB of strings
      plugins: [
        useLiveResults(), // the subscribe every other plugin wraps: results that keep their event
        ...armorPlugins(o.queryLimits, (limit) => o.registry.refused(`graphql_${limit}`)),
        // Counting first: a refused SSE stream never reaches the groups.
        useCountSubscriptions({ registry: o.registry, guard: o.guard }),
        useSseResume(),
        useSocketSessions(),
        // operationSink: a group's result serialised once, not once per graphql-ws member.
        useSubscriptionGroups<ServerContext & GraphQLContext>(new SubscriptionGroups(), (ctx) => (ctx.wsSocket ? socketTransport(ctx.wsSocket) : NO_TRANSPORT), operationSink),
      ],
      cors: o.allowedOrigins ? { origin: [...o.allowedOrigins], credentials: true } : undefined,
      context: async ({ wsSession, wsSocket, request }): Promise<GraphQLContext> => {
        const principal = wsSession?.principal ?? (await this.verifyRequest(request));
        const refuse = (why: string) => (o.registry.refused('unauthorized'), void closeSocket(wsSocket!, CloseCode.Forbidden, why));
        const renewToken = (token: string) => (wsSession ? renewOnSocket(o.auth, wsSession, token, refuse) : checkToken(o.auth, token));
        return { ...o.base, scope: principal.scope, expiresAt: principal.expiresAt, transport: wsSession ? 'ws' : 'http', session: wsSession, renewToken };
      },
    });

    this.wss = new WebSocketServer({ noServer: true, maxPayload: o.maxPayload, perMessageDeflate: false });
    this.disposable = useServer<Record<string, unknown>, SocketExtra>(
      {
        connectionInitWaitTimeout: 0, // the window is accept()'s, which also cuts a peer that ignores the close
        onConnect: (ctx) => this.connect(ctx as SocketContext),
        onClose: (ctx) => {
          ctx.extra.unregister?.();
          ctx.extra.session?.end();
        },
        onSubscribe: (ctx, id, payload) => this.prepare(ctx as SocketContext, id, payload),
        execute: (args) => this.envelopeOf(args).execute(args),
        subscribe: (args) => this.envelopeOf(args).subscribe(args),
      },
      this.wss,
      o.keepAliveMs,
    );
  }

  get connections(): number {
    return this.wss.clients.size;
  }

  serves(pathname: string): boolean {
    return pathname === '/graphql';
  }

  /** graphql-ws authenticates in connection_init (connectionParams), after the upgrade. */
  async admit(req: IncomingMessage): Promise<Admission> {
    return { ok: true, accept: (socket: Duplex, head: Buffer) => this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req)) };
  }

  private accept(ws: WebSocket, req: IncomingMessage): void {
    this.o.guard.watchRate(ws, () => {
      this.o.registry.refused('rate_limited');
      void closeSocket(ws, CloseCode.TooManyMessages, 'too many messages per second (WS_MAX_MESSAGES_PER_SECOND)');
    });
    const window = setTimeout(() => {
      if (!this.initialised.has(ws)) void closeSocket(ws, CloseCode.ConnectionInitialisationTimeout, 'Connection initialisation timeout');
    }, HANDSHAKE_WINDOW_MS);
    window.unref();
    ws.once('close', () => clearTimeout(window));
    this.wss.emit('connection', ws, req);
  }

  private async verifyRequest(request: Request): Promise<Principal> {
    try {
      return await this.o.auth.verify(bearer(request.headers.get('authorization')));
    } catch (err) {
      this.o.registry.refused('unauthorized');
      throw new GraphQLError(err instanceof Error ? err.message : 'unauthorized', { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
    }
  }

  private async connect(ctx: SocketContext): Promise<boolean> {
    const { socket } = ctx.extra;
    this.initialised.add(socket);
    const auth = ctx.connectionParams?.authorization;
    let principal: Principal;
    try {
      principal = await this.o.auth.verify(bearer(typeof auth === 'string' ? auth : undefined));
    } catch {
      this.o.registry.refused('unauthorized');
      void closeSocket(socket, CloseCode.Unauthorized, 'Unauthorized');
      return false;
    }
    const info: ConnectionInfo = { surface: 'graphql', connectedAt: new Date(), endpoint: '/graphql', scope: principal.scope };
    // The socket must not outlive its token (renewToken moves it): close with 4403; the client reconnects with a new one.
    ctx.extra.session = new SocketSession(principal, () => void closeSocket(socket, CloseCode.Forbidden, 'token expired'), (p) => (info.scope = p.scope));
    ctx.extra.unregister = this.o.registry.add(info);
    return true;
  }


  /** graphql-ws's onSubscribe: the operation parsed and validated through yoga's envelop, or its errors. */
  private async prepare(ctx: SocketContext, id: string, payload: SubscribePayload): Promise<ExecutionArgs | readonly GraphQLError[]> {
    // graphql-ws lists an operation from its subscribe message until it ends, however it ends, so
    // a slot is free again after a validation error or a failed subscribe (our own set leaked).
    if (Object.keys(ctx.subscriptions).length > this.o.maxSubscriptionsPerConnection) {
      this.o.registry.refused('subscriptions_per_connection');
      const message = `at most ${this.o.maxSubscriptionsPerConnection} operations per connection (GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION)`;
      return [new GraphQLError(message, { extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } })];
    }
    const server: ServerContext = { req: ctx.extra.request, wsSession: ctx.extra.session, wsSocket: ctx.extra.socket, wsOperationId: id };
    // A socket's operation has no Fetch Request; yoga's plugins read `request` for HTTP only.
    const enveloped = this.yoga.getEnveloped({ ...server, params: payload } as ServerContext & YogaInitialContext);
    try {
      const document = enveloped.parse(payload.query);
      // graphql-armor's rules throw their GraphQLError: answered as this operation's error.
      const errors = enveloped.validate(enveloped.schema, document);
      if (errors.length > 0) return errors;
      const args: ExecutionArgs = {
        schema: enveloped.schema,
        operationName: payload.operationName,
        document,
        variableValues: payload.variables,
        contextValue: await enveloped.contextFactory(),
      };
      this.envelopes.set(args, enveloped);
      return args;
    } catch (err) {
      if (err instanceof GraphQLError) return [err];
      throw err;
    }
  }

  private envelopeOf(args: ExecutionArgs): Enveloped {
    const enveloped = this.envelopes.get(args);
    if (!enveloped) throw new Error('graphql-ws ran an operation that onSubscribe did not prepare');
    return enveloped;
  }

  async close(): Promise<void> {
    await closeAll(this.wss, CloseCode.GoingAway, 'server shutting down');
    await this.disposable.dispose();
  }
}
