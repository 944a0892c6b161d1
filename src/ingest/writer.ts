// LogWriter: group commit. Messages queue while the previous batch commits, so a batch forms by
// itself under load and a lone message waits for nobody. A message's promise settles only after
// its batch committed (or, while the database is unreachable, after it was appended to the local
// spool on disk); the MQTT edge sends the PUBACK then. The SQL is the store's (src/db/log-store.ts).
//
// A failed commit is the database's only when the database does not answer a probe; then the
// batch waits in the spool. Any other failure belongs to the batch: it is split in halves down to
// the one message that fails, which is kept as rejected with the error's own text, and the rest
// is stored. The spool replays through the same path, so no message can stop ingest, ever.
import type { Logger } from 'pino';
import type { CommitOptions, LogStore } from '../db/log-store.js';
import { toLogEvent } from '../logs/event.js';
import type { LogPubSub } from '../pubsub/index.js';
import type { ValidLog } from './payload.js';
import type { IngestCounters } from './counters.js';
import { topicType } from './topics.js';
import type { Spool, SpooledMessage } from './spool.js';

/** A message as received, with its verdict: a valid log to store, or a reason to keep it as rejected. */
export type WriteItem = { topic: string; payload: Uint8Array; receivedAt: Date } & (
  | { kind: 'log'; log: ValidLog }
  | { kind: 'rejected'; reason: string }
);

interface Pending {
  item: WriteItem;
  done: () => void;
  settled?: boolean;
}

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

type Attempt = { ok: true } | { ok: false; down: boolean; error: unknown };

const PROBE_MS = 1_000;
/** Tries of a batch after a failure the store calls transient (a deadlock, a dropped connection). */
const TRANSIENT_RETRIES = 2;
const RETRY_MS = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class LogWriter {
  private queue: Pending[] = [];
  private committing = 0;
  private draining: Promise<void> | undefined;
  /** False from a failed commit with the database silent until it answers again; /readyz reads it. */
  databaseUp = true;
  private probe: NodeJS.Timeout | undefined;
  private probing = false;
  private stopped = false;
  /** Ends the drain's wait for the database (it holds messages the spool cannot take). */
  private wake: (() => void) | undefined;
  private parkedWaiters: (() => void)[] = [];
  private spoolFull = false;
  private readonly acceptingListeners = new Set<() => void>();

  constructor(private readonly options: LogWriterOptions) {}

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

  /** Called whenever `accepting` turns true again; returns the unsubscribe. */
  onAccepting(listener: () => void): () => void {
    this.acceptingListeners.add(listener);
    return () => this.acceptingListeners.delete(listener);
  }

  /** Waits until everything written so far is committed or spooled, or held until the database answers. */
  async flush(): Promise<void> {
    while (this.draining && !this.wake) await Promise.race([this.draining, new Promise<void>((r) => this.parkedWaiters.push(r))]);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.probe);
    this.probe = undefined;
    this.wake?.();
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
        setTimeout(() => this.kick(), PROBE_MS * 5).unref();
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
      const committed = await this.settle(batch);
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
    for (const p of batch.slice(0, taken)) this.finish(p);
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
      if (!(await this.settle(pending.slice(i, i + this.options.maxBatch)))) {
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
    for (const listener of this.acceptingListeners) listener();
  }

  /** Commits `batch`, isolating any failure to the one message causing it. False: the database is away. */
  private async settle(batch: Pending[]): Promise<boolean> {
    const attempt = await this.attempt(batch);
    if (attempt.ok || attempt.down) return attempt.ok;
    if (batch.length === 1) return this.isolate(batch[0]!);
    const half = Math.ceil(batch.length / 2); // the first half first: ids commit in order
    return (await this.settle(batch.slice(0, half))) && (await this.settle(batch.slice(half)));
  }

  /** One commit, tried again after a transient failure; a failure with the database silent marks it down. */
  private async attempt(batch: Pending[], options?: CommitOptions): Promise<Attempt> {
    const { store } = this.options;
    for (let retry = 0; ; retry++) {
      try {
        await this.commit(batch, options);
        return { ok: true };
      } catch (error) {
        if (!(await store.reachable())) {
          this.markDown(error, batch.length);
          return { ok: false, down: true, error };
        }
        if (retry >= TRANSIENT_RETRIES || !store.explain(error).transient) return { ok: false, down: false, error };
        await sleep(RETRY_MS * 2 ** retry);
      }
    }
  }

  /**
   * A message that fails alone: a log is tried once without its rollup (which must never cost a
   * log), then kept as rejected with the error's own text. False: the database went away.
   */
  private async isolate(p: Pending): Promise<boolean> {
    const { logger, store, counters } = this.options;
    if (p.item.kind === 'log') {
      const bare = await this.attempt([p], { rollup: false });
      if (bare.ok) logger.error({ topic: p.item.topic }, 'log stored without its per-minute rollup, which failed');
      if (bare.ok || bare.down) return bare.ok;
      const { topic, payload, receivedAt } = p.item;
      p.item = { topic, payload, receivedAt, kind: 'rejected', reason: `not stored: ${store.explain(bare.error).reason}` };
    }
    const kept = await this.attempt([p]);
    if (kept.ok || kept.down) return kept.ok;
    logger.error({ err: kept.error, topic: p.item.topic }, 'message could not be stored in any form');
    counters.count('rejected', topicType(p.item.topic));
    this.finish(p);
    return true;
  }

  private async commit(batch: Pending[], options?: CommitOptions): Promise<void> {
    const logs = batch.flatMap((p) => (p.item.kind === 'log' ? [p.item.log] : []));
    const rejected = batch.flatMap((p) => (p.item.kind === 'rejected' ? [p.item] : []));
    const started = performance.now();
    const ids = await this.options.store.commit({ logs, rejected }, options);
    try {
      this.report(logs, ids, rejected, batch.length, started);
    } catch (err) {
      // Committed is committed: a failure past this point must not make the batch be tried again.
      this.options.logger.error({ err }, 'counting or publishing a committed batch failed');
    }
    for (const p of batch) this.finish(p);
  }

  private report(logs: ValidLog[], ids: (string | null)[], rejected: WriteItem[], size: number, started: number): void {
    const { counters, pubsub } = this.options;
    const events = logs.flatMap((log, i) => (ids[i] ? [toLogEvent({ ...log, id: ids[i] })] : []));
    for (const e of events) counters.count('stored', e.type);
    for (const [i, log] of logs.entries()) if (!ids[i]) counters.count('duplicate', log.type);
    for (const r of rejected) counters.count('rejected', topicType(r.topic));
    counters.onCommit(size, (performance.now() - started) / 1000);
    const now = Date.now();
    for (const e of events) counters.onStored((now - Date.parse(e.receivedAt)) / 1000);
    for (const event of events) pubsub.publish('log', event);
  }

  private finish(p: Pending): void {
    p.settled = true;
    p.done();
  }

  private markDown(error: unknown, batchSize: number): void {
    if (this.databaseUp) {
      this.options.logger.error({ err: error, backlog: this.queue.length + batchSize }, 'database unreachable; holding messages');
    }
    this.databaseUp = false;
    // Find out when it is back, also when no message arrives to try it.
    this.probe ??= setInterval(() => void this.tryDatabase(), PROBE_MS).unref();
  }

  private async tryDatabase(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    const up = await this.options.store.reachable().finally(() => (this.probing = false));
    if (!up || this.stopped) return;
    clearInterval(this.probe);
    this.probe = undefined;
    this.databaseUp = true;
    this.options.logger.info({ spooled: this.options.spool?.size ?? 0 }, 'database reachable again');
    this.wake?.();
    this.kick();
  }

  /** Holds the drain (and what it could not spool, unacknowledged) until the database answers. */
  private async untilDatabase(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      for (const r of this.parkedWaiters.splice(0)) r();
    });
    this.wake = undefined;
  }
}
