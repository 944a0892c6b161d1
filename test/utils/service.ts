// Starts the whole service on port 0 against a backend and hands out real clients.
import mqtt, { type MqttClient } from 'mqtt';
import { loadConfig, type Env } from '../../src/config.js';
import { createApp, type App } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import type { Backend } from './backends.js';
import { leave } from './leftovers.js';

export interface TestService {
  app: App;
  env: Env;
  prefix: string;
  httpUrl: string;
  wsUrl: string;
  /** A publisher on the service's broker, like a vessel's Jetson. */
  publisher(): Promise<MqttClient>;
  /** Publishes at QoS 1 and waits for the broker's PUBACK. */
  publish(client: MqttClient, vehicleId: number | string, type: string, payload: string | object | Buffer): Promise<void>;
  gql<T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<{ data?: T; errors?: any[] }>;
  /** Stops it before its suite ends (it is a leftover too: test/utils/leftovers.ts). */
  stop(): Promise<void>;
}

export async function startService(backend: Backend, overrides: Env = {}): Promise<TestService> {
  const { env: backendEnv, cleanup } = await backend.prepare();
  const env: Env = { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...backendEnv, ...overrides };
  const clients: MqttClient[] = [];
  const service = createApp(loadConfig(env), createLogger(env.LOG_LEVEL!));
  // Registered before it starts: a start that fails or hangs half-way still stops what it began.
  const stop = leave(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await service.stop();
    await cleanup();
  });
  const app = await service.start();
  const prefix = loadConfig(env).MQTT_TOPIC_PREFIX;
  const httpUrl = `http://127.0.0.1:${app.port}`;
  return {
    app,
    env,
    prefix,
    httpUrl,
    wsUrl: `ws://127.0.0.1:${app.port}`,
    async publisher() {
      const c = await mqtt.connectAsync(app.mqttUrl, {
        protocolVersion: 4,
        username: env.MQTT_USERNAME,
        password: env.MQTT_PASSWORD,
        reconnectPeriod: 0,
      });
      clients.push(c);
      return c;
    },
    async publish(client, vehicleId, type, payload) {
      const body = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
      await client.publishAsync(`${prefix}/${vehicleId}/${type}`, body, { qos: 1 });
    },
    async gql(query, variables, headers = {}) {
      const res = await fetch(`${httpUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as { data?: any; errors?: any[] };
    },
    stop,
  };
}
