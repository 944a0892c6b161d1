// Where the simulator publishes: the service's own settings (src/config.ts), so `npm run
// simulate` next to `npm start` reaches the same broker with the same prefix and credentials —
// MQTT_URL, else the embedded broker on MQTT_EMBEDDED_PORT. Command-line flags win over them.
import { loadBrokerSettings, type Env } from '../../src/config.js';

export interface BrokerFlags {
  url?: string;
  prefix?: string;
  username?: string;
  password?: string;
}

export interface BrokerTarget {
  url: string;
  prefix: string;
  username?: string;
  password?: string;
}

/** The broker to publish to; a bad value throws the service's ConfigError naming the setting. */
export function brokerTarget(env: Env, flags: BrokerFlags): BrokerTarget {
  const given = { MQTT_URL: flags.url, MQTT_TOPIC_PREFIX: flags.prefix, MQTT_USERNAME: flags.username, MQTT_PASSWORD: flags.password };
  const overrides = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  const s = loadBrokerSettings({ ...env, ...overrides });
  return {
    // The embedded broker listens on HOST (all interfaces by default); this machine reaches it on loopback.
    url: s.MQTT_URL ?? `mqtt://127.0.0.1:${s.MQTT_EMBEDDED_PORT}`,
    prefix: s.MQTT_TOPIC_PREFIX,
    username: s.MQTT_USERNAME,
    password: s.MQTT_PASSWORD,
  };
}
