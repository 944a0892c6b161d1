// The one backpressure policy of the live path, shared by every socket kind (Signal K's
// BackpressureManager habit): a subscriber lags once its transport holds more than
// `maxBufferedBytes` unsent, or more than `maxQueuedEvents` events wait for it. What happens then
// is decided in one place, LiveQueue's `lagged` (queue.ts), by the subscriber's LagPolicy:
// `close` ends it (legacy close 1013, a GraphQL error); `conflate` keeps only the newest state
// per key of what it has not been sent yet (conflation.ts), within the same two bounds.

/** What the policy reads of a socket: the bytes handed to it and not yet sent. */
export interface Transport {
  readonly bufferedBytes: number;
}

/** A `ws` WebSocket as a transport. */
export const socketTransport = (ws: { readonly bufferedAmount: number }): Transport => ({
  get bufferedBytes() {
    return ws.bufferedAmount;
  },
});

/** Where the unsent bytes cannot be seen (SSE through yoga's response stream), or do not pile up. */
export const NO_TRANSPORT: Transport = { bufferedBytes: 0 };

/** What a lagging subscriber asked for (SPEC §9): `onLag: CONFLATE | CLOSE`, `?on_lag=conflate|close`. */
export type LagPolicy = 'conflate' | 'close';

/** Where the live path reports what it skipped and who lags (stats, /metrics). */
export interface LagCounters {
  /** Events not sent to a subscriber because a newer one of the same key replaced them. */
  skipped(reason: SkipReason, n: number): void;
  /** A subscriber started (+1) or stopped (-1) lagging. */
  lagging(delta: 1 | -1): void;
  /** A subscriber was ended for falling behind (CLOSE, or past the bounds even conflated). */
  dropped(): void;
  /** What lagging subscribers' backlogs hold grew (or, negative, shrank) by this many events and bytes. */
  held(events: number, bytes: number): void;
}

export type SkipReason = 'conflated' | 'max_rate';

export const NO_COUNTERS: LagCounters = { skipped: () => {}, lagging: () => {}, dropped: () => {}, held: () => {} };

export interface LagLimits {
  maxBufferedBytes: number;
  maxQueuedEvents: number;
}

export const DEFAULT_LAG_LIMITS: LagLimits = {
  // A few seconds of a busy fleet on a slow link; past it the client is not catching up.
  maxBufferedBytes: 4 * 1024 * 1024,
  // Events, not bytes: the memory a subscriber may hold the server to while its socket drains.
  maxQueuedEvents: 10_000,
};

export class SlowConsumerError extends Error {
  /** Set once a queue with counters counted it (count-subscriptions.ts counts the others). */
  counted = false;
  constructor(why: string) {
    super(`subscriber fell behind (${why}) and was dropped; resume with after=<last id>`);
  }
}

export class Backpressure {
  constructor(
    readonly transport: Transport = NO_TRANSPORT,
    readonly limits: LagLimits = DEFAULT_LAG_LIMITS,
  ) {}

  /**
   * Why a subscriber with `queued` events waiting lags, or undefined while it keeps up. Unsent
   * bytes are its transport's plus `queuedBytes`, those of the events waiting in its queue: a
   * subscriber read through a backpressured stream (SSE) piles them up there, not in a socket.
   */
  lag(queued: number, queuedBytes = 0): string | undefined {
    const bytes = this.transport.bufferedBytes + queuedBytes;
    if (bytes > this.limits.maxBufferedBytes) return `more than ${this.limits.maxBufferedBytes} bytes unsent`;
    if (queued >= this.limits.maxQueuedEvents) return `more than ${this.limits.maxQueuedEvents} events waiting`;
    return undefined;
  }
}
