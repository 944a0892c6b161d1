// memory: the service's RSS per idle WebSocket. The service (child process) is warmed up with a
// few sockets of each kind (so lazily loaded code and first-use pools are not charged to the
// sockets), then `sockets` idle ones are opened from the client process — half legacy /api/ws,
// half graphql-ws after connection_init/ack with no subscription — and VmRSS is compared.
import { readFile } from 'node:fs/promises';
import { ClientProcess, type SocketSpec } from './client-process.js';
import { MANY_SOCKETS_ENV, progress, rssOf as rss, startChildService } from './lib.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Median of a few readings, after a pause: RSS moves with GC, one reading is noisy. */
async function settledRss(pid: number): Promise<number> {
  await sleep(2000);
  const r: number[] = [];
  for (let i = 0; i < 5; i++) {
    r.push(await rss(pid));
    await sleep(300);
  }
  return r.sort((a, b) => a - b)[2]!;
}

/** The client process needs one descriptor per socket: its soft limit, as it reports it. */
async function fdLimit(pid: number): Promise<number> {
  return Number(/Max open files\s+(\d+)/.exec(await readFile(`/proc/${pid}/limits`, 'utf8'))?.[1]);
}

export async function benchMemory(mqttUrl: string, sockets = 10_000) {
  const svc = await startChildService(mqttUrl, MANY_SOCKETS_ENV);
  const clients = await ClientProcess.start();
  try {
    const base = `ws://127.0.0.1:${svc.port}`;
    const legacy = Math.ceil(sockets / 2);
    const graphql = sockets - legacy;
    const spec = (kind: 'legacy' | 'graphql_ws'): SocketSpec => (kind === 'legacy' ? { kind, url: `${base}/api/ws` } : { kind, url: `${base}/graphql` });
    const many = (kind: 'legacy' | 'graphql_ws', n: number) => Array.from({ length: n }, () => spec(kind));
    const limit = await fdLimit(clients.child.pid!);
    if (limit < sockets + 300) throw new Error(`client process may open ${limit} files, needs ${sockets + 300}`);
    await clients.open([...many('legacy', 100), ...many('graphql_ws', 100)]);
    const before = await settledRss(svc.pid);
    progress(`memory: service RSS ${(before / 2 ** 20).toFixed(1)} MiB; opening ${legacy} legacy + ${graphql} graphql-ws idle sockets`);
    // One kind, then the other, with a reading between: bytes per socket of each kind too.
    const t0 = performance.now();
    const a = await clients.open(many('legacy', legacy));
    const mid = await settledRss(svc.pid);
    const t1 = performance.now();
    const b = await clients.open(many('graphql_ws', graphql));
    const openSeconds = (performance.now() - t1 + (t1 - t0)) / 1000;
    const after = await settledRss(svc.pid);
    const stats = await svc.stats();
    const opened = a.opened + b.opened;
    const per = (bytes: number, n: number) => (n ? bytes / n : NaN);
    return {
      sockets: opened,
      mix: `${a.opened} legacy /api/ws + ${b.opened} graphql-ws (connection_init acked, no subscription), all idle`,
      failed: a.failed + b.failed,
      errors: [...a.errors, ...b.errors],
      open_seconds: Number(openSeconds.toFixed(1)),
      service_connections: stats.active_connections, // includes the 200 warm-up sockets
      rss_before_bytes: before,
      rss_after_bytes: after,
      bytes_per_socket: Math.round(per(after - before, opened)),
      kb_per_socket: Number((per(after - before, opened) / 1024).toFixed(1)),
      kb_per_legacy_socket: Number((per(mid - before, a.opened) / 1024).toFixed(1)),
      kb_per_graphql_ws_socket: Number((per(after - mid, b.opened) / 1024).toFixed(1)),
      client_fd_limit: limit,
    };
  } finally {
    await clients.stop();
    await svc.stop();
  }
}
