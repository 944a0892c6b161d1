// The /api/ws adapter for the original pages: live events → the seed's JSON frames.
// A broadcast is serialised once and the same bytes go to every matching socket; only a socket
// resuming with ?after= reads its own stream (its replay is personal). Every frame goes out
// through the socket's outbox, a LiveQueue under the live path's one backpressure policy that
// hands it straight to the socket: one that lags is closed with 1013.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { onExpiry, type Authenticator, type Principal } from '../auth/tokens.js';
import { Backpressure, DEFAULT_LAG_LIMITS, SlowConsumerError, socketTransport, type LagLimits } from '../live/backpressure.js';
import { LiveQueue } from '../live/queue.js';
import { matches, type LogFilter } from '../live/filter.js';
import type { LogHub } from '../live/hub.js';
import { openLive, type ReplaySource } from '../live/stream.js';
import type { LogEvent } from '../logs/event.js';
import { CloseCode } from '../sockets/close-codes.js';
import { closeAll, closeSocket } from '../sockets/close.js';
import type { SocketGuard } from '../sockets/limits.js';
import type { Admission, UpgradeTarget } from '../sockets/upgrade.js';
import type { ConnectionRegistry } from '../stats.js';
import { answerFrame, connectionFrame, logFrame } from './frames.js';
import { alertFrame } from './alert-frame.js';
import type { AlertSource } from '../alerts/feed.js';
import { allows } from '../auth/tokens.js';
import { admitLegacy, servesLegacy, type LegacyRoute } from './route.js';

export interface LegacyWsOptions {
  hub: LogHub;
  source: ReplaySource;
  /** Alert changes (SPEC §10): an additive `alert` frame to every socket following that vessel. */
  alerts?: AlertSource;
  registry: ConnectionRegistry;
  auth: Authenticator;
  guard: Pick<SocketGuard, 'watchRate'>;
  logger: Logger;
  /** Inbound frame limit: clients only send pings. */
  maxPayload: number;
  heartbeatMs: number;
  /** When a socket lags (bytes unsent, events waiting); the live path's defaults unless set. */
  lagLimits?: LagLimits;
}

interface Client {
  socket: WebSocket;
  filter: LogFilter;
  /** Every frame for this socket; ends it (1013) once the socket lags. */
  outbox: LiveQueue<string | Buffer>;
  /** True while this socket reads ?after= on its own stream; the broadcast skips it. */
  personal: boolean;
  alive: boolean;
}

export class LegacyWsServer implements UpgradeTarget {
  private readonly wss: WebSocketServer;
  private readonly clients = new Set<Client>();
  private readonly unlisten: () => void;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly o: LegacyWsOptions) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: o.maxPayload, perMessageDeflate: false });
    const offLogs = o.hub.listen((e) => this.broadcast(e));
    const offAlerts = o.alerts?.listen((a) => this.broadcastFrame(a.vehicleId, alertFrame(a)));
    this.unlisten = () => (offLogs(), offAlerts?.());
    this.heartbeat = setInterval(() => this.ping(), o.heartbeatMs).unref();
  }

  get size(): number {
    return this.clients.size;
  }

  serves(pathname: string): boolean {
    return servesLegacy(pathname);
  }

  async admit(req: IncomingMessage, url: URL): Promise<Admission> {
    const admitted = await admitLegacy(req, url, this.o.auth);
    if (!admitted.ok) return admitted;
    const { route, principal } = admitted;
    return {
      ok: true,
      accept: (socket: Duplex, head: Buffer) => this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, route, principal)),
    };
  }

  private accept(ws: WebSocket, route: LegacyRoute, principal: Principal): void {
    const { scope } = principal;
    // A socket outlives its token otherwise: close it when the token expires; the client
    // reconnects with a fresh one (and ?after= its last id).
    const cancelExpiry = onExpiry(principal, () => void closeSocket(ws, CloseCode.PolicyViolation, 'token expired'));
    const backpressure = new Backpressure(socketTransport(ws), this.o.lagLimits ?? DEFAULT_LAG_LIMITS);
    const outbox: LiveQueue<string | Buffer> = new LiveQueue<string | Buffer>(
      backpressure,
      () => outbox.failed && this.closeSlow(client, true),
      (frame) => ws.send(frame, { binary: false }), // a text frame, also when handed bytes
    );
    const client: Client = { socket: ws, filter: { ...route.filter, scope }, outbox, personal: route.after !== undefined, alive: true };
    this.clients.add(client);
    const unregister = this.o.registry.add({ surface: 'legacy', connectedAt: new Date(), endpoint: route.endpoint, vehicleFilter: route.filter.vehicleId, scope });
    ws.send(connectionFrame(this.clients.size));
    ws.on('pong', () => (client.alive = true));
    this.o.guard.watchRate(ws, () => {
      this.o.registry.refused('rate_limited');
      void closeSocket(ws, CloseCode.PolicyViolation, 'too many messages per second (WS_MAX_MESSAGES_PER_SECOND)');
    });
    ws.on('message', (data, isBinary) => {
      const answer = answerFrame(isBinary ? undefined : data.toString());
      if (answer !== undefined) this.send(client, answer);
    });
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      void outbox.return();
      this.clients.delete(client);
      unregister();
      cancelExpiry();
    });
    if (route.after !== undefined) void this.readOwnStream(client, route.after);
  }

  /** Replay after `after`, then live, on this socket's own stream. */
  private async readOwnStream(client: Client, after: string): Promise<void> {
    // Its own queue only hands events on to the outbox, which watches the socket.
    const stream = openLive(this.o.hub, this.o.source, { filter: client.filter, after });
    client.socket.once('close', () => void stream.return?.());
    try {
      for await (const e of stream) {
        if (!this.send(client, logFrame(e, this.clients.size))) break;
      }
    } catch (err) {
      this.o.logger.debug({ err }, 'legacy resume stream ended');
      this.closeSlow(client, err instanceof SlowConsumerError);
    }
  }

  private broadcast(e: LogEvent): void {
    let frame: Buffer | undefined;
    for (const client of this.clients) {
      if (client.personal || !matches(client.filter, e)) continue;
      frame ??= Buffer.from(logFrame(e, this.clients.size)); // serialised and encoded once per broadcast
      this.send(client, frame);
    }
  }

  private broadcastFrame(vehicleId: number, text: string): void {
    const frame = Buffer.from(text);
    for (const c of this.clients) if ((c.filter.vehicleId ?? vehicleId) === vehicleId && allows(c.filter.scope, vehicleId)) this.send(c, frame);
  }

  /** Sends unless the socket lags (then its outbox closes it with 1013: reconnect with ?after=). */
  private send(client: Client, frame: string | Buffer): boolean {
    if (client.socket.readyState !== client.socket.OPEN) return false;
    client.outbox.push(frame);
    return !client.outbox.failed;
  }

  private closeSlow(client: Client, slow: boolean): void {
    if (client.socket.readyState !== client.socket.OPEN) return;
    if (slow) this.o.registry.slowConsumers++;
    // A peer that stopped reading will not answer the close handshake either: cut after a second.
    const why = slow ? 'slow consumer' : 'live stream failed';
    void closeSocket(client.socket, CloseCode.TryAgainLater, `${why}: reconnect with ?after=<last id>`);
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
    await closeAll(this.wss, CloseCode.GoingAway, 'server shutting down');
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
