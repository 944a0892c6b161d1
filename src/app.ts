// The service as an ordered list of components, each { start, stop } (src/app/). The only place
// that knows whether PostgreSQL and the broker are embedded; below it, URLs and objects.
//
// Start order, and why (stop runs it backwards):
//  1. ports     the HTTP and embedded-broker ports are free: a taken port fails in a moment,
//               not after the seconds the embedded database takes to open
//  2. database  embedded PGlite unless DATABASE_URL; migrations; the health probe; retention
//  3. live      the pubsub (memory or Redis) and the hub every live client listens on
//  4. writing   the spool and the writer (it replays what an earlier run left), the fleet's
//               state seeded from the database, the alerts evaluated on both
//  5. edges     GraphQL, the legacy socket, the HTTP routes: clients connect, nothing flows yet
//  6. broker    the embedded broker, unless MQTT_URL
//  7. ingest    the MQTT subscription last, so messages flow only once everything downstream is
//               up; stopped first, so what is in flight is committed and acknowledged while the
//               database and the sockets are still there
import type { Config } from './config.js';
import type { MikroORM } from './db/orm.js';
import type { Logger } from './logger.js';
import type { StatsSnapshot } from './stats.js';
import { createPortCheck } from './http/listen.js';
import { createDatabase } from './app/database.js';
import { createBroker, createIngest, createLive, createWriting } from './app/messages.js';
import { createEdges } from './app/edges.js';
import { createShared, type Component } from './app/shared.js';

export { StartupError } from './http/listen.js';
export type { Component };

export interface App {
  url: string;
  /** For operators' scripts and tests that inspect storage directly. */
  orm: MikroORM;
  port: number;
  mqttUrl: string;
  stats: () => StatsSnapshot;
  stop(): Promise<void>;
}

export function createApp(config: Config, logger: Logger): { start(): Promise<App>; stop(): Promise<void> } {
  const shared = createShared(config);
  const database = createDatabase(config, logger);
  const live = createLive(config, logger);
  const writing = createWriting({ database, live, shared }, config, logger);
  const broker = createBroker(config);
  const ingest = createIngest({ broker, writing, shared }, config, logger);
  const edges = createEdges({ database, live, writing, shared, brokerConnected: () => ingest.connected }, config, logger);
  const components: Component[] = [createPortCheck(config), database, live, writing, edges, broker, ingest];

  const started: Component[] = [];
  const stop = async () => {
    // Reverse start order; splice so a second stop() finds nothing left to do.
    for (const c of started.splice(0).reverse()) await c.stop();
  };
  const start = async (): Promise<App> => {
    try {
      for (const c of components) {
        started.push(c); // before start: one that fails half-way still stops what it began
        await c.start();
      }
    } catch (err) {
      await stop().catch(() => {});
      throw err;
    }
    const shownHost = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST;
    return { url: `http://${shownHost}:${edges.port}`, port: edges.port, mqttUrl: broker.url, orm: database.orm, stats: shared.stats, stop };
  };
  return { start, stop };
}

/** The whole service, started: for tests and scripts. */
export function startApp(config: Config, logger: Logger): Promise<App> {
  return createApp(config, logger).start();
}
