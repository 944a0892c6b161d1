// Embedded PostgreSQL: PGlite (PostgreSQL compiled to WASM, files under DATA_DIR) behind
// pglite-socket, so the service talks to it with the normal driver over a local socket: the
// storage and query code cannot tell it from a real server. (mikro-orm-pglite was the other
// option; its only release wants PGlite ^0.3, so it would pin us to an old, separate driver path.)
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  url: string;
  /** The pool must not open more connections than the socket server accepts. */
  maxConnections: number;
  stop(): Promise<void>;
}

// One connection: PGlite is a single session, and pglite-socket can interleave the extended-
// protocol messages of concurrent connections (electric-sql/pglite#1046). Queries queue in the
// pool instead; fine for the single-machine default this is.
const MAX_CONNECTIONS = 1;

export async function startEmbeddedPostgres(dataDir: string, maxConnections = MAX_CONNECTIONS): Promise<EmbeddedPostgres> {
  const dir = join(dataDir, 'pglite');
  await mkdir(dir, { recursive: true });
  const db = await PGlite.create(dir);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections });
  await server.start();
  const address = server.getServerConn(); // "127.0.0.1:port"
  return {
    url: `postgres://postgres@${address}/postgres`,
    maxConnections,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
