// `npm run seed:history` fills a database the service can read at once: logs, vessels and the
// per-minute rollup. The long series (read from the rollup) must equal the same buckets
// aggregated from the raw rows, and a page of a one-hour window the rows SQL finds there.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedHistory } from '../../scripts/seed-history.js';
import { startStandalonePostgres } from '../utils/backends.js';
import { disposeLeftovers, leave } from '../utils/leftovers.js';
import { startService, type TestService } from '../utils/service.js';

const DAY = 86_400_000;
const NOW = new Date('2026-03-10T12:00:00Z');
const FIRST_DAY = Date.parse('2026-03-08T00:00:00Z'); // midnight UTC, 2 days before NOW

describe('seed:history, then the history queries on it', () => {
  let svc: TestService;
  let client: pg.Client;

  beforeAll(async () => {
    const db = await startStandalonePostgres();
    const result = await seedHistory({ databaseUrl: db.url, rows: 6000, vehicles: 2, days: 2, jobs: 1, chunk: 2500, now: NOW, log: () => {} });
    expect(result.rows).toBe(6000);
    const dir = await mkdtemp(join(tmpdir(), 'seano-seed-'));
    const removeDir = leave(() => rm(dir, { recursive: true, force: true }));
    svc = await startService({
      name: 'seeded',
      prepare: async () => ({ env: { DATABASE_URL: db.url, MQTT_EMBEDDED_PORT: '0', DATA_DIR: dir }, cleanup: removeDir }),
    });
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    leave(() => client.end());
  });
  afterAll(disposeLeftovers);

  it('series over two days equals the raw rows aggregated into the same half-hour buckets', async () => {
    const from = new Date(FIRST_DAY).toISOString();
    const to = new Date(FIRST_DAY + 2 * DAY).toISOString();
    const r = await svc.gql(`{ series(vehicleId: 1, field: "speed", from: "${from}", to: "${to}", buckets: 96) { start avg min max count } }`);
    expect(r.errors).toBeUndefined();
    const { rows } = await client.query<{ b: number; avg: number; min: number; max: number; count: number }>(
      `select floor(extract(epoch from (timestamp - $1::timestamptz)) / 1800)::int as b, avg((data->>'speed')::float8) as avg,
              min((data->>'speed')::float8) as min, max((data->>'speed')::float8) as max, count(*)::int as count
       from log where vehicle_id = 1 and type = 'vehicle_log' and timestamp >= $1 and timestamp < $2 and jsonb_typeof(data->'speed') = 'number'
       group by 1 order by 1`,
      [from, to],
    );
    expect(rows.length).toBeGreaterThan(1); // two missions, one a day
    expect(rows.reduce((n, b) => n + b.count, 0)).toBeGreaterThan(1000);
    expect(r.data.series).toHaveLength(rows.length);
    r.data.series.forEach((bucket: any, i: number) => {
      const want = rows[i]!;
      expect(bucket.start).toBe(new Date(FIRST_DAY + want.b * 1_800_000).toISOString());
      expect(bucket.count).toBe(want.count);
      expect(bucket.min).toBe(Number(want.min));
      expect(bucket.max).toBe(Number(want.max));
      expect(bucket.avg).toBeCloseTo(Number(want.avg), 9);
    });
  });

  it('a page of one vessel in a one-hour window holds the rows SQL finds there, in id order', async () => {
    const { rows: [some] } = await client.query<{ timestamp: Date }>(`select timestamp from log where vehicle_id = 2 order by id limit 1 offset 500`);
    const from = new Date(some!.timestamp.getTime() - 1_800_000).toISOString();
    const to = new Date(some!.timestamp.getTime() + 1_800_000).toISOString();
    const { rows } = await client.query<{ id: string }>(
      `select id::text as id from log where vehicle_id = 2 and timestamp >= $1 and timestamp < $2 order by log.id limit 100`, [from, to]);
    const r = await svc.gql(`{ logs(vehicleId: 2, from: "${from}", to: "${to}", first: 100) { edges { node { id vehicleId } } pageInfo { hasNextPage } } }`);
    expect(r.errors).toBeUndefined();
    expect(rows).toHaveLength(100);
    expect(r.data.logs.edges.map((e: any) => e.node.id)).toEqual(rows.map((x) => x.id));
    expect(r.data.logs.pageInfo.hasNextPage).toBe(true);
  });
});
