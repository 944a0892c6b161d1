// latency and capacity: publish → receipt with 1,000 clients (500 graphql-ws + 500 legacy, in
// another process: bench/clients.ts), on two paths measured in the same run — the service (child
// process, compiled) and the bare path (bench/bare-relay.mjs: an MQTT subscriber relaying to
// WebSockets, nothing else). The publisher stamps each payload with `timestamp: Date.now()` and
// each client subtracts it from its own Date.now() on receipt (same machine, same clock).
//
// Per path: the percentiles at `rate` msg/s (1,000 by default) with the server's CPU per 1,000
// deliveries, then its capacity: the highest publish rate at which p99 stays under 50 ms with
// every delivery made — rates doubled from 125 until one fails (twice in a row), then halved
// twice between the last that passed and the first that failed.
//
// Each client follows one vessel (`logs(vehicleId:)`, `/api/ws/vehicle/{id}`), as an operator's
// page does, with the rate spread over `vehicles` vessels.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import { ClientProcess, percentiles, type SocketSpec } from './client-process.js';
import { cpuSecondsOf, hopsOf, MANY_SOCKETS_ENV, progress, startChildService, subscriptionsActive, track, until } from './lib.js';

export interface LatencyOptions {
  rate: number;
  seconds: number;
  /** Seconds at the same rate before measuring: JIT, pools and the first batches settle. */
  warmup: number;
  graphql: number;
  legacy: number;
  vehicles: number;
  /** Capacity search: seconds measured per rate tried, the first rate, the highest, p99 bound. */
  capacitySeconds: number;
  capacityFrom: number;
  capacityMax: number;
  p99BoundMs: number;
}

const DEFAULTS: LatencyOptions = {
  rate: 1000, seconds: 10, warmup: 2, graphql: 500, legacy: 500, vehicles: 100,
  capacitySeconds: 3, capacityFrom: 125, capacityMax: 8000, p99BoundMs: 50,
};

/** A path under test: where clients connect, the process doing the work, the topics it reads. */
interface Path {
  base: string;
  pid: number;
  prefix: string;
  /** Resolves once `n` graphql-ws subscriptions are registered. */
  ready(n: number): Promise<unknown>;
  /** The service's hop histograms so far (none for the bare path). */
  hops?(): Promise<unknown>;
  stop(): Promise<void>;
}

async function servicePath(mqttUrl: string): Promise<Path> {
  const svc = await startChildService(mqttUrl, MANY_SOCKETS_ENV);
  return { base: `ws://127.0.0.1:${svc.port}`, pid: svc.pid, prefix: svc.prefix, ready: (n) => subscriptionsActive(svc, n), hops: () => hopsOf(svc), stop: () => svc.stop() };
}

export async function bareRelayPath(mqttUrl: string): Promise<Path> {
  const prefix = `bare-${randomBytes(4).toString('hex')}`;
  const relay = track(fork(fileURLToPath(new URL('./bare-relay.mjs', import.meta.url)), [mqttUrl, prefix], { stdio: ['ignore', 2, 2, 'ipc'] }));
  const next = () => new Promise<any>((r) => relay.once('message', r));
  const { port } = await next();
  const subscriptions = async () => {
    const reply = next();
    relay.send({ cmd: 'subscriptions' });
    return (await reply).subscriptions as number;
  };
  return {
    base: `ws://127.0.0.1:${port}`, pid: relay.pid!, prefix,
    ready: (n) => until(subscriptions, (s) => s >= n, 30_000),
    stop: async () => void relay.kill(),
  };
}

/** Publishes `rate` msg/s for `seconds`, vehicles round-robin; returns messages per vehicle. */
async function publishPaced(pub: MqttClient, prefix: string, vehicles: number, rate: number, seconds: number, seq0: number): Promise<Map<number, number>> {
  const total = Math.round(rate * seconds);
  const perVehicle = new Map<number, number>();
  const acks: Promise<unknown>[] = [];
  const t0 = performance.now();
  let sent = 0;
  while (sent < total) {
    // Catch up to the schedule, then sleep briefly: a steady rate even if a timer fires late.
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
    for (; sent < due; sent++) {
      const vehicle = (sent % vehicles) + 1;
      perVehicle.set(vehicle, (perVehicle.get(vehicle) ?? 0) + 1);
      const payload = `{"seq":${seq0 + sent},"speed":3.2,"battery_voltage":12.1,"latitude":-6.1,"longitude":106.8,"timestamp":${Date.now()}}`;
      acks.push(pub.publishAsync(`${prefix}/${vehicle}/vehicle_log`, payload, { qos: 1 }));
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  await Promise.all(acks);
  return perVehicle;
}

/** A path with its clients open and a publisher: runs a rate and reports what the clients saw. */
class Session {
  private seq = 0;
  constructor(
    private readonly path: Path,
    private readonly clients: ClientProcess,
    private readonly pub: MqttClient,
    private readonly o: LatencyOptions,
  ) {}

  async run(rate: number, seconds: number, warmup: number) {
    const { o, path } = this;
    await publishPaced(this.pub, path.prefix, o.vehicles, rate, warmup, (this.seq += 1_000_000));
    await this.clients.measure(Date.now()); // only messages stamped from now on count
    const cpu0 = await cpuSecondsOf(path.pid);
    const perVehicle = await publishPaced(this.pub, path.prefix, o.vehicles, rate, seconds, (this.seq += 1_000_000));
    // Each vessel is followed by the clients i with i % vehicles = vessel - 1.
    const followers = (o.graphql + o.legacy) / o.vehicles;
    const expected = [...perVehicle.values()].reduce((a, b) => a + b, 0) * followers;
    await this.clients.drain(expected, 5_000);
    const cpu = (await cpuSecondsOf(path.pid)) - cpu0;
    const report = await this.clients.report();
    const all = percentiles(...Object.values(report.byKind).map((t) => t.histogram));
    return {
      rate_msg_s: rate,
      expected_deliveries: expected,
      ...all,
      complete: all.deliveries >= expected,
      server_cpu_ms_per_1000_deliveries: Number(((cpu * 1e6) / Math.max(1, all.deliveries)).toFixed(1)),
      by_surface: Object.fromEntries(Object.entries(report.byKind).map(([k, t]) => [k, percentiles(t.histogram)])),
      closed_by_server: report.closes,
    };
  }

  /** The highest rate with p99 under the bound and every delivery made (see the file's head). */
  async capacity() {
    const { o } = this;
    const steps: { rate: number; p99_ms: number; complete: boolean }[] = [];
    const once = async (rate: number) => {
      const r = await this.run(rate, o.capacitySeconds, 1);
      steps.push({ rate, p99_ms: r.p99_ms, complete: r.complete });
      progress(`  capacity: ${rate} msg/s → p99 ${r.p99_ms} ms${r.complete ? '' : ', deliveries missing'}`);
      return r.complete && r.p99_ms < o.p99BoundMs;
    };
    // A rate fails only when it fails twice: other work on a busy machine only ever slows a run.
    const passes = async (rate: number) => (await once(rate)) || (await once(rate));
    let [pass, fail] = [0, Infinity];
    for (let rate = o.capacityFrom; rate <= o.capacityMax; rate *= 2) {
      if (!(await passes(rate))) {
        fail = rate;
        break;
      }
      pass = rate;
    }
    for (let i = 0; i < 2 && Number.isFinite(fail); i++) {
      const mid = Math.round((pass + fail) / 2 / 25) * 25;
      if (mid <= pass || mid >= fail) break;
      if (await passes(mid)) pass = mid;
      else fail = mid;
    }
    return { msg_s: pass, below: Number.isFinite(fail) ? fail : null, reached_max_tried: !Number.isFinite(fail), steps };
  }
}

async function measurePath(name: string, path: Path, mqttUrl: string, o: LatencyOptions) {
  const clients = await ClientProcess.start();
  const pub = await mqtt.connectAsync(mqttUrl, { protocolVersion: 4, clientId: `bench-lat-${randomBytes(3).toString('hex')}` });
  try {
    const specs: SocketSpec[] = [];
    for (let i = 0; i < o.graphql; i++) specs.push({ kind: 'graphql_ws', url: `${path.base}/graphql`, query: `subscription { logs(vehicleId: ${(i % o.vehicles) + 1}) { id timestamp } }` });
    for (let i = 0; i < o.legacy; i++) specs.push({ kind: 'legacy', url: `${path.base}/api/ws/vehicle/${(i % o.vehicles) + 1}` });
    progress(`latency (${name}): opening ${specs.length} sockets`);
    const opened = await clients.open(specs);
    await path.ready(o.graphql);
    const session = new Session(path, clients, pub, o);
    progress(`latency (${name}): ${opened.opened} open; ${o.warmup} s warm-up, then ${o.seconds} s at ${o.rate} msg/s`);
    const at = await session.run(o.rate, o.seconds, o.warmup);
    const hops = await path.hops?.(); // warm-up and the run at `rate`
    progress(`latency (${name}): capacity, p99 < ${o.p99BoundMs} ms`);
    const capacity = await session.capacity();
    return { clients: { graphql_ws: o.graphql, legacy: o.legacy, ...opened }, at_rate: { ...at, ...(hops ? { hops } : {}) }, capacity };
  } finally {
    await pub.endAsync();
    await clients.stop();
  }
}

export async function benchLatency(mqttUrl: string, options: Partial<LatencyOptions> = {}) {
  const o = { ...DEFAULTS, ...options };
  const bare = await bareRelayPath(mqttUrl);
  const baseline = await measurePath('bare relay', bare, mqttUrl, o).finally(() => bare.stop());
  const service = await servicePath(mqttUrl);
  const measured = await measurePath('service', service, mqttUrl, o).finally(() => service.stop());
  const ratio = (a: number, b: number) => (b > 0 ? Number((a / b).toFixed(2)) : null);
  return {
    latency: { follows: `one vessel per client, ${o.vehicles} vessels`, clients: measured.clients, ...measured.at_rate },
    latency_bare: baseline.at_rate,
    // The service's p99 over the bare path's, same rate, same clients (target ≤ 5).
    latency_p99_ratio: ratio(measured.at_rate.p99_ms, baseline.at_rate.p99_ms),
    latency_cpu_ratio: ratio(measured.at_rate.server_cpu_ms_per_1000_deliveries, baseline.at_rate.server_cpu_ms_per_1000_deliveries),
    capacity: { service: measured.capacity, bare: baseline.capacity, ratio: ratio(measured.capacity.msg_s, baseline.capacity.msg_s) },
  };
}
