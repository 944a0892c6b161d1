import type { LogQueries } from '../db/logs.js';
import type { HistoryQueries } from '../db/history.js';
import type { LogHub } from '../live/hub.js';
import type { FleetState } from '../live/fleet.js';
import type { ConnectionRegistry, StatsSnapshot } from '../stats.js';
import type { ResponseBudget } from './plugins/response-budget.js';
import type { AlertRepository } from '../db/alerts.js';
import type { FleetHistoryQueries } from '../db/fleet-history.js';
import type { AlertSource } from '../alerts/feed.js';
import type { Principal } from '../auth/tokens.js';
import type { LagLimits } from '../live/backpressure.js';
import type { SocketSession } from './session.js';

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
  /** When a live subscriber lags (LIVE_MAX_UNSENT_BYTES, LIVE_MAX_WAITING_EVENTS). */
  lagLimits: LagLimits;
  /** Vehicles this caller may see; undefined = all. */
  scope?: readonly number[];
  /** When the caller's token expires (ms since epoch); live streams end then. */
  expiresAt: number;
  /**
   * 'http' (queries, SSE): an SSE stream takes a connection slot and ends when the token expires
   * (plugins/count-subscriptions.ts). 'ws': the socket is closed on expiry.
   */
  transport: 'http' | 'ws';
  /** A graphql-ws socket's token, moved by renewToken; its scope is the one in force (session.ts). */
  session?: SocketSession;
  /**
   * renewToken: the token's principal; on a graphql-ws socket also applied to it (or the socket
   * closed with 4403), over HTTP only checked.
   */
  renewToken(token: string): Promise<Principal>;
  /** An SSE request's Last-Event-ID: Subscription.logs resumes after it (plugins/sse-resume.ts). */
  lastEventId?: string;
  /** Set per query or mutation by the response-budget plugin; large fields charge their size to it. */
  responseBudget?: ResponseBudget;
}
