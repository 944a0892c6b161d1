import type { TestService } from './service.js';

/** Polls the stats endpoint until `pred` holds: subscriptions register asynchronously on the server. */
export async function untilStats(svc: TestService, pred: (s: any) => boolean, ms = 15_000, token?: string): Promise<any> {
  const deadline = Date.now() + ms;
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  for (;;) {
    const s = await (await fetch(`${svc.httpUrl}/api/ws/stats`, { headers })).json();
    if (pred(s)) return s;
    if (Date.now() > deadline) throw new Error(`stats never matched: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs SQL against the service's own database (PGlite or PostgreSQL) through its ORM. */
export function sql<T = any>(svc: TestService, query: string, params: unknown[] = []): Promise<T[]> {
  return svc.app.orm.em.fork().getConnection().execute(query, params) as Promise<T[]>;
}
