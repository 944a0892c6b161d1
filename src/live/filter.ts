import type { LogEvent } from '../logs/event.js';
import type { LogType } from '../logs/kinds.js';

/** What a live subscriber asked for, plus what its token allows. */
export interface LogFilter {
  vehicleId?: number;
  types?: LogType[];
  sensorId?: number;
  /** Vehicles the caller may see; undefined = all (no auth, or a token without `vehicles`). */
  scope?: readonly number[];
}

export function matches(filter: LogFilter, e: LogEvent): boolean {
  if (filter.vehicleId !== undefined && e.vehicleId !== filter.vehicleId) return false;
  if (filter.scope !== undefined && !filter.scope.includes(e.vehicleId)) return false;
  if (filter.types !== undefined && filter.types.length > 0 && !filter.types.includes(e.type)) return false;
  if (filter.sensorId !== undefined && e.sensorId !== filter.sensorId) return false;
  return true;
}
