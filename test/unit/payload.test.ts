import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/ingest/payload.js';
import { parseTimestamp } from '../../src/logs/params.js';

const limits = { prefix: 'seano', maxPayload: 1024 };
const now = new Date('2026-01-01T00:00:00.000Z');
const parse = (type: string, body: string | object, id = 1) =>
  parseMessage(`seano/${id}/${type}`, Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), now, limits);

describe('parseMessage', () => {
  it('keeps raw text as it is, timed at receipt', () => {
    const r = parse('raw_log', 'GPS initialized successfully');
    expect(r).toMatchObject({ ok: true, log: { message: 'GPS initialized successfully', timestamp: now, dedupKey: null } });
  });

  it('keeps sensor data as received, a timestamp inside data included', () => {
    const data = { temperature: 28.5, timestamp: '2025-10-18T16:30:00.123Z' };
    const r = parse('sensor_log', { sensor_id: 5, data });
    expect(r.ok && r.log).toMatchObject({ sensorId: 5, data, timestamp: new Date('2025-10-18T16:30:00.123Z') });
    expect(r.ok && r.log.dedupKey).toMatch(/^[\w-]{43}$/);
  });

  it('keeps unknown telemetry fields and accepts partial telemetry', () => {
    const body = { battery_voltage: 12.4, custom_field: 'x', nested: { a: 1 } };
    const r = parse('vehicle_log', body);
    expect(r.ok && r.log.data).toEqual(body);
    expect(r.ok && r.log.dedupKey).toBeNull(); // no timestamp, no seq: nothing to recognise a redelivery by
  });

  it('gives the same dedup key to the same payload, and a different one otherwise', () => {
    const a = parse('vehicle_log', { seq: 1, speed: 2 });
    const b = parse('vehicle_log', { seq: 1, speed: 2 });
    const c = parse('vehicle_log', { seq: 2, speed: 2 });
    expect(a.ok && a.log.dedupKey).toBe(b.ok && b.log.dedupKey);
    expect(a.ok && a.log.dedupKey).not.toBe(c.ok && c.log.dedupKey);
  });

  it.each([
    ['sensor_log', '{"sensor_id": 1', 'not valid JSON'],
    ['sensor_log', { data: {} }, 'sensor_id'],
    ['sensor_log', { sensor_id: 1.5, data: {} }, 'sensor_id'],
    ['sensor_log', { sensor_id: 1, data: [1] }, 'data'],
    ['vehicle_log', { latitude: -90.1 }, 'latitude'],
    ['vehicle_log', { longitude: 180.5 }, 'longitude'],
    ['vehicle_log', { rssi: 'strong' }, 'rssi'],
    ['vehicle_log', { armed: 'yes' }, 'armed'],
    ['vehicle_log', '"just a string"', 'payload'],
    ['vehicle_log', 'null', 'payload'],
    ['raw_log', 'nul \u0000 inside', 'NUL'],
    ['vehicle_log', '{"mode":"\\u0000"}', 'NUL'],
  ])('rejects %s %j', (type, body, reason) => {
    const r = parse(type, body);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toContain(reason);
  });

  it('rejects invalid UTF-8 and oversized payloads', () => {
    const bad = parseMessage('seano/1/raw_log', Buffer.from([0xc3, 0x28]), now, limits);
    expect(bad).toMatchObject({ ok: false, reason: 'payload is not valid UTF-8' });
    const big = parseMessage('seano/1/raw_log', Buffer.alloc(1025, 'a'), now, limits);
    expect(big).toMatchObject({ ok: false, reason: expect.stringContaining('exceeds MQTT_MAX_PAYLOAD') });
  });
});

describe('parseTimestamp', () => {
  it('reads ISO-8601 with and without a zone (no zone = UTC) and epoch milliseconds', () => {
    expect(parseTimestamp('2025-10-18T16:30:00.123Z')?.toISOString()).toBe('2025-10-18T16:30:00.123Z');
    expect(parseTimestamp('2025-10-18T16:30:00.123')?.toISOString()).toBe('2025-10-18T16:30:00.123Z');
    expect(parseTimestamp('2025-10-18T23:30:00+07:00')?.toISOString()).toBe('2025-10-18T16:30:00.000Z');
    expect(parseTimestamp(1760805000123)?.toISOString()).toBe('2025-10-18T16:30:00.123Z');
  });

  it('returns undefined for what is not a time, so receipt time is used', () => {
    for (const v of ['yesterday', '', null, {}, -5, 1e20, '2025-13-45T99:99:99Z']) expect(parseTimestamp(v)).toBeUndefined();
  });
});
