// The one buffer between the hub (which pushes synchronously and never waits) and a subscriber.
// A subscriber pulls at its own pace (GraphQL: next()), or hands each item straight to its
// socket (a `sink`: the legacy socket, where nothing needs to wait here). Either way its bound
// is the backpressure policy (backpressure.ts), and a subscriber that lags is dealt with in one
// place, `lagged`, instead of growing the server's memory or delaying anyone else.
import { Backpressure, SlowConsumerError } from './backpressure.js';

export class LiveQueue<T> implements AsyncIterableIterator<T> {
  private items: T[] = [];
  private head = 0;
  private waiter: ((r: IteratorResult<T>) => void) | undefined;
  private failWaiter: ((e: Error) => void) | undefined;
  private error: Error | undefined;
  private closed = false;

  constructor(
    private readonly backpressure: Backpressure = new Backpressure(),
    /** Runs once when the queue stops taking items: returned, or failed (see `failed`). */
    private readonly onClose: () => void = () => {},
    /** Takes each item at once, while the subscriber keeps up; then nothing is read with next().
     * A sink that returns false declines the item: it and every later one are read with next(). */
    private sink?: (item: T) => unknown,
  ) {}

  /** True once the subscriber was dropped (lagged, or failed by its source). */
  get failed(): boolean {
    return this.error !== undefined;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    if (this.closed || this.error) return;
    const lag = this.backpressure.lag(this.length);
    if (lag !== undefined) return this.lagged(lag);
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
  }

  /**
   * What a lagging subscriber gets: today it is ended. Issue 14's conflation goes here — keep the
   * newest item per key in `items` and, for a sink, hand them over once the transport drained.
   */
  private lagged(why: string): void {
    this.fail(new SlowConsumerError(why));
  }

  fail(error: Error): void {
    if (this.closed || this.error) return;
    this.error = error;
    this.items = [];
    this.head = 0;
    this.onClose();
    this.failWaiter?.(error);
    this.waiter = this.failWaiter = undefined;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.length > 0) {
      const value = this.items[this.head]!;
      // Drop our reference now: a delivered event must not stay in memory until compaction.
      (this.items as (T | undefined)[])[this.head++] = undefined;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.error) return Promise.reject(this.error);
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = resolve;
      this.failWaiter = reject;
    });
  }

  /** Ends the queue; a consumer parked in next() gets `done` at once. */
  return(): Promise<IteratorResult<T>> {
    if (!this.closed) {
      this.closed = true;
      this.items = [];
      this.head = 0;
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
