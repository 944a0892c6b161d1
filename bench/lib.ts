// Bench helpers: the service in a child process (its own event loop, as in production),
// publishers like a fleet of Jetsons, and a scratch database on the machine's PostgreSQL.
import { execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { createScratchDatabase } from '../test/utils/backends.js';
import { spawnService } from '../test/utils/child.js';

export const DB_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface BenchService {
  url: string;
  port: number;
  prefix: string;
  /** The service process, for its RSS (bench/memory.ts). */
  pid: number;
  stats(): Promise<any>;
  stop(): Promise<void>;
}

/** Every child process the bench started and has not stopped, so that a bench cut short by its
 * time budget (bench/run.ts) leaves no service, client or server process behind. */
const children = new Set<ChildProcess>();
const cleanups = new Set<() => Promise<void>>();

export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Kills every tracked child and drops the scratch databases still in use (bounded wait). */
export async function abandon(ms = 3000): Promise<void> {
  for (const c of children) c.kill('SIGKILL');
  await Promise.race([Promise.allSettled([...cleanups].map((f) => f())), new Promise((r) => setTimeout(r, ms))]);
}

/** How the bench runs the service: compiled, as `npm start` does (buildService first), or under tsx. */
export type ServiceRuntime = 'compiled' | 'tsx';
const RUNTIME_ARGS: Record<ServiceRuntime, string[]> = { compiled: ['dist/main.js'], tsx: ['--import', 'tsx', 'src/main.ts'] };

/** Compiles the service into dist/ (`npm run build:server`, incremental): what `npm start` runs. */
export async function buildService(): Promise<void> {
  const root = fileURLToPath(new URL('..', import.meta.url));
  await promisify(execFile)('npm', ['run', '--silent', 'build:server'], { cwd: root });
}

/** The service in its own process, on a scratch database, subscribed to `mqttUrl`. */
export async function startChildService(mqttUrl: string, env: Record<string, string> = {}, runtime: ServiceRuntime = 'compiled'): Promise<BenchService> {
  const db = await createScratchDatabase(DB_URL);
  const tag = randomBytes(4).toString('hex');
  const prefix = `bench-${tag}`;
  const svc = await spawnService({ DATABASE_URL: db.url, MQTT_URL: mqttUrl, MQTT_TOPIC_PREFIX: prefix, MQTT_CLIENT_ID: `bench-${tag}`, ...env }, RUNTIME_ARGS[runtime]);
  track(svc.child);
  cleanups.add(db.drop);
  return {
    url: svc.url,
    port: svc.port,
    prefix,
    pid: svc.child.pid!,
    stats: svc.stats,
    async stop() {
      svc.child.kill('SIGTERM');
      await svc.exited;
      cleanups.delete(db.drop);
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

/** The service's socket limits raised: the bench opens thousands of sockets from one address. */
export const MANY_SOCKETS_ENV = { WS_MAX_CONNECTIONS: '100000', WS_MAX_CONNECTIONS_PER_IP: '100000' };

/** Waits until the service counts `n` active subscriptions (subscribe is asynchronous on the server). */
export async function subscriptionsActive(svc: BenchService, n: number, ms = 30_000): Promise<number> {
  const s = await until(svc.stats, (s) => s.active_subscriptions >= n, ms).catch(() => svc.stats());
  return s.active_subscriptions;
}

/** VmRSS of a process in bytes. */
export async function rssOf(pid: number): Promise<number> {
  const m = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

/** CPU time (user + system, seconds) a process has used: /proc/<pid>/stat, in 1/100 s ticks
 * (CLK_TCK is 100 on Linux). Unlike a rate, it hardly changes when other work shares the CPUs. */
export async function cpuSecondsOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
  return (Number(f[11]) + Number(f[12])) / 100; // fields 14 utime, 15 stime
}

/** Progress goes to stderr: stdout carries only the bench's JSON. */
export const progress = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

export async function until<T>(f: () => Promise<T>, pred: (v: T) => boolean, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (pred(v)) return v;
    if (Date.now() > deadline) throw new Error(`bench condition not met: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The service's hop histograms from /metrics (src/metrics.ts): per hop its count, mean and the
 * bucket bound its p99 falls under, in ms — where a message's time goes, by hop. */
export async function hopsOf(svc: { url: string }): Promise<Record<string, { count: number; mean_ms: number; p99_under_ms: number }>> {
  const text = await (await fetch(`${svc.url}/metrics`)).text();
  const hops: Record<string, { buckets: [number, number][]; sum: number; count: number }> = {};
  const series = /^seano_(ingest_hop|socket_write)_seconds_(bucket|sum|count)\{([^}]*)\} (\S+)$/gm;
  for (const [, family, kind, labels, value] of text.matchAll(series)) {
    const label = /(?:hop|surface)="(\w+)"/.exec(labels!)?.[1];
    const le = /le="([^"]+)"/.exec(labels!)?.[1];
    const h = (hops[`${family === 'ingest_hop' ? '' : 'socket_write_'}${label}`] ??= { buckets: [], sum: 0, count: 0 });
    if (kind === 'bucket') h.buckets.push([le === '+Inf' ? Infinity : Number(le), Number(value)]);
    else h[kind as 'sum' | 'count'] = Number(value);
  }
  return Object.fromEntries(Object.entries(hops).map(([name, h]) => {
    const p99 = h.buckets.find(([, n]) => n >= 0.99 * h.count)?.[0] ?? NaN;
    return [name, { count: h.count, mean_ms: Number(((h.sum / Math.max(1, h.count)) * 1000).toFixed(2)), p99_under_ms: p99 * 1000 }];
  }));
}
