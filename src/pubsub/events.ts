// The events that flow from ingest to the edges. Plain, JSON-safe objects (no ORM entities),
// so the same shapes cross an in-memory or a Redis event target unchanged.

export const LOG_TYPES = ['raw_log', 'sensor_log', 'vehicle_log'] as const;
export type LogType = (typeof LOG_TYPES)[number];

/** One stored log, published after its transaction committed. */
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
