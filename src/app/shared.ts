// What the components share and none owns: counters, the connection registry, auth, socket
// limits and the stats built from them. None of these has a lifecycle.
import type { Config } from '../config.js';
import { createAuthenticator, type Authenticator } from '../auth/tokens.js';
import { IngestCounters } from '../ingest/counters.js';
import { setLateAfter } from '../logs/event.js';
import { SocketGuard } from '../sockets/limits.js';
import { ConnectionRegistry, snapshot, type StatsSnapshot } from '../stats.js';

/** One part of the service with a lifecycle. `stop` is called also after a failed `start`. */
export interface Component {
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
}

export interface Shared {
  counters: IngestCounters;
  registry: ConnectionRegistry;
  auth: Authenticator;
  guard: SocketGuard;
  stats: () => StatsSnapshot;
  /** The writer reports its backlog here once it exists. */
  setBacklog(read: () => number): void;
}

export function createShared(config: Config): Shared {
  setLateAfter(config.LATE_AFTER_SECONDS * 1000);
  const startedAt = Date.now();
  const counters = new IngestCounters();
  const registry = new ConnectionRegistry();
  let backlog = () => 0;
  return {
    counters,
    registry,
    auth: createAuthenticator(config.AUTH_JWT_SECRET, { audience: config.AUTH_JWT_AUDIENCE, issuer: config.AUTH_JWT_ISSUER }),
    guard: new SocketGuard({
      maxConnections: config.WS_MAX_CONNECTIONS,
      maxConnectionsPerIp: config.WS_MAX_CONNECTIONS_PER_IP,
      maxMessagesPerSecond: config.WS_MAX_MESSAGES_PER_SECOND,
      trustProxy: config.TRUST_PROXY,
    }),
    stats: () => snapshot(registry, counters, backlog(), startedAt),
    setBacklog: (read) => void (backlog = read),
  };
}

/** A component's product, read by a later one: present once its component has started. */
export function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} used before it started`);
  return value;
}
