// The /api/ws adapter for the original pages: live events → the seed's JSON frames.
// A broadcast is serialised once and the same bytes go to every matching socket; only a socket
// resuming with ?after= reads its own stream (its replay is personal), and one with ?max_rate=
// gets its own frames when they go out. Each socket is a LegacyClient (client.ts): its outbox,
// its pace, its token.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AlertSource } from '../alerts/feed.js';
import { allows, type Authenticator, type Principal } from '../auth/tokens.js';
import { DEFAULT_LAG_LIMITS, type LagLimits } from '../live/backpressure.js';
import { matches } from '../live/filter.js';
import type { LogHub } from '../live/hub.js';
import type { ReplaySource } from '../live/stream.js';
import type { LogEvent } from '../logs/event.js';
import { CloseCode } from '../sockets/close-codes.js';
import { closeAll, closeSocket } from '../sockets/close.js';
import type { SocketGuard } from '../sockets/limits.js';
import type { Admission, UpgradeTarget } from '../sockets/upgrade.js';
import type { ConnectionInfo, ConnectionRegistry } from '../stats.js';
import { alertFrame } from './alert-frame.js';
import { LegacyClient, type ClientContext } from './client.js';
import { answerFrame, authRequest, connectionFrame, logFrame } from './frames.js';
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
  /** Inbound frame limit: clients only send pings and tokens. */
  maxPayload: number;
  heartbeatMs: number;
  /** When a socket lags (bytes unsent, events waiting); the live path's defaults unless set. */
  lagLimits?: LagLimits;
}

export class LegacyWsServer implements UpgradeTarget {
  private readonly wss: WebSocketServer;
  private readonly clients = new Set<LegacyClient>();
  private readonly unlisten: () => void;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly context: ClientContext;

  constructor(private readonly o: LegacyWsOptions) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: o.maxPayload, perMessageDeflate: false });
    const offLogs = o.hub.listen((e) => this.broadcast(e));
    const offAlerts = o.alerts?.listen((a) => this.broadcastFrame(a.vehicleId, alertFrame(a)));
    this.unlisten = () => (offLogs(), offAlerts?.());
    this.heartbeat = setInterval(() => this.ping(), o.heartbeatMs).unref();
    this.context = {
      hub: o.hub,
      source: o.source,
      auth: o.auth,
      logger: o.logger,
      lagLimits: o.lagLimits ?? DEFAULT_LAG_LIMITS,
      counters: o.registry.lagCounters,
      connections: () => this.clients.size,
    };
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
    const info: ConnectionInfo = { surface: 'legacy', connectedAt: new Date(), endpoint: route.endpoint, vehicleFilter: route.filter.vehicleId, scope: principal.scope };
    const client = new LegacyClient(ws, route, principal, info, this.context);
    this.clients.add(client);
    const unregister = this.o.registry.add(info);
    ws.send(connectionFrame(this.clients.size));
    ws.on('pong', () => (client.alive = true));
    this.o.guard.watchRate(ws, () => {
      this.o.registry.refused('rate_limited');
      void closeSocket(ws, CloseCode.PolicyViolation, 'too many messages per second (WS_MAX_MESSAGES_PER_SECOND)');
    });
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? undefined : data.toString();
      const token = authRequest(text);
      if (token !== undefined) return void client.renew(token).catch((err: unknown) => this.o.logger.error({ err }, 'legacy token renewal failed'));
      const answer = answerFrame(text);
      if (answer !== undefined) client.send({ frame: answer });
    });
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      client.closed();
      this.clients.delete(client);
      unregister();
    });
    client.start();
  }

  private broadcast(e: LogEvent): void {
    let frame: Buffer | undefined;
    const shared = () => (frame ??= Buffer.from(logFrame(e, this.clients.size))); // serialised and encoded once per broadcast
    for (const client of this.clients) {
      if (!client.personal && matches(client.filter, e)) client.offer(e, shared);
    }
  }

  private broadcastFrame(vehicleId: number, text: string): void {
    const frame = Buffer.from(text);
    for (const c of this.clients) if ((c.filter.vehicleId ?? vehicleId) === vehicleId && allows(c.filter.scope, vehicleId)) c.send({ frame });
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
