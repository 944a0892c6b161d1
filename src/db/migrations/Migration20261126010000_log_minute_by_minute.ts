import { Migration } from '@mikro-orm/migrations';

// Retention deletes the rollup's minutes older than the cut-off, 10,000 at a time: found
// through this index rather than by scanning the whole rollup for each batch.
export class Migration20261126010000_log_minute_by_minute extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index "log_minute_minute_idx" on "log_minute" ("minute")`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "log_minute_minute_idx"`);
  }
}
