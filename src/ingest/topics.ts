// Pure topic parsing: `{prefix}/{vehicle_id}/{type}` → what was published, or why not.
// Returns the error instead of throwing (the aedes habit): a bad topic is data, not a crash.
import { LOG_TYPES, type LogType } from '../pubsub/index.js';

export const MAX_VEHICLE_ID = 2147483647; // PostgreSQL int4, SPEC §3

/** A vehicle id as written in topics and URLs: decimal, no sign or leading zero, 1..MAX_VEHICLE_ID. */
export function parseVehicleId(text: string): number | undefined {
  if (!/^[1-9][0-9]{0,9}$/.test(text)) return undefined;
  const id = Number(text);
  return id <= MAX_VEHICLE_ID ? id : undefined;
}

export type ParsedTopic = { ok: true; vehicleId: number; type: LogType } | { ok: false; reason: string };

/** The three subscriptions, QoS 1 each. */
export function topicFilters(prefix: string): string[] {
  return LOG_TYPES.map((type) => `${prefix}/+/${type}`);
}

export function parseTopic(topic: string, prefix: string): ParsedTopic {
  if (!topic.startsWith(`${prefix}/`)) return { ok: false, reason: `topic does not start with "${prefix}/"` };
  const rest = topic.slice(prefix.length + 1).split('/');
  if (rest.length !== 2) return { ok: false, reason: `topic must be ${prefix}/{vehicle_id}/{type}` };
  const [idText, type] = rest as [string, string];
  if (!(LOG_TYPES as readonly string[]).includes(type)) {
    return { ok: false, reason: `unknown log type "${type}" (expected ${LOG_TYPES.join(', ')})` };
  }
  // Decimal digits only, no sign, no leading zeros: "007" and "1e3" are not ids.
  const vehicleId = parseVehicleId(idText);
  if (vehicleId === undefined) {
    return { ok: false, reason: `invalid vehicle id "${idText.slice(0, 32)}" (expected an integer 1..${MAX_VEHICLE_ID})` };
  }
  return { ok: true, vehicleId, type: type as LogType };
}
