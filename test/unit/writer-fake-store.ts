// An in-memory LogStore for the writer's unit tests: ids in commit order, redeliveries skipped,
// and failures to order — an outage, one message's error.
import type { LogStore, NewLog, NewRejected } from '../../src/db/log-store.js';

export class FakeLogStore implements LogStore {
  /** Every commit tried, failed ones included. */
  readonly commits: { logs: readonly NewLog[]; rejected: readonly NewRejected[] }[] = [];
  readonly stored: (NewLog & { id: string })[] = [];
  readonly rejected: NewRejected[] = [];
  /** The database unreachable: every commit and probe fails. */
  down = false;
  failLog: (log: NewLog) => Error | undefined = () => undefined;
  private nextId = 1;
  private gate: Promise<void> | undefined;

  /** Holds commits until `release()`. */
  hold(): { release: () => void } {
    let release!: () => void;
    this.gate = new Promise<void>((r) => (release = r)).then(() => (this.gate = undefined));
    return { release };
  }

  async commit(batch: { logs: readonly NewLog[]; rejected: readonly NewRejected[] }): Promise<(string | null)[]> {
    this.commits.push({ ...batch });
    await this.gate;
    if (this.down) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    for (const log of batch.logs) {
      const error = this.failLog(log);
      if (error) throw error;
    }
    const ids = batch.logs.map((log) => {
      if (log.dedupKey && this.stored.some((s) => s.dedupKey === log.dedupKey && s.vehicleId === log.vehicleId)) return null;
      const id = String(this.nextId++);
      this.stored.push({ ...log, id });
      return id;
    });
    this.rejected.push(...batch.rejected);
    return ids;
  }

  async reachable(): Promise<boolean> {
    return !this.down;
  }

  explain(error: unknown): { reason: string; transient: boolean } {
    const e = error as Error & { transient?: boolean };
    return { reason: `${e.name}: ${e.message}`, transient: e.transient === true };
  }
}
