// MQTT topics: `{prefix}/{vehicle_id}/{type}` → what was published, or why not.
// Returns the error instead of throwing (the aedes habit): a bad topic is data, not a crash.
import { LOG_TYPES, isLogType, type LogType } from '../logs/kinds.js';
import { MAX_VEHICLE_ID, parseVehicleId } from '../logs/params.js';

export type ParsedTopic = { ok: true; vehicleId: number; type: LogType } | { ok: false; reason: string };

/** One subscription per log kind, QoS 1 each. */
export function topicFilters(prefix: string): string[] {
  return LOG_TYPES.map((type) => `${prefix}/+/${type}`);
}

export function parseTopic(topic: string, prefix: string): ParsedTopic {
  if (!topic.startsWith(`${prefix}/`)) return { ok: false, reason: `topic does not start with "${prefix}/"` };
  const rest = topic.slice(prefix.length + 1).split('/');
  if (rest.length !== 2) return { ok: false, reason: `topic must be ${prefix}/{vehicle_id}/{type}` };
  const [idText, type] = rest as [string, string];
  if (!isLogType(type)) return { ok: false, reason: `unknown log type "${type}" (expected ${LOG_TYPES.join(', ')})` };
  // Decimal digits only, no sign, no leading zeros: "007" and "1e3" are not ids.
  const vehicleId = parseVehicleId(idText);
  if (vehicleId === undefined) {
    return { ok: false, reason: `invalid vehicle id "${idText.slice(0, 32)}" (expected an integer 1..${MAX_VEHICLE_ID})` };
  }
  return { ok: true, vehicleId, type };
}

/** The log type a topic names, for labels: `seano/1/raw_log` → `raw_log`; `unknown` otherwise. */
export function topicType(topic: string): string {
  const last = topic.slice(topic.lastIndexOf('/') + 1);
  return isLogType(last) ? last : 'unknown';
}
