// LOG_RETENTION_DAYS (logs and their rollup, when set) and REJECTED_RETENTION_DAYS (rejected
// messages, always): what is older is deleted in batches of 10,000 rows, each
// its own short transaction, so no lock is held long and ingest goes on meanwhile. (Native time
// partitioning would make this a DROP TABLE, but a partitioned table's unique indexes must contain
// the partition key, and the redelivery index (vehicle, type, payload hash) must span all time.)
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';

const BATCH = 10_000;
const EVERY_MS = 60 * 60 * 1000; // hourly
const DAY_MS = 86_400_000;

export interface RetentionDays {
  /** Logs and their per-minute rollup; undefined = kept for ever. */
  logDays?: number;
  rejectedDays: number;
}

// table, the key a batch is picked by, the time column it ages by
type Sweep = readonly [table: string, key: string, column: string, cutoff: string];

export class Retention {
  private readonly timer: NodeJS.Timeout;
  private running: Promise<number> | undefined;

  constructor(
    private readonly orm: MikroORM,
    private readonly days: RetentionDays,
    private readonly logger: Logger,
  ) {
    this.timer = setInterval(() => void this.runOnce(), EVERY_MS).unref();
  }

  /** Deletes what is older than the retention period; resolves to the rows deleted. */
  runOnce(): Promise<number> {
    this.running ??= this.sweep().finally(() => (this.running = undefined));
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => {});
  }

  private async sweep(): Promise<number> {
    const sweeps: Sweep[] = [['rejected_message', 'id', 'received_at', cutoffBefore(this.days.rejectedDays)]];
    if (this.days.logDays !== undefined) {
      const cutoff = cutoffBefore(this.days.logDays);
      // The telemetry summaries first (src/db/telemetry-minutes.ts): a minute without one is read from the log, so none outlives its rows.
      sweeps.unshift(['armed_run', 'ctid', 'minute', cutoff], ['seq_minute', 'ctid', 'minute', cutoff],
        ['log', 'id', 'timestamp', cutoff], ['log_minute', 'ctid', 'minute', cutoff]); // log_minute: no one-column key, rows by physical address
    }
    let total = 0;
    try {
      for (const sweep of sweeps) total += await this.deleteOlder(sweep);
      if (total > 0) this.logger.info({ deleted: total }, 'retention removed old rows');
    } catch (err) {
      this.logger.warn({ err }, 'retention sweep failed; will retry next hour');
    }
    return total;
  }

  private async deleteOlder([table, key, column, cutoff]: Sweep): Promise<number> {
    let total = 0;
    for (;;) {
      const res = await this.orm.em.fork().getConnection().execute<{ n: number }[]>(
        `with d as (delete from ${table} where ${key} = any(array(select ${key} from ${table} where ${column} < ? limit ${BATCH})) returning 1)
         select count(*)::int as n from d`,
        [cutoff],
      );
      const n = res[0]?.n ?? 0;
      total += n;
      if (n < BATCH) return total;
    }
  }
}

/** On a whole minute: the per-minute rollup (log_minute) loses exactly the minutes the log does. */
function cutoffBefore(days: number): string {
  return new Date(Math.floor((Date.now() - days * DAY_MS) / 60_000) * 60_000).toISOString();
}
