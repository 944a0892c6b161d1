// fanout: deliveries/s from the service to `subscribers` graphql-ws clients of the same operation
// (every message goes to every client), messages published as fast as the pipeline takes them;
// rate = deliveries / (last delivery − first publish). fanout_ceiling: the same client process
// and message count against a bare `ws` server (bench/bare-server.ts) that only sends frames.
//
// The two alternate for `rounds` rounds and each keeps its fastest round: other work on a busy
// 2-core machine only ever slows a round down, and alternating exposes both to the same spells.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { ClientProcess, type SocketSpec } from './client-process.js';
import { cpuSecondsOf, MANY_SOCKETS_ENV, progress, publishFleet, startChildService, subscriptionsActive, track } from './lib.js';

const QUERY = 'subscription { logs { id timestamp } }';

interface Target {
  url: string;
  /** The server process, for its CPU time. */
  pid: number;
  /** Resolves when the server has registered the subscriptions (if it can tell). */
  ready: (subscribers: number) => Promise<unknown>;
  /** Sends `n` messages: returns once they are handed over (published / written). */
  send: (n: number) => Promise<unknown>;
}

type Round = Awaited<ReturnType<typeof round>>;

/** Opens the subscribers, waits until one message reaches all of them (every subscription is
 * live), then sends `messages` and counts deliveries until all arrived or they stop coming. */
async function round(clients: ClientProcess, target: Target, subscribers: number, messages: number) {
  const specs: SocketSpec[] = Array.from({ length: subscribers }, () => ({ kind: 'graphql_ws', url: target.url, query: QUERY }));
  const opened = await clients.open(specs);
  await target.ready(opened.opened);
  await clients.measure(Date.now());
  await target.send(1);
  const barrier = await clients.drain(opened.opened, 15_000);
  await new Promise((r) => setTimeout(r, 200)); // the next messages' timestamps are strictly later
  await clients.measure(Date.now());
  const cpu0 = (await clients.report()).cpuSeconds;
  const serverCpu0 = await cpuSecondsOf(target.pid);
  const t0 = Date.now();
  await target.send(messages);
  const { deliveries, lastAt } = await clients.drain(messages * opened.opened, 15_000);
  const seconds = (lastAt - t0) / 1000;
  const cpu = (await clients.report()).cpuSeconds - cpu0;
  const serverCpu = (await cpuSecondsOf(target.pid)) - serverCpu0;
  await clients.closeAll();
  return {
    subscribers: opened.opened,
    failed: opened.failed,
    barrier_complete: barrier.deliveries === opened.opened,
    messages,
    deliveries,
    expected: messages * opened.opened,
    seconds: Number(seconds.toFixed(3)),
    rate: Math.round(deliveries / seconds),
    // Near 1 CPU-second per second, the one client process limits the rate it measures.
    client_cpu_share: Number((cpu / seconds).toFixed(2)),
    // The server's CPU per 1,000 deliveries (the service's includes storing the messages):
    // steadier than the rate when other work shares the machine.
    server_cpu_ms_per_1000_deliveries: Number(((serverCpu * 1e6) / deliveries).toFixed(2)),
  };
}

/** The service as a target: messages published over MQTT (4 QoS 1 publishers, as fast as acknowledged). */
async function serviceTarget(mqttUrl: string) {
  const svc = await startChildService(mqttUrl, MANY_SOCKETS_ENV);
  let seq = 0;
  const target: Target = {
    url: `ws://127.0.0.1:${svc.port}/graphql`,
    pid: svc.pid,
    ready: (n) => subscriptionsActive(svc, n),
    async send(n) {
      if (n > 1) return publishFleet(mqttUrl, svc.prefix, n, 4);
      const pub = await mqtt.connectAsync(mqttUrl, { protocolVersion: 4 });
      await pub.publishAsync(`${svc.prefix}/99/vehicle_log`, JSON.stringify({ seq: seq++, timestamp: Date.now() }), { qos: 1 });
      await pub.endAsync();
    },
  };
  return { target, stop: () => svc.stop() };
}

/** The bare ws server (child process) as a target. */
async function bareTarget() {
  const server = track(fork(fileURLToPath(new URL('./bare-server.ts', import.meta.url)), [], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 2, 2, 'ipc'], // our stdout carries only the JSON
  }));
  const next = () => new Promise<any>((r) => server.once('message', r));
  const { port } = await next();
  const target: Target = {
    url: `ws://127.0.0.1:${port}/graphql`,
    pid: server.pid!,
    ready: async () => {},
    async send(n) {
      const done = next();
      server.send({ cmd: 'send', messages: n });
      await done;
    },
  };
  return { target, stop: async () => void server.kill() };
}

const fastest = (runs: Round[]) => ({ ...runs.reduce((a, b) => (b.rate > a.rate ? b : a)), rounds: runs.map((r) => r.rate) });

export async function benchFanout(mqttUrl: string, messages = 300, subscribers = 1000, rounds = 3) {
  const service = await serviceTarget(mqttUrl);
  const bare = await bareTarget();
  const clients = await ClientProcess.start();
  const runs = { service: [] as Round[], bare: [] as Round[] };
  try {
    for (let i = 1; i <= rounds; i++) {
      progress(`fanout round ${i}/${rounds}: ${subscribers} sockets on a bare ws server, ${messages} messages`);
      runs.bare.push(await round(clients, bare.target, subscribers, messages));
      progress(`fanout round ${i}/${rounds}: ${subscribers} graphql-ws subscribers of the service, ${messages} messages`);
      runs.service.push(await round(clients, service.target, subscribers, messages));
    }
  } finally {
    await clients.stop();
    await bare.stop();
    await service.stop();
  }
  const fanout = fastest(runs.service);
  const ceiling = fastest(runs.bare);
  return {
    fanout,
    fanout_ceiling: ceiling,
    fanout_ratio: Number((fanout.rate / ceiling.rate).toFixed(2)),
    // The same comparison by server CPU per delivery (bare ÷ service): less sensitive to other load.
    fanout_cpu_ratio: Number((ceiling.server_cpu_ms_per_1000_deliveries / fanout.server_cpu_ms_per_1000_deliveries).toFixed(2)),
  };
}
