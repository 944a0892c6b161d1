import { Migration } from '@mikro-orm/migrations';

// Query.missions and Query.gaps over weeks without reading every telemetry row
// (src/db/telemetry-minutes.ts): each vessel-minute's telemetry summarised, kept by an
// asynchronous pass over the logs committed beyond a watermark. Logs stored before this
// migration are summarised by that pass, in chunks, after start.
export class Migration20261202000000_telemetry_minutes extends Migration {
  override async up(): Promise<void> {
    // The minute's boolean-`armed` telemetry in runs of one value, `run` numbering them from 0;
    // `armed` null: the minute has telemetry, none with a boolean `armed`. Of an armed run its
    // first and last position, the distance between its consecutive positions, its top speed,
    // first and last voltage; of a disarmed one its first row's own values (all a mission reads of it).
    this.addSql(`create table "armed_run" (
      "vehicle_id" integer not null,
      "minute" timestamptz not null,
      "run" integer not null,
      "armed" boolean,
      "first_ts" timestamptz, "first_id" bigint,
      "last_ts" timestamptz, "last_id" bigint,
      "lat0" float8, "lon0" float8, "lat1" float8, "lon1" float8,
      "meters" float8 not null default 0,
      "speed" float8, "volts0" float8, "volts1" float8,
      primary key ("vehicle_id", "minute", "run"))`);
    // The minute's telemetry with a numeric seq: its first and last, and the gaps between
    // consecutive ones inside it as [seq before, seq after, time before, time after]; all null
    // (gaps []) when none carries a seq.
    this.addSql(`create table "seq_minute" (
      "vehicle_id" integer not null,
      "minute" timestamptz not null,
      "first_ts" timestamptz, "first_id" bigint, "first_seq" float8,
      "last_ts" timestamptz, "last_id" bigint, "last_seq" float8,
      "gaps" jsonb not null default '[]',
      primary key ("vehicle_id", "minute"))`);
    // Logs with an id up to here are in the summaries; one row.
    this.addSql(`create table "telemetry_minutes_watermark" ("one" boolean primary key default true check ("one"), "last_id" bigint not null)`);
    this.addSql(`insert into "telemetry_minutes_watermark" ("last_id") values (0)`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "telemetry_minutes_watermark"`);
    this.addSql(`drop table if exists "seq_minute"`);
    this.addSql(`drop table if exists "armed_run"`);
  }
}
