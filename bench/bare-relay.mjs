// The bare path, the ceiling of the service's latency and capacity: one QoS 1 MQTT subscriber
// that relays each message to the WebSockets following its vessel — a legacy-shaped frame to
// `/api/ws/vehicle/{id}`, a graphql-ws `next` frame to a subscription naming `vehicleId: {id}` —
// each frame made once per message. No validation, database, pubsub or GraphQL. Plain JavaScript
// run by node itself (no compiler in memory), so its RSS after start is that of "a bare mqtt + ws
// process", beside the compiled service's. Driven over IPC by bench/latency.ts.
// Usage: node bench/bare-relay.mjs <mqtt url> <topic prefix>
import mqtt from 'mqtt';
import { WebSocketServer } from 'ws';

const [url, prefix] = process.argv.slice(2);
/** vessel id → the sockets following it, each `{ ws, graphql }` */
const followers = new Map();

function follow(vehicle, ws, graphql) {
  const entry = { ws, graphql };
  if (!followers.has(vehicle)) followers.set(vehicle, new Set());
  followers.get(vehicle).add(entry);
  ws.on('close', () => followers.get(vehicle).delete(entry));
}

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
const listening = new Promise((resolve) => wss.once('listening', resolve));
wss.on('connection', (ws, req) => {
  const legacy = /^\/api\/ws\/vehicle\/(\d+)/.exec(req.url ?? '');
  if (legacy) {
    follow(Number(legacy[1]), ws, false);
    ws.send('{"type":"connection","message":"connected"}');
    return;
  }
  ws.on('message', (data) => {
    const text = data.toString();
    if (text.includes('"connection_init"')) return ws.send('{"type":"connection_ack"}');
    const vehicle = /"subscribe"[\s\S]*vehicleId: *(\d+)/.exec(text);
    if (vehicle) follow(Number(vehicle[1]), ws, true);
  });
});

const client = await mqtt.connectAsync(url, { protocolVersion: 4, clean: true, clientId: `bare-relay-${process.pid}` });
let id = 0;
client.on('message', (topic, payload) => {
  const sockets = followers.get(Number(topic.split('/')[1]));
  if (!sockets?.size) return;
  id++;
  let legacyFrame;
  let nextFrame;
  for (const { ws, graphql } of sockets) {
    if (graphql) {
      nextFrame ??= Buffer.from(`{"id":"1","type":"next","payload":{"data":{"logs":{"id":"${id}","timestamp":${JSON.parse(payload).timestamp}}}}}`);
      ws.send(nextFrame, { binary: false });
    } else {
      legacyFrame ??= Buffer.concat([Buffer.from('{"type":"vehicle_log","data":'), payload, Buffer.from('}')]);
      ws.send(legacyFrame, { binary: false });
    }
  }
});
await client.subscribeAsync(`${prefix}/+/vehicle_log`, { qos: 1 });
await listening;

/** Answers `{ cmd: 'subscriptions' }` with the graphql-ws subscriptions registered so far. */
process.on('message', () => {
  let n = 0;
  for (const set of followers.values()) for (const e of set) if (e.graphql) n++;
  process.send({ subscriptions: n });
});
process.send({ port: wss.address().port });
process.on('disconnect', () => process.exit(0)); // the bench ended: do not outlive it
