// A TCP proxy a test can cut: stands between the service and PostgreSQL to simulate an outage.
import { connect, createServer, type Socket } from 'node:net';
import { startStandalonePostgres } from './backends.js';
import { leave } from './leftovers.js';

export interface CuttableProxy {
  port: number;
  /** Drops every open connection and refuses new ones until restore(). */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startProxy(targetHost: string, targetPort: number): Promise<CuttableProxy> {
  let open = true;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    if (!open) return void client.destroy();
    const upstream = connect(targetPort, targetHost);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const close = leave(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return {
    port: (server.address() as { port: number }).port,
    cut() {
      open = false;
      for (const s of sockets) s.destroy();
    },
    restore() {
      open = true;
    },
    close,
  };
}

/**
 * A PostgreSQL of its own (startStandalonePostgres) behind a proxy the test can cut, and the
 * backend that hands the service nothing else: the test gives DATABASE_URL = `url` itself.
 */
export async function startProxiedPostgres(): Promise<{ url: string; proxy: CuttableProxy }> {
  const db = await startStandalonePostgres();
  leave(db.cleanup);
  const target = new URL(db.url);
  const proxy = await startProxy(target.hostname, Number(target.port));
  const url = new URL(target);
  url.port = String(proxy.port);
  return { url: url.toString(), proxy };
}

export const proxiedBackend = { name: 'proxied', prepare: async () => ({ env: {}, cleanup: async () => {} }) };
