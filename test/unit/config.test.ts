import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      PORT: 8000, HOST: '0.0.0.0', DATA_DIR: './data', MQTT_EMBEDDED_PORT: 1883, MQTT_TOPIC_PREFIX: 'seano',
      MQTT_MAX_PAYLOAD: 262144, LOG_LEVEL: 'info',
    });
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.MQTT_URL).toBeUndefined();
    expect(c.AUTH_JWT_SECRET).toBeUndefined();
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ MQTT_URL: 'http://broker' }, 'MQTT_URL'],
    [{ MQTT_TOPIC_PREFIX: 'a/+/b' }, 'MQTT_TOPIC_PREFIX'],
    [{ MQTT_MAX_PAYLOAD: '-1' }, 'MQTT_MAX_PAYLOAD'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ INGEST_MAX_BATCH: '5000' }, 'INGEST_MAX_BATCH'],
  ])('names the bad setting in one line: %j', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^Invalid setting ${name}=`));
  });

  it('treats empty strings as unset and never prints a secret', () => {
    expect(loadConfig({ DATABASE_URL: '', MQTT_URL: ' ' }).DATABASE_URL).toBeUndefined();
    expect(() => loadConfig({ MQTT_PASSWORD: 'x', MQTT_URL: 'bad' })).not.toThrow(/x"/);
  });
});
