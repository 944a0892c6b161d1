// Wiring: config → backends (real or embedded) → ingest → pubsub → edges. The only place that
// knows whether PostgreSQL and the broker are embedded; everything below gets URLs.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Config } from './config.js';
import { initORM, type MikroORM } from './db/orm.js';
import { LogQueries } from './db/logs.js';
import { HistoryQueries } from './db/history.js';
import { DatabaseHealth } from './db/health.js';
import { Retention } from './db/retention.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded/postgres.js';
import { startEmbeddedBroker, type EmbeddedBroker } from './embedded/broker.js';
import { IngestCounters } from './ingest/counters.js';
import { LogWriter } from './ingest/writer.js';
import { Spool } from './ingest/spool.js';
import { toWriteItem } from './ingest/item.js';
import { redactUrl, startMqttIngest, type MqttIngest } from './ingest/mqtt.js';
import { createLogPubSub } from './pubsub/index.js';
import { connectRedisEventTarget, type RedisTarget } from './pubsub/redis.js';
import { LogHub } from './live/hub.js';
import { FleetState } from './live/fleet.js';
import { GraphQLServer } from './graphql/server.js';
import { LegacyWsServer } from './legacy-ws/server.js';
import { createUpgradeRouter, refuseUpgrade } from './http/upgrade.js';
import { SocketGuard } from './sockets/limits.js';
import { bearer, createAuthenticator } from './auth/tokens.js';
import { handleHttpRoute, sendJson } from './http/routes.js';
import { ConnectionRegistry, snapshot } from './stats.js';
import { serveWeb } from './http/static.js';
import { handleExport } from './http/export.js';
import { createMetrics } from './metrics.js';
import type { Logger } from './logger.js';

/** Start-up failed for a reason the operator can fix; the message names the setting. */
export class StartupError extends Error {}

export interface App {
  url: string;
  /** For operators' scripts and tests that inspect storage directly. */
  orm: MikroORM;
  port: number;
  mqttUrl: string;
  stats: () => ReturnType<typeof snapshot>;
  stop(): Promise<void>;
}

const KEEP_ALIVE_MS = 12_000; // graphql-ws ping; browsers and proxies drop idle sockets near 30-60 s
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024; // per socket, then 1013 (slow consumer)
const SUBSCRIBER_CAPACITY = 10_000; // events a GraphQL subscriber may fall behind

// The legacy test client (SPEC's /ws-test), a self-contained page.
const wsTestPage = readFileSync(new URL('../public/ws-test.html', import.meta.url));

export async function startApp(config: Config, logger: Logger): Promise<App> {
  const startedAt = Date.now();
  const cleanups: (() => Promise<void> | void)[] = [];
  const stopAll = async () => {
    // Reverse start order; splice so a second stop() finds nothing left to do.
    for (const fn of cleanups.splice(0).reverse()) await fn();
  };
  try {
    // 1. Storage
    let embeddedDb: EmbeddedPostgres | undefined;
    if (!config.DATABASE_URL) {
      embeddedDb = await startEmbeddedPostgres(config.DATA_DIR).catch((err: Error) => {
        throw new StartupError(`cannot open the embedded database in DATA_DIR=${config.DATA_DIR}: ${err.message}`);
      });
      cleanups.push(() => embeddedDb!.stop());
    }
    const dbUrl = config.DATABASE_URL ?? embeddedDb!.url;
    const orm: MikroORM = await initORM({ clientUrl: dbUrl, poolMax: embeddedDb?.maxConnections ?? 10 }).catch((err: Error) => {
      throw new StartupError(`cannot use the database at ${redactUrl(dbUrl)}: ${err.message}; check DATABASE_URL`);
    });
    cleanups.push(() => orm.close(true));
    if (config.LOG_RETENTION_DAYS) {
      const retention = new Retention(orm, config.LOG_RETENTION_DAYS, logger);
      void retention.runOnce(); // at start, then hourly
      cleanups.push(() => retention.stop());
    }
    const dbHealth = new DatabaseHealth(orm);
    cleanups.push(() => dbHealth.stop());

    // 2. The path of a message: writer → pubsub → hub → edges
    let redis: RedisTarget | undefined;
    if (config.REDIS_URL) {
      redis = await connectRedisEventTarget(config.REDIS_URL).catch((err: Error) => {
        throw new StartupError(`cannot connect to Redis at ${redactUrl(config.REDIS_URL!)}: ${err.message}; check REDIS_URL`);
      });
      const connected = redis;
      cleanups.push(() => connected.close());
    }
    const pubsub = createLogPubSub(redis?.eventTarget);
    const hub = new LogHub(pubsub, logger);
    cleanups.push(() => hub.stop());
    const counters = new IngestCounters();
    const limits = { prefix: config.MQTT_TOPIC_PREFIX, maxPayload: config.MQTT_MAX_PAYLOAD };
    // One spool per MQTT client id: instances sharing a DATA_DIR never replay each other's.
    const clientId = config.MQTT_CLIENT_ID ?? defaultClientId();
    const spool = await Spool.open(join(config.DATA_DIR, 'spool', clientId)).catch((err: Error) => {
      throw new StartupError(`cannot open the spool in DATA_DIR=${config.DATA_DIR}: ${err.message}`);
    });
    const writer = new LogWriter({
      orm, pubsub, counters, logger, spool,
      maxBatch: config.INGEST_MAX_BATCH,
      reparse: (m) => toWriteItem(m, limits),
    });
    cleanups.push(() => writer.stop());
    writer.resume(); // commits what an earlier run left in the spool
    const queries = new LogQueries(orm);
    const fleet = new FleetState(hub, config.OFFLINE_AFTER_SECONDS * 1000, await queries.fleetSnapshot());
    cleanups.push(() => fleet.stop());
    const registry = new ConnectionRegistry();
    const auth = createAuthenticator(config.AUTH_JWT_SECRET);
    const guard = new SocketGuard({
      maxConnections: config.WS_MAX_CONNECTIONS,
      maxConnectionsPerIp: config.WS_MAX_CONNECTIONS_PER_IP,
      maxMessagesPerSecond: config.WS_MAX_MESSAGES_PER_SECOND,
    });
    const stats = () => snapshot(registry, counters, writer.backlog, startedAt);
    const metrics = createMetrics(counters, stats);

    // 3. Edges on one HTTP server
    const graphql = new GraphQLServer({
      base: { queries, history: new HistoryQueries(orm), hub, fleet, stats, registry, subscriberCapacity: SUBSCRIBER_CAPACITY },
      registry,
      auth,
      logger,
      allowedOrigins: config.ALLOWED_ORIGINS,
      guard,
      maxSubscriptionsPerConnection: config.GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION,
      queryLimits: {
        maxDepth: config.GRAPHQL_MAX_DEPTH,
        maxAliases: config.GRAPHQL_MAX_ALIASES,
        maxTokens: config.GRAPHQL_MAX_TOKENS,
        maxCost: config.GRAPHQL_MAX_COST,
      },
      keepAliveMs: KEEP_ALIVE_MS,
      maxPayload: config.WS_MAX_PAYLOAD,
    });
    const legacy = new LegacyWsServer({
      hub,
      source: queries,
      registry,
      logger,
      guard,
      maxBufferedBytes: MAX_BUFFERED_BYTES,
      maxPayload: config.WS_MAX_PAYLOAD,
      heartbeatMs: config.WS_PING_INTERVAL_SECONDS * 1000,
      subscriberCapacity: SUBSCRIBER_CAPACITY,
    });
    let ingest: MqttIngest | undefined;
    const routes = {
      stats,
      authorize: (req: IncomingMessage) => auth.verify(bearer(req.headers.authorization)),
      ready: () => ({ database: writer.databaseUp && dbHealth.up, broker: ingest?.connected ?? false }),
    };
    const upgrade = createUpgradeRouter({
      graphql, legacy, auth, allowedOrigins: config.ALLOWED_ORIGINS,
      guard,
      onRefused: (reason) => registry.refused(reason),
    });
    const server = createServer(async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname === '/graphql') return void graphql.yoga(req, res);
      if (await handleHttpRoute(routes, req, res, url)) return;
      if (await handleExport({ orm, authorize: routes.authorize, logger }, req, res, url)) return;
      if (serveWeb(req, res, url)) return; // the dashboard at `/`
      if (url.pathname === '/metrics' && req.method === 'GET') {
        res.writeHead(200, { 'content-type': metrics.contentType });
        return void res.end(await metrics.metrics());
      }
      if (url.pathname === '/ws-test' && req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        return void res.end(wsTestPage);
      }
      sendJson(res, 404, { error: 'Not Found' });
    });
    let stopping = false;
    server.on('upgrade', (req, socket, head) => {
      if (stopping) return refuseUpgrade(socket, 503, 'server shutting down');
      void upgrade(req, socket, head);
    });
    await listen(server, config.PORT, config.HOST, 'PORT');
    cleanups.push(async () => {
      stopping = true; // no new sockets while the open ones are closed
      const closed = new Promise<void>((r) => server.close(() => r()));
      await legacy.close();
      await graphql.close();
      server.closeAllConnections(); // keep-alive and SSE requests would hold close() open
      await closed;
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.PORT;

    // 4. Broker and ingest last: messages flow only once everything downstream is up
    let mqttUrl = config.MQTT_URL;
    if (!mqttUrl) {
      const broker: EmbeddedBroker = await startEmbeddedBroker({
        host: config.HOST,
        port: config.MQTT_EMBEDDED_PORT,
        username: config.MQTT_USERNAME,
        password: config.MQTT_PASSWORD,
      }).catch((err: NodeJS.ErrnoException) => {
        throw new StartupError(
          err.code === 'EADDRINUSE'
            ? `port ${config.MQTT_EMBEDDED_PORT} is already in use; set MQTT_EMBEDDED_PORT to a free port (or MQTT_URL to use that broker)`
            : `cannot start the embedded MQTT broker: ${err.message}; check MQTT_EMBEDDED_PORT`,
        );
      });
      cleanups.push(() => broker.stop());
      mqttUrl = broker.url;
    }
    let ca: Buffer | undefined;
    if (config.MQTT_CA_FILE) {
      try {
        ca = readFileSync(config.MQTT_CA_FILE);
      } catch (err) {
        throw new StartupError(`cannot read MQTT_CA_FILE=${config.MQTT_CA_FILE}: ${(err as Error).message}`);
      }
    }
    ingest = await startMqttIngest({
      ca,
      url: mqttUrl,
      clientId,
      username: config.MQTT_USERNAME,
      password: config.MQTT_PASSWORD,
      sharedGroup: config.MQTT_SHARED_GROUP,
      // aedes has no shared subscriptions, and no in-flight cap that would call for them.
      connections: config.MQTT_URL ? config.MQTT_INGEST_CONNECTIONS : 1,
      prefix: config.MQTT_TOPIC_PREFIX,
      maxPayload: config.MQTT_MAX_PAYLOAD,
      maxInflight: config.INGEST_MAX_INFLIGHT,
      writer,
      counters,
      logger,
    }).catch((err: Error) => {
      throw new StartupError(err.message);
    });
    const started = ingest;
    cleanups.push(() => started.stop()); // runs first on stop: commit and acknowledge what is in flight

    const shownHost = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST;
    return {
      url: `http://${shownHost}:${port}`,
      port,
      mqttUrl,
      orm,
      stats,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll().catch(() => {});
    throw err;
  }
}

function listen(server: Server, port: number, host: string, setting: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new StartupError(
          err.code === 'EADDRINUSE'
            ? `port ${port} is already in use; set ${setting} to a free port`
            : `cannot listen on ${host}:${port}: ${err.message}; check ${setting} and HOST`,
        ),
      ),
    );
    server.listen(port, host, () => resolve());
  });
}

/** Stable across restarts on one host, so the broker keeps this instance's persistent session. */
function defaultClientId(): string {
  return `seano-telemetry-${hostname().replace(/[^A-Za-z0-9_.:-]/g, '').slice(0, 40)}`;
}
