// graphql-yoga for HTTP (queries, SSE subscriptions, GraphiQL) and graphql-ws on the same path
// and port: one HTTP server, a `ws` server in noServer mode, the upgrade routed by app.ts.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import { bearer, onExpiry, type Authenticator, type Principal } from '../auth/tokens.js';
import type { SocketGuard } from '../sockets/limits.js';
import type { Logger } from 'pino';
import { armorPlugins, type QueryLimits } from './armor.js';
import { SubscriptionGroups } from './groups.js';
import { closeAll } from '../sockets/close.js';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { ConnectionRegistry } from '../stats.js';
import type { GraphQLContext } from './context.js';
import { schema } from './schema/index.js';
import { EXAMPLE_OPERATIONS } from './examples.js';

/** The per-process parts of the context; the caller's scope is added per request/socket. */
export type BaseContext = Omit<GraphQLContext, 'scope' | 'expiresAt' | 'transport'>;

interface ServerContext {
  req?: IncomingMessage;
  /** Set for graphql-ws operations: who connected (verified in connection_init). */
  wsPrincipal?: Principal;
}

type SocketExtra = {
  unregister?: () => void;
  cancelExpiry?: () => void;
  principal?: Principal;
  operations?: Set<string>;
};

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

const CLOSE_UNAUTHORIZED = 4401;
const CLOSE_FORBIDDEN = 4403;
const CLOSE_TOO_MANY_MESSAGES = 4429;

export class GraphQLServer {
  readonly yoga: YogaServerInstance<ServerContext, GraphQLContext>;
  private readonly wss: WebSocketServer;
  private readonly disposable: { dispose(): void | Promise<void> };
  private readonly groups: SubscriptionGroups;

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
      maskedErrors: true, // unexpected errors reach clients as INTERNAL_SERVER_ERROR, details in our log
      landingPage: false,
      graphiql: { title: 'SEANO telemetry', defaultQuery: EXAMPLE_OPERATIONS },
      plugins: armorPlugins(o.queryLimits, (limit) => o.registry.refused(`graphql_${limit}`)),
      cors: o.allowedOrigins ? { origin: [...o.allowedOrigins], credentials: true } : undefined,
      context: async ({ wsPrincipal, request }): Promise<GraphQLContext> => {
        let principal = wsPrincipal;
        if (!principal) {
          try {
            principal = await o.auth.verify(bearer(request.headers.get('authorization')));
          } catch (err) {
            o.registry.refused('unauthorized');
            throw new GraphQLError(err instanceof Error ? err.message : 'unauthorized', {
              extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
            });
          }
        }
        return { ...o.base, scope: principal.scope, expiresAt: principal.expiresAt, transport: wsPrincipal ? 'ws' : 'http' };
      },
    });

    this.wss = new WebSocketServer({ noServer: true, maxPayload: o.maxPayload, perMessageDeflate: false });
    this.groups = new SubscriptionGroups(o.base.subscriberCapacity, {
      onJoin: () => o.registry.activeSubscriptions++,
      onLeave: () => o.registry.activeSubscriptions--,
      onSlowConsumer: () => o.registry.slowConsumers++,
    });
    const yoga = this.yoga;
    this.disposable = useServer<Record<string, unknown>, SocketExtra>(
      {
        onConnect: async (ctx) => {
          const auth = ctx.connectionParams?.authorization;
          let principal: Principal;
          try {
            principal = await o.auth.verify(bearer(typeof auth === 'string' ? auth : undefined));
          } catch {
            o.registry.refused('unauthorized');
            ctx.extra.socket.close(CLOSE_UNAUTHORIZED, 'Unauthorized');
            return false;
          }
          ctx.extra.principal = principal;
          // The socket must not outlive its token: close with 4403; the client reconnects with a new one.
          ctx.extra.cancelExpiry = onExpiry(principal, () => ctx.extra.socket.close(CLOSE_FORBIDDEN, 'token expired'));
          ctx.extra.unregister = o.registry.add({ surface: 'graphql', connectedAt: new Date(), endpoint: '/graphql', scope: principal.scope });
          return true;
        },
        onComplete: (ctx, id) => {
          ctx.extra.operations?.delete(id);
        },
        onClose: (ctx) => {
          ctx.extra.unregister?.();
          ctx.extra.cancelExpiry?.();
        },
        execute: (args) => (args.rootValue as Envelope).execute(args) as never,
        subscribe: (args) => {
          const { subscribe, groupKey } = args.rootValue as Envelope;
          return this.groups.subscribe(groupKey, async () => (await subscribe(args)) as never) as never;
        },
        // Run socket operations through yoga's envelop so its plugins (masking, limits) apply.
        onSubscribe: async (ctx, id, payload) => {
          const operations = (ctx.extra.operations ??= new Set());
          if (operations.size >= o.maxSubscriptionsPerConnection) {
            o.registry.refused('subscriptions_per_connection');
            return [
              new GraphQLError(`at most ${o.maxSubscriptionsPerConnection} operations per connection (GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION)`, {
                extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' },
              }),
            ];
          }
          operations.add(id);
          const enveloped = yoga.getEnveloped({ req: ctx.extra.request, params: payload, wsPrincipal: ctx.extra.principal } as never);
          let document;
          try {
            document = enveloped.parse(payload.query);
          } catch (err) {
            return [err as never];
          }
          // graphql-armor's rules throw their GraphQLError; answer it as this operation's error.
          let errors: readonly GraphQLError[];
          try {
            errors = enveloped.validate(enveloped.schema, document);
          } catch (err) {
            if (err instanceof GraphQLError) return [err];
            throw err;
          }
          if (errors.length > 0) return errors;
          const contextValue = await enveloped.contextFactory();
          const args: ExecutionArgs = {
            schema: enveloped.schema,
            operationName: payload.operationName,
            document,
            variableValues: payload.variables,
            contextValue,
            rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe, groupKey: groupKey(payload, ctx.extra.principal) } satisfies Envelope,
          };
          return args;
        },
      },
      this.wss,
      o.keepAliveMs,
    );
  }

  get connections(): number {
    return this.wss.clients.size;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.o.guard.watchRate(ws, () => {
        this.o.registry.refused('rate_limited');
        ws.close(CLOSE_TOO_MANY_MESSAGES, 'too many messages per second (WS_MAX_MESSAGES_PER_SECOND)');
      });
      this.wss.emit('connection', ws, req);
    });
  }

  async close(): Promise<void> {
    await closeAll(this.wss, 1001, 'server shutting down');
    await this.disposable.dispose();
  }
}

interface Envelope {
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
  /** Same operation, variables and scope → same results: executed once for all (groups.ts). */
  groupKey: string | undefined;
}

function groupKey(p: { query: string; operationName?: string | null; variables?: Record<string, unknown> | null }, principal?: Principal): string | undefined {
  // A resuming subscription replays its own history first: never shared.
  if (/\bafter\s*:\s*[^$\s]/.test(p.query) || (p.variables?.after ?? null) !== null) return undefined;
  return JSON.stringify([p.query, p.operationName ?? null, p.variables ?? null, principal?.scope ?? null]);
}

