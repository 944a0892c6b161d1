// LogWriter: group commit. Messages queue while the previous transaction commits, so a batch
// forms by itself under load and a lone message waits for nobody. A message's promise settles
// only after its batch committed (or, while the database is unreachable, after it was appended
// to the local spool on disk); the MQTT edge sends the PUBACK then.
import type { MikroORM } from '@mikro-orm/postgresql';
import type { EntityManager, Knex } from '@mikro-orm/postgresql';
import { DriverException } from '@mikro-orm/core';
import type { Logger } from 'pino';
import type { LogEvent } from '../logs/event.js';
import type { LogPubSub } from '../pubsub/index.js';
import type { ValidLog } from './payload.js';
import type { IngestCounters } from './counters.js';
import { topicType } from './topics.js';
import type { Spool, SpooledMessage } from './spool.js';
import { rollupSql } from '../db/rollup.js';

/** A message as received, with its verdict: a valid log to store, or a reason to keep it as rejected. */
export type WriteItem = { topic: string; payload: Uint8Array; receivedAt: Date } & (
  | { kind: 'log'; log: ValidLog }
  | { kind: 'rejected'; reason: string }
);

interface Pending {
  item: WriteItem;
  done: () => void;
}

export interface LogWriterOptions {
  orm: MikroORM;
  pubsub: LogPubSub;
  counters: IngestCounters;
  logger: Logger;
  maxBatch: number;
  /** Where messages wait while the database is unreachable; without it they wait in memory. */
  spool?: Spool;
  /** Turns a spooled message back into a write item (validated again, as on arrival). */
  reparse: (m: SpooledMessage) => WriteItem;
}

// Any constant works; every writer (in every instance) takes this lock for its commit.
const ID_LOCK = 7_261_001;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;
const REFUSED = 'database refused it';
const PROBE_MS = 1_000;

export class LogWriter {
  private queue: Pending[] = [];
  private committing = 0;
  private draining: Promise<void> | undefined;
  /** False from the first failed commit until the database answers again; /readyz reads it. */
  databaseUp = true;
  private probe: NodeJS.Timeout | undefined;

  constructor(private readonly options: LogWriterOptions) {}

  /** Resolves once the item is committed (stored, found to be a duplicate, or kept as rejected). */
  write(item: WriteItem): Promise<void> {
    return new Promise((done) => {
      this.queue.push({ item, done });
      this.kick();
    });
  }

  /** Received but not yet committed: queued, being committed, or waiting in the spool. */
  get backlog(): number {
    return this.queue.length + this.committing + (this.options.spool?.size ?? 0);
  }

  /** Waits until everything written so far is committed (or spooled, while the database is down). */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  stop(): void {
    clearInterval(this.probe);
    this.probe = undefined;
  }

  /** Starts committing if there is work (queued, or left in the spool by an earlier run). */
  resume(): void {
    this.kick();
  }

  private kick(): void {
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
  }

  private async drain(): Promise<void> {
    const { spool, maxBatch } = this.options;
    for (;;) {
      // The spool holds older messages than the queue: commit it first once the database is back.
      if (spool && spool.size > 0 && this.databaseUp) {
        await this.commitSpoolFile(spool);
        continue;
      }
      if (this.queue.length === 0) return;
      const batch = this.queue.splice(0, maxBatch);
      this.committing = batch.length;
      if (spool && !this.databaseUp) await this.toSpool(spool, batch);
      else if (!(await this.commitWithRetry(batch))) await this.toSpool(spool!, batch);
      this.committing = 0;
    }
  }

  /**
   * Commits a batch. Returns false on a connection failure when a spool can take the batch;
   * without a spool it retries with backoff until the database answers.
   */
  private async commitWithRetry(batch: Pending[]): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.commit(batch);
        this.databaseUp = true;
        return true;
      } catch (error) {
        if (isDataError(error) && batch.length > 1) {
          // One bad row must not hold back its neighbours: commit them one by one.
          for (const one of batch) if (!(await this.commitWithRetry([one]))) return false;
          return true;
        }
        if (isDataError(error)) {
          const only = batch[0]!;
          if (only.item.kind === 'rejected' && only.item.reason.startsWith(REFUSED)) {
            // Even the rejected-row form was refused: nothing left to store, say so loudly.
            this.options.logger.error({ err: error, topic: only.item.topic }, 'message could not be stored in any form');
            this.options.counters.count('rejected', topicType(only.item.topic));
            only.done();
            return true;
          }
          only.item = toRejected(only.item, `${REFUSED}: ${(error as Error).message.slice(0, 200)}`);
          continue;
        }
        this.markDown(error, batch.length);
        if (this.options.spool) return false;
        await new Promise((r) => setTimeout(r, Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** attempt)));
      }
    }
  }

  private markDown(error: unknown, batchSize: number): void {
    if (this.databaseUp) {
      this.options.logger.error({ err: error, backlog: this.queue.length + batchSize }, 'database unreachable; holding messages');
    }
    this.databaseUp = false;
    if (this.options.spool && !this.probe) {
      // Find out when it is back, also when no message arrives to try it.
      this.probe = setInterval(() => void this.tryDatabase(), PROBE_MS);
      this.probe.unref();
    }
  }

  private async tryDatabase(): Promise<void> {
    try {
      await this.options.orm.em.fork().getConnection().execute('select 1');
    } catch {
      return;
    }
    this.stop();
    this.databaseUp = true;
    this.options.logger.info({ spooled: this.options.spool?.size ?? 0 }, 'database reachable again');
    this.kick();
  }

  /** Appends to the spool (fsync) and settles the batch: it is safe on disk, so it may be acknowledged. */
  private async toSpool(spool: Spool, batch: Pending[]): Promise<void> {
    try {
      await spool.append(batch.map((p) => ({ topic: p.item.topic, payload: p.item.payload, receivedAt: p.item.receivedAt })));
      for (const p of batch) p.done();
    } catch (err) {
      // Disk refused too: keep them in memory, unacknowledged, and try again shortly.
      this.options.logger.error({ err }, 'spool append failed; holding messages in memory');
      this.queue.unshift(...batch);
      await new Promise((r) => setTimeout(r, RETRY_MAX_MS));
    }
  }

  /** Commits the oldest spool file and removes it; stops early if the database goes away again. */
  private async commitSpoolFile(spool: Spool): Promise<void> {
    const oldest = await spool.oldest();
    if (!oldest) return;
    const items = oldest.messages.map((m) => this.options.reparse(m));
    for (let i = 0; i < items.length; i += this.options.maxBatch) {
      const batch = items.slice(i, i + this.options.maxBatch).map((item) => ({ item, done: () => {} }));
      // A file cut short is replayed whole next time; redeliveries are recognised (dedup key).
      if (!(await this.commitWithRetry(batch))) return;
    }
    await spool.done(oldest.file, oldest.messages.length);
  }

  private async commit(batch: Pending[]): Promise<void> {
    const logs = batch.flatMap((p) => (p.item.kind === 'log' ? [p.item.log] : []));
    const rejected = batch.flatMap((p) => (p.item.kind === 'rejected' ? [p.item] : []));
    const em = this.options.orm.em.fork();
    const started = performance.now();
    const { inserted, duplicates } = await em.transactional(async (tx) => {
      const ids = await allocateIds(tx, logs.length);
      const storedIds = logs.length ? await insertLogs(tx, logs, ids) : new Set<string>();
      if (rejected.length) await insertRejected(tx, rejected);
      return {
        inserted: logs.flatMap((log, i) => (storedIds.has(ids[i]!) ? [toEvent(ids[i]!, log)] : [])),
        duplicates: logs.filter((_, i) => !storedIds.has(ids[i]!)),
      };
    });
    const { counters, pubsub } = this.options;
    for (const e of inserted) counters.count('stored', e.type);
    for (const d of duplicates) counters.count('duplicate', d.type);
    for (const r of rejected) counters.count('rejected', topicType(r.topic));
    counters.onCommit(batch.length, (performance.now() - started) / 1000);
    const now = Date.now();
    for (const e of inserted) counters.onStored((now - Date.parse(e.receivedAt)) / 1000);
    for (const event of inserted) pubsub.publish('log', event);
    for (const p of batch) p.done();
  }
}

/**
 * Runs SQL in the batch's transaction with real bind parameters. MikroORM's `execute` inlines
 * parameters into the SQL text, escaping a batch's multi-megabyte JSON character by character
 * (seconds of CPU and GC for large payloads); knex's raw sends them to PostgreSQL separately.
 */
async function sql<R>(tx: EntityManager, text: string, params: unknown[]): Promise<R[]> {
  const trx = tx.getTransactionContext<Knex.Transaction>() ?? tx.getKnex();
  const result = (await trx.raw(text, params as Knex.RawBinding[])) as { rows: R[] };
  return result.rows;
}

/** Ids for this batch, taken under a transaction-scoped lock so that ids commit in order. */
async function allocateIds(tx: EntityManager, count: number): Promise<string[]> {
  if (count === 0) return [];
  await sql(tx, 'select pg_advisory_xact_lock(?)', [ID_LOCK]);
  const [row] = await sql<{ last: string }>(
    tx,
    `select setval('log_id_seq', nextval('log_id_seq') + ? - 1)::text as last`,
    [count],
  );
  const last = BigInt(row!.last);
  return Array.from({ length: count }, (_, i) => String(last - BigInt(count - 1 - i)));
}

/**
 * One statement: registers/touches the vehicles, inserts the logs and adds the stored ones' numbers
 * to the per-minute rollup (src/db/rollup.ts); returns the ids stored.
 */
async function insertLogs(tx: EntityManager, logs: ValidLog[], ids: string[]): Promise<Set<string>> {
  const rows = logs.map((l, i) => ({
    id: ids[i],
    vehicle_id: l.vehicleId,
    type: l.type,
    timestamp: l.timestamp.toISOString(),
    received_at: l.receivedAt.toISOString(),
    sensor_id: l.sensorId,
    message: l.message,
    data: l.data,
    dedup_key: l.dedupKey,
  }));
  const result = await sql<{ id: string }>(
    tx,
    `with r as (
       select * from jsonb_to_recordset(?::jsonb) as r(id bigint, vehicle_id int, type text,
         timestamp timestamptz, received_at timestamptz, sensor_id int, message text, data jsonb, dedup_key text)
     ), v as (
       insert into vehicle (id, first_seen_at, last_seen_at)
       select vehicle_id, min(received_at), max(received_at) from r group by vehicle_id
       on conflict (id) do update set last_seen_at = greatest(vehicle.last_seen_at, excluded.last_seen_at)
     ), stored as (
       insert into log (id, vehicle_id, type, timestamp, received_at, sensor_id, message, data, dedup_key)
       select id, vehicle_id, type, timestamp, received_at, sensor_id, message, data, dedup_key from r order by id
       on conflict (vehicle_id, type, dedup_key) where dedup_key is not null do nothing
       returning id, vehicle_id, type, timestamp, sensor_id, data
     ), rollup as (
       ${rollupSql('stored')}
     )
     select id::text as id from stored`,
    [JSON.stringify(rows)],
  );
  return new Set(result.map((r) => r.id));
}

async function insertRejected(tx: EntityManager, items: Extract<WriteItem, { kind: 'rejected' }>[]): Promise<void> {
  const rows = items.map((r) => ({
    topic: r.topic,
    payload: Buffer.from(r.payload).toString('base64'),
    reason: r.reason,
    received_at: r.receivedAt.toISOString(),
  }));
  await sql(
    tx,
    `insert into rejected_message (topic, payload, reason, received_at)
     select topic, decode(payload, 'base64'), reason, received_at
     from jsonb_to_recordset(?::jsonb) as r(topic text, payload text, reason text, received_at timestamptz)`,
    [JSON.stringify(rows)],
  );
}

function toEvent(id: string, log: ValidLog): LogEvent {
  return {
    id,
    vehicleId: log.vehicleId,
    type: log.type,
    timestamp: log.timestamp.toISOString(),
    receivedAt: log.receivedAt.toISOString(),
    sensorId: log.sensorId,
    message: log.message,
    data: log.data,
  };
}

function toRejected(item: WriteItem, reason: string): WriteItem {
  // The topic is the one field of a rejected row that could itself be refused (U+0000).
  return { topic: item.topic.replace(/\u0000/g, ''), payload: item.payload, receivedAt: item.receivedAt, kind: 'rejected', reason };
}

/** SQLSTATE class 22 (data exception) or 23 (integrity): retrying the same rows cannot help. */
function isDataError(error: unknown): boolean {
  const code = error instanceof DriverException ? (error.code ?? error.sqlState) : (error as { code?: string })?.code;
  return typeof code === 'string' && /^2[23]/.test(code);
}
