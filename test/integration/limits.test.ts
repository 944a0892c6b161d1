// Hostile clients: every limit trips with its documented error or close code, is counted in
// stats, and the service goes on serving everyone else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { parse, print } from 'graphql';
import { LogsQuery, LogsSubscription } from '../../client/operations.js';
import { backends } from '../utils/backends.js';
import { startService, type TestService } from '../utils/service.js';
import { graphqlWsClient, openLegacy, subscribe } from '../utils/clients.js';
import { disposeLeftovers } from '../utils/leftovers.js';
import { readStats as stats, untilServer } from '../utils/wait.js';

describe('limits and hostile input', () => {
  let svc: TestService;

  beforeAll(async () => {
    svc = await startService(backends[0]!, {
      WS_MAX_CONNECTIONS_PER_IP: '3',
      WS_MAX_MESSAGES_PER_SECOND: '5',
      WS_MAX_PAYLOAD: '1024',
      GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION: '2',
      GRAPHQL_MAX_DEPTH: '6',
      GRAPHQL_MAX_ALIASES: '5',
      GRAPHQL_MAX_TOKENS: '400',
      GRAPHQL_MAX_COST: '400', // LogsQuery costs 299; five aliased pages 465
    });
  });
  afterAll(disposeLeftovers);

  it('refuses WebSockets past WS_MAX_CONNECTIONS_PER_IP with 429 before the upgrade', async () => {
    const open = await Promise.all([1, 2, 3].map(() => openLegacy(`${svc.wsUrl}/api/ws`)));
    await expect(openLegacy(`${svc.wsUrl}/api/ws`)).rejects.toMatchObject({ status: 429 });
    open[0]!.close();
    await open[0]!.closed;
    const again = await openLegacy(`${svc.wsUrl}/api/ws`); // a slot came free
    for (const c of [...open.slice(1), again]) c.close();
    await Promise.all([...open.slice(1), again].map((c) => c.closed));
    expect((await stats(svc)).refusals.connections_per_ip).toBe(1);
  });

  it('closes a flooding legacy socket with 1008 and a flooding graphql-ws socket with 4429', async () => {
    const legacy = await openLegacy(`${svc.wsUrl}/api/ws`);
    for (let i = 0; i < 20; i++) legacy.send(JSON.stringify({ type: 'ping', timestamp: i }));
    expect((await legacy.closed).code).toBe(1008);

    const raw = new WebSocket(`${svc.wsUrl}/graphql`, 'graphql-transport-ws');
    const closed = new Promise<number>((r) => raw.once('close', (code) => r(code)));
    await new Promise((r) => raw.once('open', r));
    for (let i = 0; i < 20; i++) raw.send(JSON.stringify({ type: 'ping' }));
    expect(await closed).toBe(4429);
    expect((await stats(svc)).refusals.rate_limited).toBe(2);
  });

  it('closes a socket that sends a frame over WS_MAX_PAYLOAD with 1009; answers binary and bad JSON', async () => {
    const legacy = await openLegacy(`${svc.wsUrl}/api/ws`);
    legacy.socket.send(Buffer.from([0xde, 0xad, 0xbe, 0xef]));
    legacy.send('{"type": "ping"');
    const errors = await legacy.messages.until((m) => m.filter((x) => x.type === 'error').length === 2, undefined, 'two errors');
    expect(errors.filter((x) => x.type === 'error')).toEqual([
      { type: 'error', message: 'Invalid JSON format' },
      { type: 'error', message: 'Invalid JSON format' },
    ]);
    legacy.send('x'.repeat(2048));
    expect((await legacy.closed).code).toBe(1009);
  });

  it('refuses a third operation on one graphql-ws connection (GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION=2)', async () => {
    const ws = graphqlWsClient(`${svc.wsUrl}/graphql`);
    const a = subscribe(ws, LogsSubscription, {});
    const b = subscribe(ws, LogsSubscription, { vehicleId: 1 });
    const c = subscribe(ws, LogsSubscription, { vehicleId: 2 });
    const [errors] = await c.errors.count(1);
    expect((errors as any)[0]).toMatchObject({ extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } });
    await ws.dispose();
    // Query limits apply on the socket too: an error for that operation, the socket stays up.
    const ws2 = graphqlWsClient(`${svc.wsUrl}/graphql`);
    const deep = subscribe(ws2, parse('{ __schema { types { fields { type { ofType { ofType { ofType { ofType { name } } } } } } } } }'));
    const [deepErrors] = await deep.errors.count(1);
    expect((deepErrors as any)[0].message).toMatch(/depth/i);
    const fine = subscribe(ws2, parse('{ stats { messagesStored } }'));
    expect((await fine.results.count(1))[0]).toEqual({ stats: { messagesStored: 0 } });
    await ws2.dispose();
    expect(a.errors.items).toEqual([]);
    expect(b.errors.items).toEqual([]);
  });

  it('refuses deep, aliased, huge and over-paged queries with clear errors, and keeps serving', async () => {
    // Our schema is shallow; nested introspection is the classic deep query.
    const nested = await svc.gql(`{ __schema { types { fields { type { ofType { ofType { ofType { ofType { name } } } } } } } } }`);
    expect(nested.errors?.[0].message).toMatch(/depth/i);
    const aliases = await svc.gql(`{ ${Array.from({ length: 10 }, (_, i) => `s${i}: stats { messagesStored }`).join(' ')} }`);
    expect(aliases.errors?.[0].message).toMatch(/aliases/i);
    const tokens = await svc.gql(`{ ${Array.from({ length: 200 }, () => 'stats { messagesStored }').join(' ')} }`);
    expect(tokens.errors?.[0].message).toMatch(/token/i);
    const page = 'edges { node { id vehicleId type timestamp ... on VehicleLog { batteryVoltage batteryCurrent rssi mode latitude longitude heading armed guided speed data } } } pageInfo { endCursor hasNextPage }';
    const costly = await svc.gql(`{ ${[1, 2, 3, 4, 5].map((i) => `l${i}: logs { ${page} }`).join(' ')} }`);
    expect(costly.errors?.[0].message).toMatch(/cost/i);
    const paged = await svc.gql(print(LogsQuery), { last: 1_000_000 });
    expect(paged.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });

    const ok = await svc.gql('{ stats { messagesStored } }');
    expect(ok.data.stats.messagesStored).toBe(0);
    const s = await stats(svc);
    expect(s.refusals).toMatchObject({ graphql_depth: 2, graphql_aliases: 1, graphql_tokens: 1, graphql_cost: 1 });
  });
});

describe('total connection limit', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startService(backends[0]!, { WS_MAX_CONNECTIONS: '2' });
  });
  afterAll(disposeLeftovers);

  it('refuses a WebSocket past WS_MAX_CONNECTIONS with 503 before the upgrade, on both paths', async () => {
    const a = await openLegacy(`${svc.wsUrl}/api/ws`);
    const b = await openLegacy(`${svc.wsUrl}/api/ws/vehicle/1`);
    await expect(openLegacy(`${svc.wsUrl}/api/ws`)).rejects.toMatchObject({ status: 503 });
    await expect(openLegacy(`${svc.wsUrl}/graphql`)).rejects.toMatchObject({ status: 503 });
    a.close();
    b.close();
    expect((await stats(svc)).refusals.connections_total).toBe(2);
  });
});

describe('dead peers', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startService(backends[0]!, { WS_PING_INTERVAL_SECONDS: '1' });
  });
  afterAll(disposeLeftovers);

  it('drops a legacy socket that stops answering pings, keeps one that answers', async () => {
    const alive = await openLegacy(`${svc.wsUrl}/api/ws`);
    const dead = await openLegacy(`${svc.wsUrl}/api/ws/vehicle/1`);
    dead.socket.pause(); // stops reading: the server's pings go unanswered, like a vanished peer
    // Dropped by the server; the paused client cannot see it until it reads again.
    await untilServer(svc, (s) => s.legacyConnections === 1, 'the silent socket to be dropped', 10_000);
    const after = await stats(svc);
    expect(after.connections_info.map((c: any) => c.client_info.endpoint)).toEqual(['/api/ws']);
    expect(alive.socket.readyState).toBe(WebSocket.OPEN);
    alive.close();
    dead.socket.resume();
  });
});
