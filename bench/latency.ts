// latency: publish → receipt at a steady publish rate, with graphql-ws and legacy clients
// connected to the service (a child process). Clients live in bench/clients.ts (another
// process); the publisher here stamps each payload with `timestamp: Date.now()` and each client
// subtracts it from its own Date.now() on receipt (same machine, same clock).
//
// By default each client follows one vessel (`logs(vehicleId:)`, `/api/ws/vehicle/{id}`), as an
// operator's page does, with the rate spread over `vehicles` vessels. `vehicles: 0` makes every
// client follow every vessel: rate × clients deliveries/s (1,000,000/s at the defaults), more
// than one client process on this 2-core machine can even read, so it measures the bench.
import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { ClientProcess, percentiles, type SocketSpec } from './client-process.js';
import { MANY_SOCKETS_ENV, progress, startChildService, subscriptionsActive } from './lib.js';

export interface LatencyOptions {
  rate: number;
  seconds: number;
  /** Seconds at the same rate before measuring: JIT, pools and the first batches settle. */
  warmup: number;
  graphql: number;
  legacy: number;
  vehicles: number;
}

const DEFAULTS: LatencyOptions = { rate: 1000, seconds: 10, warmup: 2, graphql: 500, legacy: 500, vehicles: 100 };

/** Publishes `rate` msg/s for `seconds`, vehicles round-robin; returns messages per vehicle. */
async function publishPaced(pub: MqttClient, prefix: string, o: LatencyOptions, seconds: number, seq0: number): Promise<Map<number, number>> {
  const total = Math.round(o.rate * seconds);
  const perVehicle = new Map<number, number>();
  const acks: Promise<unknown>[] = [];
  const t0 = performance.now();
  let sent = 0;
  while (sent < total) {
    // Catch up to the schedule, then sleep briefly: a steady rate even if a timer fires late.
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * o.rate));
    for (; sent < due; sent++) {
      const vehicle = (sent % Math.max(1, o.vehicles)) + 1;
      perVehicle.set(vehicle, (perVehicle.get(vehicle) ?? 0) + 1);
      const payload = `{"seq":${seq0 + sent},"speed":3.2,"battery_voltage":12.1,"latitude":-6.1,"longitude":106.8,"timestamp":${Date.now()}}`;
      acks.push(pub.publishAsync(`${prefix}/${vehicle}/vehicle_log`, payload, { qos: 1 }));
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  await Promise.all(acks);
  return perVehicle;
}

export async function benchLatency(mqttUrl: string, options: Partial<LatencyOptions> = {}) {
  const o = { ...DEFAULTS, ...options };
  const svc = await startChildService(mqttUrl, MANY_SOCKETS_ENV);
  const clients = await ClientProcess.start();
  try {
    const base = `ws://127.0.0.1:${svc.port}`;
    const vehicleOf = (i: number) => (o.vehicles ? (i % o.vehicles) + 1 : undefined);
    const specs: SocketSpec[] = [];
    for (let i = 0; i < o.graphql; i++) {
      const v = vehicleOf(i);
      specs.push({ kind: 'graphql_ws', url: `${base}/graphql`, query: `subscription { logs${v ? `(vehicleId: ${v})` : ''} { id timestamp } }` });
    }
    for (let i = 0; i < o.legacy; i++) {
      const v = vehicleOf(i);
      specs.push({ kind: 'legacy', url: v ? `${base}/api/ws/vehicle/${v}` : `${base}/api/ws` });
    }
    progress(`latency: opening ${specs.length} sockets`);
    const opened = await clients.open(specs);
    const subscriptions = await subscriptionsActive(svc, o.graphql);
    // Deliveries expected per message of vehicle v: the clients following v (or all of them).
    const followers = new Map<number | undefined, number>();
    for (let i = 0; i < o.graphql; i++) followers.set(vehicleOf(i), (followers.get(vehicleOf(i)) ?? 0) + 1);
    for (let i = 0; i < o.legacy; i++) followers.set(vehicleOf(i), (followers.get(vehicleOf(i)) ?? 0) + 1);

    const pub = await mqtt.connectAsync(mqttUrl, { protocolVersion: 4, clientId: `bench-lat-${randomBytes(3).toString('hex')}` });
    progress(`latency: ${opened.opened} open, ${subscriptions} subscriptions; ${o.warmup} s warm-up, then ${o.seconds} s at ${o.rate} msg/s`);
    await publishPaced(pub, svc.prefix, o, o.warmup, 0);
    const from = Date.now();
    await clients.measure(from); // only messages stamped from now on count
    const perVehicle = await publishPaced(pub, svc.prefix, o, o.seconds, 1_000_000);
    let expected = 0;
    for (const [v, n] of perVehicle) expected += n * (followers.get(o.vehicles ? v : undefined) ?? 0);
    await clients.drain(expected);
    const report = await clients.report();
    await pub.endAsync();
    const byKind = Object.fromEntries(Object.entries(report.byKind).map(([k, t]) => [k, percentiles(t.histogram)]));
    return {
      rate_msg_s: o.rate,
      seconds: o.seconds,
      follows: o.vehicles ? `one vessel per client, ${o.vehicles} vessels` : 'every vessel',
      clients: { graphql_ws: o.graphql, legacy: o.legacy, opened: opened.opened, failed: opened.failed, errors: opened.errors },
      published: [...perVehicle.values()].reduce((a, b) => a + b, 0),
      expected_deliveries: expected,
      ...percentiles(...Object.values(report.byKind).map((t) => t.histogram)),
      by_surface: byKind,
      closed_by_server: report.closes,
    };
  } finally {
    await clients.stop();
    await svc.stop();
  }
}
