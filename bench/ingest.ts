// ingest: messages/s stored by the service (child process) from QoS 1 publishers through the
// a private Mosquitto configured like docker-compose's, with a legacy subscriber attached; ingest_ceiling: the same publishers
// into a bare QoS 1 subscriber with no database.
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import WebSocket from 'ws';
import { hopsOf, publishFleet, startChildService, until } from './lib.js';

export async function benchIngest(mqttUrl: string, total = 20_000, publishers = 4) {
  const svc = await startChildService(mqttUrl);
  const ws = new WebSocket(`ws://127.0.0.1:${svc.port}/api/ws`);
  let delivered = 0;
  ws.on('message', () => delivered++);
  await new Promise((r) => ws.once('open', r));
  const t0 = performance.now();
  await publishFleet(mqttUrl, svc.prefix, total, publishers);
  await until(svc.stats, (s) => s.messages_stored >= total);
  const seconds = (performance.now() - t0) / 1000;
  const stats = await svc.stats();
  const hops = await hopsOf(svc);
  ws.close();
  await svc.stop();
  return { messages: total, stored: stats.messages_stored, seconds, rate: Math.round(total / seconds), delivered_to_subscriber: delivered - 1, hops };
}

export async function benchIngestCeiling(mqttUrl: string, total = 20_000, publishers = 4) {
  const prefix = `ceiling-${randomBytes(4).toString('hex')}`;
  const sub = await mqtt.connectAsync(mqttUrl, { protocolVersion: 4, clientId: `${prefix}-sub`, clean: true });
  let received = 0;
  sub.on('message', () => received++);
  await sub.subscribeAsync(`${prefix}/+/vehicle_log`, { qos: 1 });
  const t0 = performance.now();
  await publishFleet(mqttUrl, prefix, total, publishers);
  await until(async () => received, (n) => n >= total);
  const seconds = (performance.now() - t0) / 1000;
  await sub.endAsync();
  return { messages: total, seconds, rate: Math.round(total / seconds) };
}
