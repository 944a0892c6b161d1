// The components a message passes through: the live fan-out (pubsub + hub), the writer with its
// spool and the state derived from what it stores (fleet, alerts), the broker and the MQTT
// subscription that feeds the writer.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createAlerts, type Alerts } from '../alerts/component.js';
import { AlertRulesError } from '../alerts/rules.js';
import type { Config } from '../config.js';
import { LogQueries } from '../db/logs.js';
import { PostgresLogStore } from '../db/log-store.js';
import type { EmbeddedBroker } from '../embedded/broker.js';
import { StartupError, brokerPortTaken } from '../http/listen.js';
import { toWriteItem } from '../ingest/item.js';
import { redactUrl, startMqttIngest, type MqttIngest } from '../ingest/mqtt.js';
import { Spool } from '../ingest/spool.js';
import { LogWriter } from '../ingest/writer.js';
import { FleetState } from '../live/fleet.js';
import { LogHub } from '../live/hub.js';
import type { Logger } from '../logger.js';
import { createLogPubSub, type LogPubSub } from '../pubsub/index.js';
import type { RedisTarget } from '../pubsub/redis.js';
import type { Database } from './database.js';
import { required, type Component, type Shared } from './shared.js';

export interface Live extends Component {
  readonly pubsub: LogPubSub;
  readonly hub: LogHub;
}

/** The pubsub (in memory, or Redis across instances) and the one hub per process reading it. */
export function createLive(config: Pick<Config, 'REDIS_URL'>, logger: Logger): Live {
  let redis: RedisTarget | undefined;
  let pubsub: LogPubSub | undefined;
  let hub: LogHub | undefined;
  return {
    get pubsub() {
      return required(pubsub, 'the pubsub');
    },
    get hub() {
      return required(hub, 'the hub');
    },
    async start() {
      if (config.REDIS_URL) {
        // Loaded only when used (as the embedded backends): ioredis and aedes weigh tens of MB of RSS.
        const { connectRedisEventTarget } = await import('../pubsub/redis.js');
        redis = await connectRedisEventTarget(config.REDIS_URL).catch((err: Error) => {
          throw new StartupError(`cannot connect to Redis at ${redactUrl(config.REDIS_URL!)}: ${err.message}; check REDIS_URL`);
        });
      }
      pubsub = createLogPubSub(redis?.eventTarget);
      hub = new LogHub(pubsub, logger);
    },
    async stop() {
      await hub?.stop();
      await redis?.close();
      [hub, redis] = [undefined, undefined];
    },
  };
}

export interface Writing extends Component {
  readonly writer: LogWriter;
  readonly queries: LogQueries;
  readonly fleet: FleetState;
  readonly alerts: Alerts;
  /** The MQTT client id; the spool is kept per id. */
  readonly clientId: string;
}

/** The writer (its spool replayed at start), the fleet's state seeded from storage, the alerts on both. */
export function createWriting(deps: { database: Database; live: Live; shared: Shared }, config: Config, logger: Logger): Writing {
  // Stable across restarts on one host, so the broker keeps this instance's persistent session.
  const clientId = config.MQTT_CLIENT_ID ?? `seano-telemetry-${hostname().replace(/[^A-Za-z0-9_.:-]/g, '').slice(0, 40)}`;
  let writer: LogWriter | undefined;
  let fleet: FleetState | undefined;
  let alerts: Alerts | undefined;
  let queries: LogQueries | undefined;
  return {
    clientId,
    get writer() {
      return required(writer, 'the writer');
    },
    get queries() {
      return required(queries, 'the queries');
    },
    get fleet() {
      return required(fleet, 'the fleet state');
    },
    get alerts() {
      return required(alerts, 'the alerts');
    },
    async start() {
      const { orm } = deps.database;
      // One spool per MQTT client id: instances sharing a DATA_DIR never replay each other's.
      const spool = await Spool.open(join(config.DATA_DIR, 'spool', clientId), config.SPOOL_MAX_BYTES).catch((err: Error) => {
        throw new StartupError(`cannot open the spool in DATA_DIR=${config.DATA_DIR}: ${err.message}`);
      });
      const limits = { prefix: config.MQTT_TOPIC_PREFIX, maxPayload: config.MQTT_MAX_PAYLOAD };
      const { pubsub, hub } = deps.live;
      writer = new LogWriter({
        store: new PostgresLogStore(orm, config.REJECTED_PAYLOAD_BYTES),
        pubsub, counters: deps.shared.counters, logger, spool,
        maxBatch: config.INGEST_MAX_BATCH,
        reparse: (m) => toWriteItem(m, limits),
      });
      const started = writer;
      deps.shared.setBacklog(() => started.backlog);
      writer.resume(); // commits what an earlier run left in the spool
      queries = new LogQueries(orm);
      const snapshot = await queries.fleetSnapshot();
      fleet = new FleetState(hub, config.OFFLINE_AFTER_SECONDS * 1000, snapshot);
      const vehicleIds = async () => (await queries!.fleetSnapshot()).map((v) => v.vehicleId);
      try {
        alerts = createAlerts({ orm, hub, fleet, pubsub, logger, vehicleIds }, config);
      } catch (err) {
        throw err instanceof AlertRulesError ? new StartupError(err.message) : err;
      }
      await alerts.start();
    },
    async stop() {
      await alerts?.stop();
      fleet?.stop();
      await writer?.stop();
      [alerts, fleet, writer] = [undefined, undefined, undefined];
    },
  };
}

export interface Broker extends Component {
  /** MQTT_URL, or the embedded broker's once started. */
  readonly url: string;
}

/** The embedded aedes broker when MQTT_URL is unset; otherwise nothing to run. */
export function createBroker(config: Pick<Config, 'MQTT_URL' | 'HOST' | 'MQTT_EMBEDDED_PORT' | 'MQTT_USERNAME' | 'MQTT_PASSWORD'>): Broker {
  let embedded: EmbeddedBroker | undefined;
  return {
    get url() {
      return config.MQTT_URL ?? required(embedded, 'the embedded broker').url;
    },
    async start() {
      if (config.MQTT_URL) return;
      const { HOST: host, MQTT_EMBEDDED_PORT: port, MQTT_USERNAME: username, MQTT_PASSWORD: password } = config;
      const { startEmbeddedBroker } = await import('../embedded/broker.js');
      embedded = await startEmbeddedBroker({ host, port, username, password }).catch((err: NodeJS.ErrnoException) => {
        throw new StartupError(err.code === 'EADDRINUSE' ? brokerPortTaken(port) : `cannot start the embedded MQTT broker: ${err.message}; check MQTT_EMBEDDED_PORT`);
      });
    },
    async stop() {
      await embedded?.stop();
      embedded = undefined;
    },
  };
}

export interface Ingest extends Component {
  readonly connected: boolean;
}

/** The MQTT subscription feeding the writer; stopping it commits and acknowledges what is in flight. */
export function createIngest(deps: { broker: Broker; writing: Writing; shared: Shared }, config: Config, logger: Logger): Ingest {
  let ingest: MqttIngest | undefined;
  return {
    get connected() {
      return ingest?.connected ?? false;
    },
    async start() {
      let ca: Buffer | undefined;
      try {
        ca = config.MQTT_CA_FILE ? readFileSync(config.MQTT_CA_FILE) : undefined;
      } catch (err) {
        throw new StartupError(`cannot read MQTT_CA_FILE=${config.MQTT_CA_FILE}: ${(err as Error).message}`);
      }
      ingest = await startMqttIngest({
        ca,
        url: deps.broker.url,
        clientId: deps.writing.clientId,
        username: config.MQTT_USERNAME,
        password: config.MQTT_PASSWORD,
        sharedGroup: config.MQTT_SHARED_GROUP,
        // aedes has no shared subscriptions, and no in-flight cap that would call for them.
        connections: config.MQTT_URL ? config.MQTT_INGEST_CONNECTIONS : 1,
        prefix: config.MQTT_TOPIC_PREFIX,
        maxPayload: config.MQTT_MAX_PAYLOAD,
        maxInflight: config.INGEST_MAX_INFLIGHT,
        writer: deps.writing.writer,
        counters: deps.shared.counters,
        logger,
      }).catch((err: Error) => {
        throw new StartupError(err.message);
      });
    },
    async stop() {
      await ingest?.stop();
      ingest = undefined;
    },
  };
}
