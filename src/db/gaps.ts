// Query.gaps in SQL (a window function): the seq ranges missing between consecutive vehicle_logs
// that carry a numeric seq. Read from the per-minute seq summaries (src/db/telemetry-minutes.ts)
// where they stand for a minute — its first and last seq and the gaps inside it — and from the
// log in the holes between (src/db/coverage.ts); a day at 10 Hz is then a few rows, not 600 a minute.
import { ARGS_CTE, coverageCtes, holeRows, windowArgs, type Execute } from './coverage.js';

export interface SeqGap {
  fromSeq: number;
  toSeq: number;
  /** Time of the stored log before the gap, and of the one after it. */
  after: Date;
  before: Date;
}

/** Gaps returned at most: a window of a vessel that lost every other message is still one answer. */
export const MAX_GAPS = 10_000;

/** Only telemetry with a numeric `seq` counts (SQL condition over `log`). */
export const HAS_SEQ = `jsonb_typeof(data->'seq') = 'number'`;
export const SEQ_VALUE = `(data->>'seq')::float8`;

// A summary's last row follows its own first (`part` 1): what lies between them is in its `gaps`,
// [prev_seq, seq, after, before] each, so that pair is not compared. A seq that goes back (a
// restarted vessel) or repeats is no gap.
const GAPS_SQL = `
with ${ARGS_CTE}, ${coverageCtes('seq_minute')}, t as (
  select l.* from ${holeRows(`id, timestamp as ts, 0 as part, ${SEQ_VALUE} as seq`, HAS_SEQ)}
  union all select first_id, first_ts, 0, first_seq from s where first_seq is not null
  union all select last_id, last_ts, 1, last_seq from s where first_seq is not null
), pairs as (
  select part, seq, ts, lag(seq) over w as prev_seq, lag(ts) over w as prev_ts from t window w as (order by ts, id, part)
)
select prev_seq, seq, prev_ts, ts from pairs where part = 0 and seq > prev_seq + 1
union all
select (g->>0)::float8, (g->>1)::float8, (g->>2)::timestamptz, (g->>3)::timestamptz from s cross join jsonb_array_elements(s.gaps) g
order by ts limit ${MAX_GAPS}`;

/** Ranges of `seq` missing between consecutive vehicle_logs in [from, to) that carry one. */
export async function readGaps(execute: Execute, vehicleId: number, from: Date, to: Date): Promise<SeqGap[]> {
  const rows = await execute<{ prev_seq: number; seq: number; prev_ts: Date; ts: Date }>(GAPS_SQL, await windowArgs(execute, vehicleId, from, to));
  return rows.map((r) => ({ fromSeq: r.prev_seq + 1, toSeq: r.seq - 1, after: new Date(r.prev_ts), before: new Date(r.ts) }));
}
