// Entities without decorator metadata (defineEntity): tsx/vitest's esbuild emits none.
import { defineEntity, type InferEntity } from '@mikro-orm/core';

export const VehicleSchema = defineEntity({
  name: 'Vehicle',
  tableName: 'vehicle',
  properties: (p) => ({
    id: p.integer().primary().autoincrement(false),
    firstSeenAt: p.datetime().fieldName('first_seen_at'),
    lastSeenAt: p.datetime().fieldName('last_seen_at'),
  }),
});
export type Vehicle = InferEntity<typeof VehicleSchema>;

export const LogSchema = defineEntity({
  name: 'Log',
  tableName: 'log',
  properties: (p) => ({
    // bigint as string: ids outgrow 2^31 at fleet rates, and GraphQL's ID is a string anyway.
    id: p.bigint('string').primary(),
    vehicleId: p.integer().fieldName('vehicle_id'),
    type: p.string().fieldName('type'),
    timestamp: p.datetime().fieldName('timestamp'),
    receivedAt: p.datetime().fieldName('received_at'),
    sensorId: p.integer().nullable().fieldName('sensor_id'),
    message: p.text().nullable(),
    data: p.json<Record<string, unknown>>().nullable(),
    dedupKey: p.string().nullable().fieldName('dedup_key').lazy(),
  }),
});
export type Log = InferEntity<typeof LogSchema>;

export const RejectedMessageSchema = defineEntity({
  name: 'RejectedMessage',
  tableName: 'rejected_message',
  properties: (p) => ({
    id: p.bigint('string').primary(),
    topic: p.text(),
    /** At most REJECTED_PAYLOAD_BYTES of what arrived; the size and hash are of all of it. */
    payload: p.blob(),
    payloadSize: p.integer().fieldName('payload_size'),
    payloadSha256: p.text().fieldName('payload_sha256'),
    reason: p.text(),
    receivedAt: p.datetime().fieldName('received_at'),
  }),
});
export type RejectedMessage = InferEntity<typeof RejectedMessageSchema>;

export const entities = [VehicleSchema, LogSchema, RejectedMessageSchema];
