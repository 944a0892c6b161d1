// Reads over the stored logs. Everything comes back as plain LogEvents, the same shape the
// live path publishes, so queries, replay and live delivery share one mapping to the edges.
import type { QBFilterQuery } from '@mikro-orm/postgresql';
import type { MikroORM } from '@mikro-orm/postgresql';
import { allows } from '../auth/tokens.js';
import { toLogEvent, type LogEvent } from '../logs/event.js';
import { TELEMETRY_TYPE, type LogType } from '../logs/kinds.js';
import { LogSchema, VehicleSchema, type Log, type Vehicle } from './entities.js';

export interface LogQueryFilter {
  vehicleId?: number;
  types?: LogType[];
  sensorId?: number;
  from?: Date;
  to?: Date;
  /** Vehicles the caller may see; undefined = all. */
  scope?: readonly number[];
}

export interface LogPageRequest {
  /** Oldest first after this id, or newest `limit` before this id (`newest`). */
  afterId?: string;
  beforeId?: string;
  limit: number;
  newest: boolean;
}

/** A `log` row as the driver returns it (bigint as text, timestamptz as Date, jsonb parsed). */
interface LogRow {
  id: string;
  vehicle_id: number;
  type: string;
  timestamp: Date;
  received_at: Date;
  sensor_id: number | null;
  message: string | null;
  data: Record<string, unknown> | null;
}

const rowToLogEvent = (r: LogRow): LogEvent =>
  toLogEvent({ id: r.id, vehicleId: r.vehicle_id, type: r.type as LogType, timestamp: r.timestamp, receivedAt: r.received_at, sensorId: r.sensor_id, message: r.message, data: r.data });

function where(f: LogQueryFilter, idRange: { $gt?: string; $lt?: string }): QBFilterQuery<Log> {
  const q: Record<string, unknown> = {};
  if (f.vehicleId !== undefined) q.vehicleId = allows(f.scope, f.vehicleId) ? f.vehicleId : { $in: [] };
  else if (f.scope !== undefined) q.vehicleId = { $in: [...f.scope] };
  if (f.types?.length) q.type = { $in: f.types };
  if (f.sensorId !== undefined) q.sensorId = f.sensorId;
  if (f.from || f.to) q.timestamp = { ...(f.from && { $gte: f.from }), ...(f.to && { $lt: f.to }) };
  if (idRange.$gt !== undefined || idRange.$lt !== undefined) q.id = idRange;
  return q as QBFilterQuery<Log>;
}

export class LogQueries {
  constructor(private readonly orm: MikroORM) {}

  /**
   * One page, always returned oldest first. Fetches limit + 1 to tell whether more exist.
   *
   * In two steps: the page's ids first, which the indexes answer alone (vehicle + time carries
   * id, type and sensor), then only those rows. The fleet's logs interleave on disk, so reading
   * whole rows to pick the page would touch one table page per log in the window.
   */
  async page(f: LogQueryFilter, p: LogPageRequest): Promise<{ logs: LogEvent[]; more: boolean }> {
    const em = this.orm.em.fork();
    const range = { ...(p.afterId !== undefined && { $gt: p.afterId }), ...(p.beforeId !== undefined && { $lt: p.beforeId }) };
    const ids = em.createQueryBuilder(LogSchema, 'i').select('id').where(where(f, range))
      .orderBy({ id: p.newest ? 'desc' : 'asc' }).limit(p.limit + 1);
    // Plain rows, not entities: hydrating them costs more than the query itself here.
    const rows = await em.createQueryBuilder(LogSchema, 'l').select('*').where({ id: { $in: ids.getKnexQuery() } })
      .orderBy({ id: 'asc' }).execute<LogRow[]>('all', false);
    const more = rows.length > p.limit;
    // limit + 1 rows, oldest first: the extra one is the oldest when reading backwards (newest).
    const page = more ? (p.newest ? rows.slice(1) : rows.slice(0, p.limit)) : rows;
    return { logs: page.map(rowToLogEvent), more };
  }

  logsAfter(f: LogQueryFilter, afterId: string, limit: number): Promise<LogEvent[]> {
    return this.page(f, { afterId, limit, newest: false }).then((r) => r.logs);
  }

  async vehicles(scope?: readonly number[]): Promise<Vehicle[]> {
    const em = this.orm.em.fork();
    return em.find(VehicleSchema, scope ? { id: { $in: [...scope] } } : {}, { orderBy: { id: 'asc' } });
  }

  async vehicle(id: number): Promise<Vehicle | null> {
    return this.orm.em.fork().findOne(VehicleSchema, { id });
  }

  /** Every vehicle with its last-seen time and latest telemetry (by the logs' own time, SPEC §9): one query, at start-up. */
  async fleetSnapshot(): Promise<{ vehicleId: number; lastSeenAt: Date; latestTelemetry: LogEvent | null }[]> {
    const rows = await this.orm.em.fork().getConnection().execute<
      { vid: number; last_seen_at: Date; id: string | null; timestamp: Date; received_at: Date; data: Record<string, unknown> | null }[]
    >(
      `select v.id as vid, v.last_seen_at, l.id::text as id, l.timestamp, l.received_at, l.data
       from vehicle v
       left join lateral (
         select id, timestamp, received_at, data from log
         where vehicle_id = v.id and type = ? order by timestamp desc, id desc limit 1
       ) l on true
       order by v.id`,
      [TELEMETRY_TYPE],
    );
    return rows.map((r) => ({
      vehicleId: r.vid,
      lastSeenAt: new Date(r.last_seen_at),
      latestTelemetry:
        r.id === null ? null : toLogEvent({ id: r.id, vehicleId: r.vid, type: TELEMETRY_TYPE, timestamp: r.timestamp, receivedAt: r.received_at, data: r.data }),
    }));
  }
}
