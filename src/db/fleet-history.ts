// The fleet's past, computed in PostgreSQL over the (vehicle_id, timestamp) index: the whole
// fleet as it was at a moment, the seq ranges missing from a vessel's telemetry (src/db/gaps.ts),
// its missions (src/db/missions.ts), and the stored logs of a window in time order for a replay.
// Only the answers leave the database.
import type { MikroORM } from '@mikro-orm/postgresql';
import { toLogEvent, type LogEvent } from '../logs/event.js';
import { TELEMETRY_TYPE, type LogType } from '../logs/kinds.js';
import { MAX_GAPS, readGaps, type SeqGap } from './gaps.js';
import { readMissions, type Mission } from './missions.js';

export { MAX_GAPS };
export type { Mission, SeqGap };

export interface FleetEntry {
  vehicleId: number;
  /** The newest vehicle_log at or before the moment asked for; null: none yet. */
  telemetry: LogEvent | null;
}

/** A replay's position: the last log sent, in (timestamp, id) order. */
export interface ReplayCursor {
  timestamp: string;
  id: string;
}

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
         where vehicle_id = v.id and type = ? and timestamp <= ? order by log.timestamp desc, log.id desc limit 1
       ) l on true
       where (l.id is not null or v.first_seen_at <= ?) and (?::int[] is null or v.id = any(?::int[]))
       order by v.id`,
      [TELEMETRY_TYPE, at.toISOString(), at.toISOString(), ...Array(2).fill(scope ? `{${scope.join(',')}}` : null)],
    );
    return rows.map((r) => ({ vehicleId: r.vid, telemetry: r.id === null ? null : rowToEvent(r) }));
  }

  /** Ranges of `seq` missing between consecutive vehicle_logs in [from, to) that carry one (src/db/gaps.ts). */
  gaps(vehicleId: number, from: Date, to: Date): Promise<SeqGap[]> {
    return readGaps((sql, params) => this.execute(sql, params), vehicleId, from, to);
  }

  /** Missions in [from, to) (src/db/missions.ts). */
  missions(vehicleId: number, from: Date | undefined, to: Date | undefined): Promise<Mission[]> {
    return readMissions((sql, params) => this.execute(sql, params), vehicleId, from, to);
  }

  /** The next `limit` stored logs of a vessel in [from, to) after `cursor`, in (timestamp, id) order. */
  async replayPage(vehicleId: number, from: Date, to: Date, cursor: ReplayCursor | undefined, limit: number): Promise<LogEvent[]> {
    const rows = await this.execute<LogRow>(
      `select id::text as id, vehicle_id, type, timestamp, received_at, sensor_id, message, data from log
       where vehicle_id = ? and timestamp >= ? and timestamp < ? and (?::timestamptz is null or (timestamp, id) > (?::timestamptz, ?::bigint))
       order by log.timestamp, log.id limit ?`, // log.id: a bare `id` would be the text one selected, ordered as text
      [vehicleId, from.toISOString(), to.toISOString(), cursor?.timestamp ?? null, cursor?.timestamp ?? null, cursor?.id ?? null, limit],
    );
    return rows.map(rowToEvent);
  }
}
