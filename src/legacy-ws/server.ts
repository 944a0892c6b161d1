// The /api/ws adapter for the original pages: hub events → the seed's JSON frames.
// A broadcast is serialised once and the same string goes to every matching socket; only a
// socket resuming with ?after= gets its own stream (its replay is personal).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ReplaySource } from '../live/stream.js';
import { openLogStream } from '../live/stream.js';
import type { LogHub } from '../live/hub.js';
import { matches, type LogFilter } from '../live/filter.js';
import type { ConnectionRegistry } from '../stats.js';
import { connectionFrame, invalidJsonFrame, logFrame } from './frames.js';
import { parseVehicleId } from '../logs/params.js';
import { onExpiry, type Principal } from '../auth/tokens.js';
import type { SocketGuard } from '../sockets/limits.js';
import { closeAll } from '../sockets/close.js';

export interface LegacyWsOptions {
  hub: LogHub;
  source: ReplaySource;
  registry: ConnectionRegistry;
  guard: SocketGuard;
  logger: Logger;
  /** Bytes a socket may have queued unsent before it is closed with 1013 (slow consumer). */
  maxBufferedBytes: number;
  /** Inbound frame limit: clients only send pings. */
  maxPayload: number;
  heartbeatMs: number;
  subscriberCapacity: number;
}

interface Client {
  socket: WebSocket;
  filter: LogFilter;
  /** True while this socket replays ?after= on its own stream; the broadcast skips it. */
  personal: boolean;
  alive: boolean;
}

export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_TRY_AGAIN_LATER = 1013;
export const CLOSE_POLICY_VIOLATION = 1008;

export type RouteResult = { ok: true; filter: LogFilter; after?: string; endpoint: string } | { ok: false; status: number; message: string };

/** `/api/ws`, `/api/ws/vehicle/{id}`, optional `?after=`; anything else is refused before the upgrade. */
export function routeLegacy(url: URL): RouteResult {
  const m = /^\/api\/ws(?:\/vehicle\/([^/]+))?\/?$/.exec(url.pathname);
  if (!m) return { ok: false, status: 404, message: 'Not Found' };
  const filter: LogFilter = {};
  if (m[1] !== undefined) {
    const id = parseVehicleId(m[1]);
    if (id === undefined) return { ok: false, status: 400, message: `invalid vehicle id "${m[1].slice(0, 32)}"` };
    filter.vehicleId = id;
  }
  const after = url.searchParams.get('after') ?? undefined;
  if (after !== undefined && !/^\d{1,19}$/.test(after)) return { ok: false, status: 400, message: 'after must be a log id' };
  return { ok: true, filter, after, endpoint: url.pathname.replace(/\/$/, '') };
}

export class LegacyWsServer {
  private readonly wss: WebSocketServer;
  private readonly clients = new Set<Client>();
  private readonly unlisten: () => void;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly o: LegacyWsOptions) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: o.maxPayload, perMessageDeflate: false });
    this.unlisten = o.hub.listen((e) => this.broadcast(e));
    this.heartbeat = setInterval(() => this.ping(), o.heartbeatMs).unref();
  }

  get size(): number {
    return this.clients.size;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, route: Extract<RouteResult, { ok: true }>, principal: Principal): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, route, principal));
  }

  private accept(ws: WebSocket, route: Extract<RouteResult, { ok: true }>, principal: Principal): void {
    const { scope } = principal;
    // A socket outlives its token otherwise: close it when the token expires; the client
    // reconnects with a fresh one (and ?after= its last id).
    const cancelExpiry = onExpiry(principal, () => ws.close(CLOSE_POLICY_VIOLATION, 'token expired'));
    const client: Client = { socket: ws, filter: { ...route.filter, scope }, personal: route.after !== undefined, alive: true };
    this.clients.add(client);
    const unregister = this.o.registry.add({
      surface: 'legacy',
      connectedAt: new Date(),
      endpoint: route.endpoint,
      vehicleFilter: route.filter.vehicleId,
      scope,
    });
    ws.send(connectionFrame(this.clients.size));
    ws.on('pong', () => (client.alive = true));
    this.o.guard.watchRate(ws, () => {
      this.o.registry.refused('rate_limited');
      ws.close(CLOSE_POLICY_VIOLATION, 'too many messages per second (WS_MAX_MESSAGES_PER_SECOND)');
    });
    ws.on('message', (data, isBinary) => this.onMessage(client, data.toString(), isBinary));
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      this.clients.delete(client);
      unregister();
      cancelExpiry();
    });
    if (route.after !== undefined) void this.runPersonal(client, route.after);
  }

  private onMessage(client: Client, text: string, isBinary: boolean): void {
    let msg: unknown;
    try {
      msg = isBinary ? undefined : JSON.parse(text);
    } catch {
      msg = undefined;
    }
    if (msg === undefined || typeof msg !== 'object' || msg === null) {
      this.send(client, invalidJsonFrame);
      return;
    }
    const { type, timestamp } = msg as { type?: unknown; timestamp?: unknown };
    if (type === 'ping') this.send(client, JSON.stringify({ type: 'pong', timestamp }));
  }

  /** Replay after `after`, then live, on this socket's own stream. */
  private async runPersonal(client: Client, after: string): Promise<void> {
    const stream = openLogStream(this.o.hub, this.o.source, { filter: client.filter, after, capacity: this.o.subscriberCapacity });
    client.socket.once('close', () => {
      void stream.return?.();
    });
    try {
      for await (const e of stream) {
        if (!this.send(client, logFrame(e, this.clients.size))) break;
      }
    } catch (err) {
      this.o.logger.debug({ err }, 'legacy resume stream ended');
      this.closeSlow(client);
    }
  }

  private broadcast(e: Parameters<typeof logFrame>[0]): void {
    let frame: Buffer | undefined;
    for (const client of this.clients) {
      if (client.personal || !matches(client.filter, e)) continue;
      frame ??= Buffer.from(logFrame(e, this.clients.size)); // serialised and encoded once per broadcast
      this.send(client, frame);
    }
  }

  /** Sends unless the socket is over its buffer cap; a slow consumer is closed with 1013. */
  private send(client: Client, frame: string | Buffer): boolean {
    const ws = client.socket;
    if (ws.readyState !== ws.OPEN) return false;
    if (ws.bufferedAmount > this.o.maxBufferedBytes) {
      this.closeSlow(client);
      return false;
    }
    ws.send(frame, { binary: false }); // a text frame, also when handed bytes
    return true;
  }

  private closeSlow(client: Client): void {
    if (client.socket.readyState !== client.socket.OPEN) return;
    this.o.registry.slowConsumers++;
    client.socket.close(CLOSE_TRY_AGAIN_LATER, 'slow consumer: reconnect with ?after=<last id>');
    // A peer that stopped reading will not answer the close handshake either.
    setTimeout(() => client.socket.terminate(), 1000).unref();
  }

  private ping(): void {
    for (const client of this.clients) {
      if (!client.alive) {
        client.socket.terminate();
        continue;
      }
      client.alive = false;
      client.socket.ping();
    }
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    this.unlisten();
    await closeAll(this.wss, CLOSE_GOING_AWAY, 'server shutting down');
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
