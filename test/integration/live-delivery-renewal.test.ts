// Token renewal without reconnecting (SPEC §9), over real sockets: renewToken on a graphql-ws
// socket and {"type":"auth"} on the legacy one carry the socket past the first token's expiry;
// a narrower scope ends only the subscriptions on vehicles it leaves out (FORBIDDEN; legacy: an
// error frame and 1008) and stops the others from seeing them; an invalid token closes the
// socket (4403 / 1008); over HTTP renewToken only checks the token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import type { MqttClient } from 'mqtt';
import { backends } from '../utils/backends.js';
import { Collector, openFeed } from '../utils/clients.js';
import { disposeLeftovers, leave } from '../utils/leftovers.js';
import { startService, type TestService } from '../utils/service.js';
import { untilServer } from '../utils/wait.js';

const SECRET = 'live-delivery-renewal-secret-long-enough-for-hs256';
const key = new TextEncoder().encode(SECRET);
const token = (seconds: number, vehicles?: number[]) =>
  new SignJWT(vehicles ? { vehicles } : {})
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime(Math.floor(Date.now() / 1000) + seconds)
    .sign(key);

/** Waits until `at` (ms since epoch) is past: the moment a first token stops being valid. */
const past = (at: number) => new Promise((r) => setTimeout(r, Math.max(0, at - Date.now()) + 250));
const expiryOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()).exp * 1000;

const RENEW = 'mutation Renew($token: String!) { renewToken(token: $token) { expiresAt vehicles } }';
const LOGS = 'subscription Logs($vehicleId: Int) { logs(vehicleId: $vehicleId) { id vehicleId ... on RawLog { message } } }';

interface Socket {
  client: Client;
  closed: Promise<{ code: number; reason: string }>;
  /** Runs one operation to its end: its results, or its errors. */
  run(query: string, variables?: Record<string, unknown>): Promise<{ data?: any; errors?: any }>;
  /** A subscription's messages and its end (an error, or complete). */
  follow(vehicleId?: number): { messages: Collector<string>; ended: Promise<unknown> };
}

function socket(svc: TestService, jwt: string): Socket {
  let closedWith!: (c: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((r) => (closedWith = r));
  const client = createClient({
    url: `${svc.wsUrl}/graphql`,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => {}, // the 4403 close is awaited below, not logged
    connectionParams: { authorization: `Bearer ${jwt}` },
    on: { closed: (e) => closedWith({ code: (e as CloseEvent).code, reason: (e as CloseEvent).reason }) },
  });
  leave(() => client.dispose());
  return {
    client,
    closed,
    run: (query, variables) =>
      new Promise((resolve) => {
        let result: { data?: any; errors?: any } = {};
        client.subscribe({ query, variables }, { next: (r) => (result = r), error: (errors) => resolve({ errors }), complete: () => resolve(result) });
      }),
    follow(vehicleId) {
      const messages = new Collector<string>();
      const ended = new Promise((resolve) =>
        client.subscribe({ query: LOGS, variables: { vehicleId } }, { next: (r) => messages.push((r.data as any).logs.message), error: resolve, complete: () => resolve('complete') }),
      );
      return { messages, ended };
    },
  };
}

describe.each(backends)('token renewal on $name', (backend) => {
  let svc: TestService;
  let vessel: MqttClient;

  beforeAll(async () => {
    svc = await startService(backend, { AUTH_JWT_SECRET: SECRET });
    vessel = await svc.publisher();
  });
  afterAll(disposeLeftovers);

  it('graphql-ws: renewToken carries the socket past the first token; a narrower one ends only the subscriptions it leaves out', { timeout: 30_000 }, async () => {
    const first = await token(5, [1, 2]);
    const running = svc.app.stats().activeSubscriptions;
    const ws = socket(svc, first);
    const one = ws.follow(1);
    const two = ws.follow(2);
    const all = ws.follow();
    await untilServer(svc, (s) => s.activeSubscriptions === running + 3, 'the three subscriptions running');
    await svc.publish(vessel, 2, 'raw_log', 'before renewal');
    await two.messages.until((m) => m.length === 1, 15_000, 'the first log on vehicle 2');
    await all.messages.until((m) => m.length === 1, 15_000, 'the first log on all');

    const renewed = await ws.run(RENEW, { token: await token(60, [1, 2]) });
    expect(renewed.errors).toBeUndefined();
    expect(Date.parse(renewed.data.renewToken.expiresAt)).toBeGreaterThan(expiryOf(first) + 30_000);
    expect(renewed.data.renewToken.vehicles).toEqual([1, 2]);
    await past(expiryOf(first));
    await svc.publish(vessel, 1, 'raw_log', 'after the first expiry');
    await one.messages.until((m) => m.length === 1, 15_000, 'a log after the first expiry'); // still open, still delivering

    const narrower = await ws.run(RENEW, { token: await token(60, [1]) });
    expect(narrower.data.renewToken.vehicles).toEqual([1]);
    const [error] = (await two.ended) as { extensions: { code: string } }[];
    expect(error!.extensions.code).toBe('FORBIDDEN');
    await svc.publish(vessel, 2, 'raw_log', 'out of scope now');
    await svc.publish(vessel, 1, 'raw_log', 'in scope');
    await one.messages.until((m) => m.length === 2, 15_000, 'the in-scope log on vehicle 1');
    await all.messages.until((m) => m.includes('in scope'), 15_000, 'the in-scope log');
    // Logs arrive in id order: the vehicle 2 log, published first, would be there by now.
    expect(all.messages.items).toEqual(['before renewal', 'after the first expiry', 'in scope']);
    expect(one.messages.items).toEqual(['after the first expiry', 'in scope']);

    const closed = ws.run(RENEW, { token: 'not-a-token' });
    expect((await ws.closed).code).toBe(4403);
    await closed;
  });

  it('over HTTP renewToken only checks the token', async () => {
    const jwt = await token(60, [3]);
    const ok = await svc.gql(RENEW, { token: jwt }, { authorization: `Bearer ${jwt}` });
    expect(ok.data.renewToken).toEqual({ expiresAt: new Date(expiryOf(jwt)).toISOString(), vehicles: [3] });
    const bad = await svc.gql(RENEW, { token: 'garbage' }, { authorization: `Bearer ${jwt}` });
    expect(bad.errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('legacy: {"type":"auth"} carries the socket past the first token; a narrower one closes a socket on a vehicle it leaves out', { timeout: 30_000 }, async () => {
    const first = await token(5, [4, 5]);
    const all = await openFeed(`${svc.wsUrl}/api/ws?token=${first}`);
    const five = await openFeed(`${svc.wsUrl}/api/ws/vehicle/5?token=${first}`);
    const second = await token(60, [4, 5]);
    all.send(JSON.stringify({ type: 'auth', token: second }));
    five.send(JSON.stringify({ type: 'auth', token: second }));
    const [answer] = (await all.messages.until((m) => m.some((f) => f.type === 'auth'))).filter((f) => f.type === 'auth');
    expect(answer).toEqual({ type: 'auth', expires_at: new Date(expiryOf(second)).toISOString() });
    await five.messages.until((m) => m.some((f) => f.type === 'auth'));
    await past(expiryOf(first));
    await svc.publish(vessel, 5, 'raw_log', 'after the first expiry');
    expect((await all.logs(1))[0].data).toBe('after the first expiry');
    expect((await five.logs(1))[0].data).toBe('after the first expiry');

    const narrower = await token(60, [4]);
    all.send(JSON.stringify({ type: 'auth', token: narrower }));
    five.send(JSON.stringify({ type: 'auth', token: narrower }));
    expect((await five.closed).code).toBe(1008);
    expect(five.messages.items.find((f) => f.type === 'error')?.message).toMatch(/vehicle 5 is outside/);
    await all.messages.until((m) => m.filter((f) => f.type === 'auth').length === 2);
    await svc.publish(vessel, 5, 'raw_log', 'out of scope now');
    await svc.publish(vessel, 4, 'raw_log', 'in scope');
    const logs = await all.logs(2);
    expect(logs.map((f) => f.data)).toEqual(['after the first expiry', 'in scope']);

    all.send(JSON.stringify({ type: 'auth', token: 'garbage' }));
    expect((await all.closed).code).toBe(1008);
    expect(all.messages.items.at(-1)).toMatchObject({ type: 'error' });
  });
});
