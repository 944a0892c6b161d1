// LogWriter: group commit. Messages queue while the previous batch commits, so a batch forms by
// itself under load and a lone message waits for nobody. Once a whole batch waits, the edge stops
// reading (the broker keeps the rest) until that batch goes: under load a message waits at most
// for the commit in progress, then goes in the next. A message's promise settles only after
// its batch committed (or, while the database is unreachable, after it was appended to the local
// spool on disk); the MQTT edge sends the PUBACK then. The SQL is the store's (src/db/log-store.ts).
//
// A batch is committed through src/ingest/commit.ts, which isolates a failing message; the
// database is deemed away only when it does not answer a probe, and then the batch waits in the
// spool. The spool replays through the same path, so no message can stop ingest, ever.
import type { Logger } from 'pino';
import type { LogStore } from '../db/log-store.js';
import type { LogPubSub } from '../pubsub/index.js';
import type { IngestCounters } from './counters.js';
import type { WriteItem } from './item.js';
import type { Spool, SpooledMessage } from './spool.js';
import { BatchCommitter, finish, type Pending } from './commit.js';
import { OutageWatch } from './outage.js';

export type { WriteItem } from './item.js';

export interface LogWriterOptions {
  store: LogStore;
  pubsub: LogPubSub;
  counters: IngestCounters;
  logger: Logger;
  maxBatch: number;
  /** Where messages wait while the database is unreachable; without it they wait in memory. */
  spool?: Spool;
  /** Turns a spooled message back into a write item (validated again, as on arrival). */
  reparse: (m: SpooledMessage) => WriteItem;
}

const RETRY_AFTER_FAILURE_MS = 5_000;

export class LogWriter {
  private queue: Pending[] = [];
  private committing = 0;
  private draining: Promise<void> | undefined;
  private stopped = false;
  /** The drain waits for the database, holding what the spool could not take. */
  private parked = false;
  private parkedWaiters: (() => void)[] = [];
  private spoolFull = false;
  private readonly acceptingListeners = new Set<() => void>();
  private readonly outage: OutageWatch;
  private readonly committer: BatchCommitter;

  constructor(private readonly options: LogWriterOptions) {
    this.outage = new OutageWatch(() => options.store.reachable(), options.logger, () => this.kick());
    this.committer = new BatchCommitter({ ...options, onDown: (error, size) => this.outage.down(error, this.queue.length + size) });
  }

  /** False from a failed commit with the database silent until it answers again; /readyz reads it. */
  get databaseUp(): boolean {
    return this.outage.up;
  }

  /** Resolves once the item is committed (stored, found to be a duplicate, or kept as rejected) or spooled. */
  write(item: WriteItem): Promise<void> {
    return new Promise((done) => {
      this.queue.push({ item, done });
      this.kick();
    });
  }

  /** Received but not yet committed: queued, being committed, or waiting in the spool. */
  get backlog(): number {
    return this.queue.length + this.committing + (this.options.spool?.size ?? 0);
  }

  /** False while the spool is full: the edge stops reading until it drains (the broker keeps the rest). */
  get accepting(): boolean {
    return !this.spoolFull;
  }

  /**
   * False while a whole batch already waits for the commit in progress: the edge stops reading
   * until that batch goes (the broker keeps the rest), so a message waits at most for one commit.
   * (While the database is away the queue only waits for the spool, and INGEST_MAX_INFLIGHT bounds it.)
   */
  get roomInNextBatch(): boolean {
    return !this.databaseUp || this.queue.length < this.options.maxBatch;
  }

  /** Called when `accepting` or `roomInNextBatch` may have turned true again (they are read again); returns the unsubscribe. */
  onAccepting(listener: () => void): () => void {
    this.acceptingListeners.add(listener);
    return () => this.acceptingListeners.delete(listener);
  }

  /** Waits until everything written so far is committed or spooled, or held until the database answers. */
  async flush(): Promise<void> {
    while (this.draining && !this.parked) await Promise.race([this.draining, new Promise<void>((r) => this.parkedWaiters.push(r))]);
  }

  stop(): void {
    this.stopped = true;
    this.outage.stop();
  }

  /** Starts committing if there is work (queued, or left in the spool by an earlier run). */
  resume(): void {
    this.kick();
  }

  private kick(): void {
    this.draining ??= this.drain()
      .catch((err: unknown) => {
        // The spool's disk failed under us: messages stay queued, unacknowledged; try again later.
        this.options.logger.error({ err }, 'ingest paused after an unexpected failure; retrying');
        setTimeout(() => this.kick(), RETRY_AFTER_FAILURE_MS).unref();
      })
      .finally(() => {
        this.draining = undefined;
        for (const r of this.parkedWaiters.splice(0)) r();
      });
  }

  private async drain(): Promise<void> {
    const { spool, maxBatch } = this.options;
    while (!this.stopped) {
      this.checkRoom();
      if (!this.databaseUp) {
        if (this.queue.length === 0) return; // the probe starts again once the database answers
        if (!(await this.toSpool())) await this.untilDatabase();
        continue;
      }
      // The spool holds older messages than the queue: commit it first.
      if (spool && spool.size > 0) {
        await this.replayOldest(spool);
        continue;
      }
      if (this.queue.length === 0) return;
      const batch = this.queue.splice(0, maxBatch);
      this.committing = batch.length;
      this.roomAgain(); // the next batch may form while this one commits
      const committed = await this.committer.settle(batch);
      this.committing = 0;
      if (!committed) this.queue.unshift(...batch.filter((p) => !p.settled));
    }
  }

  /** Moves queued messages into the spool and settles them; false when it could take none. */
  private async toSpool(): Promise<boolean> {
    const { spool, maxBatch, logger } = this.options;
    if (!spool || this.spoolFull) return false;
    const batch = this.queue.splice(0, maxBatch);
    this.committing = batch.length;
    const taken = await spool.append(batch.map((p) => p.item)).catch((err: unknown) => {
      logger.error({ err }, 'spool append failed; holding messages in memory');
      return 0;
    });
    this.committing = 0;
    for (const p of batch.slice(0, taken)) finish(p);
    this.queue.unshift(...batch.slice(taken));
    if (taken < batch.length) {
      this.spoolFull = true;
      logger.warn({ bytes: spool.bytes, max: spool.maxBytes }, 'spool full (SPOOL_MAX_BYTES); not reading from the broker until it drains');
    }
    return taken > 0;
  }

  /** Commits the oldest spool file; a file cut short by another outage keeps only what is left. */
  private async replayOldest(spool: Spool): Promise<void> {
    const oldest = await spool.oldest();
    if (!oldest) return;
    const pending: Pending[] = oldest.messages.map((m) => ({ item: this.options.reparse(m), done: () => {} }));
    for (let i = 0; i < pending.length; i += this.options.maxBatch) {
      if (!(await this.committer.settle(pending.slice(i, i + this.options.maxBatch)))) {
        return spool.keep(oldest.file, oldest.messages.filter((_, j) => !pending[j]!.settled));
      }
    }
    await spool.done(oldest.file);
  }

  /**
   * Reading resumes once the database is back and the spool is down to half its cap: committed
   * files make room, and the half keeps reading from flapping on and off at the cap.
   */
  private checkRoom(): void {
    const { spool } = this.options;
    if (!this.spoolFull || !this.databaseUp || (spool && spool.bytes > spool.maxBytes / 2)) return;
    this.spoolFull = false;
    this.options.logger.info({ bytes: spool?.bytes }, 'spool has room again; reading from the broker');
    this.roomAgain();
  }

  private roomAgain(): void {
    for (const listener of this.acceptingListeners) listener();
  }

  /** Holds the drain (and what it could not spool, unacknowledged) until the database answers. */
  private async untilDatabase(): Promise<void> {
    this.parked = true;
    for (const r of this.parkedWaiters.splice(0)) r();
    await this.outage.untilBack();
    this.parked = false;
  }
}
