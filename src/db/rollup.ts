// Per-minute rollup of every numeric value the vessels send: `log_minute` holds, for each
// vehicle, log type, sensor (0 for telemetry), key and UTC minute, the count, sum, min and max.
// `series` over days or months reads these few rows instead of every sample (a vessel at 10 Hz
// sends 600 per minute). The rollup is kept off the writer's statement: the roller
// (src/db/roller.ts) sums the committed logs past a watermark on id (`log_minute_watermark`),
// moving the watermark in the same transaction, and `series` adds the raw rows past the
// watermark (src/db/history.ts) — so the answer is exact however far the roller lags. Ids commit
// in order (the writer's advisory lock), so a log at or below the watermark is summed and none
// above it; a redelivery is never stored, so never summed twice.
import { ROLLUP_TYPES } from '../logs/kinds.js';

/**
 * Keys longer than this are not summed: `series` refuses them, and a key of a few kilobytes
 * would exceed the primary key's btree entry limit and fail the whole batch of logs.
 */
export const MAX_SERIES_KEY_LENGTH = 64;

// The rollup must never fail a log, and a JSON number can be more than float8 can hold or add:
// two 1.7976931348623157e308 in one minute overflow a float8 sum, and a number float64 reads as
// 0 (validation refuses 1e-400, but the rollup does not rely on it) is out of float8's range. So
// values are read as numeric (exact: what jsonb holds), aggregated in numeric (sum, min and max
// cannot overflow there), and each result goes to float8 through `toFloat8`: clamped to
// ±DBL_MAX, and 0 below the smallest float8 (4.9e-324). Adding a batch's sum to the stored one is
// float8 arithmetic (numeric would round the stored sum to 15 digits), each operand clamped to
// half of DBL_MAX so that the addition cannot overflow. Ordinary values (up to 8.9e307 in
// magnitude) are untouched: min and max exact, a batch's sum the float8 nearest its exact sum.
const DBL_MAX = '1.7976931348623157e308';
const HALF_DBL_MAX = '8.988465674311579e307';
const DBL_TRUE_MIN = '4.9406564584124654e-324';

export const toFloat8 = (numeric: string) =>
  `(case when abs(${numeric}) < ${DBL_TRUE_MIN} then 0 else greatest(least(${numeric}, ${DBL_MAX}), -${DBL_MAX}) end)::float8`;
const halfClamped = (float8: string) => `greatest(least(${float8}, ${HALF_DBL_MAX}::float8), -${HALF_DBL_MAX}::float8)`;

const rollupTypes = ROLLUP_TYPES.map((t) => `'${t}'`).join(', ');

/**
 * SQL that adds the numeric values of `source` (a relation or CTE with vehicle_id, type,
 * sensor_id, timestamp and data) into log_minute. Raw lines carry no data and add nothing.
 */
export function rollupSql(source: string): string {
  return `insert into log_minute as m (vehicle_id, type, sensor_id, key, minute, count, sum, min, max)
    select vehicle_id, type, sensor_id, key, minute, count(*), ${toFloat8('sum(v)')}, ${toFloat8('min(v)')}, ${toFloat8('max(v)')}
    from (
      select s.vehicle_id, s.type, coalesce(s.sensor_id, 0) as sensor_id, e.key,
             date_trunc('minute', s.timestamp, 'UTC') as minute, e.value::numeric as v
      from ${source} s cross join lateral jsonb_each(s.data) e
      where s.type in (${rollupTypes}) and jsonb_typeof(s.data) = 'object' and jsonb_typeof(e.value) = 'number'
        and length(e.key) <= ${MAX_SERIES_KEY_LENGTH}
    ) x
    group by 1, 2, 3, 4, 5
    order by 1, 2, 3, 4, 5 -- rows locked in one order: concurrent writers wait, never deadlock
    on conflict (vehicle_id, type, sensor_id, key, minute) do update
      set count = m.count + excluded.count, sum = ${halfClamped('m.sum')} + ${halfClamped('excluded.sum')},
          min = least(m.min, excluded.min), max = greatest(m.max, excluded.max)`;
}

/** Taken (try, per transaction) by the roller: one roller at a time, in every instance. */
export const ROLLER_LOCK = 7_261_002;

/** Runs one statement on the connection the step holds (a transaction is open on it). */
export type Query = <R>(text: string, params: unknown[]) => Promise<R[]>;

/**
 * One step of the roller, in the transaction open on `query`: sums the logs with ids in
 * (watermark, watermark + span] and moves the watermark to the last id of that range that is
 * final. A range past the newest visible log is cut there: ids beyond it may still commit, none
 * below it can (ids commit in order). The lock is taken first, in its own statement, so that the
 * step's snapshot is taken after it: it sees what the previous step committed.
 * Resolves to the ids the watermark moved (0: caught up), or undefined when another roller holds the lock.
 */
export async function rollStep(query: Query, span: number, sum = true): Promise<{ from: bigint; to: bigint } | undefined> {
  const [lock] = await query<{ got: boolean }>('select pg_try_advisory_xact_lock($1) as got', [ROLLER_LOCK]);
  if (!lock?.got) return undefined;
  const [moved] = await query<{ from: string; to: string }>(
    `with w as (
       select last_id, greatest(last_id, least(last_id + $1::bigint, coalesce((select max(id) from log), 0))) as upto
       from log_minute_watermark
     )${sum ? `, rolled as (${rollupSql('(select l.vehicle_id, l.type, l.sensor_id, l.timestamp, l.data from log l, w where l.id > w.last_id and l.id <= w.upto)')})` : ''}
     update log_minute_watermark set last_id = w.upto from w returning w.last_id::text as from, w.upto::text as to`,
    [span],
  );
  return { from: BigInt(moved!.from), to: BigInt(moved!.to) };
}

/** The watermark as committed: logs with a larger id are not summed yet. */
export const WATERMARK_SQL = 'select last_id from log_minute_watermark';
