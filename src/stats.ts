// Connection registry and the stats both /api/ws/stats and Query.stats report (SPEC §6).
import type { IngestCounters } from './ingest/counters.js';
import type { LagCounters, SkipReason } from './live/backpressure.js';

export type Surface = 'legacy' | 'graphql';

export interface ConnectionInfo {
  surface: Surface;
  connectedAt: Date;
  endpoint: string;
  vehicleFilter?: number;
  /** Vehicles the connection's token may see; undefined = all. */
  scope?: readonly number[];
}

export interface StatsSnapshot {
  activeConnections: number;
  legacyConnections: number;
  graphqlConnections: number;
  activeSubscriptions: number;
  messagesReceived: number;
  messagesStored: number;
  messagesRejected: number;
  messagesDuplicate: number;
  ingestBacklog: number;
  slowConsumers: number;
  /** Logs a subscriber was not sent because a newer one of their key went instead (SPEC §9). */
  skipped: Record<SkipReason, number>;
  /** Subscribers that lag right now and are being conflated. */
  laggingSubscribers: number;
  /** What their backlogs hold: events, and about how many bytes. */
  laggingHeld: { events: number; bytes: number };
  refusals: Record<string, number>;
  uptimeSeconds: number;
  connections: ConnectionInfo[];
}

export class ConnectionRegistry {
  readonly connections = new Set<ConnectionInfo>();
  activeSubscriptions = 0;
  /** Legacy sockets closed with 1013 and GraphQL subscriptions ended for falling behind. */
  slowConsumers = 0;
  /** Requests and sockets refused, by reason (auth, scope, origin, limits). */
  readonly refusals: Record<string, number> = {};
  readonly skipped: Record<SkipReason, number> = { conflated: 0, max_rate: 0 };
  laggingSubscribers = 0;
  readonly laggingHeld = { events: 0, bytes: 0 };
  /** Where the live path reports conflation and pacing, for every socket kind. */
  readonly lagCounters: LagCounters = {
    skipped: (reason, n) => void (this.skipped[reason] += n),
    lagging: (delta) => void (this.laggingSubscribers += delta),
    dropped: () => void this.slowConsumers++,
    held: (events, bytes) => {
      this.laggingHeld.events += events;
      this.laggingHeld.bytes += bytes;
    },
  };

  refused(reason: string): void {
    this.refusals[reason] = (this.refusals[reason] ?? 0) + 1;
  }

  add(info: ConnectionInfo): () => void {
    this.connections.add(info);
    return () => this.connections.delete(info);
  }

  count(surface?: Surface): number {
    if (!surface) return this.connections.size;
    let n = 0;
    for (const c of this.connections) if (c.surface === surface) n++;
    return n;
  }
}

export function snapshot(
  registry: ConnectionRegistry,
  counters: IngestCounters,
  backlog: number,
  startedAt: number,
): StatsSnapshot {
  return {
    activeConnections: registry.count(),
    legacyConnections: registry.count('legacy'),
    graphqlConnections: registry.count('graphql'),
    activeSubscriptions: registry.activeSubscriptions,
    messagesReceived: counters.received,
    messagesStored: counters.stored,
    messagesRejected: counters.rejected,
    messagesDuplicate: counters.duplicates,
    ingestBacklog: backlog,
    slowConsumers: registry.slowConsumers,
    skipped: { ...registry.skipped },
    laggingSubscribers: registry.laggingSubscribers,
    laggingHeld: { ...registry.laggingHeld },
    refusals: { ...registry.refusals },
    uptimeSeconds: (Date.now() - startedAt) / 1000,
    connections: [...registry.connections],
  };
}
