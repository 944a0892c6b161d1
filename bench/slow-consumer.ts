// slow consumers: what a client that stops reading costs the service (its RSS, a child process
// here) and the clients that go on reading (their delay, receipt by the service → arrival).
// test/integration/slow-consumer.test.ts asserts the behaviour (the cut, the error, nothing
// lost for the others); the figures are measured here, where a time or memory limit belongs.
// - legacy: one /api/ws socket paused, one reading; `legacyLines` lines of 200 KB, one at a time;
// - graphql-ws: one subscriber paused (just after a keep-alive ping: graphql-ws drops a socket
//   that leaves a ping unanswered for 12 s), one reading; `graphqlEvents` lines of 2 KB.
import mqtt, { type MqttClient } from 'mqtt';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { percentiles } from './client-process.js';
import { progress, rssOf, startChildService, subscriptionsActive, type BenchService } from './lib.js';
import { openFeed, subscribe } from '../test/utils/clients.js';
import { LogsSubscription } from '../client/operations.js';

const MiB = 2 ** 20;
const mb = (bytes: number) => Number((bytes / MiB).toFixed(1));

/** Peak VmRSS of a process, sampled every 20 ms while `work` runs. */
async function rssDuring(pid: number, work: () => Promise<void>): Promise<{ before_mb: number; peak_mb: number; growth_mb: number }> {
  const before = await rssOf(pid);
  let peak = before;
  const timer = setInterval(() => void rssOf(pid).then((r) => (peak = Math.max(peak, r)), () => {}), 20);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, await rssOf(pid));
  return { before_mb: mb(before), peak_mb: mb(peak), growth_mb: mb(peak - before) };
}

/** Publishes at QoS 1, `inFlight` at a time and never more than `window` ahead of `delivered(n)`. */
async function publishPaced(pub: MqttClient, topic: string, payloads: string[], delivered: (n: number) => Promise<unknown>, inFlight: number, window: number) {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < payloads.length; i = next++) {
      if (i >= window) await delivered(i - window + 1);
      await pub.publishAsync(topic, payloads[i]!, { qos: 1 });
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, payloads.length) }, worker));
}

/** Delays of log frames or results (ms from the service's receipt to arrival here), as a histogram. */
function delayHistogram() {
  const bins = new Map<number, number>();
  return {
    add: (receivedAt: string) => {
      const ms = Math.max(0, Date.now() - Date.parse(receivedAt));
      bins.set(ms, (bins.get(ms) ?? 0) + 1);
    },
    figures: () => percentiles([...bins]),
  };
}

async function legacyPart(svc: BenchService, pub: MqttClient, lines: number) {
  const base = `ws://127.0.0.1:${svc.port}/api/ws`;
  const slow = await openFeed(base);
  slow.socket.pause();
  const normal = await openFeed(base);
  const delays = delayHistogram();
  normal.socket.on('message', (data) => {
    const frame = JSON.parse(data.toString());
    if (frame.id !== undefined) delays.add(frame.timestamp); // a raw_log is timed at its receipt
  });
  const filler = 'x'.repeat(200_000);
  const payloads = Array.from({ length: lines }, (_, i) => `slow-consumer line ${i} ${filler}`);
  const before = await svc.stats();
  const rss = await rssDuring(svc.pid, () =>
    publishPaced(pub, `${svc.prefix}/11/raw_log`, payloads, (n) => normal.logs(n, 60_000), 1, 1).then(() => normal.logs(lines, 60_000)).then(() => {}),
  );
  const after = await svc.stats();
  slow.socket.resume();
  const { code } = await slow.closed;
  normal.close();
  return {
    lines,
    bytes: lines * 200_000,
    service_rss: rss,
    slow_socket_cut: after.slow_consumers - before.slow_consumers === 1,
    slow_close_code: code,
    slow_client_got: slow.messages.items.length - 1,
    normal_client: delays.figures(),
  };
}

export async function benchSlowConsumer(mqttUrl: string, o: { legacyLines: number; graphqlEvents: number }) {
  const svc = await startChildService(mqttUrl);
  const pub = await mqtt.connectAsync(mqttUrl, { protocolVersion: 4, clientId: `${svc.prefix}-slow-pub` });
  try {
    progress(`slow consumer: legacy, ${o.legacyLines} lines of 200 KB`);
    const legacy = await legacyPart(svc, pub, o.legacyLines);
    progress(`slow consumer: graphql-ws, ${o.graphqlEvents} events of 2 KB`);
    const graphql = await graphqlPart(svc, pub, o.graphqlEvents);
    return { legacy, graphql_ws: graphql };
  } finally {
    await pub.endAsync(true);
    await svc.stop();
  }
}

/** A graphql-ws client and its socket, once connected. */
function socketClient(url: string) {
  let connected!: (socket: WebSocket) => void;
  const socket = new Promise<WebSocket>((resolve) => (connected = resolve));
  const client = createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, on: { connected: (s) => connected(s as WebSocket) } });
  return { client, socket };
}

async function graphqlPart(svc: BenchService, pub: MqttClient, events: number) {
  const url = `ws://127.0.0.1:${svc.port}/graphql`;
  const slowWs = socketClient(url);
  const fastWs = socketClient(url);
  const slow = subscribe(slowWs.client, LogsSubscription, { vehicleId: 12 });
  const fast = subscribe(fastWs.client, LogsSubscription, { vehicleId: 12 });
  await subscriptionsActive(svc, 2);
  await pub.publishAsync(`${svc.prefix}/12/raw_log`, 'warm-up', { qos: 1 });
  await Promise.all([fast.results.count(1), slow.results.count(1)]);
  const warm = 1;
  const delays = delayHistogram();
  (await fastWs.socket).on('message', (data) => {
    const m = JSON.parse(data.toString());
    if (m.type === 'next' && m.payload.data?.logs) delays.add(m.payload.data.logs.receivedAt);
  });
  const slowSocket = await slowWs.socket;
  await new Promise<void>((resolve) => slowSocket.once('ping', () => (slowSocket.pause(), resolve())));
  const filler = 'y'.repeat(2_000);
  const payloads = Array.from({ length: events }, (_, i) => `gql line ${i} ${filler}`);
  const before = await svc.stats();
  const t0 = performance.now();
  const rss = await rssDuring(svc.pid, () =>
    publishPaced(pub, `${svc.prefix}/12/raw_log`, payloads, (n) => fast.results.count(warm + n, 60_000), 50, 500)
      .then(() => fast.results.count(warm + events, 60_000)).then(() => {}),
  );
  const seconds = (performance.now() - t0) / 1000;
  slowSocket.resume();
  await slow.done;
  const after = await svc.stats();
  await Promise.all([fastWs.client.dispose(), slowWs.client.dispose()]);
  return {
    events,
    seconds: Number(seconds.toFixed(1)),
    service_rss: rss,
    slow_subscription_ended: after.slow_consumers - before.slow_consumers === 1,
    slow_client_got: slow.results.items.length - warm,
    normal_subscriber: delays.figures(),
  };
}
