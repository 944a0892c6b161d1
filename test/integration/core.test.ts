// The seed's example messages, end to end: MQTT → PostgreSQL → /api/ws, /api/ws/vehicle/1,
// graphql-ws, Query.logs and stats; against the embedded backends and (in CI) the machine's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { LogsQuery, LogsSubscription, StatsQuery, VehiclesQuery } from '../../client/operations.js';
import { getIntrospectionQuery, print } from 'graphql';
import { backends } from '../utils/backends.js';
import { startService, type TestService } from '../utils/service.js';
import { graphqlWsClient, openLegacy, subscribe, type LegacyClient } from '../utils/clients.js';
import { disposeLeftovers } from '../utils/leftovers.js';
import { readStats, sql, untilServer } from '../utils/wait.js';

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

// The seed document's three examples.
const rawText = 'GPS initialized successfully';
const sensor = { sensor_id: 5, data: { temperature: 28.5, humidity: 65.3, pressure: 1013.25 }, timestamp: '2025-10-18T16:30:00.123Z' };
const telemetry = {
  battery_voltage: 12.4, battery_current: 1.8, rssi: -38, mode: 'GUIDED', latitude: -6.2088, longitude: 106.8456,
  heading: 90.0, armed: true, guided: true, system_status: 'ACTIVE', speed: 12.5, timestamp: '2025-10-18T16:30:00.123Z',
};

describe.each(backends)('core service on $name', (backend) => {
  let svc: TestService;
  let vessel: MqttClient;
  let all: LegacyClient;
  let one: LegacyClient;

  beforeAll(async () => {
    svc = await startService(backend);
    vessel = await svc.publisher();
    all = await openLegacy(`${svc.wsUrl}/api/ws`);
    one = await openLegacy(`${svc.wsUrl}/api/ws/vehicle/1`);
  });
  afterAll(disposeLeftovers);

  it('greets a legacy socket with the seed connection message', async () => {
    const [hello] = await all.messages.count(1);
    expect(hello).toMatchObject({ type: 'connection', message: 'Connected to SEANO real-time data stream' });
    expect(hello.timestamp).toMatch(ISO_MS);
    expect(hello.connection_count).toBeGreaterThanOrEqual(1);
  });

  it('delivers the seed messages everywhere with the seed shapes', async () => {
    const ws = graphqlWsClient(`${svc.wsUrl}/graphql`);
    const sub = subscribe(ws, LogsSubscription, { vehicleId: 1 });
    await untilServer(svc, (s) => s.activeSubscriptions === 1, 'the subscription');

    await svc.publish(vessel, 1, 'raw_log', rawText);
    await svc.publish(vessel, 1, 'sensor_log', sensor);
    await svc.publish(vessel, 1, 'vehicle_log', telemetry);
    await svc.publish(vessel, 2, 'raw_log', 'vessel two only');

    const legacy = (await all.messages.count(5)).slice(1);
    expect(legacy.map((m) => [m.type, m.vehicle_id])).toEqual([
      ['raw_log', 1], ['sensor_log', 1], ['vehicle_log', 1], ['raw_log', 2],
    ]);
    const [raw, sens, veh] = legacy;
    expect(Object.keys(raw).sort()).toEqual(['broadcast_time', 'connection_count', 'data', 'id', 'timestamp', 'type', 'vehicle_id']);
    expect(raw.data).toBe(rawText);
    expect(sens).toMatchObject({ sensor_id: 5, data: sensor.data, timestamp: sensor.timestamp });
    expect(veh.data).toEqual(telemetry); // as received, minus nothing
    expect(veh.timestamp).toBe('2025-10-18T16:30:00.123Z');
    for (const m of legacy) {
      expect(m.broadcast_time).toMatch(ISO_MS);
      expect(m.connection_count).toBe(2);
      expect(Number(m.id)).toBeGreaterThan(0);
    }
    expect(Number(sens.id)).toBeGreaterThan(Number(raw.id)); // ids grow

    // /api/ws/vehicle/1: vehicle 1 only
    const mine = (await one.messages.count(4)).slice(1);
    expect(mine.map((m) => m.type)).toEqual(['raw_log', 'sensor_log', 'vehicle_log']);
    expect(mine.every((m) => m.vehicle_id === 1)).toBe(true);

    // graphql-ws logs(vehicleId: 1)
    const live = await sub.results.count(3);
    expect(live.map((r) => r.logs.__typename)).toEqual(['RawLog', 'SensorLog', 'VehicleLog']);
    const liveVehicle = live[2]!.logs;
    expect(liveVehicle).toMatchObject({ vehicleId: 1, type: 'VEHICLE_LOG', batteryVoltage: 12.4, rssi: -38, armed: true, mode: 'GUIDED' });
    sub.dispose();
    await ws.dispose();

    // Query.logs: stored, oldest first; `last` gives the newest, still oldest first
    const page = await svc.gql(print(LogsQuery), { vehicleId: 1, first: 10 });
    expect(page.errors).toBeUndefined();
    const nodes = page.data.logs.edges.map((e: any) => e.node);
    expect(nodes.map((n: any) => n.type)).toEqual(['RAW_LOG', 'SENSOR_LOG', 'VEHICLE_LOG']);
    expect(nodes[0].message).toBe(rawText);
    expect(nodes[1]).toMatchObject({ sensorId: 5, data: sensor.data, timestamp: sensor.timestamp });
    expect(nodes[2].data).toEqual(telemetry);
    expect(page.data.logs.edges.map((e: any) => e.cursor)).toEqual(nodes.map((n: any) => n.id));
    const newest = await svc.gql(print(LogsQuery), { last: 2 });
    expect(newest.data.logs.edges.map((e: any) => e.node.vehicleId)).toEqual([1, 2]);
    expect(newest.data.logs.pageInfo.hasPreviousPage).toBe(true);
    const after = await svc.gql(print(LogsQuery), { first: 2, after: nodes[0].id });
    expect(after.data.logs.edges.map((e: any) => e.node.id)).toEqual([nodes[1].id, nodes[2].id]);
    expect(after.data.logs.pageInfo.hasNextPage).toBe(true);

    // vehicles are registered on their first message
    const vehicles = await svc.gql(print(VehiclesQuery));
    expect(vehicles.data.vehicles.map((v: any) => v.id)).toEqual([1, 2]);
    expect(vehicles.data.vehicles[0].latestTelemetry).toMatchObject({ mode: 'GUIDED', latitude: -6.2088 });
    expect(vehicles.data.vehicles[0].firstSeenAt).toMatch(ISO_MS);

    // stats count them, over HTTP and GraphQL (the legacy frames above came after their commits)
    const stats = await readStats(svc);
    expect(stats).toMatchObject({ messages_stored: 4, messages_received: 4, messages_rejected: 0, legacy_connections: 2 });
    expect(stats.connections_info).toContainEqual(
      expect.objectContaining({ client_info: { endpoint: '/api/ws/vehicle/1', vehicle_filter: 1 } }),
    );
    const gstats = await svc.gql(print(StatsQuery));
    expect(gstats.data.stats).toMatchObject({ messagesStored: 4, messagesReceived: 4, legacyConnections: 2 });
  });

  it('rejects every malformed kind, keeps it with a reason, and stores the neighbours', async () => {
    const before = await readStats(svc);
    const framesBefore = all.messages.items.length;
    const bad: [string | number, string, string | Buffer][] = [
      ['abc', 'raw_log', 'bad vehicle id'],
      [0, 'raw_log', 'vehicle id zero'],
      ['2147483648', 'raw_log', 'vehicle id too large'],
      [1, 'sensor_log', '{not json'],
      [1, 'sensor_log', JSON.stringify({ sensor_id: 'five', data: {} })],
      [1, 'vehicle_log', JSON.stringify({ latitude: 123 })],
      [1, 'vehicle_log', JSON.stringify({ rssi: -38.5 })],
      [1, 'vehicle_log', JSON.stringify([1, 2])],
      [1, 'raw_log', Buffer.from([0xff, 0xfe, 0x41])],
      [1, 'raw_log', 'x'.repeat(256 * 1024 + 1)],
    ];
    for (const [id, type, payload] of bad) {
      await svc.publish(vessel, id, type, payload);
      await svc.publish(vessel, 3, 'raw_log', `neighbour of ${type}`);
    }
    // Each neighbour is committed after the bad message before it: the last one's frame means all were.
    await all.messages.until((m) => m.slice(framesBefore).filter((f) => f.vehicle_id === 3).length === bad.length, undefined, 'the neighbours');
    const stats = await readStats(svc);
    expect(stats.messages_received - before.messages_received).toBe(2 * bad.length);
    expect(stats.ingest_backlog).toBe(0);
    expect(stats.messages_rejected - before.messages_rejected).toBe(bad.length);
    expect(stats.messages_stored - before.messages_stored).toBe(bad.length);

    const rows = await sql(svc, 'select topic, reason, payload_size as size from rejected_message order by id');
    expect(rows).toHaveLength(bad.length);
    expect(rows.map((r) => r.reason)).toEqual([
      expect.stringContaining('invalid vehicle id'),
      expect.stringContaining('invalid vehicle id'),
      expect.stringContaining('invalid vehicle id'),
      'payload is not valid JSON',
      expect.stringContaining('sensor_id'),
      expect.stringContaining('latitude'),
      expect.stringContaining('rssi'),
      expect.stringContaining('payload'),
      'payload is not valid UTF-8',
      expect.stringContaining('MQTT_MAX_PAYLOAD'),
    ]);
    expect(rows[0].topic).toBe(`${svc.prefix}/abc/raw_log`);
    expect(Number(rows[9].size)).toBe(256 * 1024 + 1);
    const neighbours = await svc.gql(print(LogsQuery), { vehicleId: 3, first: 100 });
    expect(neighbours.data.logs.edges).toHaveLength(bad.length);
  });

  it('answers pings, refuses bad JSON without closing, and refuses bad paths before the upgrade', async () => {
    one.send(JSON.stringify({ type: 'ping', timestamp: 'X1' }));
    one.send('not json');
    const replies = await one.messages.until((m) => m.some((x) => x.type === 'error'), undefined, 'pong and error');
    expect(replies).toContainEqual({ type: 'pong', timestamp: 'X1' });
    expect(replies).toContainEqual({ type: 'error', message: 'Invalid JSON format' });
    expect(one.socket.readyState).toBe(one.socket.OPEN);

    await expect(openLegacy(`${svc.wsUrl}/api/ws/vehicle/abc`)).rejects.toMatchObject({ status: 400 });
    await expect(openLegacy(`${svc.wsUrl}/api/ws/vehicle/0`)).rejects.toMatchObject({ status: 400 });
    await expect(openLegacy(`${svc.wsUrl}/api/nope`)).rejects.toMatchObject({ status: 404 });
  });

  it('serves many subscribers of one operation from one execution; each leaves on its own', async () => {
    const clients = [0, 1, 2].map(() => graphqlWsClient(`${svc.wsUrl}/graphql`));
    const subs = clients.map((c) => subscribe(c, LogsSubscription, { vehicleId: 4 }));
    await untilServer(svc, (s) => s.activeSubscriptions === 3, 'three subscriptions');
    await svc.publish(vessel, 4, 'raw_log', 'to all three');
    for (const sub of subs) expect((await sub.results.count(1))[0]!.logs).toMatchObject({ vehicleId: 4, message: 'to all three' });
    subs[0]!.dispose();
    await untilServer(svc, (s) => s.activeSubscriptions === 2, 'the first to leave');
    await svc.publish(vessel, 4, 'raw_log', 'to the two left');
    for (const sub of subs.slice(1)) expect((await sub.results.count(2))[1]!.logs).toMatchObject({ message: 'to the two left' });
    expect(subs[0]!.results.items).toHaveLength(1);
    for (const c of clients) await c.dispose();
    await untilServer(svc, (s) => s.activeSubscriptions === 0, 'all three to leave');
  });

  it('exposes Prometheus metrics whose counters match what was published', async () => {
    const text = await (await fetch(`${svc.httpUrl}/metrics`)).text();
    const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
    // Published so far in this file: raw 1+1 (+10 neighbours, +2 to vehicle 4), sensor 1,
    // vehicle 1 stored; rejected: 5 on raw_log topics, 2 sensor_log, 3 vehicle_log.
    expect(value('seano_messages_stored_total{type="raw_log"}')).toBe(14);
    expect(value('seano_messages_stored_total{type="sensor_log"}')).toBe(1);
    expect(value('seano_messages_stored_total{type="vehicle_log"}')).toBe(1);
    expect(value('seano_messages_rejected_total{type="raw_log"}')).toBe(5);
    expect(value('seano_messages_rejected_total{type="sensor_log"}')).toBe(2);
    expect(value('seano_messages_rejected_total{type="vehicle_log"}')).toBe(3);
    expect(value('seano_messages_received_total{type="raw_log"}')).toBe(19);
    expect(value('seano_connections{surface="legacy"}')).toBe(2);
    expect(value('seano_commit_batch_size_count')).toBeGreaterThan(0);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });

  it("lets GraphiQL's introspection query through the default query limits", async () => {
    const res = await svc.gql(getIntrospectionQuery());
    expect(res.errors).toBeUndefined();
    expect(res.data.__schema.subscriptionType.name).toBe('Subscription');
  });

  it('serves GraphQL errors for bad arguments instead of failing the server', async () => {
    const huge = await svc.gql(print(LogsQuery), { first: 100000 });
    expect(huge.errors?.[0]).toMatchObject({ message: expect.stringContaining('first must be between 0 and 1000') });
    const badCursor = await svc.gql(print(LogsQuery), { after: 'zzz' });
    expect(badCursor.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
  });
});
