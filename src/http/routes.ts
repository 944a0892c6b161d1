// Plain HTTP routes beside GraphQL: stats (SPEC §6), health, readiness.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StatsSnapshot } from '../stats.js';

export interface HttpRoutesOptions {
  stats: () => StatsSnapshot;
  /** Database and broker reachable: /readyz. */
  ready: () => { database: boolean; broker: boolean };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The seed's stats shape, snake_case, with one entry per open WebSocket. */
export function legacyStats(s: StatsSnapshot) {
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
    uptime_seconds: s.uptimeSeconds,
    connections_info: s.connections.map((c) => ({
      connected_at: c.connectedAt.toISOString(),
      client_info: { endpoint: c.endpoint, ...(c.vehicleFilter !== undefined && { vehicle_filter: c.vehicleFilter }) },
    })),
  };
}

/** Returns true when it answered the request. */
export function handleHttpRoute(o: HttpRoutesOptions, req: IncomingMessage, res: ServerResponse, url: URL): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  switch (url.pathname) {
    case '/api/ws/stats':
      sendJson(res, 200, legacyStats(o.stats()));
      return true;
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
