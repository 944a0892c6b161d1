// The dashboard's two ways to the service: GraphQL queries over HTTP for the first picture, and
// one graphql-ws subscription for everything after it. The subscription always names the last
// log id it delivered, so a reconnect replays exactly what was missed (the server promises no
// gap and no duplicate after an `after` cursor).
import { print } from 'graphql';
import { createClient, type Client } from 'graphql-ws/client';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { LogsSubscription } from '../../client/operations.js';
import type { Log } from './types.js';

export type ConnState = 'connecting' | 'connected' | 'reconnecting' | 'unauthorized';

/** The service refused our token (or its absence): retrying cannot help, a person must act. */
export class UnauthorizedError extends Error {}

const TOKEN_KEY = 'seano.token';

/**
 * With auth on (SPEC §7) the page is opened as `/?token=<JWT>`. The token is kept for this tab
 * and taken out of the address bar, so it does not end up in bookmarks or screenshots.
 */
function authToken(): string | undefined {
  const params = new URLSearchParams(location.search);
  const fromUrl = params.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    params.delete('token');
    const rest = params.toString();
    history.replaceState(null, '', `${location.pathname}${rest ? `?${rest}` : ''}${location.hash}`);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}
const token = authToken();

const printed = new WeakMap<object, string>();
function text(doc: TypedDocumentNode<any, any>): string {
  let s = printed.get(doc);
  if (!s) printed.set(doc, (s = print(doc)));
  return s;
}

/** One query over HTTP POST /graphql; GraphQL errors become a thrown Error. */
export async function query<R, V>(doc: TypedDocumentNode<R, V>, variables: V): Promise<R> {
  const res = await fetch('/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      ...(token && { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify({ query: text(doc), variables }),
  });
  if (res.status === 401 || res.status === 403) throw new UnauthorizedError(`HTTP ${res.status}`);
  const body = (await res.json().catch(() => ({}))) as { data?: R; errors?: { message: string }[] };
  if (body.errors?.length || !body.data) throw new Error(body.errors?.[0]?.message ?? `HTTP ${res.status}`);
  return body.data;
}

export interface LiveFeed {
  /** Closes the socket at once, as a dropped network would; the feed reconnects by itself. */
  dropConnection(): void;
  lastId(): string;
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

  function connect(): Client {
    return createClient({
      url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
      connectionParams: () => (token ? { authorization: `Bearer ${token}` } : {}),
      lazy: false, // the connection, not the subscription, owns the lifecycle: we resubscribe per connection
      retryAttempts: Infinity,
      shouldRetry: () => true, // an operator's screen should come back by itself, whatever broke
      retryWait: (n) => new Promise((r) => setTimeout(r, Math.min(500 * 2 ** n, 8_000) + Math.random() * 500)),
      keepAlive: 10_000,
      // Only closes graphql-ws deems fatal get here (4401/4403, 4400, 4500…): the client stops.
      onNonLazyError: (err) => {
        console.error('graphql-ws gave up', err);
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
        },
        closed: () => {
          socket = undefined;
          clearTimeout(pongTimer);
          // graphql-ws would resend the old payload (the first `after`); we resubscribe on `connected`.
          stopSubscription();
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
    stop: () => {
      stopSubscription();
      void client.dispose();
    },
  };
}
