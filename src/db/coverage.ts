// Which parts of a vessel's time window the per-minute summaries answer (src/db/telemetry-minutes.ts)
// and which must be read from the log: a summary stands for a minute only when the minute lies
// wholly inside the window and no telemetry of it was committed after the summarising pass (its
// watermark). Everything else — the window's partial first and last minutes, minutes with newer
// telemetry, minutes no pass has reached — is a hole, read from the log's rows.
import { TELEMETRY_TYPE } from '../logs/kinds.js';

/** Runs a statement with `?` parameters (FleetHistoryQueries' connection). */
export type Execute = <T>(sql: string, params: unknown[]) => Promise<T[]>;

/** The watermark: telemetry with an id above it is not in the summaries yet. */
export const WATERMARK_TABLE = 'telemetry_minutes_watermark';

/**
 * CTEs over `args(v, f, t)` (vessel, from, to; ±infinity when open), binding the watermark:
 * `s`, the rows of the summary `table` that stand for their minute, and `holes (hs, he)`, the
 * time ranges left to read from the log, in order. The watermark is a value the planner sees
 * (read just before, see readWatermark), so the few ids above it are found on the (vehicle_id,
 * type, id) index rather than by reading every index entry of the vessel.
 */
export const coverageCtes = (table: string) => `dirty as (
  select distinct date_trunc('minute', timestamp, 'UTC') as minute from log
  where vehicle_id = (select v from args) and type = '${TELEMETRY_TYPE}' and id > ?::bigint
), s as (
  select * from ${table}
  where vehicle_id = (select v from args) and minute >= (select f from args) and minute + interval '1 minute' <= (select t from args)
    and minute not in (select minute from dirty)
), islands as (
  select min(minute) as s, max(minute) + interval '1 minute' as e
  from (select minute, minute - (dense_rank() over (order by minute)) * interval '1 minute' as g from s) x group by g
), holes as (
  select coalesce(lag(e) over (order by s), (select f from args)) as hs, s as he from islands
  union all select coalesce((select max(e) from islands), (select f from args)), (select t from args)
)`;

/** The window's bound parameters, once each: vessel, from, to. */
export const ARGS_CTE = `args as (select ?::int as v, ?::timestamptz as f, ?::timestamptz as t)`;

/**
 * Binds ARGS_CTE and coverageCtes: an open end is infinite. The watermark is read first, in a
 * statement of its own: one older than the query's snapshot only marks more minutes as newer
 * than the summaries (read from the log, which is always right), never fewer.
 */
export async function windowArgs(execute: Execute, vehicleId: number, from: Date | undefined, to: Date | undefined): Promise<unknown[]> {
  const [mark] = await execute<{ last_id: string }>(`select last_id::text as last_id from ${WATERMARK_TABLE}`, []);
  return [vehicleId, from?.toISOString() ?? '-infinity', to?.toISOString() ?? 'infinity', mark?.last_id ?? '0'];
}

/** The vessel's telemetry rows of the holes, as a FROM item (`l`) with the select list `columns` and condition `where` over `log`. */
export const holeRows = (columns: string, where: string) => `holes cross join lateral (
    select ${columns} from log
    where vehicle_id = (select v from args) and type = '${TELEMETRY_TYPE}' and timestamp >= holes.hs and timestamp < holes.he and ${where}
    offset 0 -- one index probe per hole: flattened into a join, the plan may read all the vessel's rows
  ) l`;
