// The telemetry fields of a vehicle_log: the one list. The payload schema, VehicleLog's GraphQL
// fields, the series fields and the export's flattened columns are all derived from it, so a
// new field is one line here (plus a migration only if storage changes; it does not today:
// telemetry is stored whole as jsonb).
import { z } from 'zod';

/** GraphQL scalar a field resolves to; the payload schema follows from it. */
export type FieldKind = 'Float' | 'Int' | 'String' | 'Boolean';

export interface TelemetryField {
  /** Key in the published JSON object (snake_case, SPEC §3). */
  key: string;
  /** Field of VehicleLog (camelCase, SPEC §4). */
  name: string;
  kind: FieldKind;
  /** Payload validation beyond the kind (a range, a length). */
  schema?: z.ZodType;
  /** A `series` can be drawn for it (numbers only), listed at this position (1 = first). */
  series?: number;
  /** The export gives it a column of its own, for spreadsheets, at this position (1 = first). */
  exportColumn?: number;
}

const finite = z.number().finite();
const short = z.string().max(64);

export const TELEMETRY_FIELDS: readonly TelemetryField[] = [
  { key: 'battery_voltage', name: 'batteryVoltage', kind: 'Float', series: 2, exportColumn: 1 },
  { key: 'battery_current', name: 'batteryCurrent', kind: 'Float', series: 3 },
  { key: 'rssi', name: 'rssi', kind: 'Int', schema: z.int32(), series: 4 },
  { key: 'mode', name: 'mode', kind: 'String', schema: short, exportColumn: 6 },
  { key: 'latitude', name: 'latitude', kind: 'Float', schema: finite.min(-90).max(90), series: 6, exportColumn: 3 },
  { key: 'longitude', name: 'longitude', kind: 'Float', schema: finite.min(-180).max(180), series: 7, exportColumn: 4 },
  { key: 'heading', name: 'heading', kind: 'Float', series: 5, exportColumn: 5 },
  { key: 'armed', name: 'armed', kind: 'Boolean', exportColumn: 7 },
  { key: 'guided', name: 'guided', kind: 'Boolean' },
  { key: 'system_status', name: 'systemStatus', kind: 'String', schema: short },
  { key: 'speed', name: 'speed', kind: 'Float', series: 1, exportColumn: 2 },
];

const KIND_SCHEMA: Record<FieldKind, z.ZodType> = {
  Float: finite,
  Int: z.int32(),
  String: z.string(),
  Boolean: z.boolean(),
};

/** The vehicle_log payload: every known field optional (null allowed), other fields kept. */
export const telemetrySchema = z.looseObject(
  Object.fromEntries(TELEMETRY_FIELDS.map((f) => [f.key, (f.schema ?? KIND_SCHEMA[f.kind]).nullish()])),
);

/** A stored value read back as the field's kind, or null (the payload may predate a field). */
export function readField(kind: FieldKind, value: unknown): unknown {
  switch (kind) {
    case 'Float':
      return typeof value === 'number' && Number.isFinite(value) ? value : null;
    case 'Int':
      return typeof value === 'number' && Number.isInteger(value) ? value : null;
    case 'String':
      return typeof value === 'string' ? value : null;
    case 'Boolean':
      return typeof value === 'boolean' ? value : null;
  }
}

/** Series fields: GraphQL name → key as published, in list order. */
export const SERIES_FIELDS: Readonly<Record<string, string>> = Object.fromEntries(
  TELEMETRY_FIELDS.filter((f) => f.series)
    .sort((a, b) => a.series! - b.series!)
    .map((f) => [f.name, f.key]),
);

/** Keys the export flattens into columns of their own, in column order. */
export const EXPORT_COLUMNS: readonly string[] = TELEMETRY_FIELDS.filter((f) => f.exportColumn)
  .sort((a, b) => a.exportColumn! - b.exportColumn!)
  .map((f) => f.key);

/** The published key of a telemetry field, by its GraphQL name; an unknown name throws at load. */
export function telemetryKey(name: string): string {
  const field = TELEMETRY_FIELDS.find((f) => f.name === name);
  if (!field) throw new Error(`no telemetry field named ${name}`);
  return field.key;
}

/** The battery voltage's key: missions measure the battery used by it. */
export const BATTERY_VOLTAGE_KEY = telemetryKey('batteryVoltage');
