// The backends every integration suite runs against: the embedded ones always, and the
// machine's PostgreSQL and broker when TEST_DATABASE_URL / TEST_MQTT_URL are set (CI sets them).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Env } from '../../src/config.js';
import { startEmbeddedPostgres } from '../../src/embedded/postgres.js';

export interface Backend {
  name: string;
  /** Fresh, isolated settings for one service instance (own database, own topic prefix). */
  prepare(): Promise<{ env: Env; cleanup: () => Promise<void> }>;
}

const embedded: Backend = {
  name: 'embedded PGlite + aedes',
  async prepare() {
    const dir = await mkdtemp(join(tmpdir(), 'seano-test-'));
    return {
      env: { DATA_DIR: dir, MQTT_EMBEDDED_PORT: '0', MQTT_TOPIC_PREFIX: 'seano' },
      cleanup: () => rm(dir, { recursive: true, force: true }),
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
    async drop() {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

const machine = (dbUrl: string, mqttUrl: string): Backend => ({
  name: 'machine PostgreSQL + Mosquitto',
  async prepare() {
    const db = await createScratchDatabase(dbUrl);
    const tag = randomBytes(4).toString('hex');
    const dir = await mkdtemp(join(tmpdir(), 'seano-test-'));
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
        await rm(dir, { recursive: true, force: true });
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
  // Shared by an instance behind a proxy, or by two instances: several connections.
  const pglite = await startEmbeddedPostgres(dir, 4);
  return {
    url: pglite.url,
    cleanup: async () => {
      await pglite.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
