// Issue 14 point 2: the SEANO client (client/), Apollo Client over SeanoLink and urql over
// seanoExchange each follow `logs(vehicleId)` through a service restart mid-stream — the
// service stopped and a new one started on the same port and the same data — while a vessel
// keeps publishing over MQTT. Checked against the database: 0 lost, 0 repeated, in id order.
// And the token function: asked again on the reconnect after a token expired.
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SignJWT } from 'jose';
import type { MqttClient } from 'mqtt';
import { ApolloClient, InMemoryCache } from '@apollo/client';
import { Client as UrqlClient } from '@urql/core';
import { createSeanoClient, type CloseInfo, type SeanoClient } from '../../client/index.js';
import { SeanoLink } from '../../client/apollo.js';
import { seanoExchange } from '../../client/urql.js';
import { LogsSubscription } from '../../client/operations.js';
import type { LiveLogsSubscription } from '../../client/generated/graphql.js';
import { backends, type Backend } from '../utils/backends.js';
import { Collector, connectMqtt, openFeed, type LegacyClient } from '../utils/clients.js';
import { disposeLeftovers, leave } from '../utils/leftovers.js';
import { startService, type TestService } from '../utils/service.js';
import { sql, untilServer } from '../utils/wait.js';

type Log = LiveLogsSubscription['logs'];
/** Starts following vessel `vehicleId` through one of the three clients; returns its stop. */
type Follow = (seano: SeanoClient, vehicleId: number, delivered: Collector<Log>, failed: (e: unknown) => void) => () => void;

const CLIENTS: [string, Follow][] = [
  [
    'the SEANO client',
    (seano, vehicleId, delivered, failed) =>
      seano.subscribe(LogsSubscription, { vehicleId }, { next: ({ data }) => data && delivered.push(data.logs), error: failed, complete: () => {} }),
  ],
  [
    'Apollo Client with SeanoLink',
    (seano, vehicleId, delivered, failed) => {
      const apollo = new ApolloClient({ link: new SeanoLink(seano), cache: new InMemoryCache() });
      const sub = apollo
        .subscribe({ query: LogsSubscription, variables: { vehicleId }, fetchPolicy: 'no-cache' })
        .subscribe({ next: ({ data, error }) => (error ? failed(error) : data && delivered.push(data.logs)), error: failed });
      return () => sub.unsubscribe();
    },
  ],
  [
    'urql with seanoExchange',
    (seano, vehicleId, delivered, failed) => {
      // The url is urql's for HTTP operations; every one here goes over the SEANO client.
      const urql = new UrqlClient({ url: 'http://127.0.0.1:1/graphql', exchanges: [seanoExchange(seano)] });
      const { unsubscribe } = urql
        .subscription(LogsSubscription, { vehicleId })
        .subscribe((result) => (result.error ? failed(result.error) : result.data && delivered.push(result.data.logs)));
      return unsubscribe;
    },
  ],
];

const BEFORE_STOP = 60; // published to the first service
const WHILE_AWAY = 40; // stored by the second one before the client reconnects
const AFTER = 50; // published while the client replays what it missed

/** Resolves when `open()` is called: holds the client's reconnect until the test lets it go. */
function gate(): { wait: () => Promise<void>; open: () => void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { wait: () => opened, open };
}

describe.each(backends)('resuming clients through a service restart on $name', (backend) => {
  afterAll(disposeLeftovers);

  it.each(CLIENTS)('%s: every log once, in order, as stored', { timeout: 120_000 }, async (_name, follow) => {
    const { env, cleanup } = await backend.prepare();
    leave(cleanup);
    const sameData: Backend = { name: backend.name, prepare: async () => ({ env, cleanup: async () => {} }) };
    const vehicleId = 1;
    // The machine's broker outlives the service, so the vessel publishes through the restart;
    // the embedded one stops with the service, so the vessel connects to the new one.
    const brokerOutlives = env.MQTT_URL !== undefined;

    let svc: TestService = await startService(sameData);
    let vessel: MqttClient = brokerOutlives ? await connectMqtt(env.MQTT_URL!) : await svc.publisher();
    const publish = async (from: number, count: number) => {
      for (let seq = from; seq < from + count; seq++) {
        const timestamp = new Date(1_760_000_000_000 + seq * 100).toISOString();
        await vessel.publishAsync(`${svc.prefix}/${vehicleId}/vehicle_log`, JSON.stringify({ seq, speed: seq % 9, timestamp }), { qos: 1 });
      }
    };

    const reconnect = gate();
    const seano = createSeanoClient({ url: `${svc.wsUrl}/graphql`, webSocketImpl: WebSocket, retryWait: reconnect.wait });
    leave(() => seano.dispose());
    const delivered = new Collector<Log>();
    const errors: unknown[] = [];
    const stop = follow(seano, vehicleId, delivered, (e) => errors.push(e));
    await untilServer(svc, (s) => s.activeSubscriptions === 1, 'the subscription');

    // Mid-stream: the service stops once the client has some of the logs, not all.
    const firstBatch = publish(0, BEFORE_STOP);
    await delivered.count(BEFORE_STOP / 3);
    if (!brokerOutlives) await firstBatch;
    const port = svc.app.port;
    await svc.stop();
    svc = await startService(sameData, { PORT: String(port) });
    if (!brokerOutlives) vessel = await svc.publisher();
    await firstBatch;

    // Logs stored while the client is away: it can only have them by resuming.
    await publish(BEFORE_STOP, WHILE_AWAY);
    const feed: LegacyClient = await openFeed(`${svc.wsUrl}/api/ws/vehicle/${vehicleId}?after=0`);
    const stored = (seq: number) => feed.messages.until((frames) => frames.some((f) => f.data?.seq === seq), 30_000, `seq ${seq} stored`);
    await stored(BEFORE_STOP + WHILE_AWAY - 1);
    expect(delivered.items.length).toBeLessThan(BEFORE_STOP + WHILE_AWAY);
    reconnect.open();

    // The vessel goes on while the client replays; the last log stored ends the stream.
    await publish(BEFORE_STOP + WHILE_AWAY, AFTER);
    await stored(BEFORE_STOP + WHILE_AWAY + AFTER - 1);

    const rows = await sql<{ id: string }>(svc, 'select id::text as id from log where vehicle_id = ? order by log.id', [vehicleId]);
    await delivered.until((d) => d.length >= rows.length, 30_000, `${rows.length} logs delivered`);
    // Still live and exactly once afterwards: a late repeat would show up before this one.
    await publish(BEFORE_STOP + WHILE_AWAY + AFTER, 1);
    const all = await sql<{ id: string }>(svc, 'select id::text as id from log where vehicle_id = ? order by log.id', [vehicleId]);
    await delivered.until((d) => d.length >= all.length, 30_000, `${all.length} logs delivered`);

    const ids = delivered.items.map((log) => log.id);
    const stillOn = all.map((r) => r.id);
    const lost = stillOn.filter((id) => !ids.includes(id)).length;
    const repeated = ids.length - new Set(ids).size;
    expect({ lost, repeated }).toEqual({ lost: 0, repeated: 0 });
    expect(ids).toEqual(stillOn); // in id order, nothing else
    expect(all.length).toBeGreaterThan(BEFORE_STOP);
    expect(errors).toEqual([]);
    stop();
  });
});

const SECRET = 'client-resume-secret-long-enough-for-hs256';
const sign = (expiresInSeconds: number) =>
  new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInSeconds)
    .sign(new TextEncoder().encode(SECRET));

describe.each(backends)('the token function on $name', (backend) => {
  afterAll(disposeLeftovers);

  it('is asked on every connect: after the first token expires (4403) the client reconnects with a new one and resumes', async () => {
    const svc = await startService(backend, { AUTH_JWT_SECRET: SECRET });
    const vessel = await svc.publisher();
    const publish = async (from: number, count: number) => {
      for (let seq = from; seq < from + count; seq++) await svc.publish(vessel, 3, 'raw_log', `line ${seq}`);
    };
    const feed = await openFeed(`${svc.wsUrl}/api/ws/vehicle/3?token=${await sign(600)}`);
    // The first token lives about two seconds (exp is in whole seconds); every later one ten minutes.
    const tokens: string[] = [];
    const reconnect = gate();
    const closes = new Collector<CloseInfo>();
    const seano = createSeanoClient({
      url: `${svc.wsUrl}/graphql`,
      webSocketImpl: WebSocket,
      token: async () => tokens[tokens.push(await sign(tokens.length === 0 ? 2 : 600)) - 1],
      retryWait: reconnect.wait,
      onState: (_state, close) => close && closes.push(close),
    });
    leave(() => seano.dispose());
    const delivered = new Collector<Log>();
    const errors: unknown[] = [];
    const stop = seano.subscribe(LogsSubscription, { vehicleId: 3 }, { next: ({ data }) => data && delivered.push(data.logs), error: (e) => errors.push(e), complete: () => {} });
    await untilServer(svc, (s) => s.activeSubscriptions === 1, 'the subscription');
    await publish(0, 5);
    await delivered.count(5);

    const [expired] = await closes.count(1, 10_000);
    expect(expired!.code).toBe(4403);
    await publish(5, 5); // stored while the client waits to reconnect
    await feed.logs(10);
    reconnect.open();
    await delivered.count(10);

    const rows = await sql<{ id: string }>(svc, 'select id::text as id from log where vehicle_id = 3 order by log.id');
    expect(delivered.items.map((log) => log.id)).toEqual(rows.map((r) => r.id));
    expect(tokens).toHaveLength(2);
    expect(errors).toEqual([]);
    stop();
  });
});
