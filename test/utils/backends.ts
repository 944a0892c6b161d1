// The backends every integration suite runs against: the embedded ones always, and the
// machine's PostgreSQL and broker when TEST_DATABASE_URL / TEST_MQTT_URL are set (CI sets them);
// likewise the pubsub's event targets (memory always, Redis with TEST_REDIS_URL).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Env } from '../../src/config.js';
import { startEmbeddedPostgres } from '../../src/embedded/postgres.js';
import { createLogPubSub, type LogEventTarget, type LogPubSub } from '../../src/pubsub/index.js';
import { connectRedisEventTarget } from '../../src/pubsub/redis.js';
import { leave } from './leftovers.js';

export interface Backend {
  name: string;
  /** Fresh, isolated settings for one service instance (own database, own topic prefix);
   * `cleanup` is registered as a leftover (test/utils/leftovers.ts) and may be called earlier. */
  prepare(): Promise<{ env: Env; cleanup: () => Promise<void> }>;
}

const embedded: Backend = {
  name: 'embedded PGlite + aedes',
  async prepare() {
    const dir = await mkdtemp(join(tmpdir(), 'seano-test-'));
    return {
      env: { DATA_DIR: dir, MQTT_EMBEDDED_PORT: '0', MQTT_TOPIC_PREFIX: 'seano' },
      cleanup: leave(() => rm(dir, { recursive: true, force: true })),
    };
  },
};

/** A new database on the machine's server per instance, dropped afterwards. */
export async function createScratchDatabase(baseUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `seano_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: leave(async () => {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    }),
  };
}

const machine = (dbUrl: string, mqttUrl: string): Backend => ({
  name: 'machine PostgreSQL + Mosquitto',
  async prepare() {
    const db = await createScratchDatabase(dbUrl);
    const tag = randomBytes(4).toString('hex');
    const dir = await mkdtemp(join(tmpdir(), 'seano-test-'));
    const removeDir = leave(() => rm(dir, { recursive: true, force: true }));
    return {
      env: {
        DATA_DIR: dir, // the spool lives here
        DATABASE_URL: db.url,
        MQTT_URL: mqttUrl,
        // Own prefix and client id: suites share the broker and must not see each other.
        MQTT_TOPIC_PREFIX: `seano-test-${tag}`,
        MQTT_CLIENT_ID: `seano-test-${tag}`,
      },
      cleanup: async () => {
        await db.drop();
        await removeDir();
      },
    };
  },
});

const { TEST_DATABASE_URL, TEST_MQTT_URL } = process.env;

export const backends: Backend[] = [
  embedded,
  ...(TEST_DATABASE_URL && TEST_MQTT_URL ? [machine(TEST_DATABASE_URL, TEST_MQTT_URL)] : []),
];

/**
 * A PostgreSQL server address for tests that need one outside the service (behind a proxy, or
 * shared by two instances): a scratch database on TEST_DATABASE_URL, else a PGlite socket server.
 */
export async function startStandalonePostgres(): Promise<{ url: string; cleanup: () => Promise<void> }> {
  if (process.env.TEST_DATABASE_URL) {
    const db = await createScratchDatabase(process.env.TEST_DATABASE_URL);
    return { url: db.url, cleanup: db.drop };
  }
  const dir = await mkdtemp(join(tmpdir(), 'seano-pglite-'));
  const removeDir = leave(() => rm(dir, { recursive: true, force: true }));
  // Shared by an instance behind a proxy, or by two instances: several connections.
  const pglite = await startEmbeddedPostgres(dir, 4);
  const stop = leave(() => pglite.stop());
  return {
    url: pglite.url,
    cleanup: async () => {
      await stop();
      await removeDir();
    },
  };
}

/**
 * The pubsub's event targets: in-memory always, Redis when TEST_REDIS_URL is set (CI sets it).
 * `connect()` opens one instance's pubsub; the instances of one target share their events
 * (one EventTarget in memory, one Redis server), as the service's instances do.
 */
export interface PubSubBackend {
  name: string;
  /** True when the target delivers through a network, so a subscription takes effect later. */
  remote: boolean;
  connect(): Promise<LogPubSub>;
}

function memoryPubSub(): PubSubBackend {
  const target = new EventTarget() as LogEventTarget;
  return { name: 'memory', remote: false, connect: async () => createLogPubSub(target) };
}

/**
 * Redis, on channels of this run's own: the service's instances (in suites running beside this
 * one) publish on the same server, and Redis channels are global to it.
 */
function redisPubSub(url: string): PubSubBackend {
  const channelPrefix = `seano-test-${randomBytes(4).toString('hex')}:`;
  return {
    name: 'Redis',
    remote: true,
    async connect() {
      const redis = await connectRedisEventTarget(url);
      leave(() => redis.close());
      return createLogPubSub(withChannelPrefix(redis.eventTarget, channelPrefix));
    },
  };
}

function withChannelPrefix(target: LogEventTarget, prefix: string): LogEventTarget {
  const inner = target as unknown as EventTarget;
  const prefixed: EventTarget = {
    addEventListener: (type, listener, options) => inner.addEventListener(prefix + type, listener, options),
    removeEventListener: (type, listener, options) => inner.removeEventListener(prefix + type, listener, options),
    dispatchEvent: (event) => inner.dispatchEvent(new CustomEvent(prefix + event.type, { detail: (event as CustomEvent).detail })),
  };
  return prefixed as unknown as LogEventTarget;
}

export const pubsubBackends: PubSubBackend[] = [
  memoryPubSub(),
  ...(process.env.TEST_REDIS_URL ? [redisPubSub(process.env.TEST_REDIS_URL)] : []),
];
