// Socket limits for a public endpoint: how many WebSockets in all and per client address, and
// how many inbound messages per second each may send. Refusals are counted by the caller.
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';

export interface SocketLimits {
  maxConnections: number;
  maxConnectionsPerIp: number;
  maxMessagesPerSecond: number;
}

export type Admission = { ok: true; release: () => void } | { ok: false; status: 429 | 503; reason: string; message: string };

export class SocketGuard {
  private total = 0;
  private readonly perIp = new Map<string, number>();

  constructor(private readonly limits: SocketLimits) {}

  /** Checked before the upgrade; `release` must run when the socket closes. */
  admit(req: IncomingMessage): Admission {
    const ip = req.socket.remoteAddress ?? 'unknown';
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
