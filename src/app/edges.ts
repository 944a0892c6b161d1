// The edges on one HTTP server: GraphQL (yoga + graphql-ws), the legacy /api/ws socket, the
// export and the plain routes, all in one route table, the sockets behind one upgrade router.
import type { IncomingMessage } from 'node:http';
import { bearer } from '../auth/tokens.js';
import type { Config } from '../config.js';
import { FleetHistoryQueries } from '../db/fleet-history.js';
import { HistoryQueries } from '../db/history.js';
import { GraphQLServer } from '../graphql/server.js';
import { createExportHandler, EXPORT_PATH } from '../http/export.js';
import { graphqlRoute, type GraphQLHttpHandler } from '../http/graphql.js';
import { pageRoutes } from '../http/pages.js';
import { statusRoutes, type Route } from '../http/routes.js';
import { createHttpServer, type HttpServer } from '../http/server.js';
import { LegacyWsServer } from '../legacy-ws/server.js';
import type { LagLimits } from '../live/backpressure.js';
import type { Logger } from '../logger.js';
import { createMetrics } from '../metrics.js';
import type { Database } from './database.js';
import type { Live, Writing } from './messages.js';
import { required, type Component, type Shared } from './shared.js';

const KEEP_ALIVE_MS = 12_000; // graphql-ws ping; browsers and proxies drop idle sockets near 30-60 s

export interface EdgesDeps {
  database: Database;
  live: Live;
  writing: Writing;
  shared: Shared;
  /** The MQTT subscription is up: /readyz. */
  brokerConnected: () => boolean;
}

export interface Edges extends Component {
  /** The HTTP port taken (PORT=0: the system's choice). */
  readonly port: number;
}

export function createEdges(deps: EdgesDeps, config: Config, logger: Logger): Edges {
  let http: HttpServer | undefined;
  return {
    get port() {
      return required(http, 'the HTTP server').port;
    },
    async start() {
      const graphql = createGraphQLServer(deps, config, logger);
      const { shared, writing } = deps;
      const legacy = new LegacyWsServer({
        hub: deps.live.hub, source: writing.queries, alerts: writing.alerts.feed, registry: shared.registry, auth: shared.auth, guard: shared.guard, logger,
        maxPayload: config.WS_MAX_PAYLOAD,
        heartbeatMs: config.WS_PING_INTERVAL_SECONDS * 1000,
        lagLimits: lagLimits(config),
      });
      const onRefused = (reason: string) => shared.registry.refused(reason);
      http = createHttpServer(
        {
          routes: [graphqlRoute({ graphql: yogaHandler(graphql), auth: shared.auth, maxBodyBytes: config.HTTP_MAX_BODY_BYTES, onRefused }), ...plainRoutes(deps, config, logger)],
          upgrades: { targets: [graphql, legacy], guard: shared.guard, allowedOrigins: config.ALLOWED_ORIGINS, onRefused, logger },
          logger,
          closeSockets: async () => {
            await legacy.close();
            await graphql.close();
          },
        },
        config,
      );
      await http.start();
    },
    async stop() {
      await http?.stop();
    },
  };
}

function createGraphQLServer(deps: EdgesDeps, config: Config, logger: Logger): GraphQLServer {
  const { database, live, writing, shared } = deps;
  return new GraphQLServer({
    base: {
      queries: writing.queries,
      history: new HistoryQueries(database.orm),
      fleetHistory: new FleetHistoryQueries(database.orm),
      alerts: { repository: writing.alerts.repository, feed: writing.alerts.feed },
      hub: live.hub,
      fleet: writing.fleet,
      stats: shared.stats,
      registry: shared.registry,
      lagLimits: lagLimits(config),
    },
    registry: shared.registry,
    auth: shared.auth,
    logger,
    allowedOrigins: config.ALLOWED_ORIGINS,
    guard: shared.guard,
    maxSubscriptionsPerConnection: config.GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION,
    queryLimits: {
      maxDepth: config.GRAPHQL_MAX_DEPTH,
      maxAliases: config.GRAPHQL_MAX_ALIASES,
      maxTokens: config.GRAPHQL_MAX_TOKENS,
      maxCost: config.GRAPHQL_MAX_COST,
      maxResponseBytes: config.GRAPHQL_MAX_RESPONSE_BYTES,
      hideSuggestions: config.AUTH_JWT_SECRET !== undefined,
    },
    keepAliveMs: KEEP_ALIVE_MS,
    maxPayload: config.WS_MAX_PAYLOAD,
  });
}

/** When a live subscriber lags, on every socket kind (SPEC §9). */
const lagLimits = (config: Config): LagLimits => ({ maxBufferedBytes: config.LIVE_MAX_UNSENT_BYTES, maxQueuedEvents: config.LIVE_MAX_WAITING_EVENTS });

/** yoga as the /graphql route sees it: its node handler, and its fetch to render GraphiQL once. */
function yogaHandler(graphql: GraphQLServer): GraphQLHttpHandler {
  return {
    handle: (req, res) => graphql.yoga.requestListener(req, res),
    fetch: (url, init) => graphql.yoga.fetch(url, init),
  };
}

/** Stats, health, metrics, the export and the pages. */
function plainRoutes(deps: EdgesDeps, config: Config, logger: Logger): Route[] {
  const { database, writing, shared } = deps;
  const authorize = (req: IncomingMessage) => shared.auth.verify(bearer(req.headers.authorization));
  const exportHandler = createExportHandler({ orm: database.orm, authorize, logger, clientAddress: shared.guard.addressOf }, config);
  return [
    ...statusRoutes({
      stats: shared.stats,
      authorize,
      ready: () => ({ database: writing.writer.databaseUp && database.reachable, broker: deps.brokerConnected() }),
      metrics: createMetrics(shared.counters, shared.stats),
    }),
    // The export answers every method itself (405 for all but GET).
    { method: '*', path: EXPORT_PATH, handle: async (req, res, url) => void (await exportHandler(req, res, url)) },
    ...pageRoutes({ mapTileUrl: config.MAP_TILE_URL, mapTileAttribution: config.MAP_TILE_ATTRIBUTION }),
  ];
}
