// Clients that queue what arrives, so no assertion races a delivery (graphql-ws tclient habit).
// Each is a leftover (test/utils/leftovers.ts): closed after its suite if the test did not.
import WebSocket from 'ws';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { createClient, type Client } from 'graphql-ws';
import { print, type DocumentNode } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { leave } from './leftovers.js';

export class Collector<T> {
  readonly items: T[] = [];
  private waiters: { pred: (t: T[]) => boolean; resolve: () => void }[] = [];

  push(item: T): void {
    this.items.push(item);
    this.waiters = this.waiters.filter((w) => (w.pred(this.items) ? (w.resolve(), false) : true));
  }

  /** Resolves once the collected items satisfy `pred`; fails the test after `ms` with what arrived. */
  until(pred: (items: T[]) => boolean, ms = 15_000, what = 'condition'): Promise<T[]> {
    if (pred(this.items)) return Promise.resolve(this.items);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${what}; got ${this.items.length}: ${JSON.stringify(this.items).slice(0, 800)}`)),
        ms,
      );
      this.waiters.push({ pred, resolve: () => (clearTimeout(timer), resolve(this.items)) });
    });
  }

  count(n: number, ms?: number): Promise<T[]> {
    return this.until((i) => i.length >= n, ms, `${n} items`);
  }
}

export interface LegacyClient {
  socket: WebSocket;
  /** Every frame, in arrival order: the connection frame, log frames, pongs, errors. */
  messages: Collector<any>;
  closed: Promise<{ code: number; reason: string }>;
  send(data: string): void;
  close(): void;
  /** Resolves to the first `n` log frames (those with an id) once that many arrived. */
  logs(n: number, ms?: number): Promise<any[]>;
}

const isLogFrame = (frame: { id?: unknown }) => frame.id !== undefined;

/** Opens a legacy socket; rejects with the HTTP status when the upgrade is refused. */
export function openLegacy(url: string, options: WebSocket.ClientOptions = {}): Promise<LegacyClient> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options);
    leave(() => {
      if (socket.readyState !== WebSocket.CLOSED) socket.terminate();
    });
    const messages = new Collector<any>();
    const closed = new Promise<{ code: number; reason: string }>((r) =>
      socket.on('close', (code, reason) => r({ code, reason: reason.toString() })),
    );
    socket.on('message', (data) => messages.push(JSON.parse(data.toString())));
    socket.on('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
    socket.on('error', reject);
    const logs = async (n: number, ms?: number) =>
      (await messages.until((m) => m.filter(isLogFrame).length >= n, ms, `${n} log frames`)).filter(isLogFrame).slice(0, n);
    socket.on('open', () =>
      resolve({ socket, messages, closed, send: (d) => socket.send(d), close: () => socket.close(), logs }),
    );
  });
}

/**
 * A legacy socket on /api/ws… once greeted. The server registers a socket before it sends the
 * connection frame, so every log committed from then on reaches it, in id order: a test waits
 * for a commit by waiting for its frame here (pubsub publishes only after the commit).
 */
export async function openFeed(url: string, options?: WebSocket.ClientOptions): Promise<LegacyClient> {
  const client = await openLegacy(url, options);
  await client.messages.until((m) => m.some((f) => f.type === 'connection'), undefined, 'the connection frame');
  return client;
}

export function graphqlWsClient(url: string, connectionParams?: Record<string, unknown>): Client {
  const client = createClient({ url, webSocketImpl: WebSocket, connectionParams, retryAttempts: 0, lazy: true });
  leave(() => client.dispose());
  return client;
}

/** An MQTT client on a broker a test started (a vessel, with the test's own client id). */
export async function connectMqtt(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, ...options });
  leave(async () => {
    if (!client.disconnected && !client.disconnecting) await client.endAsync(true);
  });
  return client;
}

export interface Subscription<T> {
  results: Collector<T>;
  errors: Collector<unknown>;
  done: Promise<void>;
  dispose(): void;
}

/** Subscribes with a typed document; collects `data` payloads. */
export function subscribe<TResult, TVars>(
  client: Client,
  document: TypedDocumentNode<TResult, TVars> | DocumentNode,
  variables?: TVars,
): Subscription<TResult> {
  const results = new Collector<TResult>();
  const errors = new Collector<unknown>();
  let dispose = () => {};
  const done = new Promise<void>((resolve) => {
    dispose = client.subscribe<TResult>(
      { query: print(document), variables: variables as Record<string, unknown> | undefined },
      {
        next: (r) => (r.errors ? errors.push(r.errors) : results.push(r.data as TResult)),
        error: (e) => {
          errors.push(e);
          resolve();
        },
        complete: () => resolve(),
      },
    );
  });
  return { results, errors, done, dispose: () => dispose() };
}
