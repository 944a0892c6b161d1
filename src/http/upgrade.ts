// The one upgrade router: Origin check, then /graphql → graphql-ws (it authenticates in
// connection_init), /api/ws… → the legacy server after its token and vehicle scope are checked.
// Everything refused is refused before the upgrade, with an HTTP status.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { AuthError, allows, bearer, type Authenticator } from '../auth/tokens.js';
import { originAllowed } from '../auth/origins.js';
import type { GraphQLServer } from '../graphql/server.js';
import { routeLegacy, type LegacyWsServer } from '../legacy-ws/server.js';
import type { SocketGuard } from '../sockets/limits.js';

const REFUSAL_REASON: Record<number, string> = { 401: 'unauthorized', 403: 'forbidden' };

const REASONS: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 503: 'Service Unavailable',
};

export function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  socket.end(`HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${message}`);
}

export interface UpgradeRouterOptions {
  graphql: GraphQLServer;
  legacy: LegacyWsServer;
  auth: Authenticator;
  allowedOrigins?: readonly string[];
  guard: SocketGuard;
  /** Counts refusals for stats, by reason. */
  onRefused: (reason: string) => void;
}

export function createUpgradeRouter(o: UpgradeRouterOptions) {
  const refuse = (socket: Duplex, status: number, message: string, reason = REFUSAL_REASON[status] ?? 'bad_request') => {
    o.onRefused(reason);
    refuseUpgrade(socket, status, message);
  };
  return async (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!originAllowed(o.allowedOrigins, req.headers.origin)) return refuse(socket, 403, 'origin not allowed', 'origin');
    const route = url.pathname === '/graphql' ? undefined : routeLegacy(url);
    if (route && !route.ok) return refuse(socket, route.status, route.message);
    const admission = o.guard.admit(req);
    if (!admission.ok) return refuse(socket, admission.status, admission.message, admission.reason);
    socket.once('close', admission.release);
    // graphql-ws authenticates in connection_init (connectionParams), after the upgrade.
    if (!route) return o.graphql.handleUpgrade(req, socket, head);
    let principal;
    try {
      principal = await o.auth.verify(url.searchParams.get('token') ?? bearer(req.headers.authorization));
    } catch (err) {
      return refuse(socket, err instanceof AuthError ? err.status : 401, err instanceof Error ? err.message : 'unauthorized');
    }
    if (route.filter.vehicleId !== undefined && !allows(principal.scope, route.filter.vehicleId)) {
      return refuse(socket, 403, `vehicle ${route.filter.vehicleId} is outside this token's scope`);
    }
    o.legacy.handleUpgrade(req, socket, head, route, principal);
  };
}
