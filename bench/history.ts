// `npm run bench:history`: analysts' reads against a large history (default 10M rows in
// postgres://…/seano_history, seeded first when it holds fewer; read into the OS cache before the
// timings). The service runs in this process
// against that database; every figure is measured over HTTP in this run and printed as one JSON
// object: Query.logs one-hour windows, the CSV and NDJSON export of one vessel's whole history and
// the CSV of the whole fleet's, and — when
// the schema has them — Query.series (30 days, 500 buckets) and Query.track (one day); then
// Query.fleet(at), Query.gaps and Query.missions (bench/fleet-history.ts).
import { cpus, loadavg } from 'node:os';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { startApp } from '../src/app.js';
import { createLogger } from '../src/logger.js';
import { createExportHandler } from '../src/http/export.js';
import { DEFAULT_HISTORY_URL, seedHistory } from '../scripts/seed-history.js';
import { TelemetryMinutesPass } from '../src/db/telemetry-minutes.js';
import { benchFleetHistory, type Timed } from './fleet-history.js';

export interface HistoryBenchOptions {
  /** Rows the database should hold; seeded up to it when short. */
  rows?: number;
  /** Random one-hour windows for Query.logs. */
  windows?: number;
  /** Runs each of series and track. */
  runs?: number;
  log?: (line: string) => void;
}

const LOGS_QUERY = `query($v: Int!, $from: DateTime!, $to: DateTime!) {
  logs(vehicleId: $v, from: $from, to: $to, first: 100) {
    edges { node { id type timestamp
      ... on VehicleLog { batteryVoltage speed latitude longitude heading mode armed }
      ... on SensorLog { sensorId data }
      ... on RawLog { message } } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const SERIES_QUERY = `query($v: Int!, $from: DateTime!, $to: DateTime!) {
  series(vehicleId: $v, field: "speed", from: $from, to: $to, buckets: 500) { start avg min max count }
}`;
const TRACK_QUERY = `query($v: Int!, $from: DateTime!, $to: DateTime!) {
  track(vehicleId: $v, from: $from, to: $to, maxPoints: 1000) { timestamp latitude longitude }
}`;
const HOUR = 3_600_000;
const WARMED = ['log', 'log_minute', 'armed_run', 'seq_minute'];
const DAY = 24 * HOUR;

export async function benchHistory(dbUrl: string = DEFAULT_HISTORY_URL, o: HistoryBenchOptions = {}): Promise<Record<string, unknown>> {
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const loadAtStart = loadavg().map((l) => round(l, 2)); // other work on the machine: the figures depend on it
  const wanted = o.rows ?? 10_000_000;
  const windows = o.windows ?? 50;
  const runs = o.runs ?? 20;

  // 1. The data: seed up to `wanted` rows when short (the seed creates and migrates the database).
  let seeded: Awaited<ReturnType<typeof seedHistory>> | undefined;
  const present = await countRows(dbUrl).catch(() => 0);
  if (present < wanted) {
    log(`${dbUrl.replace(/\/\/[^@]*@/, '//')} holds ${present.toLocaleString('en')} rows; seeding ${(wanted - present).toLocaleString('en')} more`);
    seeded = await seedHistory({ databaseUrl: dbUrl, rows: wanted - present, log });
  }
  const db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  const rng = lcg(20261125);
  try {
    const { rows: [shape] } = await db.query<{ rows: string; vehicles: number; min_id: string; max_id: string }>(
      `select (select count(*) from log)::text as rows, (select count(*)::int from vehicle) as vehicles,
              (select min(id) from log)::text as min_id, (select max(id) from log)::text as max_id`);
    const minId = Number(shape!.min_id);
    const maxId = Number(shape!.max_id);
    /** A stored log chosen at random: its vessel and time. */
    const randomLog = async () => {
      const id = minId + Math.floor(rng() * (maxId - minId + 1));
      const { rows } = await db.query<{ vehicle_id: number; timestamp: Date }>(
        'select vehicle_id, timestamp from log where id >= $1 order by id limit 1', [id]);
      return rows[0]!;
    };

    // The tables and indexes read once into the OS page cache first: every figure below is for a
    // warm cache (what a server that has been answering for a while has), not for a disk read per
    // row. This machine's kernel pages out memory it sees idle (DAMON), so without it the same
    // run swings between warm and cold figures from one minute to the next.
    const cache = await warmCache(db, log);

    // 2. The service, in this process, on that database.
    const dataDir = await mkdtemp(join(tmpdir(), 'seano-bench-history-'));
    const env = {
      DATABASE_URL: dbUrl, MQTT_EMBEDDED_PORT: '0', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATA_DIR: dataDir,
      MQTT_CLIENT_ID: `bench-history-${process.pid}`,
    };
    const app = await startApp(loadConfig(env), createLogger('silent'));
    const base = `http://127.0.0.1:${app.port}`;
    // What the service's pass would do in the background after the seed: done before any timing.
    const summarising = performance.now();
    await new TelemetryMinutesPass(app.orm, { warn: () => {} }, false).catchUp();
    const summarisedSeconds = round((performance.now() - summarising) / 1000, 1);
    log(`per-minute telemetry summaries caught up in ${summarisedSeconds} s`);
    let side: Server | undefined;
    try {
      const gql = async (query: string, variables: Record<string, unknown>) => {
        const t = performance.now();
        const res = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
        const body = (await res.json()) as { data?: any; errors?: any[] };
        const ms = performance.now() - t;
        if (body.errors) throw new Error(`GraphQL: ${JSON.stringify(body.errors).slice(0, 400)}`);
        return { ms, data: body.data };
      };

      // (a) Query.logs: one vessel, a one-hour window around a random stored log, first 100
      log(`Query.logs: ${windows} random one-hour windows`);
      for (let i = 0; i < 3; i++) {
        const r = await randomLog(); // warm-up, not counted
        await gql(LOGS_QUERY, { v: r.vehicle_id, from: new Date(r.timestamp.getTime() - HOUR / 2).toISOString(), to: new Date(r.timestamp.getTime() + HOUR / 2).toISOString() });
      }
      const logsMs: number[] = [];
      const logsRows: number[] = [];
      for (let i = 0; i < windows; i++) {
        const r = await randomLog();
        const from = new Date(r.timestamp.getTime() - HOUR / 2);
        const { ms, data } = await gql(LOGS_QUERY, { v: r.vehicle_id, from: from.toISOString(), to: new Date(from.getTime() + HOUR).toISOString() });
        logsMs.push(ms);
        logsRows.push(data.logs.edges.length);
      }

      // (b) the CSV export of one vessel's whole history, read as a client would, lines counted
      let exportBase = base;
      const probe = await fetch(`${base}/api/logs/export?vehicle_id=1&from=1970-01-01T00:00:00Z&to=1970-01-01T00:00:01Z`);
      await probe.arrayBuffer();
      const exportVia = probe.status === 404 ? 'side server (createExportHandler, same process; the route is not wired in src/app.ts)' : 'service route';
      if (probe.status === 404) {
        const handleExport = createExportHandler({ orm: app.orm, authorize: async () => ({ expiresAt: Number.MAX_SAFE_INTEGER }) }, loadConfig({}));
        side = createServer((req, res) => {
          const url = new URL(req.url ?? '/', 'http://localhost');
          void handleExport(req, res, url).then((handled) => {
            if (!handled) res.writeHead(404).end();
          });
        });
        await new Promise<void>((r) => side!.listen(0, '127.0.0.1', () => r()));
        exportBase = `http://127.0.0.1:${(side.address() as { port: number }).port}`;
      }
      const vehicle = (await randomLog()).vehicle_id;
      const { rows: [{ n: vehicleRows } = { n: 0 }] } = await db.query<{ n: number }>('select count(*)::int as n from log where vehicle_id = $1', [vehicle]);
      /** One export read to the end; `vehicleId` undefined: the whole fleet. RSS sampled meanwhile. */
      const exportOnce = async (format: 'csv' | 'ndjson', vehicleId: number | undefined, expected: number) => {
        log(`export: ${vehicleId === undefined ? 'the whole fleet' : `vehicle ${vehicleId}`}, ${expected.toLocaleString('en')} rows, ${format}`);
        const rssBefore = process.memoryUsage().rss;
        let rssMax = rssBefore;
        const sampler = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 250);
        const t = performance.now();
        const res = await fetch(`${exportBase}/api/logs/export?format=${format}${vehicleId === undefined ? '' : `&vehicle_id=${vehicleId}`}`);
        if (res.status !== 200) throw new Error(`export answered ${res.status}: ${await res.text()}`);
        let bytes = 0;
        let newlines = 0;
        let firstByteMs: number | undefined;
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          firstByteMs ??= performance.now() - t;
          bytes += chunk.length;
          for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) newlines++;
        }
        const seconds = (performance.now() - t) / 1000;
        clearInterval(sampler);
        // CSV: a header line; a quoted newline inside a field would count too (none in seeded data).
        const rows = format === 'csv' ? newlines - 1 : newlines;
        return {
          ...(vehicleId !== undefined && { vehicle_id: vehicleId }), rows, rows_expected: expected, bytes, seconds: round(seconds, 2),
          rows_per_second: Math.round(rows / seconds), mb_per_second: round(bytes / 1e6 / seconds, 1), first_byte_ms: round(firstByteMs ?? 0, 1),
          // This process serves and reads: a growing RSS would mean the export is buffered somewhere.
          rss_growth_mb: round((rssMax - rssBefore) / 1e6, 1),
        };
      };
      const exportCsv = await exportOnce('csv', vehicle, vehicleRows);
      const exportNdjson = await exportOnce('ndjson', vehicle, vehicleRows);
      const exportFleet = await exportOnce('csv', undefined, Number(shape!.rows));

      // (c), (d) series and track, when the schema has them
      const schema = await readFile(fileURLToPath(new URL('../schema.graphql', import.meta.url)), 'utf8');
      const hasSeries = /^\s*series\(/m.test(schema);
      const hasTrack = /^\s*track\(/m.test(schema);
      let series: Record<string, unknown> | undefined;
      let track: Record<string, unknown> | undefined;
      if (hasSeries) {
        log(`Query.series: ${runs} vessels, 30 days, 500 buckets`);
        const ms: number[] = [];
        const buckets: number[] = [];
        const values: number[] = [];
        for (let i = 0; i < runs + 2; i++) {
          const v = (await randomLog()).vehicle_id;
          const { rows: [range] } = await db.query<{ last: Date }>('select max(timestamp) as last from log where vehicle_id = $1', [v]);
          const to = new Date(range!.last.getTime() + 1);
          const r = await gql(SERIES_QUERY, { v, from: new Date(to.getTime() - 30 * DAY).toISOString(), to: to.toISOString() });
          if (i < 2) continue; // warm-up
          ms.push(r.ms);
          buckets.push(r.data.series.length);
          values.push(r.data.series.reduce((s: number, b: { count: number }) => s + b.count, 0));
        }
        series = { runs, field: 'speed', days: 30, buckets: 500, ...stats(ms), non_empty_buckets: summary(buckets), values_aggregated: summary(values) };
      }
      if (hasTrack) {
        log(`Query.track: ${runs} vessel-days, maxPoints 1000`);
        const ms: number[] = [];
        const points: number[] = [];
        const inputs: number[] = [];
        for (let i = 0; i < runs + 2; i++) {
          const r = await randomLog();
          const from = new Date(Math.floor(r.timestamp.getTime() / DAY) * DAY);
          const to = new Date(from.getTime() + DAY);
          const res = await gql(TRACK_QUERY, { v: r.vehicle_id, from: from.toISOString(), to: to.toISOString() });
          if (i < 2) continue; // warm-up
          ms.push(res.ms);
          points.push(res.data.track.length);
          const { rows: [c] } = await db.query<{ n: number }>(
            `select count(*)::int as n from log where vehicle_id = $1 and type = 'vehicle_log' and timestamp >= $2 and timestamp < $3`, [r.vehicle_id, from, to]);
          inputs.push(c!.n);
        }
        track = { runs, window: '1 day', max_points: 1000, ...stats(ms), points: summary(points), positions_in_day: summary(inputs) };
      }

      // (e) fleet(at), gaps and missions (bench/fleet-history.ts)
      const newestLog = async (v: number) =>
        (await db.query<{ last: Date }>('select max(timestamp) as last from log where vehicle_id = $1', [v])).rows[0]!.last;
      const fleet = await benchFleetHistory({ gql, randomLog, newestLog, runs, log });
      const figures = (t: Timed, size: string) => ({ runs, ...stats(t.ms), [size]: summary(t.sizes) });

      return {
        machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, load_average_1_5_15_min: { at_start: loadAtStart, at_end: loadavg().map((l) => round(l, 2)) } },
        database: { rows: Number(shape!.rows), vehicles: shape!.vehicles, cache, ...(seeded && { seeded_now: seeded }), telemetry_minutes_caught_up_seconds: summarisedSeconds },
        logs_one_hour_first_100: { windows, warmup: 3, ...stats(logsMs), rows_returned: summary(logsRows) },
        export_one_vehicle: { via: exportVia, csv: exportCsv, ndjson: exportNdjson },
        export_whole_fleet_csv: exportFleet,
        ...(series ? { series_30_days_500_buckets: series } : { series: 'not in schema.graphql' }),
        ...(track ? { track_one_day: track } : { track: 'not in schema.graphql' }),
        fleet_at: figures(fleet.fleetAt, 'vessels_with_telemetry'),
        gaps_one_day: figures(fleet.gapsOneDay, 'gaps'),
        missions_one_day: figures(fleet.missionsOneDay, 'missions'),
        missions_30_days: figures(fleet.missions30Days, 'missions'),
      };
    } finally {
      if (side) await new Promise<void>((r) => side!.close(() => r()));
      await app.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  } finally {
    await db.end();
  }
}

/** pg_prewarm's 'read' of log, log_minute, the telemetry summaries and their indexes: OS cache, not shared_buffers. */
async function warmCache(db: pg.Client, log: (line: string) => void): Promise<string> {
  try {
    await db.query('create extension if not exists pg_prewarm');
  } catch (err) {
    return `cold: pg_prewarm is not available (${(err as Error).message})`;
  }
  const t = performance.now();
  const { rows } = await db.query<{ blocks: string }>(
    `select sum(pg_prewarm(c.oid, 'read'))::text as blocks from pg_class c
     where c.oid in (select unnest($1::regclass[]))
        or c.oid in (select indexrelid from pg_index where indrelid in (select unnest($1::regclass[])))`, [WARMED]);
  const seconds = (performance.now() - t) / 1000;
  const gb = (Number(rows[0]!.blocks) * 8192) / 1e9;
  log(`warmed the OS cache: ${gb.toFixed(1)} GB in ${seconds.toFixed(1)} s`);
  return `warm: ${gb.toFixed(1)} GB of tables and indexes read just before (pg_prewarm)`;
}

async function countRows(dbUrl: string): Promise<number> {
  const c = new pg.Client({ connectionString: dbUrl, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    const exists = await c.query(`select to_regclass('log') is not null as e`);
    if (!exists.rows[0]?.e) return 0;
    return Number((await c.query<{ n: string }>('select count(*)::text as n from log')).rows[0]!.n);
  } finally {
    await c.end();
  }
}

/** p50/p95 (nearest rank) and more, in ms. */
function stats(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  const at = (p: number) => s[Math.max(0, Math.ceil(p * s.length) - 1)]!;
  return { p50_ms: round(at(0.5), 1), p95_ms: round(at(0.95), 1), min_ms: round(s[0]!, 1), max_ms: round(s[s.length - 1]!, 1) };
}

function summary(xs: number[]) {
  return { min: Math.min(...xs), avg: round(xs.reduce((a, b) => a + b, 0) / xs.length, 1), max: Math.max(...xs) };
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

/** Deterministic random numbers in [0, 1): the same windows every run. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const url = process.env.BENCH_HISTORY_DATABASE_URL ?? DEFAULT_HISTORY_URL;
  const rows = process.env.BENCH_HISTORY_ROWS ? Number(process.env.BENCH_HISTORY_ROWS) : undefined;
  benchHistory(url, { rows })
    .then((result) => {
      console.log(JSON.stringify(result, null, 2));
      process.exit(0);
    })
    .catch((err: Error) => {
      console.error(`bench:history: ${err.stack ?? err.message}`);
      process.exit(1);
    });
}
