// Committing a batch so that no message can fail another (SPEC §8). A failure is the
// database's only when the database does not answer a probe (`select 1`); any other failure —
// PostgreSQL refusing a value, a serialiser throwing — belongs to the batch: it is
// split in halves down to the one message that fails, which is kept as rejected with the error's
// own text, and the rest is stored. A poison message costs about 2·log2(batch) commits.
import type { Logger } from 'pino';
import type { LogStore } from '../db/log-store.js';
import { toLogEvent } from '../logs/event.js';
import type { LogPubSub } from '../pubsub/index.js';
import type { IngestCounters } from './counters.js';
import type { WriteItem } from './item.js';
import type { ValidLog } from './payload.js';
import { topicType } from './topics.js';

/** A message waiting to be committed; `done` settles its promise (the PUBACK goes out then). */
export interface Pending {
  item: WriteItem;
  done: () => void;
  settled?: boolean;
}

export function finish(p: Pending): void {
  p.settled = true;
  p.done();
}

type Attempt = { ok: true } | { ok: false; down: boolean; error: unknown };

/** Tries of a batch after a failure the store calls transient (a deadlock, a dropped connection). */
const TRANSIENT_RETRIES = 2;
const RETRY_MS = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class BatchCommitter {
  constructor(
    private readonly o: {
      store: LogStore;
      pubsub: LogPubSub;
      counters: IngestCounters;
      logger: Logger;
      /** A commit failed and the database did not answer the probe. */
      onDown: (error: unknown, batchSize: number) => void;
    },
  ) {}

  /** Commits `batch`, isolating any failure to the one message causing it. False: the database is away. */
  async settle(batch: Pending[]): Promise<boolean> {
    const attempt = await this.attempt(batch);
    if (attempt.ok || attempt.down) return attempt.ok;
    if (batch.length === 1) return this.isolate(batch[0]!, attempt.error);
    const half = Math.ceil(batch.length / 2); // the first half first: ids commit in order
    return (await this.settle(batch.slice(0, half))) && (await this.settle(batch.slice(half)));
  }

  /** One commit, tried again after a transient failure; a failure with the database silent marks it down. */
  private async attempt(batch: Pending[]): Promise<Attempt> {
    const { store } = this.o;
    for (let retry = 0; ; retry++) {
      try {
        await this.commit(batch);
        return { ok: true };
      } catch (error) {
        if (!(await store.reachable())) {
          this.o.onDown(error, batch.length);
          return { ok: false, down: true, error };
        }
        if (retry >= TRANSIENT_RETRIES || !store.explain(error).transient) return { ok: false, down: false, error };
        await sleep(RETRY_MS * 2 ** retry);
      }
    }
  }

  /** A message that fails alone is kept as rejected with the error's own text. False: the database went away. */
  private async isolate(p: Pending, failure: unknown): Promise<boolean> {
    const { logger, store, counters } = this.o;
    if (p.item.kind === 'log') {
      const { topic, payload, receivedAt } = p.item;
      p.item = { topic, payload, receivedAt, kind: 'rejected', reason: `not stored: ${store.explain(failure).reason}` };
    }
    const kept = await this.attempt([p]);
    if (kept.ok || kept.down) return kept.ok;
    logger.error({ err: kept.error, topic: p.item.topic }, 'message could not be stored in any form');
    counters.count('rejected', topicType(p.item.topic));
    finish(p);
    return true;
  }

  private async commit(batch: Pending[]): Promise<void> {
    const logs = batch.flatMap((p) => (p.item.kind === 'log' ? [p.item.log] : []));
    const rejected = batch.flatMap((p) => (p.item.kind === 'rejected' ? [p.item] : []));
    const started = { at: Date.now(), mono: performance.now() };
    const ids = await this.o.store.commit({ logs, rejected });
    try {
      this.report(logs, ids, rejected, batch.length, started);
    } catch (err) {
      // Committed is committed: a failure past this point must not make the batch be tried again.
      this.o.logger.error({ err }, 'counting or publishing a committed batch failed');
    }
    for (const p of batch) finish(p);
  }

  /** Counts the batch, publishes its stored logs in id order, and times each stored log's hops. */
  private report(logs: ValidLog[], ids: (string | null)[], rejected: WriteItem[], size: number, started: { at: number; mono: number }): void {
    const { counters, pubsub } = this.o;
    const committed = performance.now();
    const commitSeconds = (committed - started.mono) / 1000;
    const events = logs.flatMap((log, i) => (ids[i] ? [toLogEvent({ ...log, id: ids[i] })] : []));
    for (const e of events) counters.count('stored', e.type);
    for (const [i, log] of logs.entries()) if (!ids[i]) counters.count('duplicate', log.type);
    for (const r of rejected) counters.count('rejected', topicType(r.topic));
    counters.onCommit(size, commitSeconds);
    for (const event of events) {
      counters.onPublished(event);
      pubsub.publish('log', event);
    }
    const publishSeconds = (performance.now() - committed) / 1000;
    const now = Date.now();
    for (const e of events) {
      const received = Date.parse(e.receivedAt);
      counters.onStored((now - received) / 1000);
      counters.onHop('queued', Math.max(0, started.at - received) / 1000);
      counters.onHop('commit', commitSeconds);
      counters.onHop('publish', publishSeconds);
    }
  }
}
