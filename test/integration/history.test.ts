// series and track against hand-computed answers on small data.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { backends } from '../utils/backends.js';
import { startService, type TestService } from '../utils/service.js';
import { openFeed, type LegacyClient } from '../utils/clients.js';
import { disposeLeftovers } from '../utils/leftovers.js';
import { readStats } from '../utils/wait.js';

const t0 = Date.parse('2025-01-01T00:00:00.000Z');
const at = (seconds: number) => new Date(t0 + seconds * 1000).toISOString();

describe.each(backends)('history queries on $name', (backend) => {
  let svc: TestService;
  let vessel: MqttClient;
  let feed: LegacyClient; // a frame for every log stored

  beforeAll(async () => {
    svc = await startService(backend);
    vessel = await svc.publisher();
    feed = await openFeed(`${svc.wsUrl}/api/ws`);
    // Vessel 1: speed 1, 3, 5, 7 at 0, 10, 20, 30 s; one telemetry without speed (not counted).
    for (const [s, speed] of [[0, 1], [10, 3], [20, 5], [30, 7]] as const) {
      await svc.publish(vessel, 1, 'vehicle_log', { speed, battery_voltage: 12 - s / 100, timestamp: at(s) });
    }
    await svc.publish(vessel, 1, 'vehicle_log', { mode: 'HOLD', timestamp: at(15) });
    await svc.publish(vessel, 1, 'sensor_log', { sensor_id: 1, data: { temperature: 20, timestamp: at(0) } });
    await svc.publish(vessel, 1, 'sensor_log', { sensor_id: 1, data: { temperature: 22, timestamp: at(5) } });
    await svc.publish(vessel, 1, 'sensor_log', { sensor_id: 2, data: { temperature: 99, timestamp: at(5) } });
    // Vessel 2: north for 6 fixes, then a 90° turn east for 4.
    for (let i = 0; i < 10; i++) {
      const north = Math.min(i, 5);
      const east = Math.max(0, i - 5);
      await svc.publish(vessel, 2, 'vehicle_log', {
        latitude: -6.1 + north * 0.001, longitude: 106.8 + east * 0.001, heading: i <= 5 ? 0 : 90, timestamp: at(i),
      });
    }
    await feed.logs(18);
  });
  afterAll(disposeLeftovers);

  it('series: avg/min/max/count per time bucket, computed in the database', async () => {
    const r = await svc.gql(`{ series(vehicleId: 1, field: "speed", from: "${at(0)}", to: "${at(40)}", buckets: 2) { start avg min max count } }`);
    expect(r.errors).toBeUndefined();
    expect(r.data.series).toEqual([
      { start: at(0), avg: 2, min: 1, max: 3, count: 2 },
      { start: at(20), avg: 6, min: 5, max: 7, count: 2 },
    ]);
    const snake = await svc.gql(`{ series(vehicleId: 1, field: "battery_voltage", from: "${at(0)}", to: "${at(40)}", buckets: 1) { avg count } }`);
    expect(snake.data.series).toHaveLength(1);
    expect(snake.data.series[0].avg).toBeCloseTo(11.85, 10);
    expect(snake.data.series[0].count).toBe(4);
    const sensor = await svc.gql(`{ series(vehicleId: 1, field: "temperature", sensorId: 1, from: "${at(0)}", to: "${at(10)}", buckets: 1) { avg min max count } }`);
    expect(sensor.data.series).toEqual([{ avg: 21, min: 20, max: 22, count: 2 }]);
  });

  it('series over hours: whole-minute buckets from the per-minute rollup, exact at partial minutes', async () => {
    // Vessel 3, hours after the rest: speed 2 and 4 in minute 0, 6 in minute 1, 10 in minute 3,
    // 20 and 40 in minute 4 (only its first 30 s are asked for below); a redelivered message
    // (same payload, stored once) and telemetry without a speed count nothing.
    const h = 3600;
    const samples = [[h + 10, 2], [h + 50, 4], [h + 70, 6], [h + 190, 10], [h + 250, 20], [h + 280, 40]] as const;
    for (const [s, speed] of samples) await svc.publish(vessel, 3, 'vehicle_log', { speed, timestamp: at(s) });
    await svc.publish(vessel, 3, 'vehicle_log', { speed: 6, timestamp: at(h + 70) });
    await svc.publish(vessel, 3, 'vehicle_log', { mode: 'HOLD', timestamp: at(h + 80) });
    await feed.logs(25); // the last one's frame: the redelivery before it was handled too
    expect(await readStats(svc)).toMatchObject({ messages_stored: 25, messages_duplicate: 1 });
    // From 30 s into minute 0 to 30 s into minute 4, 2 buckets: from minute 0 to
    // `to` is 270 s, / 2 → rounded up to 3 whole minutes each,
    // starting at minute 0 (the first holds 50 s, 70 s; the second 190 s, 250 s).
    const two = await svc.gql(`{ series(vehicleId: 3, field: "speed", from: "${at(h + 30)}", to: "${at(h + 270)}", buckets: 2) { start avg min max count } }`);
    expect(two.errors).toBeUndefined();
    expect(two.data.series).toEqual([
      { start: at(h), avg: 5, min: 4, max: 6, count: 2 },
      { start: at(h + 180), avg: 15, min: 10, max: 20, count: 2 },
    ]);
    // From a whole minute, five buckets of one minute, all from the rollup; minute 2 is empty and left out.
    const five = await svc.gql(`{ series(vehicleId: 3, field: "speed", from: "${at(h)}", to: "${at(h + 300)}", buckets: 5) { start avg min max count } }`);
    expect(five.data.series).toEqual([
      { start: at(h), avg: 3, min: 2, max: 4, count: 2 },
      { start: at(h + 60), avg: 6, min: 6, max: 6, count: 1 },
      { start: at(h + 180), avg: 10, min: 10, max: 10, count: 1 },
      { start: at(h + 240), avg: 30, min: 20, max: 40, count: 2 },
    ]);
  });

  it('a sensor key too long to sum is stored with its log; the other keys are summed', async () => {
    const before = await readStats(svc);
    // Incompressible, past PostgreSQL's btree entry limit (2,704 bytes), were it summed.
    const long = randomBytes(2400).toString('base64').replace(/[^A-Za-z0-9]/g, '_');
    await svc.publish(vessel, 4, 'sensor_log', { sensor_id: 1, data: { [long]: 1, depth: 5, timestamp: at(7200) } });
    await feed.logs(before.messages_stored + 1);
    expect((await readStats(svc)).messages_rejected).toBe(before.messages_rejected);
    const r = await svc.gql(`{ series(vehicleId: 4, field: "depth", sensorId: 1, from: "${at(0)}", to: "${at(3 * 3600)}", buckets: 3) { start avg count } }`);
    expect(r.data.series).toEqual([{ start: at(7200), avg: 5, count: 1 }]);
    const refused = await svc.gql(`{ series(vehicleId: 4, field: "${long}", sensorId: 1, from: "${at(0)}", to: "${at(3 * 3600)}") { avg } }`);
    expect(refused.errors?.[0].message).toMatch(/at most 64 letters, digits or _/);
  });

  it('series: an unknown field is refused with the allowed ones listed', async () => {
    const r = await svc.gql(`{ series(vehicleId: 1, field: "warp", from: "${at(0)}", to: "${at(40)}") { avg } }`);
    expect(r.errors?.[0].message).toBe('unknown field "warp"; allowed: speed, batteryVoltage, batteryCurrent, rssi, heading, latitude, longitude (or pass sensorId for a key of that sensor\'s data)');
    expect(r.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('track: all positions when they fit, else first, last and the turn', async () => {
    const all = await svc.gql('{ track(vehicleId: 2) { timestamp latitude longitude heading } }');
    expect(all.data.track).toHaveLength(10);
    expect(all.data.track[9]).toEqual({ timestamp: at(9), latitude: -6.095, longitude: 106.804, heading: 90 });
    const few = await svc.gql('{ track(vehicleId: 2, maxPoints: 4) { timestamp } }');
    expect(few.data.track.map((p: any) => p.timestamp)).toEqual([at(0), at(6), at(9)]);
    const window = await svc.gql(`{ track(vehicleId: 2, from: "${at(2)}", to: "${at(4)}") { timestamp } }`);
    expect(window.data.track.map((p: any) => p.timestamp)).toEqual([at(2), at(3)]);
  });
});
