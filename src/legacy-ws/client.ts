// One legacy socket: what it follows, its outbox, and its token. Every frame goes out through
// the outbox, a LiveQueue under the live path's one backpressure policy that hands it straight
// to the socket: one that lags is conflated (the newest log per key waits until the socket has
// room; ?on_lag=close: closed with 1013 instead). ?max_rate= paces its logs per key, and
// `{"type":"auth"}` moves it to a new token without reconnecting (SPEC §9).
import type { WebSocket } from 'ws';
import type { Logger } from 'pino';
import { allows, AuthError, expiryOf, onExpiry, type Authenticator, type Principal } from '../auth/tokens.js';
import { Backpressure, SlowConsumerError, socketTransport, type LagCounters, type LagLimits } from '../live/backpressure.js';
import { conflationSlot, markSkipped, type Conflation, type LiveLog } from '../live/conflation.js';
import type { LogFilter } from '../live/filter.js';
import type { LogHub } from '../live/hub.js';
import { LiveQueue } from '../live/queue.js';
import { RateLimiter } from '../live/rate.js';
import { openLive, type ReplaySource } from '../live/stream.js';
import type { LogEvent } from '../logs/event.js';
import { CloseCode } from '../sockets/close-codes.js';
import { closeSocket } from '../sockets/close.js';
import type { ConnectionInfo } from '../stats.js';
import { authFrame, errorFrame, logFrame } from './frames.js';
import type { LegacyRoute } from './route.js';
import { noteSocketWrite } from '../metrics.js';

export interface ClientContext {
  hub: LogHub;
  source: ReplaySource;
  auth: Authenticator;
  logger: Logger;
  lagLimits: LagLimits;
  counters: LagCounters;
  /** Open legacy sockets (the frames' connection_count). */
  connections(): number;
}

/** A frame on its way out; a log's keeps the log, to be conflated and marked by key. */
interface Outgoing {
  frame: string | Buffer;
  log?: LiveLog;
}

export class LegacyClient {
  /** What it follows; `scope` moves with a renewed token. */
  readonly filter: LogFilter;
  /** True while it reads ?after= on its own stream; the broadcast skips it. */
  readonly personal: boolean;
  alive = true;
  private readonly outbox: LiveQueue<Outgoing>;
  private readonly rate?: RateLimiter;
  private cancelExpiry: () => void;

  constructor(
    readonly socket: WebSocket,
    private readonly route: LegacyRoute,
    principal: Principal,
    /** Its entry in stats' connections_info. */
    private readonly info: ConnectionInfo,
    private readonly c: ClientContext,
  ) {
    this.filter = { ...route.filter, scope: principal.scope };
    this.personal = route.after !== undefined;
    this.cancelExpiry = this.expireAt(principal);
    this.outbox = new LiveQueue<Outgoing>(
      new Backpressure(socketTransport(socket), c.lagLimits),
      () => this.outbox.failed && this.closeSlow(true),
      (out) => {
        socket.send(out.frame, { binary: false }); // a text frame, also when handed bytes
        if (out.log) noteSocketWrite('legacy', out.log);
      },
      { conflation: route.onLag === 'close' ? undefined : this.conflation(), counters: c.counters },
    );
    // A personal stream paces itself (openLive's maxRate); the broadcast is paced here.
    if (route.maxRate !== undefined && !this.personal) this.rate = new RateLimiter(route.maxRate, (e) => this.sendLog(e), c.counters);
  }

  /** After the connection frame: a resuming socket starts reading its own stream. */
  start(): void {
    if (this.personal) void this.readOwnStream(this.route.after!);
  }

  private conflation(): Conflation<Outgoing> {
    return {
      slot: (out) => (out.log ? conflationSlot(out.log) : undefined),
      mark: (out, skipped) => {
        const log = markSkipped(out.log!, skipped);
        return { frame: logFrame(log, this.c.connections()), log };
      },
      carried: (out) => out.log?.skipped ?? 0,
      bytes: (out) => out.frame.length,
    };
  }

  /** A live log from the broadcast; `frame` is its shared bytes, serialised once for every socket. */
  offer(e: LogEvent, frame: () => Buffer): void {
    if (this.rate) this.rate.push(e);
    else this.send({ frame: frame(), log: e });
  }

  private sendLog(e: LiveLog): boolean {
    return this.send({ frame: logFrame(e, this.c.connections()), log: e });
  }

  /** Sends unless the socket is closing or was dropped for falling behind. */
  send(out: Outgoing): boolean {
    if (this.socket.readyState !== this.socket.OPEN) return false;
    this.outbox.push(out);
    return !this.outbox.failed;
  }

  /** Replay after `after`, then live, on this socket's own stream. */
  private async readOwnStream(after: string): Promise<void> {
    // Its own queue only hands events on to the outbox, which watches the socket.
    const backpressure = new Backpressure(undefined, this.c.lagLimits);
    const stream = openLive(this.c.hub, this.c.source, { filter: this.filter, after, backpressure, maxRate: this.route.maxRate, counters: this.c.counters });
    this.socket.once('close', () => void stream.return?.());
    try {
      for await (const e of stream) if (!this.sendLog(e)) break;
    } catch (err) {
      this.c.logger.debug({ err }, 'legacy resume stream ended');
      this.closeSlow(err instanceof SlowConsumerError);
    }
  }

  /** `{"type":"auth","token":"…"}`: the new token's expiry and scope from now on, or an error and 1008. */
  async renew(token: string): Promise<void> {
    let principal: Principal;
    try {
      principal = await this.c.auth.verify(token || undefined);
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      return this.refuse(err.message);
    }
    const { vehicleId } = this.route.filter;
    if (vehicleId !== undefined && !allows(principal.scope, vehicleId)) return this.refuse(`vehicle ${vehicleId} is outside this token's scope`);
    this.filter.scope = principal.scope;
    this.info.scope = principal.scope;
    this.cancelExpiry();
    this.cancelExpiry = this.expireAt(principal);
    this.send({ frame: authFrame(expiryOf(principal)) });
  }

  private refuse(message: string): void {
    this.send({ frame: errorFrame(message) });
    void closeSocket(this.socket, CloseCode.PolicyViolation, message.slice(0, 120));
  }

  // A socket outlives its token otherwise: closed when it expires, unless renewed before.
  private expireAt(p: Principal): () => void {
    return onExpiry(p, () => void closeSocket(this.socket, CloseCode.PolicyViolation, 'token expired'));
  }

  /** Its outbox or stream ended it; one ended for falling behind was counted there (stats' slow_consumers). */
  closeSlow(slow: boolean): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    // A peer that stopped reading will not answer the close handshake either: cut after a second.
    const why = slow ? 'slow consumer' : 'live stream failed';
    void closeSocket(this.socket, CloseCode.TryAgainLater, `${why}: reconnect with ?after=<last id>`);
  }

  /** The socket closed: nothing more goes out. */
  closed(): void {
    void this.outbox.return();
    this.rate?.stop();
    this.cancelExpiry();
  }
}
