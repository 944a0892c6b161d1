// GET /api/logs/export: the stored history as CSV or NDJSON for analysts, streamed with constant
// memory however many rows match (millions): rows are read 5000 at a time, ordered by id, at most
// one chunk ahead of what the client has taken (res.write → 'drain'); a client that hangs up
// stops the reading and gives the connection back.
//
//   ?vehicle_id=1  &type=vehicle_log,sensor_log (or repeated)  &from=ISO  &to=ISO  &format=csv|ndjson
//
// Two ways to read, chosen per database:
// - PostgreSQL: one server-side cursor (pg-cursor) for the whole export on a dedicated connection
//   (the ORM's clientUrl), so a long export holds none of the pool the writer and queries use,
//   and reads one consistent snapshot.
// - PGlite (embedded, behind pglite-socket): every socket shares ONE backend session, so a portal
//   left open between reads is closed by the next commit of any other connection ("portal C_1
//   does not exist") — and an explicit transaction would hold the writer off for the whole
//   export. There each chunk is its own statement (keyset: id > last, order by id, limit 5000)
//   on a pooled connection released between chunks, so the writer commits between chunks.
//   Ids commit in order (see the writer), so "id > last" misses nothing.
import type { IncomingMessage, ServerResponse } from 'node:http';
import pg from 'pg';
import Cursor from 'pg-cursor';
import { stringify } from 'csv-stringify/sync';
import type { MikroORM } from '@mikro-orm/postgresql';
import { allows, type Principal } from '../auth/tokens.js';
import { parseTimestamp } from '../ingest/payload.js';
import { MAX_VEHICLE_ID, parseVehicleId } from '../ingest/topics.js';
import { LOG_TYPES, type LogType } from '../pubsub/index.js';
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

/** Rows per read from the database, and per write to the client. */
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
  const select = `select ${selectList(f.format)} from "log" where ${where}`;
  let source: RowSource;
  try {
    source = await openSource(o.orm, select, params);
  } catch (err) {
    o.logger?.warn({ err }, 'export: cannot read from the database');
    sendJson(res, 503, { error: 'the database is not available; try again later' });
    return;
  }
  // The client went away (or the server is stopping): stop reading, give the connection back.
  let closed = false;
  res.once('close', () => (closed = true));
  const gone = () => closed || res.destroyed;
  // The next chunk is read while the previous one goes out: two chunks in memory at most.
  let next: Promise<Row[]> | undefined;
  try {
    let rows: Row[];
    try {
      rows = await source.read(CHUNK_ROWS);
    } catch (err) {
      // Nothing sent yet: a proper status still fits.
      o.logger?.warn({ err }, 'export: the query failed');
      sendJson(res, 500, { error: 'the export failed; try again later' });
      return;
    }
    res.writeHead(200, headers);
    let first = true;
    for (;;) {
      if (gone()) return;
      next = rows.length === CHUNK_ROWS ? source.read(CHUNK_ROWS) : undefined;
      next?.catch(() => {}); // awaited below, or abandoned when the client is gone
      const text = f.format === 'csv' ? csvChunk(rows, first) : ndjsonChunk(rows);
      first = false;
      if (text && !res.write(text)) await drained(res);
      if (gone() || !next) break;
      rows = await next;
      next = undefined;
    }
    if (!gone()) res.end();
  } catch (err) {
    // Headers are out: all we can do is cut the response so the client sees it incomplete.
    if (!gone()) o.logger?.warn({ err }, 'export failed midway');
    res.destroy();
  } finally {
    await source.close().catch((err: unknown) => o.logger?.warn({ err }, 'export: closing the database connection failed'));
    await next?.catch(() => {}); // a read in flight: rejected by the close (cursor) or finished (pooled)
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

/** CSV takes the flattened fields as text (`GUIDED`, `true`), NDJSON as JSON literals (`"GUIDED"`). */
function selectList(format: Format): string {
  const flat = FLATTENED.map((k) =>
    format === 'csv'
      ? `case when "type" = 'vehicle_log' then "data"->>'${k}' end`
      : `case when "type" = 'vehicle_log' then ("data"->'${k}')::text end`,
  );
  // The first output column is named "id" too: ORDER BY says "log"."id" (the bigint), or it
  // would sort this text ('10' < '9').
  return [
    '"id"::text',
    '"vehicle_id"',
    '"type"',
    `to_char("timestamp" at time zone 'UTC', ${ISO_UTC})`,
    `to_char("received_at" at time zone 'UTC', ${ISO_UTC})`,
    '"sensor_id"',
    '"message"',
    '"data"::text',
    ...flat,
  ].join(', ');
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

interface RowSource {
  /** Up to `n` more rows, in id order; fewer means the end. */
  read(n: number): Promise<Row[]>;
  close(): Promise<void>;
}

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

async function openSource(orm: MikroORM, select: string, params: unknown[]): Promise<RowSource> {
  const clientUrl = orm.config.get('clientUrl');
  if (!clientUrl || (await isPglite(orm))) return keysetSource(orm, select, params);
  return cursorSource(clientUrl, select, params);
}

/** One pg-cursor over the whole query, on a connection of its own. */
async function cursorSource(clientUrl: string, select: string, params: unknown[]): Promise<RowSource> {
  const client = new pg.Client({ connectionString: clientUrl, connectionTimeoutMillis: 5000, application_name: 'seano-export' });
  client.on('error', () => {}); // a dropped connection surfaces as a failed read
  await client.connect();
  let cursor: Cursor<Row>;
  try {
    cursor = client.query(new Cursor<Row>(`${select} order by "log"."id"`, params, { rowMode: 'array' }));
  } catch (err) {
    await client.end().catch(() => {});
    throw err;
  }
  let ended = false;
  return {
    read: (n) => cursor.read(n),
    async close() {
      if (ended) return;
      ended = true;
      // Ending the connection ends the portal and its snapshot with it, also after an error
      // (when pg-cursor's own close() would wait for a ReadyForQuery that already came).
      await client.end();
    },
  };
}

/**
 * Each chunk its own statement on a pooled connection, resuming after the last id read. Sent as
 * one simple-protocol message (values inlined; all of them validated numbers, dates and type
 * names): pglite-socket queues single messages from all connections into one session, so a
 * Parse/Bind/Execute batch could be split by another connection's query (electric-sql/pglite#1046).
 */
function keysetSource(orm: MikroORM, select: string, params: unknown[]): RowSource {
  const base = inlineParams(select, params);
  let last: string | undefined;
  return {
    async read(n) {
      const after = last === undefined ? '' : ` and "log"."id" > ${last}`;
      const text = `${base}${after} order by "log"."id" limit ${Math.trunc(n)}`;
      const rows = await withPooled(orm, async (c) => (await c.query({ text, rowMode: 'array' })).rows as Row[]);
      if (rows.length) {
        const id = rows[rows.length - 1]![0];
        if (typeof id !== 'string' || !/^\d+$/.test(id)) throw new Error(`unexpected id ${String(id)}`);
        last = id;
      }
      return rows;
    },
    close: async () => {},
  };
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
  const conn = (await knexClient.acquireConnection()) as pg.ClientBase;
  try {
    return await fn(conn);
  } finally {
    await knexClient.releaseConnection(conn);
  }
}

// ---- Formats --------------------------------------------------------------------------------

const CSV_HEADER = stringify([], { header: true, columns: [...EXPORT_COLUMNS] });

/** Rows are arrays in column order already: the header is written once, the rest as they come. */
function csvChunk(rows: Row[], header: boolean): string {
  return (header ? CSV_HEADER : '') + (rows.length ? stringify(rows) : '');
}

/** One JSON object per line: the same fields as the CSV, `data` and the flattened ones as JSON. */
function ndjsonChunk(rows: Row[]): string {
  let out = '';
  for (const r of rows) {
    const [id, vehicleId, type, timestamp, receivedAt, sensorId, message, data] = r as [string, number, string, string, string, number | null, string | null, string | null];
    out += `{"id":"${id}","vehicle_id":${vehicleId},"type":"${type}","timestamp":"${timestamp}","received_at":"${receivedAt}","sensor_id":${sensorId ?? 'null'},"message":${message === null ? 'null' : JSON.stringify(message)},"data":${data ?? 'null'}`;
    for (let i = 0; i < FLATTENED.length; i++) out += `,"${FLATTENED[i]}":${(r[8 + i] as string | null) ?? 'null'}`;
    out += '}\n';
  }
  return out;
}

function filename(f: ExportFilter): string {
  const stamp = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const parts = ['seano-logs'];
  if (f.vehicleId !== undefined) parts.push(`vehicle-${f.vehicleId}`);
  if (f.types?.length) parts.push(f.types.join('+'));
  if (f.from) parts.push(`from-${stamp(f.from)}`);
  if (f.to) parts.push(`to-${stamp(f.to)}`);
  return `${parts.join('_')}.${f.format}`;
}
