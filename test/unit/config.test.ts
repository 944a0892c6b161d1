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

describe('security and HTTP settings', () => {
  const secret = 'a-secret-of-at-least-thirty-two-bytes!';

  it('has bounded defaults for the HTTP server', () => {
    expect(loadConfig({})).toMatchObject({
      HTTP_MAX_BODY_BYTES: 1024 * 1024, HTTP_HEADERS_TIMEOUT_SECONDS: 10, HTTP_REQUEST_TIMEOUT_SECONDS: 30,
    });
    expect(loadConfig({}).TRUST_PROXY).toBeUndefined();
  });

  it.each([
    [{ AUTH_JWT_SECRET: 'a' }, 'AUTH_JWT_SECRET', /at least 32 bytes/],
    [{ AUTH_JWT_SECRET: ' ' }, 'AUTH_JWT_SECRET', /blank/],
    [{ AUTH_JWT_SECRET: '\t \n' }, 'AUTH_JWT_SECRET', /blank/],
    [{ AUTH_JWT_SECRET: 'é'.repeat(15) }, 'AUTH_JWT_SECRET', /at least 32 bytes/], // 30 bytes in UTF-8
    [{ AUTH_JWT_AUDIENCE: 'seano' }, 'AUTH_JWT_AUDIENCE', /without AUTH_JWT_SECRET/],
    [{ AUTH_JWT_ISSUER: 'ops' }, 'AUTH_JWT_ISSUER', /without AUTH_JWT_SECRET/],
    [{ AUTH_JWT_SECRET: secret, AUTH_JWT_ISSUER: 'x'.repeat(513) }, 'AUTH_JWT_ISSUER', /512/],
    [{ TRUST_PROXY: '0' }, 'TRUST_PROXY', /1\.\.10/],
    [{ TRUST_PROXY: '11' }, 'TRUST_PROXY', /1\.\.10/],
    [{ TRUST_PROXY: '10.0.0.0/33' }, 'TRUST_PROXY', /invalid range/],
    [{ TRUST_PROXY: 'proxy.example' }, 'TRUST_PROXY', /invalid IP address/],
    [{ HTTP_MAX_BODY_BYTES: '100' }, 'HTTP_MAX_BODY_BYTES', /1024/],
    [{ HTTP_MAX_BODY_BYTES: String(65 * 1024 * 1024) }, 'HTTP_MAX_BODY_BYTES', /./],
    [{ HTTP_HEADERS_TIMEOUT_SECONDS: '0' }, 'HTTP_HEADERS_TIMEOUT_SECONDS', /./],
    [{ HTTP_HEADERS_TIMEOUT_SECONDS: '301' }, 'HTTP_HEADERS_TIMEOUT_SECONDS', /./],
    [{ HTTP_REQUEST_TIMEOUT_SECONDS: '3601' }, 'HTTP_REQUEST_TIMEOUT_SECONDS', /./],
    [{ HTTP_HEADERS_TIMEOUT_SECONDS: '20', HTTP_REQUEST_TIMEOUT_SECONDS: '10' }, 'HTTP_REQUEST_TIMEOUT_SECONDS', /HTTP_HEADERS_TIMEOUT_SECONDS/],
  ])('refuses %j in one line naming it', (env, name, why) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^Invalid setting ${name}=`));
    expect(() => loadConfig(env)).toThrow(why);
  });

  it('takes an empty secret as unset (compose passes unset variables so), auth off', () => {
    expect(loadConfig({ AUTH_JWT_SECRET: '' }).AUTH_JWT_SECRET).toBeUndefined();
  });

  it('never prints the secret it refuses', () => {
    expect(() => loadConfig({ AUTH_JWT_SECRET: 'short-secret' })).toThrow(/^Invalid setting AUTH_JWT_SECRET=\(hidden\)/);
  });

  it('accepts a long secret with an audience and an issuer', () => {
    const c = loadConfig({ AUTH_JWT_SECRET: secret, AUTH_JWT_AUDIENCE: ' seano ', AUTH_JWT_ISSUER: 'ops-console' });
    expect(c).toMatchObject({ AUTH_JWT_SECRET: secret, AUTH_JWT_AUDIENCE: 'seano', AUTH_JWT_ISSUER: 'ops-console' });
  });

  it('reads TRUST_PROXY as a hop count or a list of addresses', () => {
    expect(loadConfig({ TRUST_PROXY: '1' }).TRUST_PROXY).toEqual({ hops: 1 });
    expect(loadConfig({ TRUST_PROXY: ' 10.0.0.0/8, loopback,::1 ' }).TRUST_PROXY).toEqual({ addresses: ['10.0.0.0/8', 'loopback', '::1'] });
    expect(loadConfig({ TRUST_PROXY: '' }).TRUST_PROXY).toBeUndefined();
  });
});
