// What a legacy upgrade asks for, checked before the upgrade (SPEC §5, §7, §9), so every refusal
// is an HTTP status: the path (`/api/ws`, `/api/ws/vehicle/{id}`; a bad id is 400, any other path
// 404), `?after=` (a log id within bigint, else 400), `?max_rate=` and `?on_lag=` (400 when out
// of range), the token (`?token=` or Authorization: 401) and the vehicle's scope (403).
import type { IncomingMessage } from 'node:http';
import { AuthError, allows, bearer, type Authenticator, type Principal } from '../auth/tokens.js';
import type { LagPolicy } from '../live/backpressure.js';
import type { LogFilter } from '../live/filter.js';
import { MAX_RATE } from '../live/rate.js';
import { MAX_LOG_ID, parseLogId, parseVehicleId } from '../logs/params.js';

export interface LegacyRoute {
  filter: LogFilter;
  /** Replay after this log id first (a parsed id). */
  after?: string;
  /** For stats' connections_info: `/api/ws` or `/api/ws/vehicle/{id}`. */
  endpoint: string;
  /** ?on_lag=: what a socket that falls behind gets; absent: conflate. */
  onLag?: LagPolicy;
  /** ?max_rate=: at most this many logs a second per (vehicle, type, sensor). */
  maxRate?: number;
}

export type Refusal = { ok: false; status: number; message: string; /** stats' refusal count */ reason: string };

const PATH = /^\/api\/ws(?:\/vehicle\/([^/]+))?\/?$/;

/** The paths the legacy server answers (`/api/ws/stats` is an HTTP route: its upgrade is a 404). */
export const servesLegacy = (pathname: string): boolean => pathname === '/api/ws' || pathname.startsWith('/api/ws/');

const badRequest = (status: number, message: string): Refusal => ({ ok: false, status, message, reason: 'bad_request' });

export function routeLegacy(url: URL): ({ ok: true } & LegacyRoute) | Refusal {
  const m = PATH.exec(url.pathname);
  if (!m) return badRequest(404, 'Not Found');
  const filter: LogFilter = {};
  if (m[1] !== undefined) {
    const id = parseVehicleId(m[1]);
    if (id === undefined) return badRequest(400, `invalid vehicle id "${m[1].slice(0, 32)}"`);
    filter.vehicleId = id;
  }
  const afterText = url.searchParams.get('after');
  const after = afterText === null ? undefined : parseLogId(afterText);
  if (afterText !== null && after === undefined) return badRequest(400, `after must be a log id (a decimal from 0 to ${MAX_LOG_ID})`);
  const onLag = url.searchParams.get('on_lag') ?? undefined;
  if (onLag !== undefined && onLag !== 'conflate' && onLag !== 'close') return badRequest(400, 'on_lag must be conflate or close');
  const rateText = url.searchParams.get('max_rate');
  const maxRate = rateText === null ? undefined : Number(rateText);
  if (maxRate !== undefined && !(rateText!.trim() !== '' && maxRate > 0 && maxRate <= MAX_RATE)) {
    return badRequest(400, `max_rate must be a number of logs per second above 0 and at most ${MAX_RATE}`);
  }
  return { ok: true, filter, after, endpoint: url.pathname.replace(/\/$/, ''), onLag, maxRate };
}

/** The route, and who asks (their token checked against the route's vehicle). */
export async function admitLegacy(
  req: IncomingMessage,
  url: URL,
  auth: Authenticator,
): Promise<{ ok: true; route: LegacyRoute; principal: Principal } | Refusal> {
  const route = routeLegacy(url);
  if (!route.ok) return route;
  let principal: Principal;
  try {
    principal = await auth.verify(url.searchParams.get('token') ?? bearer(req.headers.authorization));
  } catch (err) {
    if (!(err instanceof AuthError)) throw err;
    return { ok: false, status: err.status, message: err.message, reason: err.status === 403 ? 'forbidden' : 'unauthorized' };
  }
  const { vehicleId } = route.filter;
  if (vehicleId !== undefined && !allows(principal.scope, vehicleId)) {
    return { ok: false, status: 403, message: `vehicle ${vehicleId} is outside this token's scope`, reason: 'forbidden' };
  }
  return { ok: true, route, principal };
}
