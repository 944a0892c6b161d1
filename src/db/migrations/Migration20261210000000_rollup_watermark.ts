import { Migration } from '@mikro-orm/migrations';

// The per-minute rollup leaves the writer's statement (it was half of every batch's time): a
// roller sums committed logs past a watermark on id (src/db/roller.ts), and `series` adds the raw
// rows past it. Ids commit in order (the writer's advisory lock), so every log at or below the
// watermark has been summed and none above it has. Until now each log was summed in the statement
// that stored it, so every log already here is summed: the watermark starts at the last id, read
// under the writer's lock so that no batch commits between the read and this migration's commit.
// (An instance of the previous version still writing after this runs would be summed twice:
// stop them before migrating.)
export class Migration20261210000000_rollup_watermark extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "log_minute_watermark" (
      "singleton" boolean primary key default true check ("singleton"),
      "last_id" bigint not null)`);
    this.addSql(`select pg_advisory_xact_lock(7261001)`);
    this.addSql(`insert into "log_minute_watermark" ("last_id") select coalesce(max("id"), 0) from "log"`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "log_minute_watermark"`);
  }
}
