// The HTTP server component: one node server for the route table and the socket upgrades, with
// tight header and request timeouts (a client that sends its request slowly is cut off; a
// response — SSE, an export — may run as long as it needs).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { listen } from './listen.js';
import { createRouter, type Route } from './routes.js';
import { createUpgradeRouter, refuseUpgrade, type UpgradeRouterOptions } from './upgrade.js';

export interface HttpServerDeps {
  routes: readonly Route[];
  upgrades: UpgradeRouterOptions;
  logger: Logger;
  /** Closes the open sockets of every kind (they would hold the server's close open). */
  closeSockets: () => Promise<void>;
}

export type HttpServerSettings = Pick<Config, 'PORT' | 'HOST' | 'HTTP_HEADERS_TIMEOUT_SECONDS' | 'HTTP_REQUEST_TIMEOUT_SECONDS'>;

export interface HttpServer {
  /** The port taken (PORT=0: the one the system gave); valid after start. */
  readonly port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createHttpServer(deps: HttpServerDeps, config: HttpServerSettings): HttpServer {
  const headersTimeout = config.HTTP_HEADERS_TIMEOUT_SECONDS * 1000;
  const server = createServer(
    {
      headersTimeout,
      requestTimeout: config.HTTP_REQUEST_TIMEOUT_SECONDS * 1000,
      // Node looks for timed-out requests every 30 s by default, which would let a slow client
      // stay up to 30 s past its timeout.
      connectionsCheckingInterval: Math.min(1000, headersTimeout / 2),
    },
    createRouter(deps.routes, deps.logger),
  );
  const upgrade = createUpgradeRouter(deps.upgrades);
  let stopping = false;
  server.on('upgrade', (req, socket, head) => {
    // Node drops its own error listener from an upgrading socket; a reset while the token is
    // checked must not become an uncaught error.
    socket.on('error', () => socket.destroy());
    if (stopping) return refuseUpgrade(socket, 503, 'server shutting down');
    void upgrade(req, socket, head);
  });
  let port = config.PORT;
  return {
    get port() {
      return port;
    },
    async start() {
      await listen(server, config.PORT, config.HOST, 'PORT');
      port = (server.address() as AddressInfo).port;
    },
    async stop() {
      stopping = true;
      if (!server.listening) return deps.closeSockets(); // start failed: the socket servers exist all the same // no new sockets while the open ones are closed
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await deps.closeSockets();
      server.closeAllConnections(); // keep-alive and SSE requests would hold close() open
      await closed;
    },
  };
}
