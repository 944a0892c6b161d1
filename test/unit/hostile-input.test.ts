// Property-based: whatever arrives on a topic, parsing returns a verdict and never throws;
// what it accepts satisfies the contract (SPEC §3).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTopic } from '../../src/ingest/topics.js';
import { parseMessage } from '../../src/ingest/payload.js';

const limits = { prefix: 'seano', maxPayload: 4096 };
const now = new Date('2026-01-01T00:00:00Z');
const types = fc.constantFrom('raw_log', 'sensor_log', 'vehicle_log', 'other', '', '+', '#');
const ids = fc.oneof(fc.integer({ min: -5, max: 2 ** 32 }).map(String), fc.string(), fc.constantFrom('0', '01', '1e3', ' 1', '2147483647', '2147483648'));

describe('hostile topics', () => {
  it('parseTopic never throws; an accepted id is an integer 1..2147483647 written canonically', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.tuple(ids, types).map(([i, t]) => `seano/${i}/${t}`)), (topic) => {
        const r = parseTopic(topic, 'seano');
        if (r.ok) {
          expect(Number.isInteger(r.vehicleId)).toBe(true);
          expect(r.vehicleId).toBeGreaterThanOrEqual(1);
          expect(r.vehicleId).toBeLessThanOrEqual(2147483647);
          expect(topic).toBe(`seano/${r.vehicleId}/${r.type}`);
        } else {
          expect(r.reason.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('hostile payloads', () => {
  const payloads = fc.oneof(
    fc.uint8Array({ maxLength: 5000 }),
    fc.string({ maxLength: 300 }).map((s) => new TextEncoder().encode(s)),
    fc.json().map((s) => new TextEncoder().encode(s)),
    fc.record({
      sensor_id: fc.oneof(fc.integer(), fc.double(), fc.string()),
      data: fc.oneof(fc.object(), fc.anything()),
      timestamp: fc.oneof(fc.string(), fc.integer(), fc.date({ noInvalidDate: true }).map((d) => d.toISOString())),
    }).map((o) => new TextEncoder().encode(JSON.stringify(o))),
    fc.record({
      latitude: fc.double(), longitude: fc.double(), rssi: fc.oneof(fc.integer(), fc.double()),
      armed: fc.anything(), mode: fc.anything(), seq: fc.nat(),
    }, { requiredKeys: [] }).map((o) => new TextEncoder().encode(JSON.stringify(o))),
  );

  it('parseMessage never throws; what it accepts is storable and within range', () => {
    fc.assert(
      fc.property(fc.constantFrom('raw_log', 'sensor_log', 'vehicle_log'), payloads, (type, payload) => {
        const r = parseMessage(`seano/7/${type}`, payload, now, limits);
        if (!r.ok) {
          expect(r.reason.length).toBeGreaterThan(0);
          return;
        }
        const { log } = r;
        expect(Number.isNaN(log.timestamp.getTime())).toBe(false);
        expect(payload.byteLength).toBeLessThanOrEqual(limits.maxPayload);
        const text = JSON.stringify(log.data ?? log.message);
        expect(text.includes('\\u0000')).toBe(false); // PostgreSQL could not store it
        if (type === 'sensor_log') expect(Number.isInteger(log.sensorId)).toBe(true);
        if (type === 'vehicle_log') {
          const d = log.data as Record<string, unknown>;
          if (typeof d.latitude === 'number') expect(Math.abs(d.latitude)).toBeLessThanOrEqual(90);
          if (typeof d.longitude === 'number') expect(Math.abs(d.longitude)).toBeLessThanOrEqual(180);
          if (d.rssi !== undefined && d.rssi !== null) expect(Number.isInteger(d.rssi)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
