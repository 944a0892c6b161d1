import type { LogQueries } from '../db/logs.js';
import type { HistoryQueries } from '../db/history.js';
import type { LogHub } from '../live/hub.js';
import type { FleetState } from '../live/fleet.js';
import type { ConnectionRegistry, StatsSnapshot } from '../stats.js';
import type { ResponseBudget } from './plugins/response-budget.js';
import type { AlertRepository } from '../db/alerts.js';
import type { FleetHistoryQueries } from '../db/fleet-history.js';
import type { AlertSource } from '../alerts/feed.js';

/** What every resolver gets: read access, the live hub, stats, and who is asking. */
export interface GraphQLContext {
  queries: LogQueries;
  history: HistoryQueries;
  /** Alert episodes stored (Query.alerts) and their changes as they happen (Subscription.alerts). */
  alerts: { repository: AlertRepository; feed: AlertSource };
  /** fleet(at), gaps, missions and replay's reads. */
  fleetHistory: FleetHistoryQueries;
  hub: LogHub;
  fleet: FleetState;
  stats: () => StatsSnapshot;
  registry: ConnectionRegistry;
  /** Vehicles this caller may see; undefined = all. */
  scope?: readonly number[];
  /** When the caller's token expires (ms since epoch); live streams end then. */
  expiresAt: number;
  /**
   * 'http' (queries, SSE): an SSE stream takes a connection slot and ends when the token expires
   * (plugins/count-subscriptions.ts). 'ws': the socket is closed on expiry.
   */
  transport: 'http' | 'ws';
  /** Set per query or mutation by the response-budget plugin; large fields charge their size to it. */
  responseBudget?: ResponseBudget;
}
