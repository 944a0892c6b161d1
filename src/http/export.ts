// GET /api/logs/export: the stored history as CSV or NDJSON for analysts, streamed with constant
// memory however many rows match (millions), ordered by id; the response is written no faster
// than the client takes it (res.write → 'drain'), and a client that hangs up stops the reading
// and gives the connection back.
//
//   ?vehicle_id=1  &type=vehicle_log,sensor_log (or repeated)  &from=ISO  &to=ISO  &format=csv|ndjson
//
// Two ways to read, chosen per database:
// - PostgreSQL: one `COPY (select …) TO STDOUT` (pg-copy-streams) on a dedicated connection (the
//   ORM's clientUrl), so a long export holds none of the pool the writer and queries use, reads
//   one consistent snapshot, and PostgreSQL's own CSV writer formats the rows: the bytes go from
//   the database to the client untouched, several times faster than parsing and re-writing each
//   row here. NDJSON lines are built by the same SELECT (see ndjsonLine).
// - PGlite (embedded, behind pglite-socket): every socket shares ONE backend session, so a
//   long-running statement would hold the writer off for the whole export. There each chunk of
//   5000 rows is its own statement (keyset: id > last, order by id, limit 5000) on a pooled
//   connection released between chunks, so the writer commits between chunks; csv-stringify
//   writes the CSV. Ids commit in order (see the writer), so "id > last" misses nothing.
import type { IncomingMessage, ServerResponse } from 'node:http';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { stringify } from 'csv-stringify/sync';
import type { MikroORM } from '@mikro-orm/postgresql';
import { allows, type Principal } from '../auth/tokens.js';
import { parseTimestamp } from '../logs/params.js';
import { MAX_VEHICLE_ID, parseVehicleId } from '../logs/params.js';
import { LOG_TYPES, type LogType } from '../logs/kinds.js';
import type { Logger } from '../logger.js';
import { authorizeOrRefuse, sendJson } from './routes.js';

export const EXPORT_PATH = '/api/logs/export';

export interface ExportOptions {
  orm: MikroORM;
  /** Who is asking (Authorization: Bearer …); throws AuthError. */
  authorize: (req: IncomingMessage) => Promise<Principal>;
  /** Where failures after the response has started are reported (optional). */
  logger?: Pick<Logger, 'warn'>;
}

const FORMATS = ['csv', 'ndjson'] as const;
type Format = (typeof FORMATS)[number];
const PARAMS = new Set(['vehicle_id', 'type', 'from', 'to', 'format']);

/** vehicle_log fields also given as columns of their own, for spreadsheets. */
export const FLATTENED = ['battery_voltage', 'speed', 'latitude', 'longitude', 'heading', 'mode', 'armed'] as const;
export const EXPORT_COLUMNS = ['id', 'vehicle_id', 'type', 'timestamp', 'received_at', 'sensor_id', 'message', 'data', ...FLATTENED] as const;

/** Rows per statement when reading PGlite in chunks (keysetChunks). */
export const CHUNK_ROWS = 5000;
/** Exports running at once per database; more are answered 503 (each may hold a connection for minutes). */
export const MAX_CONCURRENT_EXPORTS = 4;

export interface ExportFilter {
  vehicleId?: number;
  types?: LogType[];
  from?: Date;
  to?: Date;
  format: Format;
}

/** The query string → a filter, or the first problem, naming the parameter. */
export function parseExportParams(params: URLSearchParams): ExportFilter | { error: string } {
  for (const name of new Set(params.keys())) {
    if (!PARAMS.has(name)) return { error: `unknown parameter "${name}"; use vehicle_id, type, from, to, format` };
    if (name !== 'type' && params.getAll(name).length > 1) return { error: `parameter "${name}" given more than once` };
  }
  const filter: ExportFilter = { format: 'csv' };
  const vehicle = params.get('vehicle_id');
  if (vehicle !== null) {
    const id = parseVehicleId(vehicle.trim());
    if (id === undefined) return { error: `vehicle_id must be an integer 1..${MAX_VEHICLE_ID}, got ${JSON.stringify(vehicle)}` };
    filter.vehicleId = id;
  }
  const types = params.getAll('type').flatMap((t) => t.split(',')).map((t) => t.trim());
  if (types.length) {
    const bad = types.find((t) => !(LOG_TYPES as readonly string[]).includes(t));
    if (bad !== undefined) return { error: `type must be ${LOG_TYPES.join(', ')} (repeated or comma-separated), got ${JSON.stringify(bad)}` };
    filter.types = [...new Set(types as LogType[])];
  }
  for (const name of ['from', 'to'] as const) {
    const value = params.get(name);
    if (value === null) continue;
    const date = parseTimestamp(value);
    if (!date) return { error: `${name} must be an ISO-8601 time, e.g. 2025-10-18T16:30:00Z (no zone = UTC), got ${JSON.stringify(value)}` };
    filter[name] = date;
  }
  if (filter.from && filter.to && filter.from >= filter.to) return { error: 'to must be later than from (from is inclusive, to exclusive)' };
  const format = params.get('format');
  if (format !== null) {
    if (!(FORMATS as readonly string[]).includes(format)) return { error: `format must be csv or ndjson, got ${JSON.stringify(format)}` };
    filter.format = format as Format;
  }
  return filter;
}

/** Resolves true when the path is the export's (answered, whatever the outcome). */
export async function handleExport(o: ExportOptions, req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
  if (url.pathname !== EXPORT_PATH) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    sendJson(res, 405, { error: 'method not allowed; use GET' });
    return true;
  }
  const principal = await authorizeOrRefuse(o.authorize, req, res);
  if (!principal) return true;
  const filter = parseExportParams(url.searchParams);
  if ('error' in filter) {
    sendJson(res, 400, filter);
    return true;
  }
  if (filter.vehicleId !== undefined && !allows(principal.scope, filter.vehicleId)) {
    sendJson(res, 403, { error: `vehicle_id ${filter.vehicleId} is outside this token's vehicles` });
    return true;
  }
  const running = runningExports.get(o.orm) ?? 0;
  if (running >= MAX_CONCURRENT_EXPORTS) {
    res.setHeader('retry-after', '10');
    sendJson(res, 503, { error: `${MAX_CONCURRENT_EXPORTS} exports are already running; try again later` });
    return true;
  }
  runningExports.set(o.orm, running + 1);
  try {
    await streamExport(o, filter, principal.scope, req, res);
  } finally {
    runningExports.set(o.orm, (runningExports.get(o.orm) ?? 1) - 1);
  }
  return true;
}

const runningExports = new WeakMap<MikroORM, number>();

async function streamExport(o: ExportOptions, f: ExportFilter, scope: readonly number[] | undefined, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const headers = {
    'content-type': f.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
    'content-disposition': `attachment; filename="${filename(f)}"`,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  };
  if (req.method === 'HEAD') {
    res.writeHead(200, headers);
    return void res.end();
  }
  const { where, params } = whereClause(f, scope);
  const clientUrl = o.orm.config.get('clientUrl');
  let pglite: boolean;
  try {
    pglite = !clientUrl || (await isPglite(o.orm));
  } catch (err) {
    o.logger?.warn({ err }, 'export: cannot read from the database');
    sendJson(res, 503, { error: 'the database is not available; try again later' });
    return;
  }
  const chunks = pglite
    ? keysetChunks(o.orm, `select ${selectList(f.format, true)} from "log" where ${where}`, params, f.format)
    : copyChunks(clientUrl!, `select ${selectList(f.format, false)} from "log" where ${where} order by "log"."id"`, params, f.format);
  // The client went away (or the server is stopping): stop reading, give the connection back.
  let closed = false;
  res.once('close', () => (closed = true));
  const gone = () => closed || res.destroyed;
  try {
    let next: IteratorResult<string | Buffer>;
    try {
      next = await chunks.next();
    } catch (err) {
      // Nothing sent yet: a proper status still fits.
      const down = err instanceof DatabaseUnavailable;
      o.logger?.warn({ err }, down ? 'export: cannot read from the database' : 'export: the query failed');
      if (down) sendJson(res, 503, { error: 'the database is not available; try again later' });
      else sendJson(res, 500, { error: 'the export failed; try again later' });
      return;
    }
    res.writeHead(200, headers);
    try {
      // Pulled one chunk at a time: the next is read only once the client has taken this one.
      for (; !next.done; next = await chunks.next()) {
        if (gone()) return;
        if (next.value.length && !res.write(next.value)) await drained(res);
      }
      if (!gone()) res.end();
    } catch (err) {
      // Headers are out: all we can do is cut the response so the client sees it incomplete.
      if (!gone()) o.logger?.warn({ err }, 'export failed midway');
      res.destroy();
    }
  } finally {
    await chunks.return(undefined).catch((err: unknown) => o.logger?.warn({ err }, 'export: closing the database connection failed'));
  }
}

function drained(res: ServerResponse): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

// ---- SQL ----------------------------------------------------------------------------------

type Row = unknown[]; // in the order of EXPORT_COLUMNS (rowMode 'array')

const ISO_UTC = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;
const ts = (column: string) => `to_char("${column}" at time zone 'UTC', ${ISO_UTC})`;

/**
 * CSV: the columns of EXPORT_COLUMNS, named so (COPY's header line), the flattened fields as
 * text (`GUIDED`, `true`). NDJSON: one column, the whole line (see ndjsonLine). `withId` puts the
 * id first for the keyset reader (the CSV has it first anyway).
 */
function selectList(format: Format, withId: boolean): string {
  if (format === 'ndjson') return `${withId ? '"id"::text as "id", ' : ''}${ndjsonLine()} as "line"`;
  const flat = FLATTENED.map((k) => `case when "type" = 'vehicle_log' then "data"->>'${k}' end as "${k}"`);
  // The first output column is named "id" too: ORDER BY says "log"."id" (the bigint), or it
  // would sort this text ('10' < '9').
  return [
    '"id"::text as "id"', '"vehicle_id"', '"type"', `${ts('timestamp')} as "timestamp"`, `${ts('received_at')} as "received_at"`,
    '"sensor_id"', '"message"', '"data"::text as "data"', ...flat,
  ].join(', ');
}

/**
 * One JSON object per line, built by PostgreSQL: the CSV's fields, `data` and the flattened ones
 * as JSON values (`"GUIDED"`, `true`). Only `message` needs escaping (to_json); the rest are
 * numbers, fixed words, timestamps and jsonb's own text.
 */
function ndjsonLine(): string {
  const json = (expr: string) => `coalesce(${expr}, 'null')`;
  const parts = [
    `'{"id":"' || "id"::text`,
    `'","vehicle_id":' || "vehicle_id"::text`,
    `',"type":"' || "type"`,
    `'","timestamp":"' || ${ts('timestamp')}`,
    `'","received_at":"' || ${ts('received_at')}`,
    `'","sensor_id":' || ${json('"sensor_id"::text')}`,
    `',"message":' || ${json('to_json("message")::text')}`,
    `',"data":' || ${json('"data"::text')}`,
    ...FLATTENED.map((k) => `',"${k}":' || ${json(`case when "type" = 'vehicle_log' then ("data"->'${k}')::text end`)}`),
    `'}'`,
  ];
  return `(${parts.join(' || ')})`;
}

function whereClause(f: ExportFilter, scope: readonly number[] | undefined): { where: string; params: unknown[] } {
  const conds: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown) => (params.push(v), `$${params.length}`);
  if (f.vehicleId !== undefined) conds.push(`"vehicle_id" = ${p(f.vehicleId)}`);
  else if (scope !== undefined) conds.push(`"vehicle_id" = any(${p([...scope])}::int[])`);
  if (f.types?.length) conds.push(f.types.length === 1 ? `"type" = ${p(f.types[0])}` : `"type" = any(${p(f.types)}::text[])`);
  if (f.from) conds.push(`"timestamp" >= ${p(f.from.toISOString())}::timestamptz`);
  if (f.to) conds.push(`"timestamp" < ${p(f.to.toISOString())}::timestamptz`);
  return { where: conds.length ? conds.join(' and ') : 'true', params };
}

// ---- Reading --------------------------------------------------------------------------------

/** The connection could not be opened (answered 503, not 500). */
class DatabaseUnavailable extends Error {}

/** Whether the ORM's database is PGlite (one shared backend session), asked once per ORM. */
const pgliteByOrm = new WeakMap<MikroORM, Promise<boolean>>();
function isPglite(orm: MikroORM): Promise<boolean> {
  let known = pgliteByOrm.get(orm);
  if (!known) {
    known = withPooled(orm, async (c) => /PGlite/i.test((await c.query('select version() as v')).rows[0]?.v ?? ''));
    known.catch(() => pgliteByOrm.delete(orm)); // ask again next time
    pgliteByOrm.set(orm, known);
  }
  return known;
}

/**
 * The whole export as PostgreSQL writes it: CSV with its header line, or NDJSON lines (one
 * text column, written through COPY's CSV format with a quote and a delimiter character that
 * never occur in JSON text, so no line is quoted or escaped). COPY takes no bind parameters:
 * the values are inlined (all validated numbers, dates and type names).
 */
/**
 * Planner settings of the export's own connection. The rows of one vessel lie one per table
 * page (the fleet's writes interleave), so an export is mostly fetching pages; these make it
 * stream in id order from the first row (an index scan, not a sort of the whole result, as
 * cached pages cost little more to read at random than in order) and share the fetching and
 * formatting between parallel workers while this connection's backend only merges and sends.
 * Measured on 100,000 rows of one vessel, 2 cores: 120k rows/s alone, 185k rows/s so.
 */
const EXPORT_SESSION = [
  'random_page_cost = 1.1', 'jit = off',
  'parallel_setup_cost = 0', 'parallel_tuple_cost = 0', 'min_parallel_index_scan_size = 0', 'parallel_leader_participation = off',
].map((s) => `set ${s}`).join('; '); // SET, not startup options: connection poolers refuse those

async function* copyChunks(clientUrl: string, select: string, params: unknown[], format: Format): AsyncGenerator<Buffer> {
  const client = new pg.Client({ connectionString: clientUrl, connectionTimeoutMillis: 5000, application_name: 'seano-export' });
  client.on('error', () => {}); // a dropped connection surfaces as a failed read
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    throw new DatabaseUnavailable(`cannot connect: ${(err as Error).message}`, { cause: err });
  }
  try {
    await client.query(EXPORT_SESSION);
    const options = format === 'csv' ? `format csv, header` : `format csv, quote e'\\x01', delimiter e'\\x02'`;
    const stream = client.query(copyTo(`copy (${inlineParams(select, params)}) to stdout with (${options})`));
    yield* stream as AsyncIterable<Buffer>;
  } finally {
    // Ending the connection ends the COPY too, also when the client left half way.
    await client.end();
  }
}

/**
 * Each chunk its own statement on a pooled connection, resuming after the last id read. Sent as
 * one simple-protocol message (values inlined): pglite-socket queues single messages from all
 * connections into one session, so a Parse/Bind/Execute batch could be split by another
 * connection's query (electric-sql/pglite#1046).
 */
async function* keysetChunks(orm: MikroORM, select: string, params: unknown[], format: Format): AsyncGenerator<string> {
  const base = inlineParams(select, params);
  // The header goes out with the first rows: a first query that fails is still answered 500.
  let header = format === 'csv' ? CSV_HEADER : '';
  let last: string | undefined;
  for (;;) {
    const after = last === undefined ? '' : ` and "log"."id" > ${last}`;
    const text = `${base}${after} order by "log"."id" limit ${CHUNK_ROWS}`;
    const rows = await withPooled(orm, async (c) => (await c.query({ text, rowMode: 'array' })).rows as Row[]);
    if (rows.length) {
      const id = rows[rows.length - 1]![0];
      if (typeof id !== 'string' || !/^\d+$/.test(id)) throw new Error(`unexpected id ${String(id)}`);
      last = id;
    }
    yield header + (format === 'csv' ? stringify(rows) : rows.map((r) => `${r[1] as string}\n`).join(''));
    header = '';
    if (rows.length < CHUNK_ROWS) return;
  }
}

/** `$n` → a SQL literal of params[n - 1] (numbers, strings, arrays of either). */
function inlineParams(text: string, params: unknown[]): string {
  const literal = (v: unknown): string => {
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    if (typeof v === 'string') return pg.escapeLiteral(v);
    if (Array.isArray(v)) return pg.escapeLiteral(`{${v.map((x) => (typeof x === 'number' ? String(x) : JSON.stringify(String(x)))).join(',')}}`);
    throw new Error(`cannot inline ${typeof v}`);
  };
  return text.replace(/\$(\d+)/g, (_, i: string) => literal(params[Number(i) - 1]));
}

/** A raw pg client from the ORM's (knex) pool for one call. */
async function withPooled<T>(orm: MikroORM, fn: (client: pg.ClientBase) => Promise<T>): Promise<T> {
  const knexClient = orm.em.getConnection().getKnex().client;
  const conn = (await knexClient.acquireConnection().catch((err: Error) => {
    throw new DatabaseUnavailable(`no database connection: ${err.message}`, { cause: err });
  })) as pg.ClientBase;
  try {
    return await fn(conn);
  } finally {
    await knexClient.releaseConnection(conn);
  }
}

const CSV_HEADER = stringify([], { header: true, columns: [...EXPORT_COLUMNS] });

function filename(f: ExportFilter): string {
  const stamp = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const parts = ['seano-logs'];
  if (f.vehicleId !== undefined) parts.push(`vehicle-${f.vehicleId}`);
  if (f.types?.length) parts.push(f.types.join('+'));
  if (f.from) parts.push(`from-${stamp(f.from)}`);
  if (f.to) parts.push(`to-${stamp(f.to)}`);
  return `${parts.join('_')}.${f.format}`;
}
