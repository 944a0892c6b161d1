// The alert state machine, fed logs and status changes with their times: forSeconds, clearAt
// hysteresis, geofences, offline, late data, and the state a restart starts from.
import { describe, expect, it } from 'vitest';
import { AlertEvaluator, type Transition } from '../../src/alerts/evaluator.js';
import { parseAlertRules } from '../../src/alerts/rules.js';
import { toLogEvent, type LogEvent } from '../../src/logs/event.js';
import { SENSOR_TYPE, TELEMETRY_TYPE } from '../../src/logs/kinds.js';

const t0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (s: number) => new Date(t0 + s * 1000);
let nextId = 1;
const telemetry = (vehicleId: number, s: number, data: Record<string, unknown>): LogEvent =>
  toLogEvent({ id: nextId++, vehicleId, type: TELEMETRY_TYPE, timestamp: at(s), receivedAt: at(s), data });
const sensor = (vehicleId: number, s: number, sensorId: number, data: Record<string, unknown>): LogEvent =>
  toLogEvent({ id: nextId++, vehicleId, type: SENSOR_TYPE, timestamp: at(s), receivedAt: at(s), sensorId, data });

const rules = parseAlertRules({
  rules: [
    { name: 'battery-low', severity: 'warning', kind: 'threshold', field: 'batteryVoltage', below: 11.5, forSeconds: 10, clearAt: 11.8 },
    { name: 'hot', severity: 'critical', kind: 'threshold', sensorId: 1, field: 'temperature', above: 40, vehicles: [1] },
    { name: 'silent', severity: 'critical', kind: 'offline', vehicles: [1, 2] },
    {
      name: 'harbour', severity: 'info', kind: 'geofence', alertWhen: 'outside',
      polygon: { type: 'Polygon', coordinates: [[[106, -7], [107, -7], [107, -6], [106, -6], [106, -7]]] },
    },
  ],
});

/** Feeds each event and returns the transitions, as `change rule @ seconds`. */
function run(ev: AlertEvaluator, events: LogEvent[]): string[] {
  return events.flatMap((e) => ev.observe(e)).map(show);
}
const show = (t: Transition) => `${t.change} ${t.rule} v${t.vehicleId} @${(t.at.getTime() - t0) / 1000}`;

describe('AlertEvaluator', () => {
  it('threshold: fires once the value has stayed past it for forSeconds, resolves only at clearAt', () => {
    const ev = new AlertEvaluator(rules, []);
    const volts = (s: number, v: number) => telemetry(1, s, { battery_voltage: v });
    expect(run(ev, [volts(0, 11.4), volts(5, 11.3), volts(8, 11.6)])).toEqual([]); // back above before 10 s: the wait starts over
    expect(run(ev, [volts(9, 11.4), volts(15, 11.2)])).toEqual([]);
    const fired = ev.observe(volts(19, 11.1));
    expect(fired).toEqual([{ change: 'fire', rule: 'battery-low', severity: 'warning', vehicleId: 1, at: at(19), value: 11.1, message: 'battery-low: batteryVoltage 11.1 below 11.5 for 10 s' }]);
    // Between below and clearAt it stays FIRING: no flapping around 11.5 V.
    expect(run(ev, [volts(20, 11.6), volts(21, 11.4), volts(22, 11.79), { ...volts(23, 0), data: { mode: 'AUTO' } }])).toEqual([]);
    expect(run(ev, [volts(24, 11.8), volts(25, 11.9)])).toEqual(['resolve battery-low v1 @24']);
    expect(run(ev, [volts(30, 11.0)])).toEqual([]); // a new episode needs its own 10 s
    expect(run(ev, [volts(40, 11.0)])).toEqual(['fire battery-low v1 @40']);
  });

  it('vessels are independent; a sensor rule reads that sensor and only the listed vessels', () => {
    const ev = new AlertEvaluator(rules, []);
    const hot = (v: number, s: number, sensorId: number, temperature: number) => sensor(v, s, sensorId, { temperature });
    expect(run(ev, [hot(2, 0, 1, 50), hot(1, 0, 2, 50), telemetry(1, 1, { temperature: 50 })])).toEqual([]);
    expect(run(ev, [hot(1, 2, 1, 41), hot(1, 3, 1, 45), hot(1, 4, 1, 40)])).toEqual(['fire hot v1 @2', 'resolve hot v1 @4']);
    expect(run(ev, [telemetry(2, 0, { battery_voltage: 11 }), telemetry(3, 0, { battery_voltage: 11 }), telemetry(2, 10, { battery_voltage: 11 })]))
      .toEqual(['fire battery-low v2 @10']);
  });

  it('a log older than the last one judged changes nothing (a flushed backlog)', () => {
    const ev = new AlertEvaluator(rules, []);
    expect(run(ev, [telemetry(1, 100, { battery_voltage: 11 }), telemetry(1, 110, { battery_voltage: 11 })])).toEqual(['fire battery-low v1 @110']);
    expect(run(ev, [telemetry(1, 50, { battery_voltage: 12.5 })])).toEqual([]);
    expect(run(ev, [telemetry(1, 111, { battery_voltage: 12.5 })])).toEqual(['resolve battery-low v1 @111']);
  });

  it('geofence: fires on the first position on the wrong side, resolves on the first one back', () => {
    const ev = new AlertEvaluator(rules, []);
    const pos = (s: number, latitude: number, longitude: number) => telemetry(4, s, { latitude, longitude });
    expect(run(ev, [pos(0, -6.5, 106.5), telemetry(4, 1, { latitude: -6.5 }), pos(2, -5.5, 106.5), pos(3, -5.4, 106.5), pos(4, -6.1, 106.9)]))
      .toEqual(['fire harbour v4 @2', 'resolve harbour v4 @4']);
    const [fired] = new AlertEvaluator(rules, []).observe(pos(9, -5.5, 106.5));
    expect(fired).toMatchObject({ value: null, message: 'harbour: outside the geofence at -5.5, 106.5' });
  });

  it('offline: OFFLINE fires, ONLINE resolves, for the listed vessels', () => {
    const ev = new AlertEvaluator(rules, []);
    const offline = ev.status({ vehicleId: 1, status: 'OFFLINE', lastSeenAt: at(0) }, at(31));
    expect(offline).toEqual([{ change: 'fire', rule: 'silent', severity: 'critical', vehicleId: 1, at: at(31), value: 31, message: 'silent: no message for 31 s (last seen 2026-01-01T00:00:00.000Z)' }]);
    expect(ev.status({ vehicleId: 1, status: 'OFFLINE', lastSeenAt: at(0) }, at(40))).toEqual([]);
    expect(ev.status({ vehicleId: 3, status: 'OFFLINE', lastSeenAt: at(0) }, at(40))).toEqual([]);
    expect(ev.status({ vehicleId: 1, status: 'ONLINE', lastSeenAt: at(50) }, at(50)).map(show)).toEqual(['resolve silent v1 @50']);
  });

  it('after a restart: open episodes stay FIRING (no second FIRING), those of removed rules are resolved', () => {
    const open = [{ rule: 'battery-low', vehicleId: 1 }, { rule: 'silent', vehicleId: 2 }, { rule: 'gone', vehicleId: 1 }];
    const ev = new AlertEvaluator(rules, open);
    const startup = ev.start(open, [{ vehicleId: 1, status: 'OFFLINE', lastSeenAt: at(0) }, { vehicleId: 2, status: 'OFFLINE', lastSeenAt: at(0) }], at(100));
    expect(startup.map(show)).toEqual(['resolve gone v1 @100', 'fire silent v1 @100']);
    expect(run(ev, [telemetry(1, 200, { battery_voltage: 11 }), telemetry(1, 300, { battery_voltage: 11 })])).toEqual([]);
    expect(run(ev, [telemetry(1, 301, { battery_voltage: 12 })])).toEqual(['resolve battery-low v1 @301']);
    expect(new AlertEvaluator(rules, []).start([], [{ vehicleId: 2, status: 'ONLINE', lastSeenAt: at(0) }], at(1))).toEqual([]);
  });
});
