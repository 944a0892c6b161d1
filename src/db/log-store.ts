// The log store: the writer's one door into PostgreSQL. A batch is one statement in its own
// implicit transaction (one round trip): ids taken under an advisory lock so that they commit in
// order, vehicles registered, logs inserted (a redelivery skipped), rejected messages kept — all
// or nothing. Their numbers reach the per-minute rollup later, through the roller (src/db/roller.ts).
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { LogType } from '../logs/kinds.js';

/** A validated log, ready to store. */
export interface NewLog {
  vehicleId: number;
  type: LogType;
  timestamp: Date;
  receivedAt: Date;
  sensorId: number | null;
  message: string | null;
  /** As parsed (float64 numbers): what is published. Stored from `json` when that is set. */
  data: Record<string, unknown> | null;
  /** Set when the payload carries a timestamp or seq: a redelivery has the same key (see README). */
  dedupKey: string | null;
  /** The JSON text as received and, when `data` is one member of it, that member's key: PostgreSQL parses it, so numbers are kept as sent. */
  json: { text: string; key: string | null } | null;
}

/** A message kept as rejected, with why. */
export interface NewRejected {
  topic: string;
  payload: Uint8Array;
  reason: string;
  receivedAt: Date;
}

export interface LogStore {
  /** Commits all or nothing; resolves to each log's new id, or null for a redelivery already stored. */
  commit(batch: { logs: readonly NewLog[]; rejected: readonly NewRejected[] }): Promise<(string | null)[]>;
  /** Whether the database answers at all (`select 1`): tells an outage from a batch it refused. */
  reachable(): Promise<boolean>;
  /** A failure in the store's own words, and whether trying the same batch again may succeed. */
  explain(error: unknown): { reason: string; transient: boolean };
}

// Any constant works; every writer (in every instance) takes this lock for its commit.
const ID_LOCK = 7_261_001;
const PROBE_TIMEOUT_MS = 5_000;
/** A reason quoting a huge value is cut here; the error's own text up to it is kept. */
const MAX_REASON_CHARS = 1_000;

/** SQLSTATE classes worth one more try: connection, rollback (deadlock, serialization), resources, operator, system. */
const TRANSIENT_SQLSTATE = /^(08|40|53|57|58)/;
const TRANSIENT_ERRNO = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH']);

export class PostgresLogStore implements LogStore {
  constructor(
    private readonly orm: MikroORM,
    /** Rejected messages keep at most this many bytes of their payload (REJECTED_PAYLOAD_BYTES). */
    private readonly rejectedPayloadBytes: number,
  ) {}

  async commit(batch: { logs: readonly NewLog[]; rejected: readonly NewRejected[] }): Promise<(string | null)[]> {
    if (batch.logs.length === 0 && batch.rejected.length === 0) return [];
    const params: unknown[] = [];
    const bind = (value: unknown, type: string) => `$${params.push(value)}::${type}`;
    const rejected = batch.rejected.length ? insertRejectedSql(batch.rejected, this.rejectedPayloadBytes, bind) : undefined;
    if (batch.logs.length === 0) {
      await this.query(rejected!, params);
      return [];
    }
    const text = insertLogsSql(batch.logs, bind, rejected);
    const rows = await this.query<{ id: string; n: string }>(text, params);
    const ids: (string | null)[] = batch.logs.map(() => null);
    for (const r of rows) ids[Number(r.n) - 1] = r.id;
    return ids;
  }

  async reachable(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), PROBE_TIMEOUT_MS)));
    const probe = this.query('select 1', []).then(() => true, () => false);
    try {
      return await Promise.race([probe, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  explain(error: unknown): { reason: string; transient: boolean } {
    return { reason: describeFailure(error), transient: isTransientFailure(error) };
  }

  /**
   * On a connection of the ORM's pool, with real bind parameters and the driver's own error:
   * knex would prefix the whole SQL, its parameters formatted in, to PostgreSQL's message.
   */
  private async query<R>(text: string, params: unknown[]): Promise<R[]> {
    const client = this.orm.em.getConnection().getKnex().client;
    const conn = (await client.acquireConnection()) as pg.ClientBase;
    try {
      return (await conn.query<R & pg.QueryResultRow>(text, params)).rows;
    } finally {
      await client.releaseConnection(conn);
    }
  }
}

type Bind = (value: unknown, type: string) => string;

/**
 * Ids are `last - count + n`, `last` taken from the sequence under the lock: the lock is taken in
 * a subquery the id CTE reads from (a volatile subquery is not flattened, so it runs first), and
 * every other part reads the ids, so nothing touches a row before the lock is held.
 * `n` (the log's position, 1-based) comes back with each stored id.
 */
function insertLogsSql(logs: readonly NewLog[], bind: Bind, rejected: string | undefined): string {
  const count = bind(logs.length, 'bigint');
  const col = <T>(f: (l: NewLog) => T, type: string) => bind(logs.map(f), `${type}[]`);
  return `with ids as (
      select setval('log_id_seq', nextval('log_id_seq') + ${count} - 1) as last
      from (select pg_advisory_xact_lock(${bind(ID_LOCK, 'bigint')})) lock
    ), r as (
      select ids.last - ${count} + i.n as id, i.n, i.vehicle_id, i.type, i.timestamp, i.received_at, i.sensor_id, i.message, i.dedup_key,
             case when i.json is null then null when i.data_key is null then i.json::jsonb else i.json::jsonb -> i.data_key end as data
      from ids, unnest(${col((l) => l.vehicleId, 'int')}, ${col((l) => l.type, 'text')},
        ${col((l) => l.timestamp.toISOString(), 'timestamptz')}, ${col((l) => l.receivedAt.toISOString(), 'timestamptz')},
        ${col((l) => l.sensorId, 'int')}, ${col((l) => l.message, 'text')}, ${col((l) => l.json?.text ?? null, 'text')},
        ${col((l) => l.json?.key ?? null, 'text')}, ${col((l) => l.dedupKey, 'text')})
        with ordinality as i(vehicle_id, type, timestamp, received_at, sensor_id, message, json, data_key, dedup_key, n)
    ), v as (
      insert into vehicle (id, first_seen_at, last_seen_at)
      select vehicle_id, min(received_at), max(received_at) from r group by vehicle_id
      on conflict (id) do update set last_seen_at = greatest(vehicle.last_seen_at, excluded.last_seen_at)
    ), stored as (
      insert into log (id, vehicle_id, type, timestamp, received_at, sensor_id, message, data, dedup_key)
      select id, vehicle_id, type, timestamp, received_at, sensor_id, message, data, dedup_key from r order by id
      on conflict (vehicle_id, type, dedup_key) where dedup_key is not null do nothing
      returning id
    )${rejected ? `, rejected as (${rejected})` : ''}
    select stored.id::text as id, r.n::text as n from stored join r using (id)`;
}

/** A rejected message keeps the first `maxBytes` of its payload, its full size and its SHA-256. */
function insertRejectedSql(items: readonly NewRejected[], maxBytes: number, bind: Bind): string {
  const col = <T>(f: (r: NewRejected) => T, type: string) => bind(items.map(f), `${type}[]`);
  return `insert into rejected_message (topic, payload, payload_size, payload_sha256, reason, received_at)
    select * from unnest(${col((r) => storable(r.topic), 'text')},
      ${col((r) => Buffer.from(r.payload.buffer, r.payload.byteOffset, Math.min(r.payload.byteLength, maxBytes)), 'bytea')},
      ${col((r) => r.payload.byteLength, 'int')}, ${col((r) => createHash('sha256').update(r.payload).digest('hex'), 'text')},
      ${col((r) => storable(r.reason), 'text')}, ${col((r) => r.receivedAt.toISOString(), 'timestamptz')})`;
}

/** PostgreSQL text cannot hold U+0000; a topic or a reason quoting a payload may carry one. */
const storable = (s: string) => s.replace(/\u0000/g, '\uFFFD');

/** PostgreSQL's own message, SQLSTATE and detail, or the JS error's name and message. */
export function describeFailure(error: unknown): string {
  let text: string;
  if (isPostgresError(error)) text = `${error.message} (SQLSTATE ${error.code})${error.detail ? `: ${error.detail}` : ''}`;
  else if (error instanceof Error) text = `${error.name}: ${error.message}`;
  else text = String(error);
  return text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS)}…` : text;
}

/** Whether the same statement tried again may succeed: connection, deadlock, resources, a pool timeout. */
export function isTransientFailure(error: unknown): boolean {
  if (isPostgresError(error)) return TRANSIENT_SQLSTATE.test(error.code);
  const code = (error as { code?: unknown } | null)?.code;
  return (typeof code === 'string' && TRANSIENT_ERRNO.has(code)) || (error as Error | null)?.name === 'KnexTimeoutError';
}

/** An error PostgreSQL sent (pg's DatabaseError): it carries a severity and a five-character SQLSTATE. */
function isPostgresError(error: unknown): error is Error & { code: string; detail?: string } {
  const e = error as { code?: unknown; severity?: unknown } | null;
  return error instanceof Error && typeof e?.severity === 'string' && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code);
}
