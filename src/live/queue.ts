// The one buffer between the hub (which pushes synchronously and never waits) and a subscriber.
// A subscriber pulls at its own pace (GraphQL: next()), or hands each item straight to its
// socket (a `sink`: the legacy socket, where nothing needs to wait here). Either way its bound
// is the backpressure policy (backpressure.ts), and a subscriber that lags is dealt with in one
// place, `lagged`, instead of growing the server's memory or delaying anyone else: ended, or —
// with a Conflation (onLag: CONFLATE) — given a Backlog that keeps only the newest item per key
// until it has caught up (conflation.ts).
import { Backpressure, NO_COUNTERS, SlowConsumerError, type LagCounters } from './backpressure.js';
import { Backlog, type Conflation } from './conflation.js';

/** What a queue does once its subscriber lags, and where it says so. */
export interface LagHandling<T> {
  /** Conflate instead of ending the subscriber (onLag: CONFLATE); absent: it is ended (CLOSE). */
  conflation?: Conflation<T>;
  counters?: LagCounters;
  /** About the bytes an item holds: waiting items count as unsent bytes too. Absent: only events are counted. */
  sizeOf?: (item: T) => number;
}

// How often a sink's transport is looked at while its subscriber lags: `ws` reports no drain,
// and a lagging socket needs no more than a few looks a second to be fed again.
const DRAIN_CHECK_MS = 25;

export class LiveQueue<T> implements AsyncIterableIterator<T> {
  private items: T[] = [];
  private head = 0;
  private waiter: ((r: IteratorResult<T>) => void) | undefined;
  private failWaiter: ((e: Error) => void) | undefined;
  private error: Error | undefined;
  /** The reader was given the error: from then on the queue is done, as an async generator is after it threw. */
  private errorTaken = false;
  private closed = false;
  /** Set while a conflated subscriber lags: what it has not been sent, newest per key. */
  private backlog: Backlog<T> | undefined;
  private drainTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly backpressure: Backpressure = new Backpressure(),
    /** Runs once when the queue stops taking items: returned, or failed (see `failed`). */
    private readonly onClose: () => void = () => {},
    /** Takes each item at once, while the subscriber keeps up; then nothing is read with next().
     * A sink that returns false declines the item: it and every later one are read with next(). */
    private sink?: (item: T) => unknown,
    lag: LagHandling<T> = {},
  ) {
    this.conflation = lag.conflation;
    this.counters = lag.counters ?? NO_COUNTERS;
    this.sizeOf = lag.sizeOf;
  }

  private conflation: Conflation<T> | undefined;
  private readonly counters: LagCounters;
  private readonly sizeOf: ((item: T) => number) | undefined;
  /** About the bytes of the items waiting in `items`. */
  private queuedBytes = 0;

  /** From now on a lag conflates instead of ending the subscriber (a resumed stream, once replayed). */
  conflateWith(conflation: Conflation<T>): void {
    this.conflation = conflation;
  }

  /** True once the subscriber was dropped (lagged, or failed by its source). */
  get failed(): boolean {
    return this.error !== undefined;
  }

  /** True while a conflated subscriber lags and has a backlog. */
  get lagging(): boolean {
    return this.backlog !== undefined;
  }

  /** Items waiting for the subscriber (its backlog included). */
  get length(): number {
    return this.items.length - this.head + (this.backlog?.size ?? 0);
  }

  /** What the backlog holds, in items and (about) bytes; zeros while the subscriber keeps up. */
  get held(): { events: number; bytes: number } {
    return { events: this.backlog?.size ?? 0, bytes: this.backlog?.bytes ?? 0 };
  }

  push(item: T): void {
    if (this.closed || this.error) return;
    if (this.backlog) return this.hold(item);
    const lag = this.backpressure.lag(this.length, this.queuedBytes);
    if (lag !== undefined) return this.lagged(lag, item);
    this.deliver(item);
  }

  /** To the sink, a parked reader, or the queue, in that order. */
  private deliver(item: T): void {
    if (this.sink) {
      if (this.sink(item) !== false) return;
      this.sink = undefined;
    }
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = this.failWaiter = undefined;
      w({ value: item, done: false });
      return;
    }
    this.items.push(item);
    if (this.sizeOf) this.queuedBytes += this.sizeOf(item);
  }

  /** A subscriber that lags is ended, or — conflated — given a backlog of what it was not sent. */
  private lagged(why: string, item: T): void {
    if (!this.conflation) return this.drop(new SlowConsumerError(why));
    const backlog = new Backlog(this.conflation, this.backpressure.limits, this.counters);
    this.backlog = backlog;
    this.counters.lagging(1);
    let within = true;
    for (let i = this.head; i < this.items.length; i++) within = backlog.add(this.items[i]!) && within;
    this.items = [];
    this.head = 0;
    this.queuedBytes = 0;
    if (!within) return this.overflow(why);
    this.hold(item, why);
  }

  private hold(item: T, why = 'lagging'): void {
    if (!this.backlog!.add(item)) return this.overflow(why);
    if (this.sink) this.drainTimer ??= setTimeout(this.drain, DRAIN_CHECK_MS).unref();
    else if (this.waiter) this.deliver(this.takeHeld()!); // a parked reader takes what it can at once
  }

  private overflow(why: string): void {
    const { maxQueuedEvents, maxBufferedBytes } = this.backpressure.limits;
    this.drop(new SlowConsumerError(`${why}; still more than ${maxQueuedEvents} events or ${maxBufferedBytes} bytes once conflated`));
  }

  /** Ended for falling behind: counted now, not when (if ever) its reader asks for more. */
  private drop(error: SlowConsumerError): void {
    if (this.counters !== NO_COUNTERS) {
      this.counters.dropped();
      error.counted = true;
    }
    this.fail(error);
  }

  /** The backlog's oldest item; the subscriber has caught up once the backlog is empty. */
  private takeHeld(): T | undefined {
    const item = this.backlog?.take();
    if (this.backlog && this.backlog.size === 0) this.endBacklog();
    return item;
  }

  private endBacklog(): void {
    if (!this.backlog) return;
    this.backlog.clear();
    this.backlog = undefined;
    this.counters.lagging(-1);
    clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
  }

  /** A sink's backlog is sent while its transport has room again. */
  private readonly drain = (): void => {
    this.drainTimer = undefined;
    while (this.backlog && this.sink && this.backpressure.lag(0) === undefined) this.deliver(this.takeHeld()!);
    if (this.backlog && this.sink) this.drainTimer = setTimeout(this.drain, DRAIN_CHECK_MS).unref();
  };

  fail(error: Error): void {
    if (this.closed || this.error) return;
    this.error = error;
    this.clear();
    this.onClose();
    if (this.failWaiter) this.errorTaken = true;
    this.failWaiter?.(error);
    this.waiter = this.failWaiter = undefined;
  }

  private clear(): void {
    this.endBacklog();
    this.items = [];
    this.head = 0;
    this.queuedBytes = 0;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > this.head) {
      const value = this.items[this.head]!;
      // Drop our reference now: a delivered event must not stay in memory until compaction.
      (this.items as (T | undefined)[])[this.head++] = undefined;
      if (this.sizeOf) this.queuedBytes -= this.sizeOf(value);
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.backlog) return Promise.resolve({ value: this.takeHeld()!, done: false });
    // yoga turns a rejected next() into an error result and asks again: a second rejection would loop.
    if (this.error && !this.errorTaken) {
      this.errorTaken = true;
      return Promise.reject(this.error);
    }
    if (this.error || this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = resolve;
      this.failWaiter = reject;
    });
  }

  /** Ends the queue; a consumer parked in next() gets `done` at once. */
  return(): Promise<IteratorResult<T>> {
    if (!this.closed) {
      this.closed = true;
      this.clear();
      if (!this.error) this.onClose();
      this.waiter?.({ value: undefined, done: true });
      this.waiter = this.failWaiter = undefined;
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Ends the queue and rejects with `error` (an async generator's throw, for graphql's types). */
  async throw(error: unknown): Promise<IteratorResult<T>> {
    await this.return();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
