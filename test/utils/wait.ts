// Waiting in tests. A test waits for what a client sees — a log frame (clients.ts openFeed), a
// subscription result, a response, a close — and reads the stats once it happened. Only state
// no client can see (a subscription registered, a socket dropped, a message counted as received)
// is read from the service itself, in-process, with untilServer.
import type { StatsSnapshot } from '../../src/stats.js';
import type { TestService } from './service.js';

/** One reading of /api/ws/stats, as an operator sees it. */
export async function readStats(svc: TestService, token?: string): Promise<any> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const res = await fetch(`${svc.httpUrl}/api/ws/stats`, { headers });
  if (!res.ok) throw new Error(`/api/ws/stats answered ${res.status}`);
  return res.json();
}

const SERVER_CHECK_MS = 5;

/**
 * Resolves once the service's own state satisfies `pred`, for a fact no client can observe.
 * It re-reads App.stats() in-process every few ms: App has no event to wait on yet (an emitter
 * for counter and registry changes would make this a wait on the event itself).
 */
export async function untilServer(svc: TestService, pred: (s: StatsSnapshot) => boolean, what: string, ms = 15_000): Promise<StatsSnapshot> {
  const deadline = Date.now() + ms;
  for (let s = svc.app.stats(); ; s = svc.app.stats()) {
    if (pred(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify({ ...s, connections: s.connections.length })}`);
    await new Promise((r) => setTimeout(r, SERVER_CHECK_MS));
  }
}

/** Resolves with `promise`, or fails after `ms` naming what did not happen (a promised deadline). */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs SQL against the service's own database (PGlite or PostgreSQL) through its ORM. */
export function sql<T = any>(svc: TestService, query: string, params: unknown[] = []): Promise<T[]> {
  return svc.app.orm.em.fork().getConnection().execute(query, params) as Promise<T[]>;
}
