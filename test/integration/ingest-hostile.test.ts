// Hostile messages interleaved with good ones of other vessels (SPEC §8, issue 12): each hostile
// one is rejected with a reason naming what was wrong (or, if valid, stored as sent), every good
// one is stored and delivered, /readyz stays ready, and after a restart on the same data new
// messages are stored. Over real MQTT, on every backend.
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { backends, type Backend } from '../utils/backends.js';
import { openFeed, type LegacyClient } from '../utils/clients.js';
import { disposeLeftovers, leave } from '../utils/leftovers.js';
import { startService, type TestService } from '../utils/service.js';
import { sql } from '../utils/wait.js';

const FLOAT_MAX = '1.7976931348623157e308';
const minute = '2026-03-01T10:00';
const deepObject = `${'{"a":'.repeat(6000)}1${'}'.repeat(6000)}`;
const deepArray = `{"sensor_id":1,"data":{"x":${'['.repeat(6000)}${']'.repeat(6000)}}}`;
// Float64 reads it as 0.111…, but PostgreSQL's numeric holds at most 16,383 digits after the point.
const refusedByPostgres = `{"depth":0.${'1'.repeat(20_000)}}`;
const badLarge = Buffer.alloc(200 * 1024, 'x');

/** [type, payload, what the rejection's reason says, or null: valid, stored as sent]. */
const HOSTILE: [string, string | Buffer, RegExp | null][] = [
  ['vehicle_log', deepObject, /nested 6000 levels/],
  ['sensor_log', deepArray, /nested 6002 levels/],
  ['vehicle_log', `{"battery_voltage":${FLOAT_MAX},"timestamp":"${minute}:01Z"}`, null],
  ['vehicle_log', `{"battery_voltage":${FLOAT_MAX},"timestamp":"${minute}:02Z"}`, null],
  ['vehicle_log', '{"speed":1e400}', /float64 range/],
  ['vehicle_log', '{"speed":1e-400}', /float64 range/],
  ['vehicle_log', '{"mode":"\\ud800"}', /unpaired surrogate/],
  ['sensor_log', badLarge, /not valid JSON/],
  ['vehicle_log', refusedByPostgres, /^not stored: value overflows numeric format \(SQLSTATE 22003\)$/],
];

const ready = async (svc: TestService) => {
  const res = await fetch(`${svc.httpUrl}/readyz`);
  return { http: res.status, ...((await res.json()) as { database: boolean }) };
};

/** One backend's settings kept across a restart: the second service opens the first one's data. */
async function sameData(backend: Backend): Promise<Backend> {
  const { env, cleanup } = await backend.prepare();
  leave(cleanup);
  return { name: backend.name, prepare: async () => ({ env, cleanup: async () => {} }) };
}

describe.each(backends)('hostile messages on $name', (backend) => {
  afterAll(disposeLeftovers);

  it('good messages all stored and delivered, hostile ones rejected with their reason, ready throughout and after a restart', async () => {
    const data = await sameData(backend);
    let svc = await startService(data);
    let feed: LegacyClient = await openFeed(`${svc.wsUrl}/api/ws`);
    let vessel: MqttClient = await svc.publisher();

    let expected = 0;
    for (const [i, [type, payload, reason]] of HOSTILE.entries()) {
      // Published back to back: the hostile message and its neighbours can share a batch.
      await Promise.all([
        svc.publish(vessel, 7, type, payload),
        svc.publish(vessel, 100 + i, 'vehicle_log', `{"seq":${i},"speed":1.10,"big":12345678901234567890}`),
        svc.publish(vessel, 200 + i, 'raw_log', `\uFEFFline ${i}`),
      ]);
      expected += reason === null ? 3 : 2;
      const frames = await feed.logs(expected);
      expect(frames.filter((f) => f.vehicle_id === 100 + i || f.vehicle_id === 200 + i)).toHaveLength(2);
      expect(await ready(svc)).toMatchObject({ http: 200, database: true });
    }

    // Stored as sent: the JSON text's numbers, the raw line's leading U+FEFF.
    const [good] = await sql(svc, `select data->>'speed' as speed, data->>'big' as big from log where vehicle_id = 100`);
    expect(good).toEqual({ speed: '1.10', big: '12345678901234567890' });
    const csv = await (await fetch(`${svc.httpUrl}/api/logs/export?vehicle_id=100`)).text();
    expect(csv).toContain('1.10');
    expect(csv).toContain('12345678901234567890');
    const [raw] = await sql(svc, `select message from log where vehicle_id = 200`);
    expect(raw.message).toBe('\uFEFFline 0');
    // Float max twice in one minute: both stored, the rollup's sum clamped rather than failing
    // (a series of whole minutes reads the rollup).
    const maxes = await sql(svc, `select data->>'battery_voltage' as v from log where vehicle_id = 7 order by id`);
    expect(maxes).toHaveLength(2);
    const series = await svc.gql(`{ series(vehicleId: 7, field: "batteryVoltage", from: "${minute}:00Z", to: "2026-03-01T10:01:00Z", buckets: 1) { count max } }`);
    expect(series.data?.series).toEqual([{ count: 2, max: Number(FLOAT_MAX) }]);

    const rejected = await sql(svc, `select reason, length(payload) as kept, payload_size as size, payload_sha256 as sha from rejected_message order by id`);
    const refused = HOSTILE.filter(([, , reason]) => reason !== null);
    expect(rejected).toHaveLength(refused.length);
    for (const [i, [, payload, reason]] of refused.entries()) {
      const bytes = Buffer.from(payload);
      expect(rejected[i].reason).toMatch(reason!);
      expect(Number(rejected[i].size)).toBe(bytes.length);
      expect(Number(rejected[i].kept)).toBe(Math.min(bytes.length, 4096));
      expect(rejected[i].sha).toBe(createHash('sha256').update(bytes).digest('hex'));
    }

    // A restart on the same data: ingest goes on, the poison of before included again.
    await svc.stop();
    svc = await startService(data);
    feed = await openFeed(`${svc.wsUrl}/api/ws`);
    vessel = await svc.publisher();
    await svc.publish(vessel, 7, 'vehicle_log', refusedByPostgres);
    await svc.publish(vessel, 300, 'vehicle_log', { seq: 1 });
    const [after] = await feed.logs(1);
    expect(after).toMatchObject({ vehicle_id: 300, data: { seq: 1 } });
    expect((await ready(svc))).toMatchObject({ http: 200, database: true });
    const [count] = await sql(svc, `select count(*)::int as n from rejected_message`);
    expect(count.n).toBe(refused.length + 1);
  }, 120_000);
});
