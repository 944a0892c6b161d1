// The simulator's pure parts (scripts/simulator): movement, seq, battery, rssi, chaos, and the
// broker it publishes to, from the service's own settings.
// Seeded RNGs make every run identical, so a failure here reproduces.
import { describe, it, expect } from 'vitest';
import {
  BASE, BAY, BOOT_LINES, batteryVoltage, createRng, createVessel, distanceM, nextMessage, rssiAt, stepVessel, telemetry,
  type SimMessage, type Vessel,
} from '../../scripts/simulator/vessel.js';
import { CHAOS_KINDS, CHAOS_RATE, chaosMessage, maybeChaos, pickChaosKind, type ChaosKind } from '../../scripts/simulator/chaos.js';
import { parseMessage } from '../../src/ingest/payload.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { brokerTarget } from '../../scripts/simulator/broker.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const inBay = (lat: number, lon: number) => lat >= BAY.minLat && lat <= BAY.maxLat && lon >= BAY.minLon && lon <= BAY.maxLon;
const service = (m: SimMessage) =>
  parseMessage(`seano/${m.vehicleId}/${m.type}`, new TextEncoder().encode(m.payload), at(0), { prefix: 'seano', maxPayload: 256 * 1024 });

describe('simulated vessel', () => {
  it('keeps every position inside the Jakarta Bay box over many hours, while really moving', () => {
    for (let id = 1; id <= 6; id++) {
      const rng = createRng(id * 101);
      const v = createVessel(id, rng);
      const home = { lat: v.lat, lon: v.lon };
      let farthest = 0;
      const outside: string[] = []; // collected, not expect()ed per step: 120k expects are slow
      for (let s = 0; s < 20_000; s++) {
        stepVessel(v, 1, rng);
        const m = nextMessage(v, at(s), rng);
        if (!inBay(v.lat, v.lon)) outside.push(`state ${v.lat},${v.lon}`);
        if (m.type === 'vehicle_log') {
          const b = JSON.parse(m.payload) as { latitude: number; longitude: number; heading: number; speed: number };
          if (!inBay(b.latitude, b.longitude)) outside.push(`published ${b.latitude},${b.longitude}`);
          if (!(b.heading >= 0 && b.heading < 360 && b.speed >= 0 && b.speed <= 6)) outside.push(`heading ${b.heading} speed ${b.speed}`);
        }
        farthest = Math.max(farthest, distanceM(home, v));
      }
      expect(outside.slice(0, 5)).toEqual([]);
      expect(farthest).toBeGreaterThan(2000); // it went out on its mission, not just sat at the mooring
    }
  });

  it('starts with the boot lines as raw_log, then produces valid vehicle_log and sensor_log', () => {
    const rng = createRng(7);
    const v = createVessel(3, rng);
    const messages = Array.from({ length: 40 }, (_, i) => nextMessage(v, at(i), rng));
    expect(messages.slice(0, 3).map((m) => m.payload)).toEqual(BOOT_LINES);
    const sensors = messages.filter((m) => m.type === 'sensor_log').map((m) => JSON.parse(m.payload) as { sensor_id: number; data: Record<string, unknown> });
    expect(sensors.map((s) => s.sensor_id).slice(0, 4)).toEqual([1, 2, 1, 2]);
    expect(sensors[0]!.data.timestamp).toBe(at(3).toISOString()); // inside data, like the original
    expect(sensors[1]!.data).toHaveProperty('salinity');
    for (const m of messages) expect(service(m).ok).toBe(true);
    expect(messages.filter((m) => m.type === 'vehicle_log').length).toBeGreaterThan(sensors.length);
  });

  it('counts seq per topic from 1 with no holes, independently per vessel (raw text carries none)', () => {
    const rngA = createRng(1);
    const rngB = createRng(2);
    const a = createVessel(1, rngA);
    const b = createVessel(2, rngB);
    const seqs = new Map<Vessel, { vehicle_log: number[]; sensor_log: number[] }>([[a, { vehicle_log: [], sensor_log: [] }], [b, { vehicle_log: [], sensor_log: [] }]]);
    const raw = new Map<Vessel, number>([[a, 0], [b, 0]]);
    for (let i = 0; i < 500; i++) {
      for (const [v, rng] of [[a, rngA], [b, rngB]] as const) {
        if (i % 2 === 0 && v === b) continue; // b sends half as often
        stepVessel(v, 0.5, rng);
        const m = nextMessage(v, at(i), rng);
        if (m.type === 'raw_log') raw.set(v, raw.get(v)! + 1);
        else seqs.get(v)![m.type].push((JSON.parse(m.payload) as { seq: number }).seq);
      }
    }
    expect(a.seq.vehicle_log + a.seq.sensor_log + raw.get(a)!).toBe(500);
    expect(b.seq.vehicle_log + b.seq.sensor_log + raw.get(b)!).toBe(250);
    for (const [v, topics] of seqs) {
      for (const [topic, list] of Object.entries(topics)) {
        expect(list.length).toBeGreaterThan(0);
        expect(list).toEqual(Array.from({ length: v.seq[topic as 'vehicle_log'] }, (_, k) => k + 1));
      }
    }
  });

  it('drains the battery over time, faster when moving', () => {
    const rng = createRng(42);
    const v = createVessel(2, rng);
    const start = batteryVoltage(v);
    const samples: number[] = [];
    const fast: number[] = [];
    const still: number[] = [];
    let lastUsed = v.usedAh;
    for (let s = 1; s <= 1800; s++) {
      stepVessel(v, 1, rng);
      expect(v.usedAh).toBeGreaterThan(lastUsed); // charge only ever goes out (no swap this early)
      lastUsed = v.usedAh;
      if (v.speed > 4) fast.push(v.current);
      if (v.speed < 0.1) still.push(v.current);
      if (s % 300 === 0) samples.push((telemetry(v, at(s), rng) as { battery_voltage: number }).battery_voltage);
    }
    expect(start).toBeGreaterThan(12.4);
    expect(start).toBeLessThanOrEqual(12.6);
    expect(samples.at(-1)!).toBeLessThan(start - 0.5);
    expect(samples.at(-1)!).toBeLessThan(samples[0]!);
    expect(fast.length).toBeGreaterThan(0);
    expect(still.length).toBeGreaterThan(0);
    expect(Math.min(...fast)).toBeGreaterThan(Math.max(...still));
  });

  it('reports a weaker rssi farther from the base station', () => {
    expect(rssiAt(BASE)).toBe(-30);
    const north = (km: number) => ({ lat: BASE.lat + km / 111.32, lon: BASE.lon });
    const values = [0.5, 2, 5, 8].map((km) => rssiAt(north(km)));
    for (let i = 1; i < values.length; i++) expect(values[i]!).toBeLessThan(values[i - 1]!);
    expect(values[0]!).toBeGreaterThan(-50);
    expect(values.at(-1)!).toBeLessThan(-85);
    expect(rssiAt(north(20))).toBe(-95); // floor: the link is as weak as it reports
    for (const r of values) expect(Number.isInteger(r)).toBe(true);

    // Through the published telemetry too, noise included.
    const rng = createRng(9);
    const v = createVessel(1, rng);
    const rssiAtPoint = (p: { lat: number; lon: number }) => {
      Object.assign(v, p);
      return (telemetry(v, at(0), rng) as { rssi: number }).rssi;
    };
    expect(rssiAtPoint({ lat: -6.1, lon: 106.835 })).toBeGreaterThan(rssiAtPoint({ lat: -5.96, lon: 106.98 }));
  });
});

describe('chaos', () => {
  it('produces every malformed kind, and the service rejects each one', () => {
    const rng = createRng(1234);
    const v = createVessel(4, rng);
    for (const kind of CHAOS_KINDS) {
      for (let i = 0; i < 30; i++) {
        const m = chaosMessage(kind, v, at(i), rng);
        expect(m.malformed).toBe(kind);
        const result = service(m);
        expect(result.ok, `${kind}: ${m.vehicleId} ${m.type} ${m.payload.slice(0, 120)}`).toBe(false);
      }
    }
    const oversized = chaosMessage('oversized', v, at(0), rng);
    expect(Buffer.byteLength(oversized.payload)).toBeGreaterThan(256 * 1024);
    expect(() => JSON.parse(oversized.payload) as unknown).not.toThrow();
    expect(chaosMessage('bad_vehicle_id', v, at(0), rng).vehicleId).not.toMatch(/^[1-9]\d*$/);
  });

  it('picks all kinds, oversized rarely, and replaces about 5% of messages', () => {
    const rng = createRng(99);
    const counts = new Map<ChaosKind, number>();
    for (let i = 0; i < 20_000; i++) {
      const k = pickChaosKind(rng);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    for (const kind of CHAOS_KINDS) expect(counts.get(kind) ?? 0).toBeGreaterThan(0);
    expect(counts.get('oversized')!).toBeLessThan(20_000 * 0.05);

    const v = createVessel(1, rng);
    let replaced = 0;
    for (let i = 0; i < 20_000; i++) if (maybeChaos(v, at(i), rng)) replaced++;
    expect(replaced / 20_000).toBeGreaterThan(CHAOS_RATE * 0.8);
    expect(replaced / 20_000).toBeLessThan(CHAOS_RATE * 1.2);
  });
});

describe('where the simulator publishes', () => {
  it('reads the service settings: MQTT_URL, else the embedded broker on MQTT_EMBEDDED_PORT', () => {
    expect(brokerTarget({}, {}).url).toBe('mqtt://127.0.0.1:1883');
    expect(brokerTarget({ MQTT_EMBEDDED_PORT: '1884' }, {}).url).toBe('mqtt://127.0.0.1:1884');
    expect(brokerTarget({ MQTT_EMBEDDED_PORT: '1884', MQTT_URL: 'mqtt://broker.lan:1883' }, {}).url).toBe('mqtt://broker.lan:1883');
  });

  it('uses the prefix and credentials as the service reads them', () => {
    const env = { MQTT_TOPIC_PREFIX: 'fleet/jakarta/', MQTT_USERNAME: 'sim', MQTT_PASSWORD: 'secret', MQTT_EMBEDDED_PORT: '1885' };
    const config = loadConfig(env);
    expect(brokerTarget(env, {})).toEqual({
      url: 'mqtt://127.0.0.1:1885',
      prefix: config.MQTT_TOPIC_PREFIX, // 'fleet/jakarta': the trailing slash dropped, as the service does
      username: config.MQTT_USERNAME,
      password: config.MQTT_PASSWORD,
    });
    expect(brokerTarget({ MQTT_USERNAME: '' }, {}).username).toBeUndefined(); // empty is unset, as for the service
  });

  it('lets flags win over the settings', () => {
    const env = { MQTT_URL: 'mqtt://a:1883', MQTT_TOPIC_PREFIX: 'a', MQTT_USERNAME: 'a', MQTT_PASSWORD: 'a' };
    expect(brokerTarget(env, { url: 'mqtt://b:1883', prefix: 'b', username: 'b', password: 'b' })).toEqual({
      url: 'mqtt://b:1883', prefix: 'b', username: 'b', password: 'b',
    });
  });

  it('refuses what the service refuses, naming the setting', () => {
    expect(() => brokerTarget({ MQTT_EMBEDDED_PORT: 'x' }, {})).toThrow(/^Invalid setting MQTT_EMBEDDED_PORT=/);
    expect(() => brokerTarget({}, { prefix: 'a/+' })).toThrow(/^Invalid setting MQTT_TOPIC_PREFIX="a\/\+"/);
    expect(() => brokerTarget({}, { url: 'http://broker' })).toThrow(ConfigError);
  });
});
