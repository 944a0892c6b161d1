// docker-compose.yml and the files it mounts: the wiring a user relies on after `docker compose up`.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config.js';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

type Service = {
  build?: unknown;
  image?: string;
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | number | { target?: number; published?: string | number })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[] };
  volumes?: (string | { source?: string; target?: string })[];
  profiles?: string[];
};

const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8')) as {
  services: Record<string, Service>;
};
const services = compose.services;
const service = services.service!;

/** `${NAME:-default}` / `${NAME-default}` / `${NAME}` as compose resolves them with NAME unset. */
function interpolate(value: string): string {
  return value.replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_, _name: string, fallback?: string) => fallback ?? '');
}

function environment(s: Service): Record<string, string> {
  const env = s.environment ?? {};
  const entries = Array.isArray(env)
    ? env.map((line) => {
        const i = line.indexOf('=');
        return i < 0 ? [line, ''] : [line.slice(0, i), line.slice(i + 1)];
      })
    : Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]);
  return Object.fromEntries(entries.map(([k, v]) => [k, interpolate(v!)]));
}

function dependsOn(s: Service): Record<string, string> {
  const d = s.depends_on ?? {};
  if (Array.isArray(d)) return Object.fromEntries(d.map((name) => [name, 'service_started']));
  return Object.fromEntries(Object.entries(d).map(([name, v]) => [name, v?.condition ?? 'service_started']));
}

/** Container ports published on the host. */
function publishedTargets(s: Service): number[] {
  return (s.ports ?? []).flatMap((p) => {
    if (typeof p === 'object') return p.published !== undefined && p.target !== undefined ? [p.target] : [];
    const parts = String(p).split('/')[0]!.split(':');
    return parts.length >= 2 ? [Number(parts[parts.length - 1])] : [];
  });
}

function mounts(s: Service): { source: string; target: string }[] {
  return (s.volumes ?? []).map((v) => {
    if (typeof v === 'object') return { source: v.source ?? '', target: v.target ?? '' };
    const [source = '', target = ''] = v.split(':');
    return { source, target };
  });
}

/** Directive → values from a Mosquitto/nginx-style "name value" file, comments dropped. */
function mosquittoDirectives(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const [name, ...rest] = line.split(/\s+/);
    out.set(name!, [...(out.get(name!) ?? []), rest.join(' ')]);
  }
  return out;
}

// The settings src/config.ts documents, plus the replicas' shared-subscription group.
const SETTINGS = new Set([
  'PORT', 'HOST', 'DATABASE_URL', 'DATA_DIR', 'MQTT_URL', 'MQTT_EMBEDDED_PORT', 'MQTT_TOPIC_PREFIX',
  'MQTT_USERNAME', 'MQTT_PASSWORD', 'MQTT_CLIENT_ID', 'MQTT_MAX_PAYLOAD', 'AUTH_JWT_SECRET',
  'ALLOWED_ORIGINS', 'REDIS_URL', 'LOG_LEVEL', 'MQTT_SHARED_GROUP', 'TRUST_PROXY',
]);
const builtFromRepo = Object.entries(services).filter(([, s]) => s.build !== undefined);

describe('docker-compose.yml', () => {
  it('points the service at the postgres service with the credentials postgres is created with', () => {
    const url = new URL(environment(service).DATABASE_URL!);
    const pg = environment(services.postgres!);
    expect(url.protocol).toMatch(/^postgres(ql)?:$/);
    expect(url.hostname).toBe('postgres');
    expect(services).toHaveProperty('postgres');
    expect(url.port || '5432').toBe('5432');
    expect(decodeURIComponent(url.username)).toBe(pg.POSTGRES_USER ?? 'postgres');
    expect(decodeURIComponent(url.password)).toBe(pg.POSTGRES_PASSWORD);
    expect(url.pathname.slice(1)).toBe(pg.POSTGRES_DB ?? pg.POSTGRES_USER ?? 'postgres');
  });

  it('points the service at the mosquitto service on the port Mosquitto listens on', () => {
    const url = new URL(environment(service).MQTT_URL!);
    expect(url.protocol).toBe('mqtt:');
    expect(url.hostname).toBe('mosquitto');
    expect(services).toHaveProperty('mosquitto');
    const conf = mosquittoDirectives(read('mosquitto/mosquitto.conf'));
    expect(conf.get('listener')?.map((v) => v.split(' ')[0])).toContain(url.port || '1883');
    // The service sends no MQTT credentials, so the broker must accept anonymous clients.
    expect(environment(service).MQTT_USERNAME).toBeUndefined();
    expect(conf.get('allow_anonymous')).toEqual(['true']);
  });

  it('publishes port 8000 of the service and 1883 of the broker', () => {
    expect(publishedTargets(service)).toContain(8000);
    expect(publishedTargets(services.mosquitto!)).toContain(1883);
  });

  it('gives postgres a healthcheck and starts the service only once it passes', () => {
    expect(services.postgres!.healthcheck?.test).toBeTruthy();
    expect(String(services.postgres!.healthcheck!.test)).toContain('pg_isready');
    expect(dependsOn(service)).toMatchObject({ postgres: 'service_healthy', mosquitto: 'service_started' });
  });

  it('mounts config files that exist, where the containers read them', () => {
    const conf = mounts(services.mosquitto!).find((m) => m.target === '/mosquitto/config/mosquitto.conf');
    expect(conf, 'mosquitto.conf mount').toBeDefined();
    expect(existsSync(fileURLToPath(new URL(conf!.source, root)))).toBe(true);
    expect(mounts(services.mosquitto!).some((m) => m.target.replace(/\/$/, '') === '/mosquitto/data')).toBe(true);
    const nginx = mounts(services.lb!).find((m) => m.target === '/etc/nginx/nginx.conf');
    expect(nginx, 'nginx.conf mount').toBeDefined();
    expect(existsSync(fileURLToPath(new URL(nginx!.source, root)))).toBe(true);
  });

  it.each(builtFromRepo)('%s: sets only known settings, with values the service accepts', (_name, s) => {
    const env = environment(s);
    for (const name of Object.keys(env)) expect(SETTINGS, `unknown setting ${name}`).toContain(name);
    // Throws a ConfigError naming the variable if a value would stop the service at start-up.
    expect(() => loadConfig(env)).not.toThrow();
  });

  it('service: every variable it sets is read by src/config.ts', () => {
    const env = environment(service);
    const config = loadConfig(env);
    for (const name of Object.keys(env)) expect(Object.keys(config), `${name} is ignored`).toContain(name);
  });

  it('scale profile: replicas have distinct MQTT client ids and sit behind the load balancer', () => {
    const replicas = ['service-a', 'service-b'].map((n) => services[n]!);
    for (const r of replicas) {
      expect(r.profiles).toContain('scale');
      expect(environment(r).REDIS_URL).toMatch(/^redis:\/\/redis:/);
      expect(environment(r).MQTT_SHARED_GROUP).toBeTruthy();
    }
    const ids = [service, ...replicas].map((s) => environment(s).MQTT_CLIENT_ID);
    expect(new Set(ids).size).toBe(ids.length);
    expect(services.redis!.profiles).toContain('scale');
    expect(services.lb!.profiles).toContain('scale');
    expect(Object.keys(dependsOn(services.lb!))).toEqual(expect.arrayContaining(['service-a', 'service-b']));
    const nginx = read('nginx/nginx.conf');
    expect(nginx).toMatch(/server\s+service-a:8000;/);
    expect(nginx).toMatch(/server\s+service-b:8000;/);
    expect(nginx).toMatch(/proxy_set_header\s+Upgrade\s+\$http_upgrade;/);
    expect(nginx).toMatch(/proxy_set_header\s+Connection\s+\$connection_upgrade;/);
    expect(nginx).toMatch(/proxy_read_timeout\s+1h;/);
  });

});

describe('mosquitto/mosquitto.conf', () => {
  it('keeps more than Mosquitto’s default 1000 queued messages for the persistent session', () => {
    const conf = mosquittoDirectives(read('mosquitto/mosquitto.conf'));
    const values = conf.get('max_queued_messages') ?? [];
    expect(values).toHaveLength(1);
    expect(Number(values[0])).toBeGreaterThan(1000);
    expect(conf.get('persistence')).toEqual(['true']);
    expect(conf.get('persistence_location')).toEqual(['/mosquitto/data/']);
  });
});
