import { Migration } from '@mikro-orm/migrations';
import { rollupSql } from '../rollup.js';

// Analysts' reads at tens of millions of rows (see src/db/logs.ts and src/db/history.ts).
export class Migration20261126000000_history_reads extends Migration {
  override async up(): Promise<void> {
    // A vessel's time window answered from the index alone: ids, type and sensor are in it, so
    // a page sorts the window's ids there and reads only its own rows from the table (the fleet's
    // rows interleave on disk: without this, a window of 3,000 rows reads 3,000 table pages).
    this.addSql(`drop index if exists "log_vehicle_timestamp_idx"`);
    this.addSql(`create index "log_vehicle_timestamp_idx" on "log" ("vehicle_id", "timestamp") include ("id", "type", "sensor_id")`);
    // Index-only scans skip only pages the visibility map marks all-visible, which vacuum sets.
    // The log is insert-only: vacuum it after 1% new rows rather than the default 20%.
    this.addSql(`alter table "log" set (autovacuum_vacuum_insert_scale_factor = 0.01)`);
    this.addSql(`create table "log_minute" (
      "vehicle_id" integer not null,
      "type" text not null,
      "sensor_id" integer not null,
      "key" text not null,
      "minute" timestamptz not null,
      "count" bigint not null,
      "sum" float8 not null,
      "min" float8 not null,
      "max" float8 not null,
      primary key ("vehicle_id", "type", "sensor_id", "key", "minute"))`);
    // Logs stored before this migration: summed once here (a minute or two at 10M rows).
    this.addSql(rollupSql(`"log"`));
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "log_minute"`);
    this.addSql(`alter table "log" reset (autovacuum_vacuum_insert_scale_factor)`);
    this.addSql(`drop index if exists "log_vehicle_timestamp_idx"`);
    this.addSql(`create index "log_vehicle_timestamp_idx" on "log" ("vehicle_id", "timestamp")`);
  }
}
