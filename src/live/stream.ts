// The one way to open a live log stream: filtered, and resumable — replay what is stored after
// `after`, then go on live, with no gap and no duplicate. Both sockets and SSE read it.
//
// Why it holds: the hub listener is registered *before* each replay query. A log committed
// before the query is in its result; one committed after is published after its commit, so it
// reaches the listener. Live events with an id the replay already covered are skipped. Ids are
// committed in order (the writer's advisory lock), so "id <= last replayed" means "seen".
// If live events overflow the queue during a long replay, the queue is dropped and the replay
// simply reads further: everything published is also in the database. So a replay is always
// whole; the subscriber's lag policy and maxRate (SPEC §9) apply to what comes live after it.
import type { LogEvent } from '../logs/event.js';
import { Backpressure, NO_COUNTERS, type LagCounters, type LagPolicy } from './backpressure.js';
import { LOG_CONFLATION, logBytes, type LiveLog } from './conflation.js';
import { matches, type LogFilter } from './filter.js';
import type { LogHub } from './hub.js';
import { LiveQueue } from './queue.js';
import { RateLimiter } from './rate.js';

export interface ReplaySource {
  /** Stored logs matching the filter with id > afterId, oldest first, at most `limit`. */
  logsAfter(filter: LogFilter, afterId: string, limit: number): Promise<LogEvent[]>;
}

/** What the stream needs of the hub: a synchronous listener, removable. */
export type LiveSource = Pick<LogHub, 'listen'>;

export interface LiveOptions {
  filter: LogFilter;
  /** Resume after this log id (exclusive, a parsed decimal id); undefined = live only. */
  after?: string;
  /** Bounds the live events waiting for the reader (default: the shared limits, no transport). */
  backpressure?: Backpressure;
  /** What a reader that falls behind live gets (default: ended, `close`). */
  onLag?: LagPolicy;
  /** At most this many live logs per second per (vehicle, type, sensor), newest wins. */
  maxRate?: number;
  counters?: LagCounters;
}

export const REPLAY_PAGE = 500;

export function openLive(hub: LiveSource, source: ReplaySource, o: LiveOptions): AsyncIterableIterator<LiveLog> {
  const backpressure = o.backpressure ?? new Backpressure();
  const counters = o.counters ?? NO_COUNTERS;
  const conflation = o.onLag === 'conflate' ? LOG_CONFLATION : undefined;
  const listen = (replaying: boolean) => {
    // While it replays, a reader that falls behind live is not counted: the replay reads on from the database.
    const lag = replaying ? { sizeOf: logBytes } : { conflation, counters, sizeOf: logBytes };
    const q: LiveQueue<LiveLog> = new LiveQueue<LiveLog>(backpressure, () => (unlisten(), rate?.stop()), undefined, lag);
    const rate = o.maxRate === undefined ? undefined : new RateLimiter(o.maxRate, (e) => q.push(e), counters);
    const unlisten = hub.listen((e) => matches(o.filter, e) && (rate ? rate.push(e) : q.push(e)));
    return q;
  };
  let queue = listen(o.after !== undefined);
  let closed = false;

  async function* run(): AsyncGenerator<LiveLog> {
    let last = o.after === undefined ? undefined : BigInt(o.after);
    if (last !== undefined) {
      for (;;) {
        const page = await source.logsAfter(o.filter, String(last), REPLAY_PAGE);
        if (closed) return;
        for (const e of page) yield e;
        if (page.length > 0) last = BigInt(page[page.length - 1]!.id);
        if (page.length === REPLAY_PAGE) continue;
        if (!queue.failed) break;
        queue = listen(true); // fell behind during the replay: listen again and read on from the database
      }
      if (conflation) queue.conflateWith(conflation);
    }
    for (;;) {
      const { value, done } = await queue.next();
      if (done) return;
      if (last !== undefined && BigInt(value.id) <= last) continue;
      yield value;
    }
  }

  const gen = run();
  return {
    next: () => gen.next(),
    // End the queue first: a generator parked on `await queue.next()` would otherwise not see
    // return() until the next event arrived (an idle subscription would leak).
    return: async () => {
      closed = true;
      await queue.return();
      return gen.return(undefined);
    },
    throw: (e) => gen.throw(e),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
