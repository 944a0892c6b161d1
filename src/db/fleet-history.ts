// The fleet's past, computed in PostgreSQL over the (vehicle_id, timestamp) index: the whole
// fleet as it was at a moment, the seq ranges missing from a vessel's telemetry, its missions,
// and the stored logs of a window in time order for a replay. Only the answers leave the database.
import type { MikroORM } from '@mikro-orm/postgresql';
import { toLogEvent, type LogEvent } from '../logs/event.js';
import { BATTERY_VOLTAGE_KEY, telemetryKey } from '../logs/fields.js';
import { TELEMETRY_TYPE, type LogType } from '../logs/kinds.js';

export interface FleetEntry {
  vehicleId: number;
  /** The newest vehicle_log at or before the moment asked for; null: none yet. */
  telemetry: LogEvent | null;
}

export interface SeqGap {
  fromSeq: number;
  toSeq: number;
  /** Time of the stored log before the gap, and of the one after it. */
  after: Date;
  before: Date;
}

export interface Mission {
  start: Date;
  /** The first disarmed telemetry after it; null when still armed at the window's end. */
  end: Date | null;
  distanceMeters: number;
  durationSeconds: number;
  maxSpeed: number | null;
  batteryUsedVolts: number | null;
}

/** A replay's position: the last log sent, in (timestamp, id) order. */
export interface ReplayCursor {
  timestamp: string;
  id: string;
}

/** Gaps returned at most: a window of a vessel that lost every other message is still one answer. */
export const MAX_GAPS = 10_000;

const ARMED = telemetryKey('armed');
const LATITUDE = telemetryKey('latitude');
const LONGITUDE = telemetryKey('longitude');
const SPEED = telemetryKey('speed');
const VOLTS = BATTERY_VOLTAGE_KEY;
/** Mean Earth radius (IUGG), metres: what haversine distances are measured with. */
const EARTH_RADIUS_M = 6_371_008.8;

interface LogRow {
  id: string;
  vehicle_id: number;
  type: LogType;
  timestamp: Date;
  received_at: Date;
  sensor_id: number | null;
  message: string | null;
  data: Record<string, unknown> | null;
}

const rowToEvent = (r: LogRow) => toLogEvent({ ...r, vehicleId: r.vehicle_id, receivedAt: r.received_at, sensorId: r.sensor_id });
const iso = (d?: Date): string | null => d?.toISOString() ?? null;
/** A JSON number at `key` of the row's data as float8, else null (SQL). */
const num = (key: string) => `case when jsonb_typeof(data->'${key}') = 'number' then (data->>'${key}')::float8 end`;

export class FleetHistoryQueries {
  constructor(private readonly orm: MikroORM) {}

  private execute<T>(sql: string, params: unknown[]): Promise<T[]> {
    return this.orm.em.fork().getConnection().execute<T[]>(sql, params);
  }

  /**
   * Each vessel (in scope) known at `at`, with its newest vehicle_log at or before it: one
   * backward step on the (vehicle_id, timestamp) index per vessel, never a scan of the logs.
   */
  async fleet(at: Date, scope?: readonly number[]): Promise<FleetEntry[]> {
    const rows = await this.execute<LogRow & { vid: number }>(
      `select v.id as vid, l.* from vehicle v
       left join lateral (
         select id::text as id, vehicle_id, type, timestamp, received_at, sensor_id, message, data from log
         where vehicle_id = v.id and type = ? and timestamp <= ? order by timestamp desc, id desc limit 1
       ) l on true
       where (l.id is not null or v.first_seen_at <= ?) and (?::int[] is null or v.id = any(?::int[]))
       order by v.id`,
      [TELEMETRY_TYPE, at.toISOString(), at.toISOString(), ...Array(2).fill(scope ? `{${scope.join(',')}}` : null)],
    );
    return rows.map((r) => ({ vehicleId: r.vid, telemetry: r.id === null ? null : rowToEvent(r) }));
  }

  /** Ranges of `seq` missing between consecutive vehicle_logs in [from, to) that carry one. */
  async gaps(vehicleId: number, from: Date, to: Date): Promise<SeqGap[]> {
    const rows = await this.execute<{ prev_seq: number; seq: number; prev_ts: Date; ts: Date }>(
      `select prev_seq, seq, prev_ts, ts from (
         select timestamp as ts, (data->>'seq')::float8 as seq,
                lag((data->>'seq')::float8) over w as prev_seq, lag(timestamp) over w as prev_ts
         from log
         where vehicle_id = ? and type = ? and timestamp >= ? and timestamp < ? and jsonb_typeof(data->'seq') = 'number'
         window w as (order by timestamp, id)
       ) s
       where seq > prev_seq + 1 -- a seq that goes back (a restarted vessel) or repeats is no gap
       order by ts limit ${MAX_GAPS}`,
      [vehicleId, TELEMETRY_TYPE, from.toISOString(), to.toISOString()],
    );
    return rows.map((r) => ({ fromSeq: r.prev_seq + 1, toSeq: r.seq - 1, after: new Date(r.prev_ts), before: new Date(r.ts) }));
  }

  /**
   * Missions in [from, to): from a vehicle_log with `armed` true after one with it false (or the
   * window's first) to the next with it false. Telemetry without a boolean `armed` is left out.
   * A mission's rows are its armed ones and the one that disarmed it: the distance (haversine
   * between consecutive positions), the top speed and the voltage used are measured over those.
   */
  async missions(vehicleId: number, from: Date | undefined, to: Date | undefined): Promise<Mission[]> {
    const rows = await this.execute<{ start: Date; end: Date | null; last: Date; meters: number; max_speed: number | null; used: number | null }>(
      `with t as (
         select id, timestamp as ts, (data->>'${ARMED}')::boolean as armed,
                ${num(LATITUDE)} as lat, ${num(LONGITUDE)} as lon, ${num(SPEED)} as speed, ${num(VOLTS)} as volts
         from log
         where vehicle_id = ? and type = ? and jsonb_typeof(data->'${ARMED}') = 'boolean'
           and (?::timestamptz is null or timestamp >= ?::timestamptz) and (?::timestamptz is null or timestamp < ?::timestamptz)
       ), e as (
         select *, armed and not coalesce(lag(armed) over w, false) as starts,
                not armed and coalesce(lag(armed) over w, false) as ends
         from t window w as (order by ts, id)
       ), r as (
         select * from (select *, sum(starts::int) over (order by ts, id) as n from e) numbered
         where n > 0 and (armed or ends)
       ), p as (
         select n, lat, lon, lag(lat) over q as plat, lag(lon) over q as plon
         from r where lat is not null and lon is not null window q as (partition by n order by ts, id)
       ), d as (
         select n, sum(2 * ${EARTH_RADIUS_M} * asin(least(1, sqrt(
                  power(sin(radians(lat - plat) / 2), 2) + cos(radians(plat)) * cos(radians(lat)) * power(sin(radians(lon - plon) / 2), 2)))))
                as meters
         from p where plat is not null group by n
       )
       select min(r.ts) as start, min(r.ts) filter (where r.ends) as "end", max(r.ts) as last, coalesce(max(d.meters), 0) as meters,
              max(r.speed) as max_speed,
              (array_agg(r.volts order by r.ts, r.id) filter (where r.volts is not null))[1]
                - (array_agg(r.volts order by r.ts desc, r.id desc) filter (where r.volts is not null))[1] as used
       from r left join d using (n) group by r.n order by r.n`,
      [vehicleId, TELEMETRY_TYPE, ...[from, from, to, to].map(iso)],
    );
    return rows.map((m) => ({
      start: new Date(m.start),
      end: m.end === null ? null : new Date(m.end),
      distanceMeters: Number(m.meters),
      durationSeconds: (new Date(m.end ?? m.last).getTime() - new Date(m.start).getTime()) / 1000,
      maxSpeed: m.max_speed === null ? null : Number(m.max_speed),
      batteryUsedVolts: m.used === null ? null : Number(m.used),
    }));
  }

  /** The next `limit` stored logs of a vessel in [from, to) after `cursor`, in (timestamp, id) order. */
  async replayPage(vehicleId: number, from: Date, to: Date, cursor: ReplayCursor | undefined, limit: number): Promise<LogEvent[]> {
    const rows = await this.execute<LogRow>(
      `select id::text as id, vehicle_id, type, timestamp, received_at, sensor_id, message, data from log
       where vehicle_id = ? and timestamp >= ? and timestamp < ? and (?::timestamptz is null or (timestamp, id) > (?::timestamptz, ?::bigint))
       order by timestamp, id limit ?`,
      [vehicleId, from.toISOString(), to.toISOString(), cursor?.timestamp ?? null, cursor?.timestamp ?? null, cursor?.id ?? null, limit],
    );
    return rows.map(rowToEvent);
  }
}
