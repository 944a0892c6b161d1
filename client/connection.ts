// One graphql-ws connection that keeps coming back. graphql-ws reconnects by itself, but it
// re-sends each subscription with the variables it was first given (issue 14: Apollo and urql
// lost or repeated logs after a restart), and it gives up for good on some closes (4401 after a
// token expired, 4400, 4500). So this file owns the connection — lazy: false, a fresh graphql-ws
// client when one gives up — and tells its owner when a socket is ready and when it closed; the
// owner (client/index.ts) then stops and restarts its operations with their own cursors.
import { createClient, type Client } from 'graphql-ws/client';
import { connectionParamsFor, TokenRenewal, type TokenSource } from './token.js';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'stopped';

/** A socket's close, as graphql-ws reports it (a CloseEvent in browsers, its look-alike from 'ws'). */
export interface CloseInfo {
  code: number;
  reason: string;
}

export interface ConnectionOptions {
  /** graphql-ws endpoint, e.g. `ws://localhost:8000/graphql`. */
  url: string;
  /** The application's token, asked on every (re)connect; sent as `connectionParams.authorization`. */
  token?: TokenSource;
  /** Renew the token this long (ms) before it expires, over the open socket (SPEC §9 `renewToken`). */
  renewBeforeMs?: number;
  /** Node 20 has no global WebSocket: pass `WebSocket` from 'ws'. Browsers need nothing. */
  webSocketImpl?: unknown;
  /** Wait before reconnect attempt `retries` (0 first). Default: 0.5 s doubling to 8 s, plus jitter. */
  retryWait?: (retries: number) => Promise<void>;
  /** Whether to reconnect after this close. Default: always (an operator's screen comes back by itself). */
  shouldRetry?: (close: CloseInfo) => boolean;
  /** Ping every this many ms and drop a socket whose pong is that late (a half-open socket never closes). */
  keepAliveMs?: number;
  /** Every change of state; `close` when a socket closed. */
  onState?: (state: ConnectionState, close?: CloseInfo) => void;
}

export interface ConnectionEvents {
  connected(client: Client): void;
  closed(close: CloseInfo | undefined): void;
  /** `shouldRetry` said no: nothing will reconnect. */
  stopped(reason: unknown): void;
}

const defaultRetryWait = (retries: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, Math.min(500 * 2 ** retries, 8_000) + Math.random() * 500));

export const isCloseLike = (value: unknown): value is CloseInfo =>
  typeof value === 'object' && value !== null && typeof (value as CloseInfo).code === 'number' && 'reason' in value;

// graphql-ws's dispose awaits a socket still connecting, and rejects if that one fails (the
// server is down): nothing is left to clean up then, and nobody must hear of it.
function disposeQuietly(client: Client | undefined): void {
  Promise.resolve(client?.dispose()).catch(() => {});
}

export class Connection {
  private client: Client | undefined; // the current graphql-ws client, while one is wanted
  private generation = 0; // of `client`: events of a replaced or stopped one are not heard
  private open: Client | undefined; // the same, while its socket is acknowledged
  private token: string | undefined; // the one the current socket was opened with
  private everConnected = false;
  private replacements = 0; // graphql-ws clients given up on since the last acknowledged socket
  private pongTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly renewal: TokenRenewal;
  state: ConnectionState = 'connecting';

  constructor(private readonly options: ConnectionOptions, private readonly events: ConnectionEvents) {
    this.renewal = new TokenRenewal(options.token, options.renewBeforeMs);
  }

  /** The client of an acknowledged socket, if there is one now. */
  get connected(): Client | undefined {
    return this.open;
  }

  start(): void {
    if (!this.client) this.client = this.create(++this.generation);
  }

  stop(): void {
    const client = this.client;
    this.generation++;
    this.client = this.open = undefined;
    this.renewal.cancel();
    clearTimeout(this.pongTimer);
    disposeQuietly(client);
  }

  /** Drops the socket as a lost network would; the connection comes back by itself. */
  terminate(): void {
    this.client?.terminate();
  }

  // lazy: false connects inside createClient, so its first events come before `client` is
  // assigned: they are matched by generation, not by client.
  private create(generation: number): Client {
    const { options } = this;
    const retryWait = options.retryWait ?? defaultRetryWait;
    const shouldRetry = (e: unknown) => !isCloseLike(e) || (options.shouldRetry?.(e) ?? true);
    const client: Client = createClient({
      url: options.url,
      webSocketImpl: options.webSocketImpl,
      lazy: false, // the connection lives while operations want it, not per operation
      retryAttempts: Infinity,
      retryWait,
      shouldRetry,
      keepAlive: options.keepAliveMs ?? 0,
      connectionParams: async () => {
        this.token = await options.token?.();
        return connectionParamsFor(this.token);
      },
      onNonLazyError: (err) => void this.gaveUp(generation, err, shouldRetry(err), retryWait),
      on: {
        connecting: () => this.current(generation) && this.setState(this.everConnected ? 'reconnecting' : 'connecting'),
        connected: () => this.current(generation) && this.acknowledged(client),
        closed: (event) => this.current(generation) && this.closed(isCloseLike(event) ? event : undefined),
        ping: (received) => !received && this.current(generation) && this.awaitPong(client, generation),
        pong: (received) => received && clearTimeout(this.pongTimer),
      },
    });
    return client;
  }

  private current(generation: number): boolean {
    return generation === this.generation;
  }

  private acknowledged(client: Client): void {
    this.everConnected = true;
    this.replacements = 0;
    this.open = client;
    this.renewal.schedule(client, this.token);
    // Operations first: whoever hears 'connected' may rely on them running on this socket.
    this.events.connected(client);
    this.setState('connected');
  }

  private closed(close: CloseInfo | undefined): void {
    this.open = undefined;
    this.renewal.cancel();
    clearTimeout(this.pongTimer);
    this.events.closed(close);
    this.setState(this.everConnected ? 'reconnecting' : 'connecting', close);
  }

  private awaitPong(client: Client, generation: number): void {
    clearTimeout(this.pongTimer);
    this.pongTimer = setTimeout(() => this.current(generation) && client.terminate(), this.options.keepAliveMs);
  }

  /** graphql-ws stopped reconnecting: start a fresh client after a wait, unless told not to. */
  private async gaveUp(generation: number, reason: unknown, retry: boolean, retryWait: (n: number) => Promise<void>): Promise<void> {
    if (!this.current(generation)) return;
    disposeQuietly(this.client);
    if (!retry) {
      this.stop();
      this.setState('stopped', isCloseLike(reason) ? reason : undefined);
      return this.events.stopped(reason);
    }
    await retryWait(this.replacements++);
    if (this.current(generation)) this.client = this.create(++this.generation);
  }

  private setState(state: ConnectionState, close?: CloseInfo): void {
    this.state = state;
    this.options.onState?.(state, close);
  }
}
