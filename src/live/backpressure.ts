// The one backpressure policy of the live path, shared by every socket kind (Signal K's
// BackpressureManager habit): a subscriber lags once its transport holds more than
// `maxBufferedBytes` unsent, or more than `maxQueuedEvents` events wait for it. What happens then
// is decided in one place, LiveQueue's `lagged` (queue.ts); today that ends the subscriber
// (legacy close 1013, a GraphQL error), and issue 14's conflation replaces it there.

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
  constructor(why: string) {
    super(`subscriber fell behind (${why}) and was dropped; resume with after=<last id>`);
  }
}

export class Backpressure {
  constructor(
    readonly transport: Transport = NO_TRANSPORT,
    readonly limits: LagLimits = DEFAULT_LAG_LIMITS,
  ) {}

  /** Why a subscriber with `queued` events waiting lags, or undefined while it keeps up. */
  lag(queued: number): string | undefined {
    const bytes = this.transport.bufferedBytes;
    if (bytes > this.limits.maxBufferedBytes) return `more than ${this.limits.maxBufferedBytes} bytes unsent`;
    if (queued >= this.limits.maxQueuedEvents) return `more than ${this.limits.maxQueuedEvents} events waiting`;
    return undefined;
  }
}
