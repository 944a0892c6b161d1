// Payload validation (SPEC §3, §8): topic + bytes → a log ready to store, or a reason.
// What is common to every kind is checked here; what a kind's body must hold is its own
// parser's (src/logs/kinds.ts).
import { createHash } from 'node:crypto';
import { LOG_KINDS, type LogType } from '../logs/kinds.js';
import { parseTimestamp } from '../logs/params.js';
import { MAX_JSON_DEPTH, jsonDepth, underflowingNumber, unstorableValue } from './json-limits.js';
import { parseTopic } from './topics.js';
import type { NewLog } from '../db/log-store.js';

/** What validation makes of a message: the log as the store takes it. */
export type ValidLog = NewLog;

export type ParsedMessage = { ok: true; log: ValidLog } | { ok: false; reason: string; vehicleId?: number };

// ignoreBOM: a raw_log is kept byte for byte, a leading U+FEFF included (SPEC §8).
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

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
  if (text.includes('\u0000')) return reject('payload contains a NUL character (U+0000)');
  const kind = LOG_KINDS[type];
  let body: unknown = text;
  let jsonText: string | undefined;
  if (kind.payload === 'json') {
    jsonText = text.replace(/^\uFEFF/, '');
    const json = parseJson(jsonText);
    if (!json.ok) return reject(json.reason);
    body = json.value;
  }
  const parsed = kind.parse(body);
  if (!parsed.ok) return reject(parsed.reason);
  const { timestamp, seq, message, data, sensorId } = parsed;
  return {
    ok: true,
    log: {
      vehicleId, type, receivedAt, message, data, sensorId,
      timestamp: parseTimestamp(timestamp) ?? receivedAt,
      dedupKey: timestamp !== undefined || seq !== undefined ? createHash('sha256').update(payload).digest('base64url') : null,
      json: jsonText !== undefined && data ? jsonSource(jsonText, body, data) : null,
    },
  };
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  if (text.includes('\\u0000')) return { ok: false, reason: 'payload contains a NUL character (U+0000)' };
  const depth = jsonDepth(text);
  if (depth > MAX_JSON_DEPTH) return { ok: false, reason: `JSON nested ${depth} levels deep (at most ${MAX_JSON_DEPTH})` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'payload is not valid JSON' };
  }
  const tiny = underflowingNumber(text);
  if (tiny) return { ok: false, reason: `payload: number ${tiny} outside the float64 range (it would read as 0)` };
  const why = unstorableValue(value);
  return why ? { ok: false, reason: why } : { ok: true, value };
}

/**
 * Where `data` sits in the payload's text, so that it is stored as sent: the whole of it, or the
 * member holding it (a kind's schema may hand back a shallow copy of that member).
 */
function jsonSource(text: string, body: unknown, data: Record<string, unknown>): ValidLog['json'] {
  if (body === data) return { text, key: null };
  const keys = Object.keys(data);
  const same = (v: unknown) =>
    v === data || (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === keys.length &&
      keys.every((k) => (v as Record<string, unknown>)[k] === data[k]));
  const key = Object.entries(body as Record<string, unknown>).find(([, v]) => same(v))?.[0];
  return key === undefined ? { text: JSON.stringify(data), key: null } : { text, key };
}
