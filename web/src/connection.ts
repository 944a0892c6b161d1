// The dashboard's two ways to the service: GraphQL queries over HTTP for the first picture, and
// one graphql-ws subscription for everything after it. The subscription always names the last
// log id it delivered, so a reconnect replays exactly what was missed (the server promises no
// gap and no duplicate after an `after` cursor).
import { print } from 'graphql';
import { createClient, type Client } from 'graphql-ws/client';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { LogsSubscription } from '../../client/operations.js';
import { authHeaders } from './auth.js';
import type { Log } from './types.js';

export type ConnState = 'connecting' | 'connected' | 'reconnecting' | 'unauthorized';

/** The service refused our token (or its absence): retrying cannot help, a person must act. */
export class UnauthorizedError extends Error {}

const printed = new WeakMap<object, string>();
function text(doc: TypedDocumentNode<any, any>): string {
  let s = printed.get(doc);
  if (!s) printed.set(doc, (s = print(doc)));
  return s;
}

/** GraphQL answered with errors; `messages` are theirs, for telling a missing field from a failure. */
export class GraphQLRequestError extends Error {
  constructor(readonly messages: string[], status: number) {
    super(messages[0] ?? `HTTP ${status}`);
  }
}

/** The service has no such field (yet): a view built on it stays hidden. */
export function isMissingField(err: unknown): boolean {
  return err instanceof GraphQLRequestError && err.messages.some((m) => /^Cannot query field|^Unknown argument|^Unknown type/.test(m));
}

/** One query over HTTP POST /graphql; GraphQL errors become a thrown GraphQLRequestError. */
export async function query<R, V>(doc: TypedDocumentNode<R, V>, variables: V): Promise<R> {
  return queryText<R>(text(doc), variables);
}

/** For operations not in client/operations.ts: those of fields the schema may not have yet. */
export async function queryText<R>(queryString: string, variables: unknown): Promise<R> {
  const res = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...authHeaders() },
    body: JSON.stringify({ query: queryString, variables }),
  });
  if (res.status === 401 || res.status === 403) throw new UnauthorizedError(`HTTP ${res.status}`);
  const body = (await res.json().catch(() => ({}))) as { data?: R; errors?: { message: string }[] };
  if (body.errors?.length || !body.data) throw new GraphQLRequestError(body.errors?.map((e) => e.message) ?? [], res.status);
  return body.data;
}

/** A subscription beside the log feed, (re)started on every connection. */
export interface Watch<T> {
  query: string;
  variables?: Record<string, unknown>;
  next(data: T): void;
  /** Called on each (re)subscription: what happened meanwhile is not replayed, so re-read it. */
  subscribed?(): void;
  /** The subscription failed for good (e.g. the field does not exist). */
  failed?(err: unknown): void;
}

export interface LiveFeed {
  /** Closes the socket at once, as a dropped network would; the feed reconnects by itself. */
  dropConnection(): void;
  lastId(): string;
  watch<T>(w: Watch<T>): void;
  stop(): void;
}

const PONG_TIMEOUT_MS = 5_000; // a half-open socket (sleeping laptop, lost Wi-Fi) never fires `close`

const AUTH_CLOSE_CODES = [4401, 4403]; // SPEC §7: no, bad or expired token; not allowed

export function startLiveFeed(o: { after: string; onLog: (log: Log) => void; onState: (s: ConnState) => void }): LiveFeed {
  let after = o.after;
  let everConnected = false;
  let socket: WebSocket | undefined;
  let pongTimer: ReturnType<typeof setTimeout> | undefined;
  let unsubscribe: (() => void) | undefined;
  let client = connect();
  const watches = new Watches(() => (socket ? client : undefined));

  function connect(): Client {
    return createClient({
      url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
      connectionParams: () => authHeaders(),
      lazy: false, // the connection, not the subscription, owns the lifecycle: we resubscribe per connection
      retryAttempts: Infinity,
      shouldRetry: () => true, // an operator's screen should come back by itself, whatever broke
      retryWait: (n) => new Promise((r) => setTimeout(r, Math.min(500 * 2 ** n, 8_000) + Math.random() * 500)),
      keepAlive: 10_000,
      // Only closes graphql-ws deems fatal get here (4401/4403, 4400, 4500…): the client stops.
      onNonLazyError: (err) => {
        console.warn('graphql-ws gave up', err);
        const code = (err as { code?: unknown } | null)?.code;
        if (typeof code === 'number' && AUTH_CLOSE_CODES.includes(code)) return o.onState('unauthorized');
        // Anything else may pass (a restarting server, a proxy): start over with a new client.
        o.onState('reconnecting');
        setTimeout(() => (client = connect()), 5_000);
      },
      on: {
        connecting: () => o.onState(everConnected ? 'reconnecting' : 'connecting'),
        connected: (s) => {
          socket = s as WebSocket;
          everConnected = true;
          o.onState('connected');
          subscribe();
          watches.startAll();
        },
        closed: () => {
          socket = undefined;
          clearTimeout(pongTimer);
          // graphql-ws would resend the old payload (the first `after`); we resubscribe on `connected`.
          stopSubscription();
          watches.stopAll();
          if (everConnected) o.onState('reconnecting');
        },
        ping: (received) => {
          if (received) return;
          clearTimeout(pongTimer);
          pongTimer = setTimeout(() => socket?.close(4408, 'Pong timeout'), PONG_TIMEOUT_MS);
        },
        pong: (received) => {
          if (received) clearTimeout(pongTimer);
        },
      },
    });
  }

  function stopSubscription() {
    const u = unsubscribe;
    unsubscribe = undefined;
    u?.();
  }

  function subscribe() {
    stopSubscription();
    const ended = (err: unknown) => {
      if (unsubscribe !== dispose) return; // we ended it ourselves (socket closed, resubscribed)
      unsubscribe = undefined;
      if (err) console.warn('live log subscription ended, resuming', err);
      setTimeout(() => socket && !unsubscribe && subscribe(), 1_000);
    };
    const dispose = client.subscribe<{ logs: Log }>(
      { query: text(LogsSubscription), variables: { after } },
      {
        next: ({ data }) => {
          if (!data?.logs) return;
          after = data.logs.id;
          o.onLog(data.logs);
        },
        // The server ends a subscriber that fell too far behind; resuming from `after` loses nothing.
        error: (err) => ended(err),
        complete: () => ended(undefined),
      },
    );
    unsubscribe = dispose;
  }

  return {
    dropConnection: () => client.terminate(),
    lastId: () => after,
    watch: (w) => watches.add(w),
    stop: () => {
      stopSubscription();
      watches.stopAll();
      void client.dispose();
    },
  };
}

/** Subscriptions beside the log feed: each started on every connection, ended when it closes. */
class Watches {
  private readonly active = new Map<Watch<any>, (() => void) | undefined>();

  constructor(private readonly connectedClient: () => Client | undefined) {}

  add<T>(w: Watch<T>): void {
    this.active.set(w, undefined);
    if (this.connectedClient()) this.start(w);
  }

  startAll(): void {
    for (const w of this.active.keys()) this.start(w);
  }

  stopAll(): void {
    for (const [w, dispose] of this.active) {
      this.active.set(w, undefined);
      dispose?.();
    }
  }

  private start<T>(w: Watch<T>): void {
    const client = this.connectedClient();
    if (!client) return;
    this.active.get(w)?.();
    const ended = (err: unknown) => {
      if (this.active.get(w) !== dispose) return; // ended by us
      this.active.set(w, undefined);
      const messages = Array.isArray(err) ? err.map((e: { message?: string }) => String(e?.message)) : [];
      if (isMissingField(new GraphQLRequestError(messages, 200))) {
        this.active.delete(w);
        return w.failed?.(err);
      }
      if (err) console.warn('subscription ended, resuming', err);
      setTimeout(() => this.active.has(w) && !this.active.get(w) && this.start(w), 1_000);
    };
    const dispose = client.subscribe<T>(
      { query: w.query, variables: w.variables ?? {} },
      { next: ({ data }) => data && w.next(data), error: ended, complete: () => ended(undefined) },
    );
    this.active.set(w, dispose);
    w.subscribed?.();
  }
}
