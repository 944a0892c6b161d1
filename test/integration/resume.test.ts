// Resume without gap or duplicate (GraphQL `logs(after:)` and legacy `?after=`), publishing
// while the replay runs; and a redelivered message stored once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { LogsSubscription } from '../../client/operations.js';
import { backends } from '../utils/backends.js';
import { startService, type TestService } from '../utils/service.js';
import { graphqlWsClient, openFeed, openLegacy, subscribe, type LegacyClient } from '../utils/clients.js';
import { disposeLeftovers } from '../utils/leftovers.js';
import { readStats, sql } from '../utils/wait.js';

const STORED_BEFORE = 1500; // three replay pages
const DURING = 300;

describe.each(backends)('resume and idempotency on $name', (backend) => {
  let svc: TestService;
  let vessel: MqttClient;
  let feed: LegacyClient; // a frame for every log committed

  beforeAll(async () => {
    svc = await startService(backend);
    vessel = await svc.publisher();
    feed = await openFeed(`${svc.wsUrl}/api/ws`);
  });
  afterAll(disposeLeftovers);

  const burst = async (from: number, count: number) => {
    for (let i = from; i < from + count; i++) {
      await svc.publish(vessel, 1 + (i % 3), 'vehicle_log', { seq: i, speed: i % 7, timestamp: new Date(1_760_000_000_000 + i).toISOString() });
    }
  };

  it('replays after an id, then goes on live, with no gap and no duplicate', async () => {
    await burst(0, STORED_BEFORE);
    await feed.logs(STORED_BEFORE, 30_000);
    const [{ id: firstId }] = await sql(svc, 'select min(id)::text as id from log');
    const afterId = String(Number(firstId) + 99); // resume after the 100th stored log

    // Publishing starts first and goes on while the three replays read their pages.
    const during = burst(STORED_BEFORE, DURING);
    const ws = graphqlWsClient(`${svc.wsUrl}/graphql`);
    const sub = subscribe(ws, LogsSubscription, { after: afterId });
    const legacy = await openLegacy(`${svc.wsUrl}/api/ws?after=${afterId}`);
    const legacyOne = await openLegacy(`${svc.wsUrl}/api/ws/vehicle/2?after=${afterId}`);
    await during;
    const total = STORED_BEFORE + DURING;
    await feed.logs(total, 30_000);

    const expected = (await sql(svc, 'select id::text as id, vehicle_id from log where log.id > ?::bigint order by log.id', [afterId]));
    expect(expected).toHaveLength(total - 100);

    const got = (await sub.results.count(total - 100, 30_000)).map((r) => r.logs.id);
    expect(got).toEqual(expected.map((r) => r.id));

    const frames = (await legacy.messages.count(total - 100 + 1, 30_000)).slice(1);
    expect(frames.map((f) => f.id)).toEqual(expected.map((r) => r.id));

    const two = expected.filter((r) => r.vehicle_id === 2).map((r) => r.id);
    const framesTwo = (await legacyOne.messages.count(two.length + 1, 30_000)).slice(1);
    expect(framesTwo.map((f) => f.id)).toEqual(two);

    // Still live afterwards, exactly once.
    await burst(total, 3);
    const more = await sub.results.count(total - 100 + 3);
    expect(new Set(more.map((r) => r.logs.id)).size).toBe(more.length);
    sub.dispose();
    legacy.close();
    legacyOne.close();
    await ws.dispose();
  });

  it('stores a redelivered message once (same payload with timestamp or seq) and counts the duplicate', async () => {
    const before = await readStats(svc);
    const framesBefore = feed.messages.items.length;
    const payload = JSON.stringify({ seq: 987654, battery_voltage: 12.1, timestamp: '2025-10-18T16:30:00.123Z' });
    await svc.publish(vessel, 7, 'vehicle_log', payload);
    await svc.publish(vessel, 7, 'vehicle_log', payload);
    await svc.publish(vessel, 7, 'sensor_log', { sensor_id: 1, data: { t: 1, timestamp: '2025-10-18T16:30:00.123Z' } });
    await svc.publish(vessel, 7, 'sensor_log', { sensor_id: 1, data: { t: 1, timestamp: '2025-10-18T16:30:00.123Z' } });
    // Neither timestamp nor seq: nothing tells a redelivery from a repeat, so both are kept.
    await svc.publish(vessel, 7, 'raw_log', 'same line');
    await svc.publish(vessel, 7, 'raw_log', 'same line');
    // The last one is stored: its frame comes after the five before it were handled.
    await feed.messages.until((m) => m.slice(framesBefore).filter((f) => f.vehicle_id === 7).length === 4, undefined, 'four logs of vessel 7');
    const s = await readStats(svc);
    expect(s.messages_received - before.messages_received).toBe(6);
    expect(s.ingest_backlog).toBe(0);
    expect(s.messages_stored - before.messages_stored).toBe(4);
    expect(s.messages_duplicate - before.messages_duplicate).toBe(2);
    const rows = await sql(svc, `select type, count(*)::int as n from log where vehicle_id = 7 group by type order by type`);
    expect(rows).toEqual([
      { type: 'raw_log', n: 2 },
      { type: 'sensor_log', n: 1 },
      { type: 'vehicle_log', n: 1 },
    ]);
  });
});
