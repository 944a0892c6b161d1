// GET /api/logs/export (history for analysts): known messages in over MQTT, then CSV and NDJSON
// out over HTTP, compared with rows computed by hand; filters, bad parameters, auth scope, many
// rows across chunk boundaries, and a client that hangs up mid-download.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import type { MqttClient } from 'mqtt';
import { backends } from '../utils/backends.js';
import { startService, type TestService } from '../utils/service.js';
import { openFeed, type LegacyClient } from '../utils/clients.js';
import { disposeLeftovers } from '../utils/leftovers.js';
import { sql } from '../utils/wait.js';

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const HEADER = [
  'id', 'vehicle_id', 'type', 'timestamp', 'received_at', 'sensor_id', 'message', 'data',
  'battery_voltage', 'speed', 'latitude', 'longitude', 'heading', 'mode', 'armed',
];

// What the vessels say, in publish order.
const rawText = 'GPS initialized successfully';
const sensor = { sensor_id: 5, data: { temperature: 28.5, humidity: 65.3, pressure: 1013.25 }, timestamp: '2025-10-18T16:30:00.123Z' };
const telemetry1 = {
  battery_voltage: 12.4, battery_current: 1.8, rssi: -38, mode: 'GUIDED', latitude: -6.2088, longitude: 106.8456,
  heading: 90.0, armed: true, guided: true, system_status: 'ACTIVE', speed: 12.5, timestamp: '2025-10-18T16:30:01.000Z',
};
// Characters a CSV writer must quote: a comma and quotes; a newline in the raw line below.
const telemetry2 = { battery_voltage: 11.9, mode: 'AUTO, "cautious"', latitude: -6.1, longitude: 106.9, armed: false, timestamp: '2025-10-18T17:00:00.000Z' };
const rawTricky = 'line one, "quoted"\nline two';
const telemetry3 = { speed: 0, heading: 270.5, timestamp: '2025-10-19T00:00:00.000Z' }; // exactly `to` below: excluded

type Row = Record<string, unknown>;

/** RFC 4180: quoted fields may hold commas, doubled quotes and newlines. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\n') row.push(field), rows.push(row), (row = []), (field = '');
    else field += c;
  }
  if (field !== '' || row.length) row.push(field), rows.push(row);
  return rows;
}

async function get(svc: TestService, query: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${svc.httpUrl}/api/logs/export${query}`, { headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function csv(svc: TestService, query: string, headers?: Record<string, string>): Promise<{ header: string[]; rows: Row[] }> {
  const r = await get(svc, `?format=csv${query}`, headers);
  expect(r.status, r.text).toBe(200);
  const [header, ...rows] = parseCsv(r.text);
  return { header: header!, rows: rows.map((cells) => Object.fromEntries(header!.map((h, i) => [h, cells[i]]))) };
}

async function ndjson(svc: TestService, query: string, headers?: Record<string, string>): Promise<Row[]> {
  const r = await get(svc, `?format=ndjson${query}`, headers);
  expect(r.status, r.text).toBe(200);
  expect(r.text.endsWith('\n') || r.text === '').toBe(true);
  return r.text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Row);
}

describe.each(backends)('history export on $name', (backend) => {
  let svc: TestService;
  let vessel: MqttClient;
  let feed: LegacyClient; // a frame for every log committed from MQTT (not for rows inserted by SQL)
  let ids: string[];
  let received: string[];
  let before: number;
  let after: number;

  beforeAll(async () => {
    svc = await startService(backend);
    vessel = await svc.publisher();
    feed = await openFeed(`${svc.wsUrl}/api/ws`);
    before = Date.now();
    await svc.publish(vessel, 1, 'raw_log', rawText);
    await svc.publish(vessel, 1, 'sensor_log', sensor);
    await svc.publish(vessel, 1, 'vehicle_log', telemetry1);
    await svc.publish(vessel, 2, 'vehicle_log', telemetry2);
    await svc.publish(vessel, 2, 'raw_log', rawTricky);
    await svc.publish(vessel, 1, 'vehicle_log', telemetry3);
    await feed.logs(6);
    after = Date.now();
    const stored = await sql<{ id: string; received_at: string }>(
      svc,
      `select id::text as id, to_char(received_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as received_at from log order by id`,
    );
    ids = stored.map((r) => r.id);
    received = stored.map((r) => r.received_at);
  });
  afterAll(disposeLeftovers);

  /** The six rows as the CSV must show them (every value a string, empty for none). */
  function expectedCsv(): Row[] {
    const none = { battery_voltage: '', speed: '', latitude: '', longitude: '', heading: '', mode: '', armed: '' };
    return [
      { id: ids[0], vehicle_id: '1', type: 'raw_log', timestamp: received[0], received_at: received[0], sensor_id: '', message: rawText, data: '', ...none },
      { id: ids[1], vehicle_id: '1', type: 'sensor_log', timestamp: '2025-10-18T16:30:00.123Z', received_at: received[1], sensor_id: '5', message: '', data: sensor.data, ...none },
      {
        id: ids[2], vehicle_id: '1', type: 'vehicle_log', timestamp: '2025-10-18T16:30:01.000Z', received_at: received[2], sensor_id: '', message: '', data: telemetry1,
        battery_voltage: '12.4', speed: '12.5', latitude: '-6.2088', longitude: '106.8456', heading: '90', mode: 'GUIDED', armed: 'true',
      },
      {
        id: ids[3], vehicle_id: '2', type: 'vehicle_log', timestamp: '2025-10-18T17:00:00.000Z', received_at: received[3], sensor_id: '', message: '', data: telemetry2,
        ...none, battery_voltage: '11.9', latitude: '-6.1', longitude: '106.9', mode: 'AUTO, "cautious"', armed: 'false',
      },
      { id: ids[4], vehicle_id: '2', type: 'raw_log', timestamp: received[4], received_at: received[4], sensor_id: '', message: rawTricky, data: '', ...none },
      {
        id: ids[5], vehicle_id: '1', type: 'vehicle_log', timestamp: '2025-10-19T00:00:00.000Z', received_at: received[5], sensor_id: '', message: '', data: telemetry3,
        ...none, speed: '0', heading: '270.5',
      },
    ];
  }

  /** The CSV's `data` is JSON text: compare it as JSON (PostgreSQL's jsonb orders keys its own way). */
  const withParsedData = (rows: Row[]) => rows.map((r) => ({ ...r, data: r.data === '' ? '' : JSON.parse(r.data as string) }));

  it('exports every stored log as CSV: header, one row per log in id order, values as stored', async () => {
    const r = await get(svc, '');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(r.headers.get('content-disposition')).toBe('attachment; filename="seano-logs.csv"');
    expect(r.text.split('\n')[0]).toBe(HEADER.join(','));
    const { header, rows } = await csv(svc, '');
    expect(header).toEqual(HEADER);
    expect(rows).toHaveLength(6);
    expect(withParsedData(rows)).toEqual(expectedCsv());
    // raw_log carries no time of its own: it is the time of receipt, during this test
    for (const i of [0, 4]) {
      expect(received[i]).toMatch(ISO_MS);
      expect(Date.parse(received[i]!)).toBeGreaterThanOrEqual(before - 1000);
      expect(Date.parse(received[i]!)).toBeLessThanOrEqual(after + 1000);
    }
    // the quoting, literally: a comma and quotes in `mode`, a newline and quotes in a raw line
    expect(r.text).toContain(`,"AUTO, ""cautious""",false\n`);
    expect(r.text).toContain(`,"line one, ""quoted""\nline two",,`);
  });

  it('exports the same rows as NDJSON, one JSON object per line with typed values', async () => {
    const r = await get(svc, '?format=ndjson');
    expect(r.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    expect(r.headers.get('content-disposition')).toBe('attachment; filename="seano-logs.ndjson"');
    const rows = await ndjson(svc, '');
    const none = { battery_voltage: null, speed: null, latitude: null, longitude: null, heading: null, mode: null, armed: null };
    expect(rows).toEqual([
      { id: ids[0], vehicle_id: 1, type: 'raw_log', timestamp: received[0], received_at: received[0], sensor_id: null, message: rawText, data: null, ...none },
      { id: ids[1], vehicle_id: 1, type: 'sensor_log', timestamp: sensor.timestamp, received_at: received[1], sensor_id: 5, message: null, data: sensor.data, ...none },
      {
        id: ids[2], vehicle_id: 1, type: 'vehicle_log', timestamp: telemetry1.timestamp, received_at: received[2], sensor_id: null, message: null, data: telemetry1,
        battery_voltage: 12.4, speed: 12.5, latitude: -6.2088, longitude: 106.8456, heading: 90, mode: 'GUIDED', armed: true,
      },
      {
        id: ids[3], vehicle_id: 2, type: 'vehicle_log', timestamp: telemetry2.timestamp, received_at: received[3], sensor_id: null, message: null, data: telemetry2,
        ...none, battery_voltage: 11.9, latitude: -6.1, longitude: 106.9, mode: 'AUTO, "cautious"', armed: false,
      },
      { id: ids[4], vehicle_id: 2, type: 'raw_log', timestamp: received[4], received_at: received[4], sensor_id: null, message: rawTricky, data: null, ...none },
      {
        id: ids[5], vehicle_id: 1, type: 'vehicle_log', timestamp: telemetry3.timestamp, received_at: received[5], sensor_id: null, message: null, data: telemetry3,
        ...none, speed: 0, heading: 270.5,
      },
    ]);
    expect(r.text.split('\n').filter(Boolean).map((l) => Object.keys(JSON.parse(l)))).toEqual(Array(6).fill(HEADER));
  });

  it('filters by vehicle, type (repeated or comma-separated) and time window (from inclusive, to exclusive)', async () => {
    const all = expectedCsv();
    const pick = (...i: number[]) => i.map((k) => all[k]!);
    expect(withParsedData((await csv(svc, '&vehicle_id=2')).rows)).toEqual(pick(3, 4));
    expect(withParsedData((await csv(svc, '&type=vehicle_log')).rows)).toEqual(pick(2, 3, 5));
    expect(withParsedData((await csv(svc, '&type=raw_log,sensor_log')).rows)).toEqual(pick(0, 1, 4));
    expect(withParsedData((await csv(svc, '&type=raw_log&type=sensor_log&vehicle_id=1')).rows)).toEqual(pick(0, 1));
    const window = '&from=2025-10-18T16:30:01Z&to=2025-10-19T00:00:00Z';
    expect(withParsedData((await csv(svc, window)).rows)).toEqual(pick(2, 3));
    // no zone = UTC, date only = midnight UTC
    expect(withParsedData((await csv(svc, '&from=2025-10-18T16:30:00.123&to=2025-10-19')).rows)).toEqual(pick(1, 2, 3));
    expect((await ndjson(svc, `${window}&vehicle_id=1`)).map((r) => r.id)).toEqual([ids[2]]);
    // nothing matches: the header alone
    const empty = await get(svc, '?vehicle_id=99');
    expect(empty.text).toBe(`${HEADER.join(',')}\n`);
    expect((await get(svc, '?vehicle_id=99&format=ndjson')).text).toBe('');
    const named = await get(svc, `?vehicle_id=1&type=vehicle_log${window}&format=ndjson`);
    expect(named.headers.get('content-disposition')).toBe(
      'attachment; filename="seano-logs_vehicle-1_vehicle_log_from-20251018T163001Z_to-20251019T000000Z.ndjson"',
    );
  });

  it('answers a bad parameter with 400 and a JSON error naming it', async () => {
    const cases: [string, string][] = [
      ['?vehicle_id=abc', 'vehicle_id'],
      ['?vehicle_id=0', 'vehicle_id'],
      ['?vehicle_id=2147483648', 'vehicle_id'],
      ['?vehicle_id=1&vehicle_id=2', 'vehicle_id'],
      ['?type=gps_log', 'type'],
      ['?type=raw_log,', 'type'],
      ['?from=yesterday', 'from'],
      ['?to=2025-13-01T00:00:00Z', 'to'],
      ['?from=2025-10-19T00:00:00Z&to=2025-10-18T00:00:00Z', 'to'],
      ['?format=xlsx', 'format'],
      ['?vehicle=1', 'vehicle'],
    ];
    for (const [query, param] of cases) {
      const r = await get(svc, query);
      expect(r.status, query).toBe(400);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      expect(JSON.parse(r.text).error, query).toContain(param);
    }
    const post = await fetch(`${svc.httpUrl}/api/logs/export`, { method: 'POST' });
    expect(post.status).toBe(405);
  });

  it('streams many rows in id order across chunk boundaries, and the writer goes on meanwhile', async () => {
    // 12,345 more rows straight into the table (2+ chunks of 5000), ids from the writer's sequence.
    await sql(
      svc,
      `insert into log (id, vehicle_id, type, timestamp, received_at, data)
       select nextval('log_id_seq'), 7, 'vehicle_log', timestamptz '2025-11-01T00:00:00Z' + g * interval '100 ms',
              timestamptz '2025-11-01T00:00:00Z' + g * interval '100 ms', jsonb_build_object('speed', g, 'armed', g % 2 = 0)
       from generate_series(0, 12344) g`,
    );
    const res = await fetch(`${svc.httpUrl}/api/logs/export?vehicle_id=7&format=ndjson`);
    const reader = res.body!.getReader();
    let text = '';
    let published = false;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
      if (!published) {
        published = true; // mid-export: ingest must not be blocked by the export's reads
        await svc.publish(vessel, 8, 'raw_log', 'written during an export');
      }
    }
    const rows = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Row);
    expect(rows).toHaveLength(12_345);
    expect(rows.map((r) => r.speed)).toEqual(Array.from({ length: 12_345 }, (_, g) => g));
    const numericIds = rows.map((r) => BigInt(r.id as string));
    expect(numericIds.every((id, i) => i === 0 || id > numericIds[i - 1]!)).toBe(true);
    expect(rows[12_344]).toMatchObject({ timestamp: '2025-11-01T00:20:34.400Z', armed: true });
    await feed.logs(7); // the line written during the export, committed
    const csvRows = (await csv(svc, '&vehicle_id=7')).rows;
    expect(csvRows).toHaveLength(12_345);
    expect(csvRows[5000]).toMatchObject({ speed: '5000', armed: 'true' });
  });

  it('stops reading when the client hangs up, and gives its connection back', async () => {
    // Far more than the socket buffers hold, so the export is still reading when the client goes.
    await sql(
      svc,
      `insert into log (id, vehicle_id, type, timestamp, received_at, message)
       select nextval('log_id_seq'), 9, 'raw_log', now(), now(), repeat('x', 200) from generate_series(1, 100000)`,
    );
    const exportConnections = async () =>
      (await sql<{ open: number }>(svc, `select count(*)::int as open from pg_stat_activity where application_name = 'seano-export' and datname = current_database()`))[0]!.open;
    for (let round = 0; round < 3; round++) {
      const aborter = new AbortController();
      const res = await fetch(`${svc.httpUrl}/api/logs/export?vehicle_id=9&format=csv`, { signal: aborter.signal });
      const reader = res.body!.getReader();
      await reader.read(); // the first bytes, then gone
      if (svc.env.DATABASE_URL) expect(await exportConnections()).toBeGreaterThanOrEqual(1); // PostgreSQL: a cursor on its own connection
      aborter.abort();
      await reader.cancel().catch(() => {});
    }
    // Still serving: the pool (and PGlite's few sockets) were given back, the writer writes.
    await svc.publish(vessel, 8, 'raw_log', 'after the hang-ups');
    await feed.logs(8);
    expect((await csv(svc, '&vehicle_id=8')).rows.map((r) => r.message)).toEqual(['written during an export', 'after the hang-ups']);
    if (svc.env.DATABASE_URL) {
      // PostgreSQL: the cursors' connections are closed (a reader left waiting on 'drain' would hold
      // them). A backend's exit is seen only in pg_stat_activity, which has no event: asked again.
      const deadline = Date.now() + 5000;
      while ((await exportConnections()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(await exportConnections()).toBe(0);
    }
  });
});

const SECRET = 'test-secret-that-is-long-enough-for-hs256';
const token = (claims: Record<string, unknown>) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('10m').sign(new TextEncoder().encode(SECRET));

describe('history export with auth', () => {
  let svc: TestService;

  beforeAll(async () => {
    svc = await startService(backends[0]!, { AUTH_JWT_SECRET: SECRET });
    const vessel = await svc.publisher();
    const feed = await openFeed(`${svc.wsUrl}/api/ws?token=${await token({})}`);
    for (const v of [1, 2, 3, 2]) await svc.publish(vessel, v, 'raw_log', `from ${v}`);
    await feed.logs(4);
  });
  afterAll(disposeLeftovers);

  it('needs a token (401), keeps a scoped token to its vehicles (403 by id; otherwise only those)', async () => {
    expect((await get(svc, '')).status).toBe(401);
    const bad = await get(svc, '', { authorization: 'Bearer garbage' });
    expect(bad.status).toBe(401);
    expect(JSON.parse(bad.text)).toEqual({ error: 'invalid token' });
    // auth comes before validation: nothing about the parameters leaks to strangers
    expect((await get(svc, '?format=xml')).status).toBe(401);

    const scoped = { authorization: `Bearer ${await token({ vehicles: [2, 3] })}` };
    const refused = await get(svc, '?vehicle_id=1', scoped);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.text).error).toContain('vehicle_id 1');
    expect((await csv(svc, '', scoped)).rows.map((r) => [r.vehicle_id, r.message])).toEqual([['2', 'from 2'], ['3', 'from 3'], ['2', 'from 2']]);
    expect((await ndjson(svc, '&vehicle_id=3', scoped)).map((r) => r.message)).toEqual(['from 3']);
    expect((await csv(svc, '', { authorization: `Bearer ${await token({ vehicles: [] })}` })).rows).toEqual([]);

    const everyone = { authorization: `Bearer ${await token({})}` };
    expect((await csv(svc, '', everyone)).rows.map((r) => r.vehicle_id)).toEqual(['1', '2', '3', '2']);
  });
});
