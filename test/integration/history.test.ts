// series and track against hand-computed answers on small data.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { backends } from '../utils/backends.js';
import { startService, type TestService } from '../utils/service.js';
import { untilStats } from '../utils/wait.js';

const t0 = Date.parse('2025-01-01T00:00:00.000Z');
const at = (seconds: number) => new Date(t0 + seconds * 1000).toISOString();

describe.each(backends)('history queries on $name', (backend) => {
  let svc: TestService;
  let vessel: MqttClient;

  beforeAll(async () => {
    svc = await startService(backend);
    vessel = await svc.publisher();
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
    await untilStats(svc, (s) => s.messages_stored === 18);
  });
  afterAll(() => svc?.stop());

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
