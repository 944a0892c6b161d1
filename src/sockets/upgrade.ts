// What the upgrade router needs of a socket server: the router admits or refuses the request
// (origin, limits, token), then hands the socket over. Servers implement this; the router
// depends on nothing else of theirs.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

export interface UpgradeTarget<Route = unknown, Principal = unknown> {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, route: Route, principal?: Principal): void;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 503: 'Service Unavailable',
};

/** Answers an upgrade request with an HTTP status instead of a socket. */
export function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  socket.end(`HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${message}`);
}
