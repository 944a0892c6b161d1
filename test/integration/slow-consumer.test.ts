// Slow consumers on real sockets. A client that stops reading (its TCP socket paused, so the
// kernel buffers fill and the server's writes back up) must cost the server a bounded amount of
// memory and must not delay anyone else:
// - legacy /api/ws?on_lag=close: past 4 MiB unsent the socket is closed with 1013 (terminated 1 s later);
// - graphql-ws with onLag: CLOSE: past 10,000 undelivered events the subscription is ended with an error.
// (Both ask for the CLOSE policy: by default a lagging reader is conflated, live-delivery.test.ts.)
// Plus the liveness endpoints. Against the embedded backends and (in CI) the machine's.
// The memory it costs and the delay of the others are figures of `npm run bench` (bench/slow-consumer.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { parse } from 'graphql';
import { LogsSubscription } from '../../client/operations.js';
import { backends } from '../utils/backends.js';
import { startService, type TestService } from '../utils/service.js';
import { openFeed, subscribe } from '../utils/clients.js';
import { disposeLeftovers, leave } from '../utils/leftovers.js';
import { readStats, untilServer } from '../utils/wait.js';

const MiB = 1024 * 1024;

// Legacy burst: 80 raw_log lines of ~200 KB (under MQTT_MAX_PAYLOAD, 256 KiB) ≈ 16 MB, four
// times the 4 MiB a socket may have unsent, plus the ~4 MB the kernel's buffers absorb.
const LEGACY_COUNT = 80;
const LEGACY_LINE = 200_000;
const MAX_BUFFERED_BYTES = 4 * MiB; // src/app.ts

// GraphQL burst: enough events that, after the paused socket's kernel buffers are full, more
// than 10,000 (the subscriber capacity) are left waiting for it.
const GQL_COUNT = 14_000;
const GQL_LINE = 2_000;
const SUBSCRIBER_CAPACITY = 10_000;

/** LogsSubscription's fields that the slow subscriber reads, with the CLOSE lag policy. */
const ClosingLogs = parse('subscription ClosingLogs($vehicleId: Int) { logs(vehicleId: $vehicleId, onLag: CLOSE) { id ... on RawLog { message } } }');

/**
 * Publishes `count` messages at QoS 1 with up to `inFlight` publishes awaiting their PUBACK, and
 * never more than `window` ahead of what `delivered(n)` reports (a normal client's count): the
 * machine's Mosquitto keeps at most 1000 queued messages per session and drops the rest.
 */
async function publishPaced(
  svc: TestService,
  client: MqttClient,
  count: number,
  message: (i: number) => [vehicleId: number, type: string, payload: string],
  delivered: (n: number) => Promise<unknown>,
  { inFlight, window }: { inFlight: number; window: number },
): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      if (i >= window) await delivered(i - window + 1);
      const [vehicleId, type, payload] = message(i);
      await svc.publish(client, vehicleId, type, payload);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, worker));
}

/** A graphql-ws client like graphqlWsClient(), that also hands out its WebSocket. */
function socketClient(url: string): { client: Client; socket: Promise<WebSocket> } {
  let connected!: (socket: WebSocket) => void;
  const socket = new Promise<WebSocket>((resolve) => (connected = resolve));
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    on: { connected: (s) => connected(s as WebSocket) },
  });
  leave(() => client.dispose());
  return { client, socket };
}

describe.each(backends)('slow consumers on $name', (backend) => {
  let svc: TestService;
  let vessel: MqttClient;

  beforeAll(async () => {
    svc = await startService(backend);
    vessel = await svc.publisher();
  });
  afterAll(disposeLeftovers);

  it('closes a legacy socket that stops reading, keeps the others whole, and bounds the memory', { timeout: 120_000 }, async () => {
    const before = await readStats(svc);
    const slow = await openFeed(`${svc.wsUrl}/api/ws?on_lag=close`); // greeted: registered
    slow.socket.pause(); // stops reading the TCP socket (and keeps it paused, unlike _socket.pause())
    const normal = await openFeed(`${svc.wsUrl}/api/ws`);

    const filler = 'x'.repeat(LEGACY_LINE);
    const lines = Array.from({ length: LEGACY_COUNT }, (_, i) => `slow-consumer line ${i} ${filler}`);
    // Lines the server had sent the slow socket when it cut it. One line at a time (window 1),
    // so the cut happens while broadcasting the line the normal client receives next, and the
    // first frame after which the counter shows it is that line: the slow socket got the ones before.
    let sentBeforeCut: number | undefined;
    normal.socket.on('message', () => {
      if (sentBeforeCut === undefined && svc.app.stats().slowConsumers > before.slow_consumers) {
        sentBeforeCut = normal.messages.items.length - 2; // minus the connection frame and this line
      }
    });
    await publishPaced(
      svc,
      vessel,
      LEGACY_COUNT,
      (i) => [11, 'raw_log', lines[i]!],
      (n) => normal.messages.count(n + 1, 30_000),
      { inFlight: 1, window: 1 },
    );
    await normal.messages.count(LEGACY_COUNT + 1, 60_000);

    // The normal client got every line, in id order.
    const frames = normal.messages.items.slice(1);
    expect(frames).toHaveLength(LEGACY_COUNT);
    const ids = frames.map((f) => BigInt(f.id));
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    expect(frames.every((f) => f.type === 'raw_log' && f.vehicle_id === 11)).toBe(true);
    expect(frames.map((f) => f.data).sort()).toEqual([...lines].sort());

    // The slow socket was cut off: counted, and gone from the connections (on the server: the
    // paused client sees it only once it reads again).
    await untilServer(svc, (s) => s.slowConsumers >= before.slow_consumers + 1 && s.legacyConnections === before.legacy_connections + 1, 'the cut');
    const after = await readStats(svc);
    expect(after.legacy_connections).toBe(before.legacy_connections + 1);
    expect(after.slow_consumers).toBe(before.slow_consumers + 1);
    expect(sentBeforeCut).toBeDefined(); // cut during the burst, not after it
    expect(sentBeforeCut!).toBeLessThan(LEGACY_COUNT);

    // Once it reads again it finds what the kernel still held, a prefix of the stream, then the
    // end: the 1013 close frame was queued behind the unsent data that terminate() discarded a
    // second later, so a client that really stopped reading sees 1006 rather than 1013.
    slow.socket.resume();
    const { code } = await slow.closed;
    expect([1006, 1013]).toContain(code);
    const got = slow.messages.items.slice(1);
    expect(got.length).toBeLessThan(LEGACY_COUNT);
    expect(got.map((f) => f.id)).toEqual(frames.slice(0, got.length).map((f) => f.id));

    // What the server held for it when it cut: the lines sent minus those the kernel had taken
    // (got, plus at most one partial line) were in the socket's buffer, which was over the cap
    // (that is why it cut) and at most one frame over it (the check runs before every send).
    const frameBytes = Math.max(...frames.map((f) => Buffer.byteLength(JSON.stringify(f))));
    const heldBytes = (sentBeforeCut! - got.length) * frameBytes;
    expect(heldBytes).toBeGreaterThan(MAX_BUFFERED_BYTES - frameBytes);
    expect(heldBytes).toBeLessThanOrEqual(MAX_BUFFERED_BYTES + 2 * frameBytes);
    normal.close();
    await normal.closed;
  });

  it('a paused graphql-ws subscriber delays nobody and is ended with an error once 10,000 events behind', { timeout: 120_000 }, async () => {
    const before = await readStats(svc);
    const slowWs = socketClient(`${svc.wsUrl}/graphql`);
    const slow = subscribe<any, { vehicleId: number }>(slowWs.client, ClosingLogs, { vehicleId: 12 });
    const fastWs = socketClient(`${svc.wsUrl}/graphql`);
    const fast = subscribe(fastWs.client, LogsSubscription, { vehicleId: 12 });
    await untilServer(svc, (s) => s.activeSubscriptions === before.active_subscriptions + 2, 'both subscriptions');
    // A first event proves both subscriptions are live before the slow one stops reading.
    await svc.publish(vessel, 12, 'raw_log', 'warm-up');
    await fast.results.count(1);
    await slow.results.count(1);

    // graphql-ws (keep-alive 12 s) terminates a socket that leaves a ping unanswered for 12 s.
    // Stopping right after one leaves ~24 s for the overflow instead of 12-24 s by phase; a
    // keep-alive termination would show here as a close, not as a slow-consumer error.
    const slowSocket = await slowWs.socket;
    await new Promise<void>((resolve) =>
      slowSocket.once('ping', () => {
        slowSocket.pause(); // ws answered this ping already; nothing more is read from now on
        resolve();
      }),
    );

    const filler = 'y'.repeat(GQL_LINE);
    const texts = Array.from({ length: GQL_COUNT }, (_, i) => `gql line ${i} ${filler}`);
    await publishPaced(
      svc,
      vessel,
      GQL_COUNT,
      (i) => [12, 'raw_log', texts[i]!],
      (n) => fast.results.count(n + 1, 30_000),
      { inFlight: 50, window: 500 },
    );
    await fast.results.count(GQL_COUNT + 1, 60_000);

    // The normal subscriber got every event, in id order.
    const live = fast.results.items.slice(1).map((r) => r.logs);
    expect(live).toHaveLength(GQL_COUNT);
    const ids = live.map((l) => BigInt(l.id));
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    expect(new Set(live.map((l) => ('message' in l ? l.message : undefined)))).toEqual(new Set(texts));

    // Reading again, the slow client gets what the kernel held (a prefix), then the error:
    // its queue overflowed while it was paused and the server let go of the events.
    slowSocket.resume();
    await slow.done;
    const got = slow.results.items.slice(1).map((r) => r.logs.id);
    expect(got.length).toBeLessThan(GQL_COUNT - SUBSCRIBER_CAPACITY);
    expect(got).toEqual(live.slice(0, got.length).map((l) => l.id));
    // One GraphQL error on a socket that stays open (a keep-alive termination would be a close).
    // Its text is not asserted (yoga's error masking has at times turned it into 'Unexpected error.').
    expect(slow.errors.items).toHaveLength(1);
    expect(Array.isArray(slow.errors.items[0])).toBe(true);
    expect(slowSocket.readyState).toBe(WebSocket.OPEN);
    await untilServer(svc, (x) => x.slowConsumers === before.slow_consumers + 1, 'the slow subscription counted');
    const s = await readStats(svc);
    expect(s.slow_consumers).toBe(before.slow_consumers + 1);
    expect(s.active_subscriptions).toBe(before.active_subscriptions + 1); // the normal one goes on

    fast.dispose();
    await fastWs.client.dispose();
    await slowWs.client.dispose();
  });

  it('answers /healthz and /readyz', async () => {
    const health = await fetch(`${svc.httpUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${svc.httpUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', database: true, broker: true });
  });
});
