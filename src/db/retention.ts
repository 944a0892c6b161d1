// LOG_RETENTION_DAYS: old logs and rejected messages are deleted in batches of 10,000 rows, each
// its own short transaction, so no lock is held long and ingest goes on meanwhile. (Native time
// partitioning would make this a DROP TABLE, but a partitioned table's unique indexes must contain
// the partition key, and the redelivery index (vehicle, type, payload hash) must span all time.)
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';

const BATCH = 10_000;
const EVERY_MS = 60 * 60 * 1000; // hourly

export class Retention {
  private readonly timer: NodeJS.Timeout;
  private running: Promise<number> | undefined;

  constructor(
    private readonly orm: MikroORM,
    private readonly days: number,
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
    // On a whole minute: the per-minute rollup (log_minute) loses exactly the minutes the log does.
    const cutoff = new Date(Math.floor((Date.now() - this.days * 86_400_000) / 60_000) * 60_000).toISOString();
    let total = 0;
    try {
      const tables = [
        ['log', 'id', 'timestamp'],
        ['log_minute', 'ctid', 'minute'], // no one-column key: rows picked by their physical address
        ['rejected_message', 'id', 'received_at'],
      ] as const;
      for (const [table, key, column] of tables) {
        for (;;) {
          const res = await this.orm.em.fork().getConnection().execute<{ n: number }[]>(
            `with d as (delete from ${table} where ${key} = any(array(select ${key} from ${table} where ${column} < ? limit ${BATCH})) returning 1)
             select count(*)::int as n from d`,
            [cutoff],
          );
          const n = res[0]?.n ?? 0;
          total += n;
          if (n < BATCH) break;
        }
      }
      if (total > 0) this.logger.info({ deleted: total, cutoff }, 'retention removed old rows');
    } catch (err) {
      this.logger.warn({ err }, 'retention sweep failed; will retry next hour');
    }
    return total;
  }
}
