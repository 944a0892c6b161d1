// Plain HTTP routes beside GraphQL: stats (SPEC §6), health, readiness.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StatsSnapshot } from '../stats.js';
import { AuthError, type Principal } from '../auth/tokens.js';

export interface HttpRoutesOptions {
  stats: () => StatsSnapshot;
  /** Who is asking (Authorization: Bearer …); throws AuthError. */
  authorize: (req: IncomingMessage) => Promise<Principal>;
  /** Database and broker reachable: /readyz. */
  ready: () => { database: boolean; broker: boolean };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The seed's stats shape, snake_case, with one entry per open WebSocket the caller may see. */
export function legacyStats(s: StatsSnapshot, scope?: readonly number[]) {
  // A scoped token sees the connections that follow its own vehicles, nothing about the others.
  const visible = scope === undefined ? s.connections : s.connections.filter((c) => c.vehicleFilter !== undefined && scope.includes(c.vehicleFilter));
  return {
    active_connections: s.activeConnections,
    legacy_connections: s.legacyConnections,
    graphql_connections: s.graphqlConnections,
    active_subscriptions: s.activeSubscriptions,
    messages_received: s.messagesReceived,
    messages_stored: s.messagesStored,
    messages_rejected: s.messagesRejected,
    messages_duplicate: s.messagesDuplicate,
    ingest_backlog: s.ingestBacklog,
    slow_consumers: s.slowConsumers,
    refusals: s.refusals,
    uptime_seconds: s.uptimeSeconds,
    connections_info: visible.map((c) => ({
      connected_at: c.connectedAt.toISOString(),
      client_info: { endpoint: c.endpoint, ...(c.vehicleFilter !== undefined && { vehicle_filter: c.vehicleFilter }) },
    })),
  };
}

/** The caller's principal, or undefined after answering 401/403 for them. */
export async function authorizeOrRefuse(
  authorize: (req: IncomingMessage) => Promise<Principal>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<Principal | undefined> {
  try {
    return await authorize(req);
  } catch (err) {
    sendJson(res, err instanceof AuthError ? err.status : 401, { error: err instanceof Error ? err.message : 'unauthorized' });
    return undefined;
  }
}

/** Resolves true when it answered the request. */
export async function handleHttpRoute(o: HttpRoutesOptions, req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  switch (url.pathname) {
    case '/api/ws/stats': {
      const principal = await authorizeOrRefuse(o.authorize, req, res);
      if (principal) sendJson(res, 200, legacyStats(o.stats(), principal.scope));
      return true;
    }
    case '/healthz':
      sendJson(res, 200, { status: 'ok' });
      return true;
    case '/readyz': {
      const r = o.ready();
      const ok = r.database && r.broker;
      sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : 'not ready', ...r });
      return true;
    }
    default:
      return false;
  }
}
