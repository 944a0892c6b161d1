// What a live client can hold of the service, over real sockets (issue 12): a subscription
// refused over HTTP registers nothing; graphql-ws operation slots come back after errors; a
// socket that never sends connection_init gives its address's slot back at the end of its
// handshake window, so 200 of them do not lock a real client out; SSE streams end at their
// token's expiry and take a connection slot like a WebSocket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import type { Client } from 'graphql-ws';
import type { MqttClient } from 'mqtt';
import { LogsSubscription } from '../../client/operations.js';
import { backends } from '../utils/backends.js';
import { Collector, graphqlWsClient, openLegacy, subscribe } from '../utils/clients.js';
import { leave } from '../utils/leftovers.js';
import { silentSocket } from '../utils/silent-socket.js';
import { startService, type TestService } from '../utils/service.js';
import { untilServer } from '../utils/wait.js';

const SECRET = 'live-limits-secret-that-is-long-enough-for-hs256';
const token = (claims: Record<string, unknown>, expiresInSeconds = 600) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInSeconds)
    .sign(new TextEncoder().encode(SECRET));

/** A subscription over HTTP; `events` collects the SSE text as it arrives, `ended` resolves when the server ends the stream. */
async function sse(svc: TestService, query: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${svc.httpUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify({ query }),
  });
  const events = new Collector<string>();
  const reader = res.body!.getReader();
  leave(() => reader.cancel().catch(() => {}));
  const ended = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return events.items.join('');
      events.push(new TextDecoder().decode(value));
    }
  })();
  const text = (pred: (t: string) => boolean, what: string) => events.until((items) => pred(items.join('')), undefined, what);
  return { status: res.status, text, ended, cancel: () => reader.cancel() };
}

/** The first thing an operation sent on a graphql-ws client answers: its data, or its errors. */
function firstAnswer(ws: Client, query: string, variables?: Record<string, unknown>): Promise<{ data?: unknown; errors?: any }> {
  return new Promise((resolve) => {
    const dispose = ws.subscribe(
      { query, variables },
      {
        next: (r) => {
          dispose();
          resolve(r.errors ? { errors: r.errors } : { data: r.data });
        },
        error: (errors) => resolve({ errors }),
        complete: () => {},
      },
    );
  });
}

describe('live limits', () => {
  let svc: TestService;
  let vessel: MqttClient;
  let all: string;

  beforeAll(async () => {
    svc = await startService(backends[0]!, {
      AUTH_JWT_SECRET: SECRET,
      WS_MAX_CONNECTIONS_PER_IP: '200',
      GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION: '2',
    });
    vessel = await svc.publisher();
    all = await token({});
  });
  afterAll(() => svc?.stop());

  it('a subscription POSTed with accept: application/json is answered 406 and registers nothing', async () => {
    const before = svc.app.stats();
    for (let i = 0; i < 200; i++) {
      const query = i % 2 ? 'subscription { logs { id } }' : 'subscription { vehicleStatus { vehicleId } }';
      const res = await fetch(`${svc.httpUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${all}` },
        body: JSON.stringify({ query }),
      });
      expect(res.status).toBe(406);
      expect((await res.json()).errors[0].extensions.code).toBe('NOT_ACCEPTABLE');
    }
    const after = svc.app.stats();
    expect(after.activeSubscriptions).toBe(before.activeSubscriptions);
    expect(after.refusals.subscription_not_acceptable).toBe(200);
    // The same subscription asked for as a stream is served.
    const stream = await sse(svc, 'subscription { logs { id } }', { authorization: `Bearer ${all}` });
    expect(stream.status).toBe(200);
    await untilServer(svc, (s) => s.activeSubscriptions === before.activeSubscriptions + 1, 'the SSE subscription');
    await stream.cancel();
    await untilServer(svc, (s) => s.activeSubscriptions === before.activeSubscriptions, 'the SSE subscription to end');
  });

  it('frees a graphql-ws operation slot after every kind of error', async () => {
    const scoped = await token({ vehicles: [1, 2] });
    const ws = graphqlWsClient(`${svc.wsUrl}/graphql`, { authorization: `Bearer ${scoped}` });
    // Each of these fails; six failures on a socket allowed two operations at once.
    const failing: [string, Record<string, unknown>?][] = [
      ['subscription { logs { nope } }'], // validation
      ['subscription {'], // syntax
      ['subscription($a: ID) { logs(after: $a) { id } }', { a: 'not-an-id' }], // the subscribe resolver throws
      ['subscription { logs(vehicleId: 3) { id } }'], // outside the token's scope
      ['subscription { logs { nope } }'],
      ['subscription($v: Int) { logs(vehicleId: $v) { id } }', { v: 'one' }], // variables that do not coerce
    ];
    for (const [query, variables] of failing) expect((await firstAnswer(ws, query, variables)).errors).toBeDefined();
    const before = svc.app.stats().activeSubscriptions;
    const one = subscribe(ws, LogsSubscription, { vehicleId: 1 });
    const two = subscribe(ws, LogsSubscription, { vehicleId: 2 });
    await untilServer(svc, (s) => s.activeSubscriptions === before + 2, 'both subscriptions');
    await svc.publish(vessel, 1, 'raw_log', 'to one');
    await svc.publish(vessel, 2, 'raw_log', 'to two');
    expect((await one.results.count(1))[0]!.logs.vehicleId).toBe(1);
    expect((await two.results.count(1))[0]!.logs.vehicleId).toBe(2);
    // Both slots are taken now: a third operation is refused, and the two go on.
    const third = await firstAnswer(ws, 'subscription { logs { id } }');
    expect(third.errors[0].extensions.code).toBe('TOO_MANY_SUBSCRIPTIONS');
    expect(one.errors.items).toEqual([]);
    expect(two.errors.items).toEqual([]);
    await ws.dispose();
    await untilServer(svc, (s) => s.activeSubscriptions === before, 'the socket\'s subscriptions to end');
  });

  it('200 sockets that never send connection_init do not lock a real client of their address out', async () => {
    const before = svc.app.stats().activeSubscriptions;
    const silent = await Promise.all(Array.from({ length: 200 }, () => silentSocket(svc.app.port, '/graphql')));
    // The address's 200 slots are all taken now; at the end of its handshake window each silent
    // socket is closed with 4408 and, as it ignores the close, cut.
    const codes = await Promise.all(silent.map((s) => s.closed));
    expect(new Set(codes)).toEqual(new Set([4408]));
    const ws = graphqlWsClient(`${svc.wsUrl}/graphql`, { authorization: `Bearer ${all}` });
    const sub = subscribe(ws, LogsSubscription, { vehicleId: 5 });
    await untilServer(svc, (s) => s.connections.some((c) => c.surface === 'graphql'), 'the real client');
    await svc.publish(vessel, 5, 'raw_log', 'the real client reads this');
    expect((await sub.results.count(1))[0]!.logs).toMatchObject({ vehicleId: 5, message: 'the real client reads this' });
    await ws.dispose();
    await untilServer(svc, (s) => s.activeSubscriptions === before, 'the real client\'s subscription to end');
  });

  it('refuses a legacy ?after= beyond bigint with 400 before the upgrade, and serves the largest id', async () => {
    await expect(openLegacy(`${svc.wsUrl}/api/ws?token=${all}&after=9223372036854775808`)).rejects.toMatchObject({ status: 400 });
    await expect(openLegacy(`${svc.wsUrl}/api/ws?token=${all}&after=99999999999999999999`)).rejects.toMatchObject({ status: 400 });
    const last = await openLegacy(`${svc.wsUrl}/api/ws?token=${all}&after=9223372036854775807`);
    expect((await last.messages.count(1))[0].type).toBe('connection');
    last.close();
    await last.closed;
  });

  it('ends every SSE stream, logs and vehicleStatus, when its token expires', async () => {
    const before = svc.app.stats().activeSubscriptions;
    const short = await token({}, 2);
    const auth = { authorization: `Bearer ${short}` };
    const status = await sse(svc, 'subscription { vehicleStatus { vehicleId status } }', auth);
    const logs = await sse(svc, 'subscription { logs { id } }', auth);
    expect([status.status, logs.status]).toEqual([200, 200]);
    await untilServer(svc, (s) => s.activeSubscriptions === before + 2, 'both SSE streams');
    // The server ends both streams itself (the client never cancels): a complete event, then the end.
    expect(await status.ended).toMatch(/event: complete/);
    expect(await logs.ended).toMatch(/event: complete/);
    expect(svc.app.stats().activeSubscriptions).toBe(before);
  });
});

describe('SSE streams in the connection limits', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startService(backends[0]!, { WS_MAX_CONNECTIONS_PER_IP: '1' });
  });
  afterAll(() => svc?.stop());

  it('an SSE stream takes its address\'s slot until it ends, like a WebSocket', async () => {
    const stream = await sse(svc, 'subscription { logs { id } }');
    expect(stream.status).toBe(200);
    await untilServer(svc, (s) => s.activeSubscriptions === 1, 'the SSE stream');
    await expect(openLegacy(`${svc.wsUrl}/api/ws`)).rejects.toMatchObject({ status: 429 });
    const second = await sse(svc, 'subscription { vehicleStatus { vehicleId } }');
    expect(await second.ended).toMatch(/TOO_MANY_CONNECTIONS/);
    expect(svc.app.stats().refusals.connections_per_ip).toBe(2);
    await stream.cancel();
    await untilServer(svc, (s) => s.activeSubscriptions === 0, 'the SSE stream to end');
    const legacy = await openLegacy(`${svc.wsUrl}/api/ws`); // its slot came free
    legacy.close();
  });
});
