// Query.missions in SQL (window functions). A mission's rows are read from the per-minute armed
// runs (src/db/telemetry-minutes.ts) where they stand for a minute, and from the log in the holes
// between (src/db/coverage.ts). Both become the same rows in time order, so one computation
// answers, exactly as over the log's rows alone.
import { BATTERY_VOLTAGE_KEY, telemetryKey } from '../logs/fields.js';
import { ARGS_CTE, coverageCtes, holeRows, windowArgs, type Execute } from './coverage.js';

export interface Mission {
  start: Date;
  /** The first disarmed telemetry after it; null when still armed at the window's end. */
  end: Date | null;
  distanceMeters: number;
  durationSeconds: number;
  maxSpeed: number | null;
  batteryUsedVolts: number | null;
}

/** Mean Earth radius (IUGG), metres: what haversine distances are measured with. */
const EARTH_RADIUS_M = 6_371_008.8;
const ARMED = telemetryKey('armed');

/** A JSON number at `key` of the row's data as float8, else null (SQL). */
const num = (key: string) => `case when jsonb_typeof(data->'${key}') = 'number' then (data->>'${key}')::float8 end`;

/** A telemetry row's `armed` (SQL over `log`; where HAS_ARMED). */
export const ARMED_VALUE = `(data->>'${ARMED}')::boolean`;
/** The numbers a mission reads of a telemetry row: lat, lon, speed, volts (SQL select list over `log`). */
export const MISSION_NUMBERS = `${num(telemetryKey('latitude'))} as lat, ${num(telemetryKey('longitude'))} as lon,
  ${num(telemetryKey('speed'))} as speed, ${num(BATTERY_VOLTAGE_KEY)} as volts`;
const MISSION_VALUES = `${ARMED_VALUE} as armed, ${MISSION_NUMBERS}`;

/** Only telemetry whose `armed` is a boolean takes part in missions (SQL condition over `log`). */
export const HAS_ARMED = `jsonb_typeof(data->'${ARMED}') = 'boolean'`;

/** Great-circle metres from (lat1, lon1) to (lat2, lon2), SQL expressions in degrees. */
export const haversine = (lat1: string, lon1: string, lat2: string, lon2: string) =>
  `2 * ${EARTH_RADIUS_M} * asin(least(1, sqrt(power(sin(radians(${lat2} - ${lat1}) / 2), 2)
     + cos(radians(${lat1})) * cos(radians(${lat2})) * power(sin(radians(${lon2} - ${lon1}) / 2), 2))))`;

// An armed run stands for its rows as two: its first (carrying the run's top speed and first
// voltage, position the first one) and its last (last position and voltage, and as `run_meters`
// the distance covered between the two); a disarmed run as its first row, the only one a mission
// can end on. `part` orders the two of a one-row run.
const MISSIONS_SQL = `
with ${ARGS_CTE}, ${coverageCtes('armed_run')}, t as (
  select l.* from ${holeRows(`id, timestamp as ts, 0 as part, ${MISSION_VALUES}, null::float8 as run_meters`, HAS_ARMED)}
  union all select first_id, first_ts, 0, armed, lat0, lon0, speed, volts0, null from s where armed is not null
  union all select last_id, last_ts, 1, true, lat1, lon1, null, volts1, meters from s where armed
), e as (
  select *, armed and not coalesce(lag(armed) over w, false) as starts,
         not armed and coalesce(lag(armed) over w, false) as ends
  from t window w as (order by ts, id, part)
), r as (
  select * from (select *, sum(starts::int) over (order by ts, id, part) as n from e) numbered
  where n > 0 and (armed or ends)
), p as (
  select n, lat, lon, run_meters, lag(lat) over q as plat, lag(lon) over q as plon
  from r where lat is not null and lon is not null window q as (partition by n order by ts, id, part)
), d as (
  select n, sum(coalesce(run_meters, ${haversine('plat', 'plon', 'lat', 'lon')})) as meters from p where plat is not null group by n
)
select min(r.ts) as start, min(r.ts) filter (where r.ends) as "end", max(r.ts) as last, coalesce(max(d.meters), 0) as meters,
       max(r.speed) as max_speed,
       (array_agg(r.volts order by r.ts, r.id, r.part) filter (where r.volts is not null))[1]
         - (array_agg(r.volts order by r.ts desc, r.id desc, r.part desc) filter (where r.volts is not null))[1] as used
from r left join d using (n) group by r.n order by r.n`;

/**
 * Missions in [from, to): from a vehicle_log with `armed` true after one with it false (or the
 * window's first) to the next with it false. Telemetry without a boolean `armed` is left out.
 * A mission's rows are its armed ones and the one that disarmed it: the distance (haversine
 * between consecutive positions), the top speed and the voltage used are measured over those.
 */
export async function readMissions(execute: Execute, vehicleId: number, from: Date | undefined, to: Date | undefined): Promise<Mission[]> {
  const rows = await execute<{ start: Date; end: Date | null; last: Date; meters: number; max_speed: number | null; used: number | null }>(
    MISSIONS_SQL,
    await windowArgs(execute, vehicleId, from, to),
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
