// `npm run bench:commit`: the writer's batch commit alone, against the machine's PostgreSQL, in
// its variants — how rows reach the server (bind arrays through unnest, one jsonb document, COPY)
// and which indexes each insert maintains — so the writer keeps the fastest. Each variant gets
// a scratch database with the service's migrations and BENCH_COMMIT_PRELOAD rows already in
// `log` (indexes as deep as a while of ingest makes them), then commits BENCH_COMMIT_BATCHES
// batches of 500 telemetry logs from 100 vessels, one after another, as the writer does.
// Prints one JSON object: per variant the median and p90 milliseconds per batch, rows/s, and the
// statements (each one round trip) per batch.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { PostgresLogStore, type NewLog } from '../src/db/log-store.js';
import { initORM, type MikroORM } from '../src/db/orm.js';
import { rollupSql } from '../src/db/rollup.js';
import { parseMessage } from '../src/ingest/payload.js';
import { TELEMETRY_TYPE } from '../src/logs/kinds.js';
import { createScratchDatabase } from '../test/utils/backends.js';
import { DB_URL, progress } from './lib.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const PRELOAD = env('BENCH_COMMIT_PRELOAD', 300_000);
const BATCHES = env('BENCH_COMMIT_BATCHES', 40);
const BATCH = env('BENCH_COMMIT_ROWS', 500);
const ID_LOCK = 7_261_001; // the writer's (src/db/log-store.ts)

type Commit = (orm: MikroORM, logs: NewLog[]) => Promise<unknown>;
interface Variant {
  name: string;
  /** SQL run once on the preloaded database before measuring (index changes). */
  setup?: string[];
  commit: Commit;
}

/** Statements sent to the server, counted at the driver: each is one round trip. */
let statements = 0;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  statements++;
  return (query as (...a: unknown[]) => unknown).apply(this, args);
} as typeof query;

/** Before the roller: the per-minute rollup inside the writer's statement (rewritten on the way out). */
let withRollup = false;
const rewrite = (text: string) =>
  withRollup ? text.replace(/returning id\n\s*\)/, `returning id, vehicle_id, type, timestamp, sensor_id, data\n    ), rollup as (${rollupSql('stored')})`) : text;
const submit = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, text: unknown, ...rest: unknown[]) {
  return (submit as (...a: unknown[]) => unknown).call(this, typeof text === 'string' ? rewrite(text) : text, ...rest);
} as typeof submit;

const stores = new WeakMap<MikroORM, PostgresLogStore>();
const storeCommit: Commit = (orm, logs) => {
  if (!stores.has(orm)) stores.set(orm, new PostgresLogStore(orm, 4096));
  return stores.get(orm)!.commit({ logs, rejected: [] });
};

async function onConnection<T>(orm: MikroORM, f: (c: pg.ClientBase) => Promise<T>): Promise<T> {
  const knex = orm.em.getConnection().getKnex().client;
  const conn = (await knex.acquireConnection()) as pg.ClientBase;
  try {
    return await f(conn);
  } finally {
    await knex.releaseConnection(conn);
  }
}

/** The same statement with every row in one jsonb document (jsonb_to_recordset). */
const recordsetCommit: Commit = (orm, logs) =>
  onConnection(orm, (c) => {
    const doc = `[${logs.map((l) => `{"vehicle_id":${l.vehicleId},"type":"${l.type}","timestamp":"${l.timestamp.toISOString()}","received_at":"${l.receivedAt.toISOString()}","dedup_key":${JSON.stringify(l.dedupKey)},"data":${l.json!.text}}`).join(',')}]`;
    return c.query(
      `with ids as (
         select setval('log_id_seq', nextval('log_id_seq') + $2::bigint - 1) as last from (select pg_advisory_xact_lock(${ID_LOCK})) lock
       ), r as (
         select ids.last - $2::bigint + i.n as id, i.* from ids, rows from (jsonb_to_recordset($1::jsonb)
           as (vehicle_id int, type text, timestamp timestamptz, received_at timestamptz, dedup_key text, data jsonb)) with ordinality
           as i(vehicle_id, type, timestamp, received_at, dedup_key, data, n)
       ), v as (
         insert into vehicle (id, first_seen_at, last_seen_at) select vehicle_id, min(received_at), max(received_at) from r group by vehicle_id
         on conflict (id) do update set last_seen_at = greatest(vehicle.last_seen_at, excluded.last_seen_at)
       ), stored as (
         insert into log (id, vehicle_id, type, timestamp, received_at, data, dedup_key)
         select id, vehicle_id, type, timestamp, received_at, data, dedup_key from r order by id
         on conflict (vehicle_id, type, dedup_key) where dedup_key is not null do nothing returning id
       ) select stored.id::text as id, r.n::text as n from stored join r using (id)`,
      [doc, logs.length],
    );
  });

/** COPY into a temporary table, then the same insert from it: one transaction, five round trips. */
const copyCommit: Commit = (orm, logs) =>
  onConnection(orm, async (c) => {
    await c.query('begin');
    await c.query(`create temp table if not exists incoming (vehicle_id int, type text, timestamp timestamptz, received_at timestamptz, dedup_key text, data jsonb, n bigint) on commit delete rows`);
    const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n');
    const text = logs.map((l, i) => [l.vehicleId, l.type, l.timestamp.toISOString(), l.receivedAt.toISOString(), l.dedupKey ?? '\\N', esc(l.json!.text), i + 1].join('\t')).join('\n') + '\n';
    await new Promise<void>((resolve, reject) => {
      const stream = c.query(copyFrom('copy incoming from stdin'));
      stream.on('finish', resolve).on('error', reject);
      stream.end(text);
    });
    await c.query(
      `with ids as (
         select setval('log_id_seq', nextval('log_id_seq') + $1::bigint - 1) as last from (select pg_advisory_xact_lock(${ID_LOCK})) lock
       ), r as (select ids.last - $1::bigint + i.n as id, i.* from ids, incoming i
       ), v as (
         insert into vehicle (id, first_seen_at, last_seen_at) select vehicle_id, min(received_at), max(received_at) from r group by vehicle_id
         on conflict (id) do update set last_seen_at = greatest(vehicle.last_seen_at, excluded.last_seen_at)
       ) insert into log (id, vehicle_id, type, timestamp, received_at, data, dedup_key)
         select id, vehicle_id, type, timestamp, received_at, data, dedup_key from r order by id
         on conflict (vehicle_id, type, dedup_key) where dedup_key is not null do nothing returning id`,
      [logs.length],
    );
    await c.query('commit');
  });

const VARIANTS: Variant[] = [
  { name: 'before: unnest, rollup in the statement', commit: (orm, logs) => ((withRollup = true), storeCommit(orm, logs).finally(() => (withRollup = false))) },
  { name: 'unnest (bind arrays), no rollup: the writer now', commit: storeCommit },
  { name: 'jsonb_to_recordset', commit: recordsetCommit },
  { name: 'COPY + insert … select', commit: copyCommit },
  { name: 'unnest, without log_timestamp_idx', setup: ['drop index log_timestamp_idx'], commit: storeCommit },
  { name: 'unnest, BRIN (timestamp) instead of log_timestamp_idx', setup: ['drop index log_timestamp_idx', 'create index log_timestamp_brin on log using brin (timestamp)'], commit: storeCommit },
  { name: 'unnest, without log_vehicle_id_idx', setup: ['drop index log_vehicle_id_idx'], commit: storeCommit },
  { name: 'unnest, without log_vehicle_type_id_idx', setup: ['drop index log_vehicle_type_id_idx'], commit: storeCommit },
  { name: 'unnest, without log_vehicle_timestamp_idx', setup: ['drop index log_vehicle_timestamp_idx'], commit: storeCommit },
  { name: 'unnest, only the primary key and the dedup index', setup: ['drop index log_timestamp_idx', 'drop index log_vehicle_id_idx', 'drop index log_vehicle_type_id_idx', 'drop index log_vehicle_timestamp_idx'], commit: storeCommit },
];

let seq = 0;
function batch(): NewLog[] {
  const receivedAt = new Date();
  return Array.from({ length: BATCH }, (_, i) => {
    const vehicle = (i % 100) + 1;
    const payload = `{"seq":${seq++},"speed":3.2,"battery_voltage":12.1,"latitude":-6.1,"longitude":106.8,"heading":${i % 360},"timestamp":"${new Date(receivedAt.getTime() - 5).toISOString()}"}`;
    const parsed = parseMessage(`seano/${vehicle}/${TELEMETRY_TYPE}`, Buffer.from(payload), receivedAt, { prefix: 'seano', maxPayload: 1 << 20 });
    if (!parsed.ok) throw new Error(parsed.reason);
    return parsed.log;
  });
}

/** PRELOAD rows of 100 vessels' telemetry over the last days, ids from the sequence as the writer takes them. */
const PRELOAD_SQL = `
insert into log (id, vehicle_id, type, timestamp, received_at, data, dedup_key)
select nextval('log_id_seq'), g % 100 + 1, '${TELEMETRY_TYPE}', t, t + interval '50 ms',
       jsonb_build_object('seq', g, 'speed', 3 + g % 7, 'battery_voltage', 12.1, 'latitude', -6.1, 'longitude', 106.8, 'heading', g % 360),
       md5(g::text)
from generate_series(1, $1::int) g, lateral (select now() - interval '3 days' + g * interval '1 s' * (3 * 86400.0 / $1)) ts(t)`;

interface Prepared {
  variant: Variant;
  orm: MikroORM;
  drop: () => Promise<void>;
  ms: number[];
  statements: number;
}

async function prepare(variant: Variant): Promise<Prepared> {
  const db = await createScratchDatabase(DB_URL);
  const orm = await initORM({ clientUrl: db.url, poolMax: 2 });
  const sql = (text: string, params: unknown[] = []) => onConnection(orm, (c) => c.query(text, params));
  await sql(PRELOAD_SQL, [PRELOAD]);
  await sql(`insert into vehicle (id, first_seen_at, last_seen_at) select distinct vehicle_id, now(), now() from log`);
  for (const s of variant.setup ?? []) await sql(s);
  await sql('vacuum analyze log');
  for (let i = 0; i < 3; i++) await variant.commit(orm, batch()); // warm-up: plans, caches
  return { variant, orm, drop: db.drop, ms: [], statements: 0 };
}

/** One batch of each variant in turn, BATCHES times: a busy spell of the machine slows all alike. */
async function measureAll(prepared: Prepared[]): Promise<void> {
  for (let i = 0; i < BATCHES; i++) {
    for (const p of prepared) {
      const logs = batch();
      const before = statements;
      const t = performance.now();
      await p.variant.commit(p.orm, logs);
      p.ms.push(performance.now() - t);
      p.statements += statements - before;
    }
  }
}

function summary(p: Prepared) {
  const ms = [...p.ms].sort((a, b) => a - b);
  const median = ms[Math.floor(ms.length / 2)]!;
  return { median_ms: round(median), p90_ms: round(ms[Math.floor(ms.length * 0.9)]!), rows_per_s: Math.round((BATCH / median) * 1000), statements_per_batch: p.statements / BATCHES };
}

const round = (n: number) => Number(n.toFixed(1));
const loadavg = (await import('node:os')).loadavg;
const out: Record<string, unknown> = { preload_rows: PRELOAD, batches: BATCHES, rows_per_batch: BATCH, load_average_before: loadavg().map(round), run: randomBytes(3).toString('hex') };
const prepared: Prepared[] = [];
try {
  for (const v of VARIANTS) {
    progress(`commit: preparing ${v.name}`);
    prepared.push(await prepare(v));
  }
  progress(`commit: ${BATCHES} rounds of ${prepared.length} variants`);
  await measureAll(prepared);
} finally {
  for (const p of prepared) {
    await p.orm.close(true);
    await p.drop();
  }
}
const variants = Object.fromEntries(prepared.map((p) => [p.variant.name, summary(p)]));
console.log(JSON.stringify({ ...out, variants, load_average_after: loadavg().map(round) }, null, 2));
