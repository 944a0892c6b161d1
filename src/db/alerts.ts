// Alert episodes: written by the evaluator (src/alerts/), read by Query.alerts. One row per
// (rule, vehicle) from FIRING to RESOLVED; the partial unique index on open episodes makes a
// second FIRING of the same episode impossible, whoever tries (a restart, a second instance).
import type { MikroORM } from '@mikro-orm/postgresql';
import type { AlertEvent, AlertState } from '../alerts/event.js';
import type { Severity } from '../alerts/rules.js';

export interface AlertFilter {
  vehicleId?: number;
  state?: AlertState;
  /** Episodes active at some time in [from, to). */
  from?: Date;
  to?: Date;
  /** Vehicles the caller may see; undefined = all. */
  scope?: readonly number[];
}

export interface AlertPageRequest {
  afterId?: string;
  beforeId?: string;
  limit: number;
  /** The newest `limit` (before `beforeId`), still returned oldest first. */
  newest: boolean;
}

export interface NewEpisode {
  rule: string;
  vehicleId: number;
  severity: Severity;
  at: Date;
  value: number | null;
  message: string;
}

interface AlertRow {
  id: string;
  vehicle_id: number;
  rule: string;
  severity: Severity;
  started_at: Date;
  resolved_at: Date | null;
  value: number | null;
  message: string;
}

const COLUMNS = 'id::text as id, vehicle_id, rule, severity, started_at, resolved_at, value, message';

function toAlertEvent(r: AlertRow): AlertEvent {
  return {
    id: r.id,
    vehicleId: r.vehicle_id,
    rule: r.rule,
    severity: r.severity,
    state: r.resolved_at === null ? 'FIRING' : 'RESOLVED',
    startedAt: new Date(r.started_at).toISOString(),
    resolvedAt: r.resolved_at === null ? null : new Date(r.resolved_at).toISOString(),
    value: r.value === null ? null : Number(r.value),
    message: r.message,
  };
}

export class AlertRepository {
  constructor(private readonly orm: MikroORM) {}

  private execute<T>(sql: string, params: unknown[]): Promise<T[]> {
    return this.orm.em.fork().getConnection().execute<T[]>(sql, params);
  }

  /** Episodes still FIRING: the evaluator's state after a restart. */
  async open(): Promise<{ rule: string; vehicleId: number }[]> {
    const rows = await this.execute<{ rule: string; vehicle_id: number }>('select rule, vehicle_id from alert where resolved_at is null', []);
    return rows.map((r) => ({ rule: r.rule, vehicleId: r.vehicle_id }));
  }

  /** A new FIRING episode; undefined when this (rule, vehicle) already has an open one. */
  async fire(e: NewEpisode): Promise<AlertEvent | undefined> {
    const [row] = await this.execute<AlertRow>(
      `insert into alert (rule, vehicle_id, severity, started_at, value, message) values (?, ?, ?, ?, ?, ?)
       on conflict (rule, vehicle_id) where resolved_at is null do nothing
       returning ${COLUMNS}`,
      [e.rule, e.vehicleId, e.severity, e.at.toISOString(), e.value, e.message],
    );
    return row && toAlertEvent(row);
  }

  /** Resolves the open episode of (rule, vehicle); undefined when there is none. */
  async resolve(rule: string, vehicleId: number, at: Date): Promise<AlertEvent | undefined> {
    const [row] = await this.execute<AlertRow>(
      // greatest(): a resolution judged on a log's own time never ends before the episode began.
      `update alert set resolved_at = greatest(started_at, ?::timestamptz) where rule = ? and vehicle_id = ? and resolved_at is null
       returning ${COLUMNS}`,
      [at.toISOString(), rule, vehicleId],
    );
    return row && toAlertEvent(row);
  }

  /** One page by id, oldest first; fetches limit + 1 to tell whether more exist. */
  async page(f: AlertFilter, p: AlertPageRequest): Promise<{ alerts: AlertEvent[]; more: boolean }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, ...values: unknown[]) => (where.push(sql), params.push(...values));
    if (f.vehicleId !== undefined) add('vehicle_id = ?', f.vehicleId);
    if (f.scope !== undefined) add('vehicle_id = any(?::int[])', `{${f.scope.join(',')}}`);
    if (f.state !== undefined) add(f.state === 'FIRING' ? 'resolved_at is null' : 'resolved_at is not null');
    if (f.from) add('(resolved_at is null or resolved_at >= ?)', f.from.toISOString());
    if (f.to) add('started_at < ?', f.to.toISOString());
    if (p.afterId !== undefined) add('id > ?', p.afterId);
    if (p.beforeId !== undefined) add('id < ?', p.beforeId);
    const rows = await this.execute<AlertRow>(
      `select * from (
         select ${COLUMNS} from alert ${where.length ? `where ${where.join(' and ')}` : ''}
         order by alert.id ${p.newest ? 'desc' : 'asc'} limit ?
       ) page order by id::bigint`,
      [...params, p.limit + 1],
    );
    const more = rows.length > p.limit;
    const page = more ? (p.newest ? rows.slice(1) : rows.slice(0, p.limit)) : rows;
    return { alerts: page.map(toAlertEvent), more };
  }
}
