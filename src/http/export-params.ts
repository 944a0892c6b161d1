// The export's query string → a filter, or the first problem, naming the parameter (a 400):
//
//   ?vehicle_id=1  &type=<kind>,<kind> (or repeated)  &from=ISO  &to=ISO  &format=csv|ndjson
//
// Unknown parameters are refused so a typo never exports everything.
import { MAX_VEHICLE_ID, parseTimestamp, parseVehicleId } from '../logs/params.js';
import { LOG_TYPES, isLogType, type LogType } from '../logs/kinds.js';
import { EXPORT_FORMATS, type ExportFilter, type ExportFormat } from '../db/export.js';

const PARAMS = ['vehicle_id', 'type', 'from', 'to', 'format'];

type Problem = { error: string };
const show = (value: string) => JSON.stringify(value);

export function parseExportParams(params: URLSearchParams): ExportFilter | Problem {
  for (const name of new Set(params.keys())) {
    if (!PARAMS.includes(name)) return { error: `unknown parameter ${show(name)}; use ${PARAMS.join(', ')}` };
    if (name !== 'type' && params.getAll(name).length > 1) return { error: `parameter ${show(name)} given more than once` };
  }
  const filter: ExportFilter = { format: 'csv' };
  const vehicle = params.get('vehicle_id');
  if (vehicle !== null) {
    const id = parseVehicleId(vehicle.trim());
    if (id === undefined) return { error: `vehicle_id must be an integer 1..${MAX_VEHICLE_ID}, got ${show(vehicle)}` };
    filter.vehicleId = id;
  }
  const types = parseTypes(params.getAll('type'));
  if ('error' in types) return types;
  if (types.length) filter.types = types;
  for (const name of ['from', 'to'] as const) {
    const value = params.get(name);
    if (value === null) continue;
    const date = parseTimestamp(value);
    if (!date) return { error: `${name} must be an ISO-8601 time, e.g. 2025-10-18T16:30:00Z (no zone = UTC), got ${show(value)}` };
    filter[name] = date;
  }
  if (filter.from && filter.to && filter.from >= filter.to) return { error: 'to must be later than from (from is inclusive, to exclusive)' };
  const format = params.get('format');
  if (format !== null) {
    if (!isFormat(format)) return { error: `format must be ${EXPORT_FORMATS.join(' or ')}, got ${show(format)}` };
    filter.format = format;
  }
  return filter;
}

/** `type` repeated or comma-separated, duplicates dropped, in the order first given. */
function parseTypes(values: string[]): LogType[] | Problem {
  const types = values.flatMap((t) => t.split(',')).map((t) => t.trim());
  const bad = types.find((t) => !isLogType(t));
  if (bad !== undefined) return { error: `type must be ${LOG_TYPES.join(', ')} (repeated or comma-separated), got ${show(bad)}` };
  return [...new Set(types as LogType[])];
}

function isFormat(value: string): value is ExportFormat {
  return (EXPORT_FORMATS as readonly string[]).includes(value);
}
