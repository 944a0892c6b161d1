// Socket limits for a public endpoint: how many WebSockets in all and per client address, and
// how many inbound messages per second each may send. Refusals are counted by the caller.
import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';
import type { WebSocket } from 'ws';
import type { TrustProxy } from '../config.js';

export interface SocketLimits {
  maxConnections: number;
  maxConnectionsPerIp: number;
  maxMessagesPerSecond: number;
  /** The proxies in front (TRUST_PROXY): then the client's address comes from X-Forwarded-For. */
  trustProxy?: TrustProxy;
}

/**
 * The client's address: the socket's, or behind trusted proxies the nearest X-Forwarded-For
 * entry that no trusted proxy added (proxy-addr walks the list from the socket outwards, so an
 * address the client wrote itself is never taken while a trusted hop stands in front of it).
 */
export function clientAddressResolver(trust: TrustProxy | undefined): (req: IncomingMessage) => string {
  if (!trust) return (req) => req.socket.remoteAddress ?? 'unknown';
  const trusted = 'hops' in trust ? (_address: string, hop: number) => hop < trust.hops : proxyAddr.compile(trust.addresses);
  return (req) => proxyAddr(req, trusted);
}

export type Admission = { ok: true; release: () => void } | { ok: false; status: 429 | 503; reason: string; message: string };

export class SocketGuard {
  private total = 0;
  private readonly perIp = new Map<string, number>();
  /** The address per-client limits key on (see clientAddressResolver). */
  readonly addressOf: (req: IncomingMessage) => string;

  constructor(private readonly limits: SocketLimits) {
    this.addressOf = clientAddressResolver(limits.trustProxy);
  }

  /** Checked before the upgrade; `release` must run when the socket closes. */
  admit(req: IncomingMessage): Admission {
    const ip = this.addressOf(req);
    if (this.total >= this.limits.maxConnections) {
      return { ok: false, status: 503, reason: 'connections_total', message: `server is at WS_MAX_CONNECTIONS (${this.limits.maxConnections})` };
    }
    const mine = this.perIp.get(ip) ?? 0;
    if (mine >= this.limits.maxConnectionsPerIp) {
      return { ok: false, status: 429, reason: 'connections_per_ip', message: `too many connections from this address (WS_MAX_CONNECTIONS_PER_IP=${this.limits.maxConnectionsPerIp})` };
    }
    this.total++;
    this.perIp.set(ip, mine + 1);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.total--;
        const n = (this.perIp.get(ip) ?? 1) - 1;
        if (n <= 0) this.perIp.delete(ip);
        else this.perIp.set(ip, n);
      },
    };
  }

  /** Calls `onFlood` (once) when the socket sends more than the allowed messages in one second. */
  watchRate(ws: WebSocket, onFlood: () => void): void {
    let windowStart = Date.now();
    let count = 0;
    let tripped = false;
    ws.on('message', () => {
      const now = Date.now();
      if (now - windowStart >= 1000) {
        windowStart = now;
        count = 0;
      }
      if (++count > this.limits.maxMessagesPerSecond && !tripped) {
        tripped = true;
        onFlood();
      }
    });
  }
}
