// Analyst reads computed in PostgreSQL, next to the data: time-bucketed series and a
// shape-keeping downsampled track. Only aggregates or the kept points leave the database.
import type { MikroORM } from '@mikro-orm/postgresql';

/** vehicle_log fields a series can be drawn for (GraphQL name → key in the telemetry object). */
export const VEHICLE_SERIES_FIELDS: Record<string, string> = {
  speed: 'speed',
  batteryVoltage: 'battery_voltage',
  batteryCurrent: 'battery_current',
  rssi: 'rssi',
  heading: 'heading',
  latitude: 'latitude',
  longitude: 'longitude',
};

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
  /** A key of the vehicle_log object, or (with sensorId) of that sensor's `data`. */
  key: string;
  sensorId?: number;
  from: Date;
  to: Date;
  buckets: number;
}

export class HistoryQueries {
  constructor(private readonly orm: MikroORM) {}

  /** Non-empty buckets only, oldest first. Values that are not JSON numbers are ignored. */
  async series(r: SeriesRequest): Promise<SeriesBucket[]> {
    const type = r.sensorId === undefined ? 'vehicle_log' : 'sensor_log';
    const rows = await this.orm.em.fork().getConnection().execute<{ bucket: number; avg: number; min: number; max: number; count: string }[]>(
      `select least(floor(extract(epoch from (timestamp - ?::timestamptz)) * 1000 / ?)::int, ? - 1) as bucket,
              avg(v) as avg, min(v) as min, max(v) as max, count(*) as count
       from (select timestamp, (data->>?)::float8 as v
             from log
             where vehicle_id = ? and type = ? and (?::int is null or sensor_id = ?::int)
               and timestamp >= ? and timestamp < ? and jsonb_typeof(data->?) = 'number') x
       group by 1 order by 1`,
      [r.from.toISOString(), width(r), r.buckets, r.key, r.vehicleId, type, r.sensorId ?? null, r.sensorId ?? null,
        r.from.toISOString(), r.to.toISOString(), r.key],
    );
    return rows.map((b) => ({
      start: new Date(r.from.getTime() + b.bucket * width(r)),
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
         select id, timestamp, (data->>'latitude')::float8 as lat, (data->>'longitude')::float8 as lon,
                case when jsonb_typeof(data->'heading') = 'number' then (data->>'heading')::float8 end as hdg,
                row_number() over w as rn, count(*) over () as total, ntile(?) over w as slice
         from log
         where vehicle_id = ? and type = 'vehicle_log'
           and (?::timestamptz is null or timestamp >= ?::timestamptz) and (?::timestamptz is null or timestamp < ?::timestamptz)
           and jsonb_typeof(data->'latitude') = 'number' and jsonb_typeof(data->'longitude') = 'number'
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
      [slices, vehicleId, from?.toISOString() ?? null, from?.toISOString() ?? null, to?.toISOString() ?? null, to?.toISOString() ?? null,
        maxPoints, turns],
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

/** Bucket width in milliseconds. */
function width(r: SeriesRequest): number {
  return (r.to.getTime() - r.from.getTime()) / r.buckets;
}
