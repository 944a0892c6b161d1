// Bench helpers: the service in a child process (its own event loop, as in production),
// publishers like a fleet of Jetsons, and a scratch database on the machine's PostgreSQL.
import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { createScratchDatabase } from '../test/utils/backends.js';
import { spawnService } from '../test/utils/child.js';

export const DB_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface BenchService {
  url: string;
  port: number;
  prefix: string;
  stats(): Promise<any>;
  stop(): Promise<void>;
}

/** The service in its own process, on a scratch database, subscribed to `mqttUrl`. */
export async function startChildService(mqttUrl: string, env: Record<string, string> = {}): Promise<BenchService> {
  const db = await createScratchDatabase(DB_URL);
  const tag = randomBytes(4).toString('hex');
  const prefix = `bench-${tag}`;
  const svc = await spawnService({ DATABASE_URL: db.url, MQTT_URL: mqttUrl, MQTT_TOPIC_PREFIX: prefix, MQTT_CLIENT_ID: `bench-${tag}`, ...env });
  return {
    url: svc.url,
    port: svc.port,
    prefix,
    stats: svc.stats,
    async stop() {
      svc.child.kill('SIGTERM');
      await svc.exited;
      await db.drop();
    },
  };
}

/** Publishes `total` QoS 1 messages from `publishers` connections, `window` unacknowledged each. */
export async function publishFleet(url: string, prefix: string, total: number, publishers: number, window = 20): Promise<number> {
  const clients: MqttClient[] = await Promise.all(
    Array.from({ length: publishers }, (_, i) => mqtt.connectAsync(url, { protocolVersion: 4, clientId: `bench-pub-${i}-${randomBytes(3).toString('hex')}` })),
  );
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (c, p) => {
      const share = Math.ceil(total / publishers);
      let seq = 0;
      const worker = async () => {
        while (seq < share) {
          const n = seq++;
          const payload = JSON.stringify({ seq: n, battery_voltage: 12.1, speed: 3.2, latitude: -6.1, longitude: 106.8, timestamp: new Date().toISOString() });
          await c.publishAsync(`${prefix}/${p + 1}/vehicle_log`, payload, { qos: 1 });
        }
      };
      await Promise.all(Array.from({ length: window }, worker));
    }),
  );
  const elapsed = performance.now() - t0;
  await Promise.all(clients.map((c) => c.endAsync()));
  return elapsed;
}

export async function until<T>(f: () => Promise<T>, pred: (v: T) => boolean, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (pred(v)) return v;
    if (Date.now() > deadline) throw new Error(`bench condition not met: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
