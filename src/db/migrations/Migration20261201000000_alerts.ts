import { Migration } from '@mikro-orm/migrations';

// Alert episodes (SPEC §10): one row per (rule, vehicle) from FIRING to RESOLVED.
export class Migration20261201000000_alerts extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "alert" (
      "id" bigserial primary key,
      "rule" text not null,
      "vehicle_id" integer not null,
      "severity" text not null check ("severity" in ('info', 'warning', 'critical')),
      "started_at" timestamptz not null,
      "resolved_at" timestamptz,
      "value" float8,
      "message" text not null)`);
    // At most one open episode per (rule, vehicle): the database refuses a second FIRING, also
    // from a restarted or a second instance evaluating the same stream.
    this.addSql(`create unique index "alert_open_idx" on "alert" ("rule", "vehicle_id") where "resolved_at" is null`);
    // Query.alerts pages by id, for one vessel or all.
    this.addSql(`create index "alert_vehicle_id_idx" on "alert" ("vehicle_id", "id")`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "alert"`);
  }
}
