// `npm run bench`: one JSON object on stdout, every figure measured in this run on this machine,
// each beside its ceiling from the same run (a bare subscriber, a bare relay, a bare ws server, a
// bare mqtt + ws process) and quoted as a ratio; progress goes to stderr. The service runs
// compiled, as `npm start` runs it (built first), in its own process, as do the clients and the
// ceiling servers. BENCH_PARTS=latency,fanout (comma list) runs only those parts, for development.
// The whole run must fit in BENCH_BUDGET_SECONDS (280): past it, the parts measured so far are
// printed with `incomplete` naming the rest, and every child process is killed.
import { readFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { benchIngest, benchIngestCeiling } from './ingest.js';
import { benchLatency } from './latency.js';
import { benchFanout } from './fanout.js';
import { benchMemory } from './memory.js';
import { benchSlowConsumer } from './slow-consumer.js';
import { benchStartup } from './startup.js';
import { abandon, buildService, progress } from './lib.js';
import { startMosquitto } from '../test/utils/mosquitto.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const total = env('BENCH_MESSAGES', 20_000);
const fanoutMessages = env('BENCH_FANOUT_MESSAGES', 300);
const parts = (process.env.BENCH_PARTS ?? 'startup,ingest,latency,fanout,memory,slow_consumer').split(',');
const started = performance.now();

/** Share of the machine's CPU busy over `ms`, before the bench starts anything: other work
 * (tests, builds) competing for the 2 cores makes every figure below slower and noisier. */
async function cpuBusy(ms = 1000): Promise<number> {
  const sample = async () => {
    const [, ...f] = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.trim().split(/\s+/).map(Number);
    const idle = f[3]! + f[4]!;
    return { idle, all: f.reduce((a, b) => a + b, 0) };
  };
  const a = await sample();
  await new Promise((r) => setTimeout(r, ms));
  const b = await sample();
  return Math.round((100 * (1 - (b.idle - a.idle) / (b.all - a.all))) || 0);
}

const machine = {
  cpus: cpus().length,
  model: cpus()[0]?.model,
  memory_gib: Number((totalmem() / 2 ** 30).toFixed(1)),
  node: process.version,
  // Above ~10 % busy before start, or a load average above ~2, the figures are noisy.
  cpu_busy_before_start_pct: await cpuBusy(),
  load_average_before: loadavg().map((l) => Number(l.toFixed(2))),
};
const out: Record<string, unknown> = {};
const done: string[] = [];

function print(extra: Record<string, unknown> = {}): void {
  const target = (value: unknown, text: string, met: (v: number) => boolean) =>
    typeof value === 'number' && Number.isFinite(value) ? { value, target: text, met: met(value) } : undefined;
  const startup = out.startup as { rss_ratio: number } | undefined;
  const memory = out.memory as { kb_per_socket: number } | undefined;
  type SlowPart = { service_rss: { growth_mb: number } };
  const slow = out.slow_consumer as { legacy: SlowPart; graphql_ws: SlowPart & { normal_subscriber: { max_ms: number } } } | undefined;
  const result = {
    machine: { ...machine, load_average_after: loadavg().map((l) => Number(l.toFixed(2))) },
    ...out,
    targets: {
      ingest_ratio: target(out.ingest_ratio, '>= 0.7', (v) => v >= 0.7),
      latency_p99_ratio: target(out.latency_p99_ratio, '<= 5 (× the bare path\'s p99 at the same rate)', (v) => v <= 5),
      fanout_ratio: target(out.fanout_ratio, '>= 0.8', (v) => v >= 0.8), // issue 13
      rss_after_start_ratio: target(startup?.rss_ratio, '<= 1.8 (× a bare mqtt + ws process)', (v) => v <= 1.8),
      kb_per_idle_socket: target(memory?.kb_per_socket, '<= 30', (v) => v <= 30),
      // The limits test/integration/slow-consumer.test.ts used to assert.
      slow_consumer_rss_growth_mb: target(slow && Math.max(slow.legacy.service_rss.growth_mb, slow.graphql_ws.service_rss.growth_mb), '< 200', (v) => v < 200),
      slow_consumer_others_delay_max_ms: target(slow?.graphql_ws.normal_subscriber.max_ms, '< 5000', (v) => v < 5000),
    },
    bench_seconds: Math.round((performance.now() - started) / 1000),
    ...extra,
  };
  console.log(JSON.stringify(result, null, 2));
}

progress('building the service (npm run build:server)');
await buildService();
const broker = await startMosquitto();
const watchdog = setTimeout(async () => {
  progress('time budget spent: printing what was measured');
  print({ incomplete: parts.filter((p) => !done.includes(p)) });
  await abandon();
  await broker.dispose();
  process.exit(1);
}, env('BENCH_BUDGET_SECONDS', 280) * 1000);

const run: Record<string, () => Promise<void>> = {
  async startup() {
    out.startup = await benchStartup(broker.url);
  },
  async ingest() {
    progress(`ingest: ${total} messages`);
    const ceiling = await benchIngestCeiling(broker.url, total);
    const ingest = await benchIngest(broker.url, total);
    Object.assign(out, { ingest_ceiling: ceiling, ingest, ingest_ratio: Number((ingest.rate / ceiling.rate).toFixed(2)) });
  },
  async latency() {
    Object.assign(out, await benchLatency(broker.url, { rate: env('BENCH_LATENCY_RATE', 1000), vehicles: env('BENCH_LATENCY_VEHICLES', 100) }));
  },
  async fanout() {
    Object.assign(out, await benchFanout(broker.url, fanoutMessages, 1000, env('BENCH_FANOUT_ROUNDS', 3)));
  },
  async memory() {
    out.memory = await benchMemory(broker.url, env('BENCH_MEMORY_SOCKETS', 10_000));
  },
  async slow_consumer() {
    out.slow_consumer = await benchSlowConsumer(broker.url, {
      legacyLines: env('BENCH_SLOW_LEGACY_LINES', 80),
      graphqlEvents: env('BENCH_SLOW_GRAPHQL_EVENTS', 14_000),
    });
  },
};

// A part that fails is reported under `errors` and the others still run: always one JSON object.
const errors: Record<string, string> = {};
for (const part of parts) {
  try {
    if (!run[part]) throw new Error(`unknown bench part (one of ${Object.keys(run).join(', ')})`);
    await run[part]();
  } catch (err) {
    errors[part] = err instanceof Error ? err.message : String(err);
    progress(`${part} failed: ${errors[part]}`);
    await abandon(); // whatever the part left running
  }
  done.push(part);
}
clearTimeout(watchdog);
await broker.dispose();
print(Object.keys(errors).length ? { errors } : {});
process.exit(Object.keys(errors).length ? 1 : 0);
