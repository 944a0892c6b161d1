// The one definition of each log kind. Its key is the MQTT topic's last level and the stored
// `type`; the rest says how a payload becomes a log, how GraphQL shows it, what the legacy
// socket sends and whether its numbers are rolled up. LOG_TYPES, the topic filters, the GraphQL
// enum and object types, resolveType, the frames and the rollup's kinds all derive from here:
// a fourth kind is one entry (and the compiler points at nothing else to change).
import { z } from 'zod';
import { TELEMETRY_FIELDS, readField, telemetrySchema, type FieldKind } from './fields.js';
import type { LogEvent } from './event.js';

/** What a kind's parser makes of a payload's text: the stored parts, or why not. */
export type ParsedBody =
  | { ok: true; message: string | null; data: Record<string, unknown> | null; sensorId: number | null; timestamp?: unknown; seq?: unknown }
  | { ok: false; reason: string };

/** A GraphQL field of the kind's object type, besides the fields every Log has. */
export interface KindField {
  name: string;
  kind: FieldKind | 'JSON';
  nullable: boolean;
  description?: string;
  resolve: (e: LogEvent) => unknown;
}

export interface LogKind {
  /** GraphQL object type implementing Log. */
  graphqlType: string;
  /** Member of the GraphQL LogType enum. */
  enumValue: string;
  /** `json`: the payload is parsed as JSON before `parse`; `text`: `parse` gets the text itself. */
  payload: 'text' | 'json';
  parse: (body: unknown) => ParsedBody;
  fields: readonly KindField[];
  /** The legacy socket's frame fields after `type` and `vehicle_id` (SPEC §5). */
  frame: (e: LogEvent) => Record<string, unknown>;
  /** Its numeric `data` values are summed per minute (log_minute) for `series`. */
  rollup: boolean;
  /**
   * What a newer log of this kind replaces for a subscriber that lags (SPEC §9): logs with the
   * same key (within the kind) are states of one thing, and only the newest is worth sending.
   * Absent or null: every log counts (text lines), kept in order.
   */
  conflateKey?: ((e: LogEvent) => string) | null;
}

const sensorSchema = z.looseObject({ sensor_id: z.int32(), data: z.record(z.string(), z.unknown()) });

function zodReason(error: z.ZodError): string {
  const issue = error.issues[0]!;
  return `${issue.path.length ? issue.path.join('.') : 'payload'}: ${issue.message}`;
}

const data: KindField = { name: 'data', kind: 'JSON', nullable: false, resolve: (e) => e.data ?? {} };

// Each entry is checked against LogKind, and read back as a LogKind (not its literal type).
const defineKinds = <K extends string>(kinds: Record<K, LogKind>): Record<K, LogKind> => kinds;

export const LOG_KINDS = defineKinds({
  raw_log: {
    graphqlType: 'RawLog',
    enumValue: 'RAW_LOG',
    payload: 'text',
    parse: (text) => ({ ok: true, message: text as string, data: null, sensorId: null }),
    fields: [{ name: 'message', kind: 'String', nullable: false, resolve: (e) => e.message ?? '' }],
    frame: (e) => ({ data: e.message }),
    rollup: false,
    conflateKey: null,
  },
  sensor_log: {
    graphqlType: 'SensorLog',
    enumValue: 'SENSOR_LOG',
    payload: 'json',
    parse: (json) => {
      const r = sensorSchema.safeParse(json);
      if (!r.success) return { ok: false, reason: zodReason(r.error) };
      // `data` is kept as received: a timestamp inside it (the seed's simulator) stays.
      const { sensor_id, data, timestamp, seq } = r.data as { sensor_id: number; data: Record<string, unknown>; timestamp?: unknown; seq?: unknown };
      return { ok: true, message: null, data, sensorId: sensor_id, timestamp: timestamp ?? data.timestamp, seq: seq ?? data.seq };
    },
    fields: [{ name: 'sensorId', kind: 'Int', nullable: false, resolve: (e) => e.sensorId ?? 0 }, data],
    frame: (e) => ({ sensor_id: e.sensorId, data: e.data }),
    rollup: true,
    conflateKey: (e) => `${e.vehicleId}/${e.sensorId}`,
  },
  vehicle_log: {
    graphqlType: 'VehicleLog',
    enumValue: 'VEHICLE_LOG',
    payload: 'json',
    parse: (json) => {
      const r = telemetrySchema.safeParse(json);
      if (!r.success) return { ok: false, reason: zodReason(r.error) };
      const body = json as Record<string, unknown>; // the whole object as received
      return { ok: true, message: null, data: body, sensorId: null, timestamp: body.timestamp, seq: body.seq };
    },
    fields: [
      ...TELEMETRY_FIELDS.map((f): KindField => ({ name: f.name, kind: f.kind, nullable: true, resolve: (e) => readField(f.kind, e.data?.[f.key]) })),
      { ...data, description: 'The telemetry object as received' },
    ],
    frame: (e) => ({ data: e.data }),
    rollup: true,
    conflateKey: (e) => String(e.vehicleId),
  },
});

export type LogType = keyof typeof LOG_KINDS;
export const LOG_TYPES = Object.keys(LOG_KINDS) as LogType[];

/** The kind whose telemetry feeds latest state, series of vehicle fields, tracks and missions. */
export const TELEMETRY_TYPE: LogType = 'vehicle_log';

/** The kind whose `data` belongs to a sensor (`sensorId`): series and thresholds of sensor values. */
export const SENSOR_TYPE: LogType = 'sensor_log';

export function isLogType(value: string): value is LogType {
  return Object.hasOwn(LOG_KINDS, value);
}

/** Kinds whose numbers the rollup sums. */
export const ROLLUP_TYPES: readonly LogType[] = LOG_TYPES.filter((t) => LOG_KINDS[t].rollup);
