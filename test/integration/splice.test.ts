// Members of one grouped graphql-ws subscription get frames spliced from one serialisation
// (src/graphql/splice.ts): on the wire each is the graphql-ws `next` frame of its own
// subscription id, two subscriptions on one socket included, and a completed one gets no more.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { MqttClient } from 'mqtt';
import { MessageType, stringifyMessage } from 'graphql-ws';
import { backends } from '../utils/backends.js';
import { startService, type TestService } from '../utils/service.js';
import { Collector } from '../utils/clients.js';
import { leave, disposeLeftovers } from '../utils/leftovers.js';
import { untilServer } from '../utils/wait.js';

const QUERY = 'subscription { logs(vehicleId: 7) { id vehicleId ... on RawLog { message } } }';

/** A raw graphql-transport-ws socket: every text frame after the ack, as sent. */
async function rawSocket(url: string): Promise<{ ws: WebSocket; frames: Collector<string> }> {
  const ws = new WebSocket(url, 'graphql-transport-ws');
  leave(() => ws.terminate());
  const frames = new Collector<string>();
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: {} })));
    ws.on('message', (data, isBinary) => {
      const text = data.toString();
      if (isBinary) frames.push(`binary: ${text}`);
      else if (text.includes('"connection_ack"')) resolve();
      else frames.push(text);
    });
  });
  return { ws, frames };
}

const subscribeMessage = (id: string) => JSON.stringify({ id, type: 'subscribe', payload: { query: QUERY } });

describe.each(backends)('spliced graphql-ws frames on $name', (backend) => {
  let svc: TestService;
  let vessel: MqttClient;

  beforeAll(async () => {
    svc = await startService(backend);
    vessel = await svc.publisher();
  });
  afterAll(disposeLeftovers);

  it("sends each member its own subscription's next frame, byte for byte graphql-ws's", async () => {
    const a = await rawSocket(`${svc.wsUrl}/graphql`);
    const b = await rawSocket(`${svc.wsUrl}/graphql`);
    const ids = { a: ['1', 'quote " and ü'], b: ['1'] };
    for (const id of ids.a) a.ws.send(subscribeMessage(id));
    for (const id of ids.b) b.ws.send(subscribeMessage(id));
    await untilServer(svc, (s) => s.activeSubscriptions === 3, 'three subscriptions');

    await svc.publish(vessel, 7, 'raw_log', 'spliced "once"');
    const got = { a: await a.frames.count(2), b: await b.frames.count(1) };
    const parsed = [...got.a, ...got.b].map((f) => JSON.parse(f));
    expect(parsed.map((m) => m.id).sort()).toEqual([...ids.a, ...ids.b].sort());
    for (const [i, m] of parsed.entries()) {
      expect(m.payload).toEqual({ data: { logs: { id: expect.any(String), vehicleId: 7, message: 'spliced "once"' } } });
      expect([...got.a, ...got.b][i]).toBe(stringifyMessage({ id: m.id, type: MessageType.Next, payload: m.payload }));
    }

    // A subscription the client completes gets nothing more; the others on its socket do.
    a.ws.send(JSON.stringify({ id: '1', type: 'complete' }));
    await untilServer(svc, (s) => s.activeSubscriptions === 2, 'the completed one to end');
    await svc.publish(vessel, 7, 'raw_log', 'second');
    await b.frames.count(2);
    const rest = (await a.frames.count(3)).slice(2).map((f) => JSON.parse(f));
    expect(rest.map((m) => [m.id, m.payload.data.logs.message])).toEqual([['quote " and ü', 'second']]);
    a.ws.close();
    b.ws.close();
  });
});
