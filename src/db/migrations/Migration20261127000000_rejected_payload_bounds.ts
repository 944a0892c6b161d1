import { Migration } from '@mikro-orm/migrations';

// Rejected messages keep at most REJECTED_PAYLOAD_BYTES of their payload (SPEC §8): the full
// size and SHA-256 say what arrived. Rows kept whole before this migration get theirs computed.
export class Migration20261127000000_rejected_payload_bounds extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "rejected_message" add column "payload_size" integer, add column "payload_sha256" text`);
    this.addSql(`update "rejected_message" set "payload_size" = length("payload"), "payload_sha256" = encode(sha256("payload"), 'hex')`);
    this.addSql(`alter table "rejected_message" alter column "payload_size" set not null, alter column "payload_sha256" set not null`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "rejected_message" drop column "payload_size", drop column "payload_sha256"`);
  }
}
