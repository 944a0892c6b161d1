// Payload validation (SPEC §3) with zod schemas: topic + bytes → a log ready to store, or a reason.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { LogType } from '../pubsub/index.js';
import { parseTopic } from './topics.js';

export interface ValidLog {
  vehicleId: number;
  type: LogType;
  timestamp: Date;
  receivedAt: Date;
  sensorId: number | null;
  message: string | null;
  data: Record<string, unknown> | null;
  /** Set when the payload carries a timestamp or seq: a redelivery has the same key (see README). */
  dedupKey: string | null;
}

export type ParsedMessage = { ok: true; log: ValidLog } | { ok: false; reason: string; vehicleId?: number };

const number = z.number().finite();
const optional = <T extends z.ZodType>(t: T) => t.nullish();

export const telemetrySchema = z.looseObject({
  battery_voltage: optional(number),
  battery_current: optional(number),
  rssi: optional(z.int32()),
  mode: optional(z.string().max(64)),
  latitude: optional(number.min(-90).max(90)),
  longitude: optional(number.min(-180).max(180)),
  heading: optional(number),
  armed: optional(z.boolean()),
  guided: optional(z.boolean()),
  system_status: optional(z.string().max(64)),
  speed: optional(number),
});

export const sensorSchema = z.looseObject({
  sensor_id: z.int32(),
  data: z.record(z.string(), z.unknown()),
});

const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface PayloadLimits {
  prefix: string;
  maxPayload: number;
}

export function parseMessage(topic: string, payload: Uint8Array, receivedAt: Date, limits: PayloadLimits): ParsedMessage {
  const parsedTopic = parseTopic(topic, limits.prefix);
  if (!parsedTopic.ok) return parsedTopic;
  const { vehicleId, type } = parsedTopic;
  const reject = (reason: string): ParsedMessage => ({ ok: false, reason, vehicleId });

  if (payload.byteLength > limits.maxPayload) {
    return reject(`payload of ${payload.byteLength} bytes exceeds MQTT_MAX_PAYLOAD (${limits.maxPayload})`);
  }
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    return reject('payload is not valid UTF-8');
  }
  // PostgreSQL text and jsonb cannot hold U+0000; refuse it here rather than fail a whole batch.
  if (text.includes('\u0000') || text.includes('\\u0000')) return reject('payload contains a NUL character (U+0000)');

  const base = { vehicleId, type, receivedAt, sensorId: null, message: null, data: null, dedupKey: null };
  if (type === 'raw_log') return { ok: true, log: { ...base, timestamp: receivedAt, message: text } };

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return reject('payload is not valid JSON');
  }
  const result = (type === 'sensor_log' ? sensorSchema : telemetrySchema).safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const where = issue.path.length ? issue.path.join('.') : 'payload';
    return reject(`${where}: ${issue.message}`);
  }
  const body = json as Record<string, unknown>;
  const inner = type === 'sensor_log' ? (body.data as Record<string, unknown>) : undefined;
  const stamp = body.timestamp ?? inner?.timestamp;
  const seq = body.seq ?? inner?.seq;
  return {
    ok: true,
    log: {
      ...base,
      timestamp: parseTimestamp(stamp) ?? receivedAt,
      sensorId: type === 'sensor_log' ? (body.sensor_id as number) : null,
      // Kept as received: sensor_log keeps `data` (a timestamp inside stays), vehicle_log the whole object.
      data: type === 'sensor_log' ? inner! : body,
      dedupKey: stamp !== undefined || seq !== undefined ? createHash('sha256').update(payload).digest('base64url') : null,
    },
  };
}

const ISO = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;
const HAS_ZONE = /(Z|[+-]\d{2}:?\d{2})$/i;
// Years 1970..9999: anything outside is a unit mistake (seconds for ms), not a time.
const MIN_MS = 0;
const MAX_MS = 253402300799999;

/** ISO-8601 (no zone means UTC) or epoch milliseconds; anything else → undefined (receipt time). */
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
