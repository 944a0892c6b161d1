// The dashboard's two ways to the service: GraphQL queries over HTTP for the first picture, and
// the project's resuming client (client/) over graphql-ws for everything after it. The client
// resumes the log subscription after every reconnect from the last id it delivered and drops
// duplicates, so a reconnect replays exactly what was missed.
import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { createSeanoClient, type SeanoClient } from '../../client/index.js';
import { LogsSubscription } from '../../client/operations.js';
import { authHeaders, token } from './auth.js';
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

const KEEP_ALIVE_MS = 10_000; // a half-open socket (sleeping laptop, lost Wi-Fi) never fires `close`

const AUTH_CLOSE_CODES = [4401, 4403]; // SPEC §7: no, bad or expired token; not allowed

export function startLiveFeed(o: { after: string; onLog: (log: Log) => void; onState: (s: ConnState) => void }): LiveFeed {
  let after = o.after;
  const client = createSeanoClient({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
    token: () => token,
    retryWait: (n) => new Promise((r) => setTimeout(r, Math.min(500 * 2 ** n, 8_000) + Math.random() * 500)),
    keepAliveMs: KEEP_ALIVE_MS,
    // The token is read once at load: after 4401/4403 retrying cannot help, a person must act.
    shouldRetry: (close) => !AUTH_CLOSE_CODES.includes(close.code),
    onState: (state) => o.onState(state === 'stopped' ? 'unauthorized' : state),
  });
  const watches = new Watches(client);
  client.subscribe(LogsSubscription, { after }, {
    next: ({ data }) => {
      if (!data?.logs) return;
      after = data.logs.id;
      o.onLog(data.logs);
    },
    error: (err) => console.warn('live log subscription ended', err),
    complete: () => {},
  });

  return {
    dropConnection: () => client.terminate(),
    lastId: () => after,
    watch: (w) => watches.add(w),
    stop: () => {
      watches.stopAll(); // first: their completions must not start them again
      client.dispose();
    },
  };
}

/** Subscriptions beside the log feed: the client starts each again on every connection. */
class Watches {
  private readonly active = new Map<Watch<any>, () => void>();
  private stopped = false;

  constructor(private readonly client: SeanoClient) {
    // What happened while the link was down is not replayed for these: let each re-read it.
    client.onState((state) => state === 'connected' && this.active.forEach((_, w) => w.subscribed?.()));
  }

  add<T>(w: Watch<T>): void {
    this.start(w);
    if (this.client.state === 'connected') w.subscribed?.();
  }

  stopAll(): void {
    this.stopped = true;
    const disposers = [...this.active.values()];
    this.active.clear();
    disposers.forEach((dispose) => dispose());
  }

  private start<T>(w: Watch<T>): void {
    const ended = (err: unknown) => {
      if (!this.active.has(w)) return;
      this.active.delete(w);
      const messages = Array.isArray(err) ? err.map((e: { message?: string }) => String(e?.message)) : [];
      if (isMissingField(new GraphQLRequestError(messages, 200))) return w.failed?.(err);
      if (err) console.warn('subscription ended, resuming', err);
      setTimeout(() => !this.stopped && this.add(w), 1_000);
    };
    const dispose = this.client.request(
      { query: w.query, variables: w.variables ?? {} },
      { next: ({ data }) => data && w.next(data as T), error: ended, complete: () => ended(undefined) },
    );
    this.active.set(w, dispose);
  }
}
