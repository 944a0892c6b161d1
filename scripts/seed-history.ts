// `npm run seed:history -- --rows 10000000 [--vehicles 100] [--days 30] [--database-url postgres://…]`:
// fills the `log` table with realistic history for analysts' queries and benchmarks, fast.
//
// Rows are generated inside PostgreSQL (INSERT … SELECT … FROM generate_series, 1M rows per
// transaction), so nothing crosses the wire but the statement. The fleet sails a mission every
// day: each vessel reports at ~10 Hz for (rows / vehicles / days) samples, starting 08:00 WIB,
// circling in Jakarta Bay; 70% vehicle_log, 25% sensor_log (sensor 1: temperature, humidity,
// pressure; sensor 2: depth, salinity, conductivity), 5% raw_log. Every JSON payload carries a
// `seq` counted per topic as a vessel's computer would (vehicle_log and sensor_log each from 1 at
// each day's boot, raw text none) and its timestamp, so no two are the same message (dedup key).
// Every third vessel-day has a link loss: 25 messages in a row never arrive, which Query.gaps finds.
// Ids come from `log_id_seq`,
// reserved per chunk under the writer's lock, so ids follow time as they do in production and a
// running service could keep writing. `vehicle` rows are upserted, the per-minute rollup summed
// after the load (src/db/roller.ts); the table is analysed, then the per-minute telemetry
// summaries (src/db/telemetry-minutes.ts) are brought up to date.
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { initORM } from '../src/db/orm.js';
import { ROLLER_LOCK } from '../src/db/rollup.js';
import { rollUpAll } from '../src/db/roller.js';
import { TELEMETRY_MINUTES_LOCK, TelemetryMinutesPass } from '../src/db/telemetry-minutes.js';

export const DEFAULT_HISTORY_URL = 'postgres://postgres@127.0.0.1:5432/seano_history';

export interface SeedOptions {
  databaseUrl: string;
  rows: number;
  vehicles?: number;
  days?: number;
  /** Rows per INSERT … SELECT (one transaction each). */
  chunk?: number;
  /** Connections inserting chunks at once (default: 2, or 1 on a single core). */
  jobs?: number;
  /** Progress lines; default: stderr. */
  log?: (line: string) => void;
  /** The "now" the history ends before (tests). */
  now?: Date;
}

export interface SeedResult {
  rows: number;
  /** Everything: inserts, index builds, vacuum analyze. */
  seconds: number;
  insertSeconds: number;
  rowsPerSecond: number;
  firstId: string;
  lastId: string;
}

// The writer's id lock (src/ingest/writer.ts): ids are reserved under it so they commit in order.
const ID_LOCK = 7_261_001;
const DAY_MS = 86_400_000;
const MISSION_START_MS = 3_600_000; // 01:00 UTC = 08:00 in Jakarta (WIB)
/** Samples lost in a row by a vessel-day's link loss (within the 60 s left at the day's end: ≤ 600 at 10 Hz). */
const LINK_LOSS_SAMPLES = 25;

/** Creates the database named in `url` when it does not exist yet (connecting to `postgres`). */
export async function ensureDatabase(url: string): Promise<void> {
  const probe = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await probe.connect();
    await probe.end();
    return;
  } catch (err) {
    await probe.end().catch(() => {});
    if ((err as { code?: string }).code !== '3D000') throw err; // 3D000: invalid_catalog_name
  }
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(`create database ${pg.escapeIdentifier(name)}`);
  } catch (err) {
    if ((err as { code?: string }).code !== '42P04') throw err; // created meanwhile
  } finally {
    await client.end();
  }
}

export async function seedHistory(o: SeedOptions): Promise<SeedResult> {
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const vehicles = o.vehicles ?? 100;
  const days = o.days ?? 30;
  const chunk = o.chunk ?? 1_000_000;
  const jobs = o.jobs ?? Math.max(1, Math.min(2, availableParallelism()));
  const rows = o.rows;
  for (const [name, v] of Object.entries({ rows, vehicles, days, chunk, jobs })) {
    if (!Number.isSafeInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got ${v}`);
  }
  if (vehicles > 2_147_483_647) throw new Error('vehicles must be at most 2147483647');

  await ensureDatabase(o.databaseUrl);
  const orm = await initORM({ clientUrl: o.databaseUrl, poolMax: 1 }); // the service's migrations
  await orm.close(true);

  // The layout: k = ((day * perDay) + i) * vehicles + v  →  ids (and times) interleave the fleet.
  const perDay = Math.ceil(rows / (vehicles * days)); // samples per vessel per day
  const stepMs = Math.max(1, Math.min(100, Math.floor((DAY_MS - MISSION_START_MS - 60_000) / perDay))); // 10 Hz when it fits
  const now = o.now ?? new Date();
  const base = Math.floor(now.getTime() / DAY_MS) * DAY_MS - days * DAY_MS; // midnight UTC, `days` ago
  log(`seeding ${fmt(rows)} rows: ${vehicles} vessels, ${days} days, ${fmt(perDay)} samples per vessel per day every ${stepMs} ms, ${jobs} connections`);

  const connect = async () => {
    const c = new pg.Client({ connectionString: o.databaseUrl, application_name: 'seano-seed-history' });
    await c.connect();
    // Safe for a seed: a crash loses the last chunks' commits at most, never corrupts anything.
    await c.query(`set synchronous_commit = off`);
    await c.query(`set maintenance_work_mem = '512MB'`);
    return c;
  };
  const main = await connect();
  const workers: pg.Client[] = [];
  try {
    await restoreStashedIndexes(main, log); // a previous run that died mid-load
    // Chunks commit in any order: no roller or telemetry-minutes pass (a running service's) may
    // move its watermark past one that has not committed yet. Held until all have committed.
    await main.query('select pg_advisory_lock($1), pg_advisory_lock($2)', [ROLLER_LOCK, TELEMETRY_MINUTES_LOCK]);
    // All ids at once, under the writer's lock: a running service's ids never collide with ours.
    await main.query('begin');
    await main.query('select pg_advisory_xact_lock($1)', [ID_LOCK]);
    const { rows: [reserved] } = await main.query<{ last: string }>(
      `select setval('log_id_seq', nextval('log_id_seq') + $1 - 1)::text as last`, [rows]);
    await main.query('commit');
    const lastId = BigInt(reserved!.last);
    const firstId = lastId - BigInt(rows - 1);

    // A big load is much faster into a table without its secondary indexes, built again after
    // (one sort each instead of millions of random inserts into trees larger than the cache).
    const rebuild = rows >= REBUILD_INDEXES_FROM;
    if (rebuild) await stashAndDropIndexes(main, log);

    const started = performance.now();
    let done = 0;
    let nextChunk = 0;
    const chunks = Math.ceil(rows / chunk);
    for (let j = 0; j < Math.min(jobs, chunks); j++) workers.push(await connect());
    await Promise.all(
      workers.map(async (c) => {
        for (let at = nextChunk++; at < chunks; at = nextChunk++) {
          const offset = at * chunk;
          const n = Math.min(chunk, rows - offset);
          const first = firstId + BigInt(offset);
          await c.query('begin');
          await c.query(INSERT_SQL, [first.toString(), offset, n, vehicles, perDay, stepMs, base, MISSION_START_MS]);
          await c.query(UPSERT_VEHICLES_SQL, [first.toString(), (first + BigInt(n - 1)).toString()]);
          await c.query('commit');
          done += n;
          const s = (performance.now() - started) / 1000;
          log(`  ${fmt(done)} / ${fmt(rows)} rows, ${fmt(Math.round(done / s))} rows/s`);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    await main.query('select pg_advisory_unlock($1)', [TELEMETRY_MINUTES_LOCK]); // all committed
    const rolling = performance.now();
    await rollUpAll(main, 500_000); // the per-minute rollup behind long series (src/db/rollup.ts)
    await main.query('select pg_advisory_unlock($1)', [ROLLER_LOCK]);
    log(`per-minute rollup ${((performance.now() - rolling) / 1000).toFixed(1)} s`);
    if (rebuild) {
      const t = performance.now();
      await restoreStashedIndexes(main, log);
      log(`indexes built in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    const t = performance.now();
    await main.query('vacuum (analyze) log');
    await main.query('analyze vehicle');
    log(`vacuum analyze ${((performance.now() - t) / 1000).toFixed(1)} s`);
    await summariseTelemetryMinutes(o.databaseUrl, log);
    const total = (performance.now() - started) / 1000;
    return {
      rows,
      seconds: Number(total.toFixed(1)),
      insertSeconds: Number(seconds.toFixed(1)),
      rowsPerSecond: Math.round(rows / total),
      firstId: firstId.toString(),
      lastId: lastId.toString(),
    };
  } catch (err) {
    for (const c of [main, ...workers]) await c.query('rollback').catch(() => {});
    // Leave the table usable: indexes back even when the load failed half way.
    await restoreStashedIndexes(main, log).catch((e: Error) => log(`could not rebuild the indexes (${e.message}); the next run will`));
    throw err;
  } finally {
    for (const c of [main, ...workers]) await c.end().catch(() => {});
  }
}

/** The per-minute telemetry summaries behind missions and gaps (src/db/telemetry-minutes.ts), with their index back. */
async function summariseTelemetryMinutes(databaseUrl: string, log: (line: string) => void): Promise<void> {
  const t = performance.now();
  const orm = await initORM({ clientUrl: databaseUrl, poolMax: 1 });
  try {
    await new TelemetryMinutesPass(orm, { warn: () => {} }, false).catchUp();
  } finally {
    await orm.close(true);
  }
  log(`telemetry minutes summarised in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

/** Loads of at least this many rows drop and rebuild the secondary indexes of `log`. */
export const REBUILD_INDEXES_FROM = 500_000;
const STASH = 'seed_history_dropped_index';

/** Keeps the definitions in a table first (same transaction), so a run that dies can be healed. */
async function stashAndDropIndexes(c: pg.Client, log: (line: string) => void): Promise<void> {
  await c.query('begin');
  await c.query(`create table if not exists ${STASH} (name text primary key, def text not null)`);
  const { rows } = await c.query<{ name: string; def: string }>(
    `insert into ${STASH} (name, def)
     select i.indexname, i.indexdef from pg_indexes i
     where i.schemaname = current_schema() and i.tablename = 'log'
       and i.indexname not in (select conname from pg_constraint where conrelid = 'log'::regclass)
     on conflict (name) do nothing
     returning name, def`);
  for (const r of rows) await c.query(`drop index ${pg.escapeIdentifier(r.name)}`);
  await c.query('commit');
  log(`dropped ${rows.length} secondary indexes for the load: ${rows.map((r) => r.name).join(', ')}`);
}

async function restoreStashedIndexes(c: pg.Client, log: (line: string) => void): Promise<void> {
  const exists = await c.query(`select to_regclass($1) is not null as e`, [STASH]);
  if (!exists.rows[0]?.e) return;
  const { rows } = await c.query<{ name: string; def: string }>(`select name, def from ${STASH} order by name`);
  for (const r of rows) {
    const t = performance.now();
    const present = await c.query(`select to_regclass($1) is not null as e`, [r.name]);
    if (!present.rows[0]?.e) await c.query(r.def);
    await c.query(`delete from ${STASH} where name = $1`, [r.name]);
    log(`  index ${r.name} ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  await c.query(`drop table ${STASH}`);
}

const fmt = (n: number) => n.toLocaleString('en');

const UPSERT_VEHICLES_SQL = `
insert into vehicle (id, first_seen_at, last_seen_at)
select vehicle_id, min(received_at), max(received_at) from log where id between $1 and $2 group by vehicle_id
on conflict (id) do update set first_seen_at = least(vehicle.first_seen_at, excluded.first_seen_at),
                               last_seen_at = greatest(vehicle.last_seen_at, excluded.last_seen_at)`;

// $1 first id, $2 rows done before this chunk (k offset), $3 rows in this chunk, $4 vehicles,
// $5 samples per vessel per day, $6 step ms, $7 day 0 (epoch ms), $8 mission start in the day (ms).
const INSERT_SQL = `
with g as (
  select $1::bigint + g as id, $2::bigint + g as k from generate_series(0::bigint, $3::bigint - 1) g
), s0 as (
  select id, k,
         (k % $4)::int + 1 as vehicle_id,
         ((k / $4) % $5)::int as j, -- the vessel's j-th stored sample of the day
         (k / ($4::bigint * $5))::int as day
  from g
), s as (
  -- i: the sample's place among those the vessel sent that day; a link loss on every third
  -- vessel-day swallows ${LINK_LOSS_SAMPLES} in a row from a place that varies (times and seqs jump over them)
  select s0.*, j + case when (vehicle_id + day) % 3 = 0 and j >= (vehicle_id::bigint * 7919 + day::bigint * 104729) % $5
                        then ${LINK_LOSS_SAMPLES} else 0 end as i
  from s0
), t as (
  select s.*,
         timestamptz 'epoch' + ($7::bigint + day::bigint * ${DAY_MS} + $8::bigint + i::bigint * $6 + (vehicle_id - 1)::bigint * $6 / $4) * interval '1 millisecond' as ts,
         i::float8 / $5 as phase,
         2 * pi() * i / 3000.0 + vehicle_id as angle,
         case when i % 20 = 0 then 'raw_log' when i % 20 <= 5 then 'sensor_log' else 'vehicle_log' end as type
  from s
), d0 as (
  select t.*, to_char(ts at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as ts_text from t
)
insert into log (id, vehicle_id, type, "timestamp", received_at, sensor_id, message, data, dedup_key)
select id, vehicle_id, type, ts,
       ts + (20 + floor(random() * 180)) * interval '1 millisecond',
       case when type = 'sensor_log' then case when i % 2 = 1 then 1 else 2 end end,
       case when type = 'raw_log' then (array[
         'Heartbeat OK', 'GPS fix acquired (12 satellites)', 'Waypoint reached', 'Mission segment started',
         'Battery check OK', 'Telemetry link RSSI low', 'Obstacle avoidance: course corrected', 'Pump cycle complete'
       ])[1 + (i / 20) % 8] end,
       data,
       -- what the ingest stores for payloads carrying a timestamp: the payload's SHA-256, base64url
       case when data is not null then rtrim(translate(encode(sha256(convert_to(data::text, 'UTF8')), 'base64'), '+/', '-_'), '=') end
-- A subquery, not a CTE: a CTE calling random() would be materialised (1M rows of jsonb, spilled).
from (
  select d0.*,
    case type
      when 'vehicle_log' then jsonb_build_object(
        'battery_voltage', round((12.6 - 1.4 * phase + (random() - 0.5) * 0.05) * 1e2) / 1e2,
        'battery_current', round((1.5 + random() * 1.5) * 1e2) / 1e2,
        'rssi', -40 - floor(random() * 35)::int,
        'mode', case when phase < 0.02 then 'MANUAL' when phase > 0.97 then 'RTL' when (i / 1000) % 5 = 4 then 'GUIDED' else 'AUTO' end,
        'latitude', round((-6.03 - (vehicle_id % 10) * 0.004 + 0.01 * sin(angle) + (random() - 0.5) * 0.0001) * 1e6) / 1e6,
        'longitude', round((106.75 + ((vehicle_id / 10) % 10) * 0.02 + 0.015 * cos(angle) + (random() - 0.5) * 0.0001) * 1e6) / 1e6,
        'heading', mod(round(mod((-degrees(angle))::numeric, 360) + 720 + (random() - 0.5)::numeric * 2, 1), 360),
        'armed', phase < 0.99,
        'guided', (i / 1000) % 5 = 4,
        'system_status', 'ACTIVE',
        'speed', round((9 + 4 * sin(i / 500.0) + random() * 0.8) * 1e2) / 1e2,
        'timestamp', ts_text,
        'seq', (i / 20) * 14 + greatest(0, i % 20 - 6) + 1) -- vehicle_logs sent before it today, + 1
      when 'sensor_log' then case when i % 2 = 1
        then jsonb_build_object(
          'temperature', round((28.5 + 2 * sin(phase * pi()) + (random() - 0.5) * 0.2) * 1e2) / 1e2,
          'humidity', round((70 + 8 * cos(phase * pi()) + (random() - 0.5)) * 1e1) / 1e1,
          'pressure', round((1011 + 3 * sin(day / 3.0) + (random() - 0.5) * 0.4) * 1e2) / 1e2,
          'seq', (i / 20) * 5 + least(5, greatest(0, i % 20 - 1)) + 1, -- sensor_logs sent before it today, + 1
          'timestamp', ts_text)
        else jsonb_build_object(
          'depth', round((0.5 + 12 * (0.5 + 0.5 * sin(angle / 3)) + random() * 0.3) * 1e2) / 1e2,
          'salinity', round((31 + 2 * sin(angle / 5) + (random() - 0.5) * 0.1) * 1e2) / 1e2,
          'conductivity', round((50 + 3 * sin(angle / 5) + (random() - 0.5) * 0.2) * 1e2) / 1e2,
          'seq', (i / 20) * 5 + least(5, greatest(0, i % 20 - 1)) + 1, -- sensor_logs sent before it today, + 1
          'timestamp', ts_text)
      end
    end as data
  from d0
) d`;

const USAGE = `Usage: npm run seed:history -- --rows <n> [options]

Fills the service's \`log\` table with realistic history (created and migrated if needed).

Options:
  --rows <n>             rows to add (required), e.g. 10000000
  --vehicles <n>         vessels (ids 1..n)                         (default 100)
  --days <n>             days of history, ending yesterday          (default 30)
  --database-url <url>   PostgreSQL (else $DATABASE_URL)            (default ${DEFAULT_HISTORY_URL})
  --help                 show this help
`;

async function main(): Promise<void> {
  let values;
  try {
    values = parseArgs({
      args: process.argv.slice(2),
      strict: true,
      options: {
        rows: { type: 'string' }, vehicles: { type: 'string' }, days: { type: 'string' },
        'database-url': { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    process.stderr.write(`seed:history: ${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) return void process.stdout.write(USAGE);
  const int = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v.replace(/_/g, ''));
    if (!Number.isSafeInteger(n) || n < 1) {
      process.stderr.write(`seed:history: --${name} must be a positive integer, got ${JSON.stringify(v)}\n\n${USAGE}`);
      process.exit(2);
    }
    return n;
  };
  const rows = int('rows', values.rows);
  if (rows === undefined) {
    process.stderr.write(`seed:history: --rows is required\n\n${USAGE}`);
    process.exit(2);
  }
  const databaseUrl = values['database-url'] ?? process.env.DATABASE_URL ?? DEFAULT_HISTORY_URL;
  const result = await seedHistory({ databaseUrl, rows, vehicles: int('vehicles', values.vehicles), days: int('days', values.days) });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: Error) => {
    process.stderr.write(`seed:history: ${err.message}\n`);
    process.exit(1);
  });
}
