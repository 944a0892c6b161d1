// `npm run simulate -- --vehicles 5 --rate 10 --duration 60`: publishes realistic SEANO traffic
// (QoS 1) to an MQTT broker. This file is only the CLI and the MQTT plumbing; what the boats
// say comes from the pure generators in ./simulator/.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { createRng, createVessel, nextMessage, stepVessel, topicOf, type LogType, type Rng, type Vessel } from './simulator/vessel.js';
import { maybeChaos } from './simulator/chaos.js';
import { brokerTarget } from './simulator/broker.js';

const USAGE = `Usage: npm run simulate -- [options]

Publishes simulated SEANO vessel telemetry (raw_log, sensor_log, vehicle_log) over MQTT, QoS 1.

Options:
  --vehicles <n>     number of vessels                         (default 3)
  --rate <n>         messages per second per vessel            (default 2)
  --duration <s>     seconds to run, 0 = until Ctrl-C          (default 0)
  --url <url>        broker URL (else $MQTT_URL, else the service's embedded broker
                     on $MQTT_EMBEDDED_PORT)                   (default mqtt://127.0.0.1:1883)
  --prefix <p>       topic prefix (else $MQTT_TOPIC_PREFIX)    (default seano)
  --username <u>     broker username (else $MQTT_USERNAME)
  --password <p>     broker password (else $MQTT_PASSWORD)
  --chaos            replace ~5% of messages with malformed ones (bad JSON, out-of-range
                     latitude, wrong types, bad vehicle id in the topic, rarely >256 KiB)
  --first-id <n>     vehicle id of the first vessel            (default 1)
  --help             show this help
`;

// Publishes not yet acknowledged (PUBACK). Bounded so a slow broker slows us down instead of
// letting mqtt.js queue an unbounded backlog in memory.
const MAX_IN_FLIGHT = 100;

interface Options {
  vehicles: number; rate: number; duration: number; url: string; prefix: string;
  username?: string; password?: string; chaos: boolean; firstId: number;
}

function fail(message: string): never {
  process.stderr.write(`simulate: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function parseOptions(argv: string[]): Options {
  const config = {
    args: argv,
    strict: true,
    options: {
      vehicles: { type: 'string' }, rate: { type: 'string' }, duration: { type: 'string' },
      url: { type: 'string' }, prefix: { type: 'string' }, username: { type: 'string' },
      password: { type: 'string' }, chaos: { type: 'boolean' }, 'first-id': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  } as const;
  const values = (() => {
    try {
      return parseArgs(config).values;
    } catch (err) {
      return fail((err as Error).message);
    }
  })();
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const num = (name: string, raw: string | undefined, def: number, ok: (n: number) => boolean) => {
    const n = raw === undefined ? def : Number(raw);
    if (!Number.isFinite(n) || !ok(n)) fail(`invalid --${name} ${JSON.stringify(raw)}`);
    return n;
  };
  const broker = (() => {
    try {
      return brokerTarget(process.env, values);
    } catch (err) {
      return fail(`${(err as Error).message} (or the flag that sets it)`);
    }
  })();
  return {
    vehicles: num('vehicles', values.vehicles, 3, (n) => Number.isInteger(n) && n >= 1 && n <= 10_000),
    rate: num('rate', values.rate, 2, (n) => n > 0 && n <= 10_000),
    duration: num('duration', values.duration, 0, (n) => n >= 0),
    firstId: num('first-id', values['first-id'], 1, (n) => Number.isInteger(n) && n >= 1 && n <= 2147483647),
    ...broker,
    chaos: values.chaos ?? false,
  };
}

const opts = parseOptions(process.argv.slice(2));
const seed = randomBytes(4).readUInt32LE(0);
const fleet: { vessel: Vessel; rng: Rng }[] = [];
for (let i = 0; i < opts.vehicles; i++) {
  const rng = createRng(seed + i * 7919);
  fleet.push({ vessel: createVessel(opts.firstId + i, rng), rng });
}

const stats = { sent: 0, failed: 0, malformed: 0, lastError: '', byType: { raw_log: 0, sensor_log: 0, vehicle_log: 0 } as Record<LogType, number> };
const startedAt = Date.now();
let stopping = false;

// The embedded broker speaks MQTT 3.1.1 only, hence protocolVersion 4.
const client = mqtt.connect(opts.url, {
  protocolVersion: 4,
  clientId: `seano-sim-${randomBytes(4).toString('hex')}`,
  username: opts.username,
  password: opts.password,
  connectTimeout: 10_000,
  reconnectPeriod: 2_000,
});
client.on('error', (err) => (stats.lastError = err.message));
client.on('offline', () => !stopping && process.stderr.write(`\nsimulate: broker ${opts.url} unreachable, retrying…\n`));

const inFlight = new Set<Promise<void>>();
async function publish(topic: string, payload: string): Promise<void> {
  const p: Promise<void> = client
    .publishAsync(topic, payload, { qos: 1 })
    .then(() => void stats.sent++, (err: Error) => { stats.failed++; stats.lastError = err.message; })
    .finally(() => inFlight.delete(p));
  inFlight.add(p);
  if (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
}

// One tick = one message from every vessel, and 1/rate seconds of simulated time for each.
async function tick(): Promise<void> {
  for (const { vessel, rng } of fleet) {
    stepVessel(vessel, 1 / opts.rate, rng);
    const now = new Date();
    const msg = (opts.chaos ? maybeChaos(vessel, now, rng) : null) ?? nextMessage(vessel, now, rng);
    if (msg.malformed) stats.malformed++;
    stats.byType[msg.type]++;
    await publish(topicOf(opts.prefix, msg), msg.payload);
  }
}

// Progress once a second on one line (\r on a terminal, whole lines when piped to a file).
let lastSent = 0;
const progress = setInterval(() => {
  const elapsed = Math.round((Date.now() - startedAt) / 1000);
  const line = `elapsed ${elapsed}s  sent ${stats.sent}  ${stats.sent - lastSent}/s  failed ${stats.failed}  in-flight ${inFlight.size}`;
  lastSent = stats.sent;
  process.stdout.write(process.stdout.isTTY ? `\r${line}\x1b[K` : `${line}\n`);
}, 1000);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
let onStop = () => {};
const stopped = new Promise<void>((r) => (onStop = r));
function stop(): void {
  if (stopping) process.exit(130); // a second Ctrl-C means "now"
  stopping = true;
  onStop();
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

async function run(): Promise<void> {
  // Wait for the first CONNACK so an unreachable broker is a clear error, not a silent queue.
  const connected = await Promise.race([
    new Promise<boolean>((r) => client.once('connect', () => r(true))),
    sleep(15_000).then(() => false),
    stopped.then(() => false),
  ]);
  if (!connected && !stopping) {
    clearInterval(progress);
    process.stderr.write(`\nsimulate: could not connect to ${opts.url}${stats.lastError ? `: ${stats.lastError}` : ''}\n`);
    await client.endAsync(true);
    process.exit(1);
  }
  const start = Date.now();
  const totalTicks = opts.duration > 0 ? Math.max(1, Math.round(opts.duration * opts.rate)) : Infinity;
  let ticks = 0;
  // Ticks are scheduled against the clock, not by chained timers, so high rates do not drift.
  while (!stopping && ticks < totalTicks) {
    const due = Math.min(totalTicks, Math.floor(((Date.now() - start) / 1000) * opts.rate) + 1);
    while (!stopping && ticks < due) {
      await tick();
      ticks++;
    }
    const nextAt = start + (ticks / opts.rate) * 1000;
    if (ticks < totalTicks) await sleep(Math.max(1, nextAt - Date.now()));
  }
  stopping = true;
  // Let outstanding QoS 1 publishes finish (bounded), then disconnect cleanly.
  await Promise.race([Promise.allSettled([...inFlight]), sleep(5_000)]);
  clearInterval(progress);
  await client.endAsync(!client.connected || inFlight.size > 0);
  const secs = (Date.now() - startedAt) / 1000;
  const { raw_log, sensor_log, vehicle_log } = stats.byType;
  process.stdout.write(
    `${process.stdout.isTTY ? '\n' : ''}Summary: ${stats.sent} messages acknowledged in ${secs.toFixed(1)}s ` +
      `(${(stats.sent / Math.max(secs, 0.001)).toFixed(1)}/s) from ${opts.vehicles} vessel(s) to ${opts.url} prefix "${opts.prefix}"\n` +
      `  vehicle_log ${vehicle_log}  sensor_log ${sensor_log}  raw_log ${raw_log}` +
      `${opts.chaos ? `  malformed ${stats.malformed}` : ''}  failed ${stats.failed}  unacknowledged ${inFlight.size}\n` +
      (stats.lastError ? `  last error: ${stats.lastError}\n` : ''),
  );
  process.exit(0);
}

run().catch((err: unknown) => {
  process.stderr.write(`\nsimulate: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
