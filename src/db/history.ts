// Analyst reads computed in PostgreSQL, next to the data: time-bucketed series and a
// shape-keeping downsampled track. Only aggregates or the kept points leave the database.
import type { MikroORM } from '@mikro-orm/postgresql';
import { localDayBuckets } from './local-days.js';
import { telemetryKey } from '../logs/fields.js';
import { SENSOR_TYPE, TELEMETRY_TYPE } from '../logs/kinds.js';
import { toFloat8, WATERMARK_SQL } from './rollup.js';

// TrackPoint's fields are named as the telemetry's: their keys come from the one field list.
const [LATITUDE, LONGITUDE, HEADING] = ['latitude', 'longitude', 'heading'].map(telemetryKey);

export interface SeriesBucket {
  start: Date;
  avg: number;
  min: number;
  max: number;
  count: number;
}

export interface TrackPoint {
  id: string;
  timestamp: Date;
  latitude: number;
  longitude: number;
  heading: number | null;
}

export interface SeriesRequest {
  vehicleId: number;
  /** A key of the telemetry object, or (with sensorId) of that sensor's `data`. */
  key: string;
  sensorId?: number;
  from: Date;
  to: Date;
  buckets: number;
  /** IANA zone: buckets of a day or longer start at its local midnight. */
  timeZone?: string;
}

export class HistoryQueries {
  constructor(private readonly orm: MikroORM) {}

  /**
   * Non-empty buckets only, oldest first. Values that are not JSON numbers are ignored.
   *
   * Buckets narrower than a minute are cut exactly ((to - from) / buckets) from the raw rows.
   * Wider ones are whole minutes, aligned to the minute (the first may start up to a minute
   * before `from`, holding only values from `from` on), and summed from the per-minute rollup
   * (src/db/rollup.ts): the minutes wholly inside [from, to) from log_minute and, for the logs
   * the roller has not summed yet (past its watermark), from the raw rows, as are the partial
   * minutes at either end. The answer is exact either way; only the reading differs. Values are
   * added as numeric and clamped to float8 as the rollup does, so a sum past float8's range
   * neither fails nor depends on how far the roller got.
   */
  async series(r: SeriesRequest): Promise<SeriesBucket[]> {
    const [fromMs, toMs] = [r.from.getTime(), r.to.getTime()];
    // With a time zone, buckets of a day or more are local days (src/db/local-days.ts).
    const days = r.timeZone === undefined ? undefined : localDayBuckets(fromMs, toMs, r.buckets, r.timeZone);
    const exact = days ? !days.wholeMinutes : (toMs - fromMs) / r.buckets < MINUTE;
    const start = exact ? fromMs : Math.floor(fromMs / MINUTE) * MINUTE;
    const width = exact ? (toMs - fromMs) / r.buckets : Math.ceil((toMs - start) / r.buckets / MINUTE) * MINUTE;
    // [wholeFrom, wholeTo) is read from the rollup, the rest of [from, to) from the raw rows;
    // exact buckets read no rollup (an empty range at `to`).
    const wholeFrom = exact ? toMs : Math.ceil(fromMs / MINUTE) * MINUTE;
    const wholeTo = exact ? toMs : Math.floor(toMs / MINUTE) * MINUTE;
    const iso = (ms: number) => new Date(ms).toISOString();
    const type = r.sensorId === undefined ? TELEMETRY_TYPE : SENSOR_TYPE;
    const connection = this.orm.em.fork().getConnection();
    // The watermark read first, as a plan hint: with its value the planner reads the few rows past
    // it by id. The statement reads it again, in its own snapshot: that is the value it relies on
    // (it only grows, so the hint can only let through rows the statement's own test excludes).
    const [hint] = wholeFrom < wholeTo ? await connection.execute<{ last_id: string }[]>(WATERMARK_SQL) : [];
    const raw = `select timestamp, (data->>?)::numeric as x from log where vehicle_id = ? and type = ? and (?::int is null or sensor_id = ?::int)
      and jsonb_typeof(data->?) = 'number'`;
    const rawParams = [r.key, r.vehicleId, type, r.sensorId ?? null, r.sensorId ?? null, r.key];
    const rows = await connection.execute<{ bucket: number; avg: number; min: number; max: number; count: string }[]>(
      // least(): a value just before `to` must not round into a bucket past the last.
      `select ${days ? 'width_bucket(t, ?::timestamptz[]) - 1' : 'least(floor(extract(epoch from (t - ?::timestamptz)) * 1000 / ?)::int, ? - 1)'} as bucket,
              ${toFloat8('sum(s)')} / sum(n)::float8 as avg, min(lo) as min, max(hi) as max, sum(n) as count
       from (
         select minute as t, count as n, sum::numeric as s, min as lo, max as hi from log_minute
         where vehicle_id = ? and type = ? and sensor_id = ? and key = ? and minute >= ? and minute < ?
         union all
         select timestamp, 1, x, ${toFloat8('x')}, ${toFloat8('x')} from (
           ${raw} and ((timestamp >= ? and timestamp < ?) or (timestamp >= ? and timestamp < ?))
           union all
           ${raw} and timestamp >= ? and timestamp < ? and id > ?::bigint and id > (${WATERMARK_SQL})
         ) unrolled
       ) v
       group by 1 order by 1`,
      [...(days ? [`{${days.starts.map(iso).join(',')}}`] : [iso(start), width, r.buckets]),
        r.vehicleId, type, r.sensorId ?? 0, r.key, iso(wholeFrom), iso(wholeTo),
        ...rawParams, iso(fromMs), iso(wholeFrom), iso(wholeTo), iso(toMs),
        ...rawParams, iso(wholeFrom), iso(wholeTo), hint?.last_id ?? '0'],
    );
    return rows.map((b) => ({
      start: new Date(days ? days.starts[b.bucket]! : start + b.bucket * width),
      avg: Number(b.avg),
      min: Number(b.min),
      max: Number(b.max),
      count: Number(b.count),
    }));
  }

  /**
   * At most `maxPoints` positions in time order: the first and the last, the sharpest turns
   * (heading change against the previous position, up to half the budget), and the first
   * position of evenly spaced time slices for the rest. Fewer positions than the budget: all.
   */
  async track(vehicleId: number, from: Date | undefined, to: Date | undefined, maxPoints: number): Promise<TrackPoint[]> {
    const turns = Math.max(0, Math.floor((maxPoints - 2) / 2));
    const slices = Math.max(1, maxPoints - 2 - turns);
    const rows = await this.orm.em.fork().getConnection().execute<{ id: string; timestamp: Date; lat: number; lon: number; hdg: number | null }[]>(
      `with p as (
         select id, timestamp, (data->>?)::float8 as lat, (data->>?)::float8 as lon,
                case when jsonb_typeof(data->?) = 'number' then (data->>?)::float8 end as hdg,
                row_number() over w as rn, count(*) over () as total, ntile(?) over w as slice
         from log
         where vehicle_id = ? and type = ?
           and (?::timestamptz is null or timestamp >= ?::timestamptz) and (?::timestamptz is null or timestamp < ?::timestamptz)
           and jsonb_typeof(data->?) = 'number' and jsonb_typeof(data->?) = 'number'
         window w as (order by timestamp, id)
       ), t as (
         select id, rn, total, slice,
                abs(mod((hdg - lag(hdg) over (order by rn))::numeric + 540, 360) - 180) as turn
         from p
       ), keep as (
         select id from t where rn = 1 or rn = total or total <= ?
         union select id from (select id from t where turn > 0 order by turn desc, rn limit ?) sharpest
         union select id from (select distinct on (slice) id from t order by slice, rn) firsts
       )
       select p.id::text as id, p.timestamp, p.lat, p.lon, p.hdg from p join keep using (id) order by p.timestamp, p.id`,
      [LATITUDE, LONGITUDE, HEADING, HEADING, slices, vehicleId, TELEMETRY_TYPE,
        from?.toISOString() ?? null, from?.toISOString() ?? null, to?.toISOString() ?? null, to?.toISOString() ?? null,
        LATITUDE, LONGITUDE, maxPoints, turns],
    );
    return rows.map((p) => ({
      id: p.id,
      timestamp: new Date(p.timestamp),
      latitude: Number(p.lat),
      longitude: Number(p.lon),
      heading: p.hdg === null ? null : Number(p.hdg),
    }));
  }
}

const MINUTE = 60_000;
