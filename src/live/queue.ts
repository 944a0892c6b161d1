// A bounded async queue: one per live subscriber. The hub pushes synchronously and never waits;
// a consumer that falls more than `capacity` events behind is ended with SlowConsumerError
// instead of growing the server's memory or delaying anyone else.

export class SlowConsumerError extends Error {
  constructor(capacity: number) {
    super(`subscriber fell more than ${capacity} events behind and was dropped; resume with after=<last id>`);
  }
}

export class BoundedQueue<T> implements AsyncIterableIterator<T> {
  private items: T[] = [];
  private head = 0;
  private waiter: ((r: IteratorResult<T>) => void) | undefined;
  private failWaiter: ((e: Error) => void) | undefined;
  private error: Error | undefined;
  private closed = false;

  constructor(
    private readonly capacity: number,
    private readonly onClose: () => void = () => {},
  ) {}

  /** True once the consumer was dropped for falling behind. */
  get failed(): boolean {
    return this.error !== undefined;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    if (this.closed || this.error) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = this.failWaiter = undefined;
      w({ value: item, done: false });
      return;
    }
    if (this.length >= this.capacity) return this.fail(new SlowConsumerError(this.capacity));
    this.items.push(item);
  }

  fail(error: Error): void {
    if (this.closed || this.error) return;
    this.error = error;
    this.items = [];
    this.head = 0;
    this.onClose();
    if (this.failWaiter) this.failWaiter(error);
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

  return(): Promise<IteratorResult<T>> {
    if (!this.closed) {
      this.closed = true;
      this.items = [];
      this.onClose();
      this.waiter?.({ value: undefined, done: true });
      this.waiter = this.failWaiter = undefined;
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
