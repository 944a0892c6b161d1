import type { LogQueries } from '../db/logs.js';
import type { HistoryQueries } from '../db/history.js';
import type { LogHub } from '../live/hub.js';
import type { FleetState } from '../live/fleet.js';
import type { ConnectionRegistry, StatsSnapshot } from '../stats.js';

/** What every resolver gets: read access, the live hub, stats, and who is asking. */
export interface GraphQLContext {
  queries: LogQueries;
  history: HistoryQueries;
  hub: LogHub;
  fleet: FleetState;
  stats: () => StatsSnapshot;
  registry: ConnectionRegistry;
  /** Vehicles this caller may see; undefined = all. */
  scope?: readonly number[];
  /** When the caller's token expires (ms since epoch); live streams end then. */
  expiresAt: number;
  /**
   * 'http' (queries, SSE): a subscription counts itself and ends itself when the token expires.
   * 'ws': the socket is closed on expiry, and subscriptions are counted per member of a group.
   */
  transport: 'http' | 'ws';
  /** Live events a subscriber may fall behind before it is dropped. */
  subscriberCapacity: number;
}
