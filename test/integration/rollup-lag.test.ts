// The per-minute rollup off the writer's statement: `series` is exact however far the roller
// lags (stopped, half-way, caught up), the roller is idempotent and restart-safe, and with
// writers and two rollers running at once every stored log is summed exactly once. Against the
// store and the queries on a real database (embedded PGlite, and the machine's PostgreSQL when
// TEST_DATABASE_URL is set), with logs parsed and committed as the writer does.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HistoryQueries, type SeriesBucket } from '../../src/db/history.js';
import { PostgresLogStore, type NewLog } from '../../src/db/log-store.js';
import { initORM, type MikroORM } from '../../src/db/orm.js';
import { MinuteRoller, postgresRollerSteps } from '../../src/db/roller.js';
import { startEmbeddedPostgres } from '../../src/embedded/postgres.js';
import { parseMessage } from '../../src/ingest/payload.js';
import { TELEMETRY_TYPE } from '../../src/logs/kinds.js';
import { createScratchDatabase } from '../utils/backends.js';
import { disposeLeftovers, leave } from '../utils/leftovers.js';

const t0 = Date.parse('2026-02-01T00:00:00.000Z');
const at = (seconds: number) => new Date(t0 + seconds * 1000).toISOString();
const FLOAT_MAX = '1.7976931348623157e308';
const silent = pino({ level: 'silent' });

interface Database {
  name: string;
  open(): Promise<{ url: string; poolMax: number }>;
}

const databases: Database[] = [
  {
    name: 'embedded PGlite',
    async open() {
      const dir = await mkdtemp(join(tmpdir(), 'seano-rollup-'));
      const pg = await startEmbeddedPostgres(dir);
      leave(async () => {
        await pg.stop();
        await rm(dir, { recursive: true, force: true });
      });
      return { url: pg.url, poolMax: pg.maxConnections };
    },
  },
];
if (process.env.TEST_DATABASE_URL) {
  const base = process.env.TEST_DATABASE_URL;
  databases.push({ name: 'machine PostgreSQL', open: async () => ({ url: (await createScratchDatabase(base)).url, poolMax: 10 }) });
}

/** A vessel's telemetry as the MQTT edge would have parsed it. */
function telemetry(vehicleId: number, payload: string): NewLog {
  const parsed = parseMessage(`seano/${vehicleId}/${TELEMETRY_TYPE}`, Buffer.from(payload), new Date(), { prefix: 'seano', maxPayload: 1 << 20 });
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.log;
}

describe.each(databases)('series while the roller lags, on $name', (database) => {
  let orm: MikroORM;
  let store: PostgresLogStore;
  let history: HistoryQueries;
  const sql = <T = any>(text: string, params: unknown[] = []) => orm.em.fork().getConnection().execute<T[]>(text, params);
  /** Speeds of vessel 1 over 10 minutes: a few values in most minutes, one redelivered. */
  const speeds = Array.from({ length: 40 }, (_, i) => ({ s: i * 15 + (i % 3), speed: ((i * 37) % 23) + 0.25 * (i % 4) }));
  const commitSpeeds = async (from: number, to: number) => {
    for (let i = from; i < to; i += 7) {
      const batch = speeds.slice(i, Math.min(i + 7, to)).map(({ s, speed }) => telemetry(1, JSON.stringify({ speed, timestamp: at(s) })));
      await store.commit({ logs: batch, rejected: [] });
    }
  };

  /** The same buckets (whole minutes from the minute `from` is in) aggregated from the raw rows alone. */
  async function fromRawRows(from: string, to: string, buckets: number): Promise<SeriesBucket[]> {
    const start = Math.floor(Date.parse(from) / 60_000) * 60_000;
    const width = Math.ceil((Date.parse(to) - start) / buckets / 60_000) * 60_000;
    const rows = await sql<{ b: number; avg: number; min: number; max: number; count: number }>(
      `select floor(extract(epoch from (timestamp - ?::timestamptz)) * 1000 / ?)::int as b, avg((data->>'speed')::float8) as avg,
              min((data->>'speed')::float8) as min, max((data->>'speed')::float8) as max, count(*)::int as count
       from log where vehicle_id = 1 and timestamp >= ? and timestamp < ? and jsonb_typeof(data->'speed') = 'number' group by 1 order by 1`,
      [new Date(start).toISOString(), width, from, to],
    );
    return rows.map((r) => ({ start: new Date(start + r.b * width), avg: Number(r.avg), min: Number(r.min), max: Number(r.max), count: r.count }));
  }

  async function expectExact(from: string, to: string, buckets: number): Promise<void> {
    const got = await history.series({ vehicleId: 1, key: 'speed', from: new Date(from), to: new Date(to), buckets });
    const want = await fromRawRows(from, to, buckets);
    expect(want.length).toBeGreaterThan(1);
    expect(got.map(({ avg, ...b }) => b)).toEqual(want.map(({ avg, ...b }) => b));
    got.forEach((b, i) => expect(b.avg).toBeCloseTo(want[i]!.avg, 9));
  }

  const watermark = async () => (await sql<{ last_id: string }>('select last_id from log_minute_watermark'))[0]!.last_id;
  const lastId = async () => (await sql<{ id: string }>('select max(id)::text as id from log'))[0]!.id;
  /** log_minute against the same sums computed from every stored log (vessel 9's float max aside: its sum would overflow here). */
  async function expectRollupOfEveryLog(): Promise<void> {
    const rollup = await sql(`select vehicle_id, key, minute, count::int, sum, min, max from log_minute where type = ? and vehicle_id <> 9 order by 1, 2, 3`, [TELEMETRY_TYPE]);
    const direct = await sql(
      `select vehicle_id, e.key, date_trunc('minute', timestamp, 'UTC') as minute, count(*)::int as count, sum(e.value::float8) as sum,
              min(e.value::float8) as min, max(e.value::float8) as max
       from log cross join lateral jsonb_each(data) e where type = ? and vehicle_id <> 9 and jsonb_typeof(e.value) = 'number' group by 1, 2, 3 order by 1, 2, 3`,
      [TELEMETRY_TYPE],
    );
    expect(rollup.map(({ sum, ...r }) => r)).toEqual(direct.map(({ sum, ...r }) => r));
    rollup.forEach((r, i) => expect(r.sum).toBeCloseTo(direct[i].sum, 6));
  }

  beforeAll(async () => {
    const { url, poolMax } = await database.open();
    orm = await initORM({ clientUrl: url, poolMax });
    leave(() => orm.close(true));
    store = new PostgresLogStore(orm, 4096);
    history = new HistoryQueries(orm);
  });
  afterAll(disposeLeftovers);

  it('exact with the roller stopped, half-way and caught up; rolling again changes nothing', async () => {
    await commitSpeeds(0, 40);
    await store.commit({ logs: [telemetry(1, JSON.stringify({ speed: speeds[5]!.speed, timestamp: at(speeds[5]!.s) }))], rejected: [] }); // a redelivery
    const [from, to] = [at(20), at(590)]; // partial minutes at both ends
    expect(await watermark()).toBe('0'); // no roller ran: every whole minute from the raw rows
    await expectExact(from, to, 5);
    await expectExact(at(0), at(600), 10);

    const steps = postgresRollerSteps(orm);
    await steps.step(17, true); // half-way: the first 17 logs summed, the rest raw
    expect(await watermark()).toBe('17');
    await expectExact(from, to, 5);
    await expectExact(at(0), at(600), 10);

    await new MinuteRoller(steps, silent).runOnce();
    expect(await watermark()).toBe(await lastId());
    await expectExact(from, to, 5);
    await expectRollupOfEveryLog();

    // Another roller (a restart, another instance) finds nothing left to sum.
    await new MinuteRoller(postgresRollerSteps(orm), silent).runOnce();
    await expectRollupOfEveryLog();
    await expectExact(from, to, 5);
  });

  it('float max twice in one minute, one summed and one not yet: no failure, the sum clamped', async () => {
    await store.commit({ logs: [telemetry(9, `{"battery_voltage":${FLOAT_MAX},"timestamp":"${at(3600)}"}`)], rejected: [] });
    await new MinuteRoller(postgresRollerSteps(orm), silent).runOnce();
    await store.commit({ logs: [telemetry(9, `{"battery_voltage":${FLOAT_MAX},"timestamp":"${at(3610)}"}`)], rejected: [] });
    const series = () => history.series({ vehicleId: 9, key: 'battery_voltage', from: new Date(at(3600)), to: new Date(at(3660)), buckets: 1 });
    expect(await series()).toEqual([expect.objectContaining({ count: 2, max: Number(FLOAT_MAX) })]);
    await new MinuteRoller(postgresRollerSteps(orm), silent).runOnce();
    expect(await series()).toEqual([expect.objectContaining({ count: 2, max: Number(FLOAT_MAX) })]);
  });

  it('writers and two rollers at once: every stored log summed exactly once', async () => {
    const rollers = [new MinuteRoller(postgresRollerSteps(orm), silent), new MinuteRoller(postgresRollerSteps(orm), silent)];
    let writing = true;
    const rolling = Promise.all(rollers.map(async (r) => {
      while (writing) {
        await r.runOnce();
        await new Promise((resolve) => setTimeout(resolve, 5)); // pacing: the writers get the pool too
      }
    }));
    await Promise.all([2, 3, 4].map(async (vehicleId) => {
      for (let i = 0; i < 15; i++) {
        const logs = Array.from({ length: 20 }, (_, j) => telemetry(vehicleId, JSON.stringify({ seq: i * 20 + j, speed: j, heading: i, timestamp: at(7200 + i * 20 + j) })));
        await store.commit({ logs, rejected: [] });
      }
    }));
    writing = false;
    await rolling;
    await rollers[0]!.runOnce();
    expect(await watermark()).toBe(await lastId());
    await expectRollupOfEveryLog();
  });
});
