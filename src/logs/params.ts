// Parsing what every edge reads from outside: vehicle ids (topics, URLs, tokens, arguments),
// log ids (cursors, `after`) and times (payloads, export parameters). One definition each, so a
// value accepted on one surface is accepted on all.

export const MAX_VEHICLE_ID = 2147483647; // PostgreSQL int4, SPEC §3
/** Log ids are PostgreSQL bigint. */
export const MAX_LOG_ID = 9223372036854775807n;

/** A vehicle id as written in topics and URLs: decimal, no sign or leading zero, 1..MAX_VEHICLE_ID. */
export function parseVehicleId(text: string): number | undefined {
  if (!/^[1-9][0-9]{0,9}$/.test(text)) return undefined;
  const id = Number(text);
  return id <= MAX_VEHICLE_ID ? id : undefined;
}

/** A log id (cursor) as a decimal string within bigint, or undefined. "0" is allowed: before every log. */
export function parseLogId(text: string): string | undefined {
  if (!/^(0|[1-9][0-9]{0,18})$/.test(text)) return undefined;
  return BigInt(text) <= MAX_LOG_ID ? text : undefined;
}

const ISO = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;
const HAS_ZONE = /(Z|[+-]\d{2}:?\d{2})$/i;
// Years 1970..9999: anything outside is a unit mistake (seconds for ms), not a time.
const MIN_MS = 0;
const MAX_MS = 253402300799999;

/** ISO-8601 (no zone means UTC) or epoch milliseconds; anything else → undefined. */
export function parseTimestamp(value: unknown): Date | undefined {
  let ms: number;
  if (typeof value === 'number') ms = value;
  else if (typeof value === 'string' && ISO.test(value.trim())) {
    const s = value.trim().replace(' ', 'T');
    ms = Date.parse(HAS_ZONE.test(s) || !s.includes('T') ? s : `${s}Z`);
  } else return undefined;
  if (!Number.isFinite(ms) || ms < MIN_MS || ms > MAX_MS) return undefined;
  return new Date(Math.trunc(ms));
}
