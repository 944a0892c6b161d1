// The HTTP route table: method + path → handler. One dispatcher finds the route, answers 404 or
// 405 when there is none, and maps whatever a handler throws to a status (errors.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StatsSnapshot } from '../stats.js';
import { AuthError, type Principal } from '../auth/tokens.js';
import type { Logger } from '../logger.js';
import { HttpError, sendError, sendJson, type ErrorShape } from './errors.js';
import { setBaseHeaders } from './security.js';

export { sendJson };

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

export interface Route {
  /** GET answers HEAD too; '*' takes every method (the handler decides). */
  method: 'GET' | 'POST' | '*';
  /** An exact path, or a test for a family of paths (the dashboard's assets). */
  path: string | ((pathname: string) => boolean);
  handle: Handler;
  /** How errors are worded on this route (default: `{ error }`). */
  errors?: ErrorShape;
}

const onPath = (route: Route, pathname: string) => (typeof route.path === 'string' ? route.path === pathname : route.path(pathname));
const takes = (route: Route, method = 'GET') => route.method === '*' || route.method === method || (route.method === 'GET' && method === 'HEAD');

/** The request listener: the first route whose path and method match answers. */
export function createRouter(routes: readonly Route[], logger: Logger): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    setBaseHeaders(res);
    const candidates = routes.filter((r) => onPath(r, url.pathname));
    const route = candidates.find((r) => takes(r, req.method));
    try {
      if (route) return await route.handle(req, res, url);
      if (candidates.length === 0) throw new HttpError(404, 'Not Found');
      const allow = [...new Set(candidates.flatMap((r) => (r.method === 'GET' ? ['GET', 'HEAD'] : [r.method])))].join(', ');
      throw new HttpError(405, `method not allowed; use ${allow}`, { allow });
    } catch (err) {
      sendError(req, res, err, logger, route?.errors);
    }
  };
}

export interface StatusRouteDeps {
  stats: () => StatsSnapshot;
  /** Who is asking (Authorization: Bearer …); throws AuthError. With auth off: everyone. */
  authorize: (req: IncomingMessage) => Promise<Principal>;
  /** Database and broker reachable: /readyz. */
  ready: () => { database: boolean; broker: boolean };
  metrics: { contentType: string; metrics(): Promise<string> };
}

/** Stats (SPEC §6), liveness, readiness and Prometheus metrics (token required when auth is on). */
export function statusRoutes(d: StatusRouteDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/ws/stats',
      handle: async (req, res) => sendJson(res, 200, legacyStats(d.stats(), (await d.authorize(req)).scope)),
    },
    { method: 'GET', path: '/healthz', handle: (_req, res) => sendJson(res, 200, { status: 'ok' }) },
    {
      method: 'GET',
      path: '/readyz',
      handle: (_req, res) => {
        const r = d.ready();
        const ok = r.database && r.broker;
        sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : 'not ready', ...r });
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      handle: async (req, res) => {
        await d.authorize(req); // fleet-wide counters: any valid token, scoped or not
        const text = await d.metrics.metrics();
        res.writeHead(200, { 'content-type': d.metrics.contentType });
        res.end(text);
      },
    },
  ];
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
    skipped: s.skipped,
    lagging_subscribers: s.laggingSubscribers,
    lagging_held: s.laggingHeld,
    refusals: s.refusals,
    uptime_seconds: s.uptimeSeconds,
    connections_info: visible.map((c) => ({
      connected_at: c.connectedAt.toISOString(),
      client_info: { endpoint: c.endpoint, ...(c.vehicleFilter !== undefined && { vehicle_filter: c.vehicleFilter }) },
    })),
  };
}

/** The caller's principal, or undefined after answering 401/403 for them (for handlers outside the table's error mapping). */
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
