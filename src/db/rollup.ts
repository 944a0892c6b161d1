// Per-minute rollup of every numeric value the vessels send: `log_minute` holds, for each
// vehicle, log type, sensor (0 for telemetry), key and UTC minute, the count, sum, min and max.
// `series` over days or months reads these few rows instead of every sample (a vessel at 10 Hz
// sends 600 per minute). The rollup is written in the same statement as the logs it sums
// (only the rows actually inserted, so a redelivery is not counted twice), which keeps it exact.

/**
 * Keys longer than this are not summed: `series` refuses them, and a key of a few kilobytes
 * would exceed the primary key's btree entry limit and fail the whole batch of logs.
 */
export const MAX_SERIES_KEY_LENGTH = 64;

/**
 * SQL that adds the numeric values of `source` (a relation or CTE with vehicle_id, type,
 * sensor_id, timestamp and data) into log_minute. Raw lines carry no data and add nothing.
 */
export function rollupSql(source: string): string {
  return `insert into log_minute as m (vehicle_id, type, sensor_id, key, minute, count, sum, min, max)
    select s.vehicle_id, s.type, coalesce(s.sensor_id, 0), e.key, date_trunc('minute', s.timestamp, 'UTC'),
           count(*), sum(e.value::float8), min(e.value::float8), max(e.value::float8)
    from ${source} s cross join lateral jsonb_each(s.data) e
    where s.type in ('vehicle_log', 'sensor_log') and jsonb_typeof(s.data) = 'object' and jsonb_typeof(e.value) = 'number'
      and length(e.key) <= ${MAX_SERIES_KEY_LENGTH}
    group by 1, 2, 3, 4, 5
    order by 1, 2, 3, 4, 5 -- rows locked in one order: concurrent writers wait, never deadlock
    on conflict (vehicle_id, type, sensor_id, key, minute) do update
      set count = m.count + excluded.count, sum = m.sum + excluded.sum,
          min = least(m.min, excluded.min), max = greatest(m.max, excluded.max)`;
}
