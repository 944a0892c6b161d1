// Ingest totals since start, overall and by log type; stats and /metrics read them.
// The writer also reports each commit (size, duration), each stored log's age, the hops of its
// way through the writer, and each event it publishes (the socket servers time the last hop).
import type { LogEvent } from '../logs/event.js';

export type Outcome = 'received' | 'stored' | 'rejected' | 'duplicate';

/** A stored message's hops in the writer: receipt → its batch's commit starts → committed → published. */
export type IngestHop = 'queued' | 'commit' | 'publish';

export class IngestCounters {
  received = 0;
  stored = 0;
  rejected = 0;
  /** Redeliveries recognised by the database and not stored again. */
  duplicates = 0;
  /** Counts by outcome and log type (`unknown` when the topic named none). */
  readonly byType = new Map<string, number>();
  /** Hooks for histograms; no-ops unless metrics are attached. */
  onCommit: (rows: number, seconds: number) => void = () => {};
  onStored: (ageSeconds: number) => void = () => {};
  onHop: (hop: IngestHop, seconds: number) => void = () => {};
  onPublished: (event: LogEvent) => void = () => {};

  count(outcome: Outcome, type: string, n = 1): void {
    if (n === 0) return;
    if (outcome === 'received') this.received += n;
    else if (outcome === 'stored') this.stored += n;
    else if (outcome === 'rejected') this.rejected += n;
    else this.duplicates += n;
    const key = `${outcome}\u0000${type}`;
    this.byType.set(key, (this.byType.get(key) ?? 0) + n);
  }
}
