import { Migration } from '@mikro-orm/migrations';

// Hand-written SQL: the indexes and the dedup constraint are the point of this schema.
export class Migration20261125000000_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "vehicle" (
      "id" integer primary key,
      "first_seen_at" timestamptz not null,
      "last_seen_at" timestamptz not null)`);
    // Ids are allocated by the writer from this sequence under an advisory lock, so they
    // commit in order: "after id X" never skips a log committed later with a smaller id.
    this.addSql(`create sequence "log_id_seq"`);
    this.addSql(`create table "log" (
      "id" bigint primary key default nextval('log_id_seq'),
      "vehicle_id" integer not null,
      "type" text not null check ("type" in ('raw_log', 'sensor_log', 'vehicle_log')),
      "timestamp" timestamptz not null,
      "received_at" timestamptz not null,
      "sensor_id" integer,
      "message" text,
      "data" jsonb,
      "dedup_key" text)`);
    this.addSql(`alter sequence "log_id_seq" owned by "log"."id"`);
    // Keyset pages of one vehicle (optionally one type), oldest first by id.
    this.addSql(`create index "log_vehicle_id_idx" on "log" ("vehicle_id", "id")`);
    this.addSql(`create index "log_vehicle_type_id_idx" on "log" ("vehicle_id", "type", "id")`);
    // Time windows of one vehicle (from/to), and of the whole fleet.
    this.addSql(`create index "log_vehicle_timestamp_idx" on "log" ("vehicle_id", "timestamp")`);
    this.addSql(`create index "log_timestamp_idx" on "log" ("timestamp")`);
    // A redelivered message (same vehicle, type and payload carrying a timestamp/seq) is stored once.
    this.addSql(`create unique index "log_dedup_idx" on "log" ("vehicle_id", "type", "dedup_key") where "dedup_key" is not null`);
    this.addSql(`create table "rejected_message" (
      "id" bigserial primary key,
      "topic" text not null,
      "payload" bytea not null,
      "reason" text not null,
      "received_at" timestamptz not null)`);
    this.addSql(`create index "rejected_message_received_at_idx" on "rejected_message" ("received_at")`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "rejected_message"`);
    this.addSql(`drop table if exists "log"`);
    this.addSql(`drop table if exists "vehicle"`);
  }
}
