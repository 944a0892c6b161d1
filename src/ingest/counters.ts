/** Ingest totals since start; stats and metrics read them. */
export class IngestCounters {
  received = 0;
  stored = 0;
  rejected = 0;
  /** Redeliveries recognised by the database and not stored again. */
  duplicates = 0;
}
