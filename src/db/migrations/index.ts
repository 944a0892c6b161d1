// Listed explicitly (not globbed from disk) so the same list works under tsx, vitest and a build.
import { Migration20261125000000_initial } from './Migration20261125000000_initial.js';
import { Migration20261126000000_history_reads } from './Migration20261126000000_history_reads.js';
import { Migration20261126010000_log_minute_by_minute } from './Migration20261126010000_log_minute_by_minute.js';
import { Migration20261127000000_rejected_payload_bounds } from './Migration20261127000000_rejected_payload_bounds.js';
import { Migration20261201000000_alerts } from './Migration20261201000000_alerts.js';
import { Migration20261202000000_telemetry_minutes } from './Migration20261202000000_telemetry_minutes.js';
import { Migration20261210000000_rollup_watermark } from './Migration20261210000000_rollup_watermark.js';

export const migrationsList = [
  { name: 'Migration20261125000000_initial', class: Migration20261125000000_initial },
  { name: 'Migration20261126000000_history_reads', class: Migration20261126000000_history_reads },
  { name: 'Migration20261126010000_log_minute_by_minute', class: Migration20261126010000_log_minute_by_minute },
  { name: 'Migration20261127000000_rejected_payload_bounds', class: Migration20261127000000_rejected_payload_bounds },
  { name: 'Migration20261201000000_alerts', class: Migration20261201000000_alerts },
  { name: 'Migration20261202000000_telemetry_minutes', class: Migration20261202000000_telemetry_minutes },
  { name: 'Migration20261210000000_rollup_watermark', class: Migration20261210000000_rollup_watermark },
];
