// LogEvent: one stored log as every consumer sees it (GraphQL, the legacy socket, the fleet
// state, Redis). Plain and JSON-safe — no ORM entities — so it crosses an in-memory or a Redis
// event target unchanged. Built in one place: toLogEvent.
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

const iso = (t: Date | string) => (typeof t === 'string' ? new Date(t) : t).toISOString();

export function toLogEvent(p: LogParts): LogEvent {
  return {
    id: String(p.id),
    vehicleId: p.vehicleId,
    type: p.type,
    timestamp: iso(p.timestamp),
    receivedAt: iso(p.receivedAt),
    sensorId: p.sensorId ?? null,
    message: p.message ?? null,
    data: p.data ?? null,
  };
}
