// LogEvent: one stored log as every consumer sees it (GraphQL, the legacy socket, the fleet
// state, Redis). Plain and JSON-safe — no ORM entities — so it crosses an in-memory or a Redis
// event target unchanged. Built in one place: toLogEvent, which also decides whether it is late,
// so a log is flagged the same live, replayed and queried.
import type { LogType } from './kinds.js';

export interface LogEvent {
  /** Database id as a decimal string: grows with every stored log. */
  id: string;
  vehicleId: number;
  type: LogType;
  /** The log's own time (ISO-8601 UTC with milliseconds). */
  timestamp: string;
  /** When the service received it (ISO-8601 UTC with milliseconds). */
  receivedAt: string;
  /** sensor_log only. */
  sensorId: number | null;
  /** raw_log only: the text as received. */
  message: string | null;
  /** sensor_log: the `data` object; vehicle_log: the whole telemetry object as received. */
  data: Record<string, unknown> | null;
  /** Its `timestamp` is more than LATE_AFTER_SECONDS before its receipt: a backlog sent after an outage (SPEC §9). */
  late: boolean;
}

/** A stored log's parts, from a message just validated or a row just read. */
export interface LogParts {
  id: string | number | bigint;
  vehicleId: number;
  type: LogType;
  timestamp: Date | string;
  receivedAt: Date | string;
  sensorId?: number | null;
  message?: string | null;
  data?: Record<string, unknown> | null;
}

const time = (t: Date | string) => (typeof t === 'string' ? new Date(t) : t);

/** LATE_AFTER_SECONDS's default, in ms: a minute covers clock drift and a slow link, not an outage. */
export const DEFAULT_LATE_AFTER_MS = 60_000;
// One setting per process (src/app/shared.ts sets it from the config at start), read by every
// toLogEvent — the writer's, the queries', the replay's — without threading it through each.
let lateAfterMs = DEFAULT_LATE_AFTER_MS;

export function setLateAfter(ms: number): void {
  lateAfterMs = ms;
}

export function toLogEvent(p: LogParts): LogEvent {
  const timestamp = time(p.timestamp);
  const receivedAt = time(p.receivedAt);
  return {
    id: String(p.id),
    vehicleId: p.vehicleId,
    type: p.type,
    timestamp: timestamp.toISOString(),
    receivedAt: receivedAt.toISOString(),
    sensorId: p.sensorId ?? null,
    message: p.message ?? null,
    data: p.data ?? null,
    late: receivedAt.getTime() - timestamp.getTime() > lateAfterMs,
  };
}
