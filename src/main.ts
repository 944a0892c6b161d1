// Entry: settings → createApp(config).start(); SIGTERM/SIGINT → stop(). Start-up errors end in one line.
import { ConfigError, loadConfig, type Config } from './config.js';
import type { App } from './app.js';
import { createPortCheck, StartupError } from './http/listen.js';
import { createLogger } from './logger.js';
import { LOG_TYPES } from './logs/kinds.js';

const STOP_DEADLINE_MS = 10_000;

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  const logger = createLogger(config.LOG_LEVEL);
  let app: App;
  try {
    // The ports first, before the rest of the service is even loaded (seconds on a small
    // machine): a broker already on 1883 is reported at once. createApp checks them again.
    await createPortCheck(config).start();
    const { createApp } = await import('./app.js');
    app = await createApp(config, logger).start();
  } catch (err) {
    if (err instanceof StartupError) fail(err.message);
    throw err;
  }
  if (!config.AUTH_JWT_SECRET) logger.warn('AUTH_JWT_SECRET is not set: every client sees every vehicle (no auth)');
  console.log(banner(config, app));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    setTimeout(() => {
      logger.error('did not stop within 10 s; exiting');
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
    await app.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

function banner(config: Config, app: App): string {
  const embedded = [!config.DATABASE_URL && `database: embedded PGlite in ${config.DATA_DIR}`, !config.MQTT_URL && `MQTT broker: embedded at ${app.mqttUrl}`].filter(Boolean);
  return [
    `SEANO telemetry listening on ${app.url}`,
    `  dashboard           ${app.url}/`,
    `  GraphQL + GraphiQL  ${app.url}/graphql  (graphql-ws and SSE on the same path)`,
    `  legacy WebSocket    ${app.url.replace('http', 'ws')}/api/ws`,
    `  stats               ${app.url}/api/ws/stats`,
    `  MQTT                ${app.mqttUrl}  topics ${config.MQTT_TOPIC_PREFIX}/{vehicle_id}/{${LOG_TYPES.join('|')}}`,
    ...embedded.map((e) => `  ${e}`),
  ].join('\n');
}

function fail(message: string): never {
  console.error(`seano-telemetry: ${message}`);
  process.exit(1);
}

void main();
